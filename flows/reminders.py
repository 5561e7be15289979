"""The daily reminder digest to DigIT: built and sent once a day, by whichever process looks first.

`PERIODIC` runs from every job loop (`flows.periodic`). From `reminders.hour` in the process
file's time zone, a look checks whether today's digest row is settled; if not, the
`reminder-digest` flow runs: `find-due` claims the day's row (`intake.reminders.claims`),
`build` reads the digest (`intake.reminders.build_digest`), `store` keeps its Markdown and counts
in the row (an empty digest settles the day there: nothing is sent), and `send` mails it to
`reminders.recipients`. A failed send keeps its error and is tried again on a later look the same
day. `beredning remind` prints the digest and sends it through this same flow.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from flows.periodic import Periodic, PeriodicContext, bound, current
from intake import outbox
from intake.models import ReminderDigest, utcnow
from intake.reminders import (
    Digest,
    build_digest,
    claims,
    digest_message,
    local_day,
    render_markdown,
    send_moment,
)
from intake.settings import Settings

log = logging.getLogger(__name__)


# --- the steps, as plain functions -----------------------------------------------------------


def due_day(context: PeriodicContext, now: datetime) -> date | None:
    """Return the day whose digest is due at `now`, or None (before the hour, or nobody to send to)."""
    if not context.settings.reminders.addresses:
        return None
    day = local_day(context.process, now)
    if now < send_moment(context.process, context.settings.reminders, day):
        return None
    return day


def row(engine: Engine, day: date) -> ReminderDigest | None:
    """Return the digest row of `day`, if any."""
    with Session(engine) as session:
        return session.exec(select(ReminderDigest).where(col(ReminderDigest.day) == day)).first()


def settled(found: ReminderDigest | None) -> bool:
    """Whether the day's digest is done: sent, or empty."""
    return found is not None and (found.sent_at is not None or found.empty)


def claim_day(context: PeriodicContext, day: date) -> claims.Held | None:
    """Claim the digest row of `day`; None when it is settled or another process holds it."""
    lease = timedelta(seconds=context.settings.schedule.claim_seconds)
    return claims.claim(context.engine, claims.DIGESTS, {"day": day}, lease=lease)


def build(context: PeriodicContext, day: date, as_of: datetime) -> Digest:
    """Read the digest of `day` as it stands at `as_of`."""
    return build_digest(context.engine, context.process, context.settings.reminders, day, as_of)


def store(context: PeriodicContext, held: claims.Held, digest: Digest) -> bool:
    """Keep the digest in its row; an empty one settles the day. False when the claim was lost."""
    now = utcnow()
    values: dict[str, Any] = {
        "stale_count": len(digest.stale),
        "question_count": len(digest.owed),
        "markdown": render_markdown(digest, context.process.timezone),
        "recipients": context.settings.reminders.addresses,
        "built_at": now,
        "updated_at": now,
    }
    if digest.empty:
        values |= {"empty": True, "claim_until": None}
    return claims.update(context.engine, held, **values)


def send(context: PeriodicContext, held: claims.Held, digest: Digest) -> list[str]:
    """Mail the digest if the claim still holds; record the outcome in the row.

    Raises:
        outbox.MailNotSent: the SMTP server is down or refused everyone; kept in the row.
    """
    settings = context.settings
    if not claims.renew(context.engine, held, timedelta(seconds=settings.schedule.claim_seconds)):
        log.warning("digest %s: claim lost before sending; left to its new holder", digest.day)
        return []
    message = digest_message(
        digest,
        sender=settings.smtp.sender,
        recipients=settings.reminders.addresses,
        timezone=context.process.timezone,
    )
    try:
        accepted = outbox.send(settings.smtp, message)
    except outbox.MailNotSent as exc:
        claims.failed(context.engine, held, str(exc))
        raise
    if not claims.sent(context.engine, held, accepted):
        log.error("digest %s was sent, but its row could not be marked sent", digest.day)
    return accepted


# --- the flow ------------------------------------------------------------------------------------


@task(name="find-due", cache_policy=NO_CACHE)
def find_due_task(day: date) -> claims.Held | None:
    """Claim the day's digest unless it is settled or another process holds it."""
    return claim_day(current(), day)


@task(name="build", cache_policy=NO_CACHE)
def build_task(day: date, as_of: datetime) -> Digest:
    """Read the items waiting too long and the answers owed."""
    return build(current(), day, as_of)


@task(name="store", cache_policy=NO_CACHE)
def store_task(held: claims.Held, digest: Digest) -> bool:
    """Keep the digest's Markdown and counts in the day's row."""
    return store(current(), held, digest)


@task(name="send", cache_policy=NO_CACHE)
def send_task(held: claims.Held, digest: Digest) -> list[str]:
    """E-mail the digest to DigIT."""
    return send(current(), held, digest)


@flow(name="reminder-digest", flow_run_name="reminder-digest-{day}", persist_result=False)
def reminder_digest(day: date, as_of: datetime) -> dict[str, Any]:
    """Build, store and send the digest of `day` unless another process has done or is doing it.

    Returns what happened: `outcome` is `sent`, `empty` (nothing to list, nothing sent), `taken`
    (settled already or held by another process), `lost` (the claim ran out) or `failed`.
    """
    held = find_due_task(day)
    if held is None:
        return {"day": day.isoformat(), "outcome": "taken"}
    try:
        digest = build_task(day, as_of)
        if not store_task(held, digest):
            return {"day": day.isoformat(), "outcome": "lost"}
        if digest.empty:
            return {"day": day.isoformat(), "outcome": "empty"}
        accepted = send_task(held, digest)
    except Exception as exc:  # noqa: BLE001  # recorded in the row; a later look tries again
        claims.failed(current().engine, held, f"{type(exc).__name__}: {exc}")
        log.warning("digest %s not sent, tried again later: %s", day, exc)
        return {"day": day.isoformat(), "outcome": "failed", "error": str(exc)}
    return {
        "day": day.isoformat(),
        "outcome": "sent" if accepted else "lost",
        "sent_to": accepted,
        "stale": len(digest.stale),
        "owed": len(digest.owed),
    }


# --- the periodic entry --------------------------------------------------------------------------


def run(context: PeriodicContext, now: datetime) -> dict[str, Any] | None:
    """Send today's digest once the hour has come; start a flow run only while the day is open."""
    day = due_day(context, now)
    if day is None or settled(row(context.engine, day)):
        return None
    with bound(context):
        return reminder_digest(day, now)


def _interval(settings: Settings) -> float:
    """Off while no SMTP server is configured: there is nobody to send to."""
    return settings.reminders.check_seconds if settings.smtp.configured else 0.0


PERIODIC = Periodic(name="reminder-digest", interval=_interval, run=run)
