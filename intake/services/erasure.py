"""Erasure on request (GDPR art. 17), as the retention schedule says: anonymise or delete, and say which.

`preview` shows what an erasure would do; `erase` does it in one transaction: each of the
person's submissions is anonymised or deleted by the schedule's first fitting erasure rule
(a decided item is an allmän handling to keep, an undecided one may go), and everything else of
theirs (mails that made no submission, the account with its sessions and seats, login attempts,
acknowledgement counts) is deleted, while the values that name them where a record stays (an
audit actor, a decision's author, an agenda's recipient list) are replaced.

The `erasure` table keeps that it happened: when, by whom, under which rules, the counts, and
what a restore from an older backup needs to do it again (`reapply`): the references and a keyed
hash of the address, never a name, an address or a text. `carry_out` then takes the erased
documents out of the index and every file (`intake.services.scrubbing`).

A triage job running at the same moment cannot bring anything back: its writes check the row
under lock (`personal_data.lock_unchanged`), and its index write reads the row again afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, func, select, update

from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.domain.retention import ErasureRule, Schedule
from intake.models import (
    Account,
    AgendaDispatch,
    ApiKey,
    AuditEvent,
    DuplicateCandidate,
    Erasure,
    GapQuestion,
    InboundMail,
    LoginAttempt,
    MailAckCount,
    ReminderDigest,
    StepChange,
    Submission,
    utcnow,
)
from intake.services import audit, personal_data, register, scrubbing
from intake.services.app_secrets import shared_secret
from intake.services.register import Subject
from intake.services.retention import PRIVACY_ENTITY
from intake.services.similarity import SimilarityService, SimilarityUnavailable, submission_key
from intake.settings import Settings

log = logging.getLogger(__name__)

HASH_SECRET = "erasure"  # noqa: S105 (the name of the app_secret row)
PERSON_RULE = "erase-person"
"""Named in the ledger when the person's own records (account, mails, login attempts) were deleted."""


class NothingToErase(LookupError):
    """Raised when the service holds nothing about the subject."""


@dataclass(frozen=True)
class Planned:
    """What erasure does to one submission, and the rule that says so."""

    reference: str
    action: str
    rule: str
    source: str


@dataclass
class Plan:
    """What an erasure would do (the preview), and afterwards what it did."""

    subject: Subject
    submissions: list[Planned] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    erasure_id: int | None = None
    index_compacted: bool = False
    files_scrubbed: bool = False
    flow_runs_deleted: int = 0

    def as_json(self) -> dict[str, Any]:
        """Return the plan or result as JSON (the CLI's `--json`)."""
        return {
            "subject": self.subject.describe(),
            "submissions": [p.__dict__ for p in self.submissions],
            "counts": self.counts,
            "erasure_id": self.erasure_id,
            "index_compacted": self.index_compacted,
            "files_scrubbed": self.files_scrubbed,
            "flow_runs_deleted": self.flow_runs_deleted,
        }


def _decided_and_closed(session: Session, submission: Submission, schedule: Schedule) -> tuple[bool, bool]:
    decided = session.exec(
        select(func.count())
        .select_from(StepChange)
        .where(col(StepChange.submission_id) == submission.id, col(StepChange.decision).is_not(None))
    ).one()
    return bool(decided), submission.step in schedule.closed_steps


def _rule_for(session: Session, submission: Submission, schedule: Schedule) -> ErasureRule:
    decided, closed = _decided_and_closed(session, submission, schedule)
    return schedule.erasure_rule(decided=decided, closed=closed)


def _address(session: Session, subject: Subject) -> str | None:
    if subject.email:
        return subject.email
    account = register.account_of(session, subject)
    return account.email if account else None


def _plan(session: Session, subject: Subject, schedule: Schedule) -> Plan:
    plan = Plan(subject=subject)
    for submission in register.submissions_of(session, subject):
        rule = _rule_for(session, submission, schedule)
        plan.submissions.append(Planned(submission.reference, rule.action, rule.id, rule.source))
    address = _address(session, subject)
    plan.counts["mails_without_submission"] = len(register.loose_mails_of(session, subject))
    plan.counts["account"] = int(register.account_of(session, subject) is not None)
    if address:
        plan.counts["login_attempts"] = int(
            session.exec(
                select(func.count()).select_from(LoginAttempt).where(col(LoginAttempt.email) == address)
            ).one()
        )
    return plan


def preview(engine: Engine, subject: Subject, schedule: Schedule) -> Plan:
    """Return what `erase` would do, changing nothing.

    Raises:
        NothingToErase: the service holds nothing about the subject.
    """
    with Session(engine) as session:
        plan = _plan(session, subject, schedule)
    if not plan.submissions and not any(plan.counts.values()):
        raise NothingToErase("the service holds nothing about this person")
    return plan


