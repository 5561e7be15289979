"""One pass over the mailbox: fetch, store, handle, move, one mail at a time, never stopped by one.

A mail leaves the inbox only after its outcome is committed: to the processed folder when it
became a submission, a reply or an automatic record, to the quarantine folder when it could not
be used. A crash anywhere before the move leaves it in the inbox, and the next pass finds it
stored already (the unique key) and only moves it. A mail that fails (the server drops one
fetch, a bug) is logged and left for the next pass; the database going away ends the pass.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from intake.mail import store
from intake.mail.imap import MailboxError, MailSource
from intake.mail.pipeline import MailOutcome, handle_pending, ingest
from intake.services import leases
from intake.settings import MailboxSettings, Settings

log = logging.getLogger(__name__)


@dataclass
class PollReport:
    """What one pass did, with the timings a benchmark prints."""

    fetched: int = 0
    submissions: int = 0
    replies: int = 0
    automatic: int = 0
    quarantined: int = 0
    pending: int = 0
    duplicates: int = 0
    failed: int = 0
    moved: int = 0
    left_over: int = 0
    seconds: float = 0.0
    slowest_seconds: float = 0.0
    slowest_uid: str | None = None
    skipped: bool = False
    references: list[str] = field(default_factory=list)

    @property
    def mails_per_second(self) -> float:
        """Return the mails handled per second of the pass."""
        return self.fetched / self.seconds if self.seconds > 0 else 0.0

    def count(self, outcome: MailOutcome) -> None:
        """Add one mail's outcome."""
        if outcome.duplicate:
            self.duplicates += 1
        if outcome.kind == "submission":
            self.submissions += 1
            if outcome.reference and not outcome.duplicate:
                self.references.append(outcome.reference)
        elif outcome.kind == "reply":
            self.replies += 1
        elif outcome.kind == "automatic":
            self.automatic += 1
        elif outcome.kind == "quarantine":
            self.quarantined += 1
        else:
            self.pending += 1

    def as_dict(self) -> dict[str, object]:
        """Return the report as JSON-ready data, with the rate."""
        data = asdict(self)
        data["mails_per_second"] = round(self.mails_per_second, 1)
        data["seconds"] = round(self.seconds, 3)
        data["slowest_seconds"] = round(self.slowest_seconds, 4)
        return data


POLL_LEASE = timedelta(minutes=2)
"""How long one poller holds a folder unrenewed; it renews while it works, every few mails."""


def lease_name(mailbox: MailboxSettings) -> str:
    """Return the name of a folder's poll lease: host, user and folder."""
    return f"{mailbox.host}/{mailbox.username or ''}/{mailbox.folder}"


def poll(
    engine: Engine, settings: Settings, source: MailSource, *, left_over: bool = True, exclusive: bool = True
) -> PollReport:
    """Handle left-over stored mails, then fetch, store, handle and move the waiting ones.

    With `exclusive`, the pass first takes the folder's poll lease and is skipped (`skipped`)
    while another process holds it. Without it, two passes at once still store every mail once
    (the unique key), but both may move a mail and leave two copies in the processed folder.
    """
    report = PollReport()
    started = time.perf_counter()
    if left_over:
        report.left_over = len(handle_pending(engine, settings))
    mailbox = settings.mailbox
    name, owner = lease_name(mailbox), leases.new_owner()
    if exclusive and not store.take_poll_lease(engine, name, owner, POLL_LEASE):
        report.skipped = True
        return report
    try:
        _pass(engine, settings, source, report, (name, owner) if exclusive else None)
    finally:
        if exclusive:
            store.release_poll_lease(engine, name, owner)
    report.seconds = time.perf_counter() - started
    return report


def _pass(
    engine: Engine, settings: Settings, source: MailSource, report: PollReport, lease: tuple[str, str] | None
) -> None:
    mailbox = settings.mailbox
    renewed = time.monotonic()
    for uid in source.uids(mailbox.batch_size):
        if lease is not None and leases.renewal_due(renewed, time.monotonic(), POLL_LEASE):
            if not store.take_poll_lease(engine, *lease, POLL_LEASE):
                log.warning("mail pass stopped: the poll lease was lost to another process")
                break
            renewed = time.monotonic()
        began = time.perf_counter()
        try:
            outcome = _one(engine, settings, source, uid)
        except SQLAlchemyError as exc:
            log.error("mail pass stopped, database unavailable: %s", exc)
            report.failed += 1
            break
        except MailboxError as exc:
            log.warning("mail UID %s left in the inbox for the next pass: %s", uid, exc)
            report.failed += 1
            continue
        except Exception:  # one mail must never stop the others
            log.exception("mail UID %s left in the inbox for the next pass", uid)
            report.failed += 1
            continue
        finally:
            took = time.perf_counter() - began
            if took > report.slowest_seconds:
                report.slowest_seconds, report.slowest_uid = took, uid
        report.fetched += 1
        report.count(outcome)
        if outcome.kind != "pending":
            report.moved += 1


def _one(engine: Engine, settings: Settings, source: MailSource, uid: str) -> MailOutcome:
    mailbox = settings.mailbox
    fetched = source.fetch(uid, mailbox.max_mail_bytes)
    if fetched.raw is None:
        outcome = ingest(engine, source.fetch_header(uid), settings, source="imap", size=fetched.size)
    else:
        outcome = ingest(engine, fetched.raw, settings, source="imap")
    if outcome.kind == "pending":
        return outcome  # another process is handling it; the next pass moves it
    folder = mailbox.quarantine_folder if outcome.kind == "quarantine" else mailbox.processed_folder
    source.move(uid, folder)
    return outcome