def subject_hash(engine: Engine, address: str) -> str:
    """Return the keyed hash of an address: lets a restore find the person again, names no one."""
    return _hasher(engine)(address)


def _hasher(engine: Engine) -> Callable[[str], str]:
    """Return the keyed hash with the key read once (a restore hashes every address it holds)."""
    key = shared_secret(engine, HASH_SECRET).encode("ascii")
    return lambda address: hmac.new(key, address.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()


def erase(
    engine: Engine,
    subject: Subject,
    schedule: Schedule,
    *,
    actor: str,
    reason: str | None,
    now: datetime | None = None,
) -> Plan:
    """Erase the subject's records in one transaction; return what was done, with the ledger id.

    Raises:
        NothingToErase: the service holds nothing about the subject.
    """
    now = now or utcnow()
    hashed: str | None = None
    with Session(engine) as session:
        address = _address(session, subject)
    if address:
        hashed = subject_hash(engine, address)
    with session_scope(engine) as session:
        plan = _plan(session, subject, schedule)
        if not plan.submissions and not any(plan.counts.values()):
            raise NothingToErase("the service holds nothing about this person")
        counts: dict[str, int] = {}
        flow_runs: list[str] = []
        names: list[str] = personal_data.identifiers(address, subject.name)
        for planned in plan.submissions:
            submission = session.exec(
                select(Submission).where(col(Submission.reference) == planned.reference)
            ).one()
            names = personal_data.identifiers(*names, *personal_data.person_names(submission))
            flow_runs.append(f"triage-{submission.id}")  # the triage flow's run name
            if planned.action == "anonymise":
                done = personal_data.anonymise_submission(session, submission, now)
            else:
                done = personal_data.delete_submission(session, submission, now)
            _add(counts, done)
        if address or subject.name:
            _add(counts, _erase_person(session, subject, address))
        ledger = Erasure(
            at=now,
            actor=actor,
            rules=sorted(
                {p.rule for p in plan.submissions} | ({PERSON_RULE} if address or subject.name else set())
            ),
            reason=personal_data.scrub(reason, names) if reason else None,
            references=[p.reference for p in plan.submissions],
            subject_hash=hashed,
            counts=counts | {"actions": {p.reference: p.action for p in plan.submissions}},
            pending_flow_runs=flow_runs,
        )
        session.add(ledger)
        session.flush()
        assert ledger.id is not None
        plan.erasure_id = ledger.id
        plan.counts = counts
        audit.record(
            session,
            actor=actor,
            action=AuditAction.PRIVACY_ERASE,
            entity_kind=PRIVACY_ENTITY,
            entity_key=f"erasure-{ledger.id}",
            changes={"rules": ledger.rules, "counts": counts},
        )
    return plan


def _add(counts: dict[str, int], done: dict[str, int]) -> None:
    for key, n in done.items():
        counts[key] = counts.get(key, 0) + n


def _erase_person(
    session: Session, subject: Subject, address: str | None, until: datetime | None = None
) -> dict[str, int]:
    """Delete what is only about the person; replace their address where a record must stay.

    With `until` (a restore re-applying an erasure), only what existed at the erasure is touched:
    the person may have come back since.
    """
    done: dict[str, int] = {}
    gone = personal_data.ANONYMISED
    loose = [m for m in register.loose_mails_of(session, subject) if until is None or m.received_at <= until]
    for mail in loose:
        session.delete(mail)
    done["inbound_mail_deleted"] = len(loose)
    account = register.account_of(session, subject)
    if account is not None and (until is None or account.created_at <= until):
        session.delete(account)  # sessions and forum seats go with it (ON DELETE CASCADE)
        done["account_deleted"] = 1
    if address:
        attempts = delete(LoginAttempt).where(col(LoginAttempt.email) == address)
        if until is not None:
            attempts = attempts.where(col(LoginAttempt.at) <= until)
        done["login_attempt_deleted"] = _rows(session, attempts)
        done["mail_ack_count_deleted"] = _rows(
            session, delete(MailAckCount).where(func.lower(col(MailAckCount.address)) == address)
        )
        replaced = 0
        by_address: list[tuple[Any, str]] = [
            (StepChange, "actor"),
            (DuplicateCandidate, "decided_by"),
            (GapQuestion, "asked_by"),
            (GapQuestion, "answered_by"),
            (ApiKey, "created_by"),
        ]
        for table, name in by_address:
            column = getattr(table, name)
            replaced += _rows(session, update(table).where(col(column) == address).values({name: gone}))
        for event in session.exec(
            select(AuditEvent).where(
                (col(AuditEvent.actor) == address) | (col(AuditEvent.entity_key) == address)
            )
        ):
            if event.actor == address:
                event.actor = gone
            if event.entity_key == address:
                event.entity_key, event.changes, event.note = gone, {}, None
            session.add(event)
            replaced += 1
        sent: list[AgendaDispatch | ReminderDigest] = [
            *session.exec(select(AgendaDispatch)),
            *session.exec(select(ReminderDigest)),
        ]
        for row in sent:
            if address in row.recipients:
                row.recipients = [r for r in row.recipients if r != address]
                session.add(row)
                replaced += 1
        done["values_replaced"] = replaced
    return {k: v for k, v in done.items() if v}


def _rows(session: Session, statement: Any) -> int:
    return int(session.exec(statement).rowcount)


def carry_out(
    engine: Engine,
    similarity: SimilarityService,
    settings: Settings,
    subject: Subject,
    schedule: Schedule,
    *,
    actor: str,
    reason: str | None,
    prefect: bool = True,
) -> Plan:
    """Erase in SQL, then in the index, the files and Prefect's store; return what was done.

    `prefect=False` leaves Prefect's runs of the items (recorded in the ledger) to the next
    periodic tick of a job loop (`purge_flow_runs`), for callers outside a Prefect context (a
    web request).

    Raises:
        NothingToErase: the service holds nothing about the subject.
    """
    plan = erase(engine, subject, schedule, actor=actor, reason=reason)
    deleted = [p.reference for p in plan.submissions if p.action == "delete"]
    try:
        if deleted:
            similarity.forget([submission_key(r) for r in deleted])
        similarity.sync()  # anonymised texts replace the originals
    except SimilarityUnavailable as exc:
        log.warning("index not updated now, every process drops the documents at its next sync: %s", exc)
    plan.index_compacted = scrubbing.index(similarity, None if settings.index.url else settings.chroma_path)
    if prefect:
        plan.flow_runs_deleted = purge_flow_runs(engine)
    plan.files_scrubbed = scrubbing.database(engine)
    return plan


def purge_flow_runs(engine: Engine) -> int:
    """Delete the Prefect flow runs erasures left pending; return how many (Prefect down: 0, kept).

    Erasures are few, so every one is read; with nothing pending, Prefect is not called.
    """
    with Session(engine) as session:
        pending = [e for e in session.exec(select(Erasure)) if e.pending_flow_runs]
    deleted = 0
    for entry in pending:
        try:
            deleted += scrubbing.flow_runs(names=entry.pending_flow_runs)
        except scrubbing.prefect_errors() as exc:  # Prefect down: kept pending, tried at the next tick
            log.warning("Prefect's flow runs of erasure %s not deleted now: %s", entry.id, exc)
            continue
        with session_scope(engine) as session:
            row = session.get(Erasure, entry.id)
            if row is not None:
                row.pending_flow_runs = []
                session.add(row)
    return deleted


def reapply(engine: Engine, schedule: Schedule, *, now: datetime | None = None) -> int:
    """Erase again what the ledger names (after a restore from an older backup); return rows touched."""
    now = now or utcnow()
    touched = 0
    with Session(engine) as session:
        ledger = list(session.exec(select(Erasure).order_by(col(Erasure.id))))
        erased_at: dict[str, datetime] = {}
        for e in ledger:
            if e.subject_hash:
                erased_at[e.subject_hash] = max(e.at, erased_at.get(e.subject_hash, e.at))
        hashed = _hasher(engine) if erased_at else None
        people = {a: erased_at[h] for a in _addresses(session) if hashed and (h := hashed(a)) in erased_at}
    with session_scope(engine) as session:
        for entry in ledger:
            actions = entry.counts.get("actions", {})
            for reference in entry.references:
                submission = session.exec(
                    select(Submission).where(col(Submission.reference) == reference)
                ).first()
                if submission is None or (actions.get(reference) == "anonymise" and submission.anonymised_at):
                    continue
                if actions.get(reference) == "anonymise":
                    personal_data.anonymise_submission(session, submission, now)
                else:
                    personal_data.delete_submission(session, submission, now)
                touched += 1
        for address, until in people.items():
            subject = Subject(email=address)
            for submission in register.submissions_of(session, subject):
                if submission.anonymised_at is not None or submission.received_at > until:
                    continue
                if _rule_for(session, submission, schedule).action == "anonymise":
                    personal_data.anonymise_submission(session, submission, now)
                else:
                    personal_data.delete_submission(session, submission, now)
                touched += 1
            touched += sum(_erase_person(session, subject, address, until).values())
    return touched


def _addresses(session: Session) -> set[str]:
    found: set[str] = set()
    for column in (Submission.submitter_email, InboundMail.sender, Account.email, LoginAttempt.email):
        found.update(a.strip().lower() for a in session.exec(select(column).distinct()) if a)
    return found
