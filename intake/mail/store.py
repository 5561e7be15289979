"""The mail table: raw bytes stored first, exactly once, and handled by one process at a time.

`store_raw` commits the bytes before anything else reads them; its unique key (Message-ID,
SHA-256) turns a second fetch of the same mail, from another process or after a crash, into a
lookup of the first row. `claim` gives the row to one handler with a lease, so two processes
that stored the same mail at once still handle it once; a handler that dies leaves a lease that
runs out, and the next poll (`pending`) handles the mail again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake.domain.mail import MailState
from intake.models import InboundMail, MailAckCount, MailboxLease, utcnow
from intake.services import leases

DEFAULT_LEASE = timedelta(minutes=5)
"""How long one handler holds a mail; handling takes well under a second plus one SMTP send."""

_TABLE: sa.Table = InboundMail.__table__  # type: ignore[attr-defined]
_C = _TABLE.c
_DONE = (MailState.SUBMITTED, MailState.REPLY, MailState.AUTOMATIC, MailState.QUARANTINED)


@dataclass(frozen=True)
class Stored:
    """The row of a stored mail, and whether this call created it (False: it was there already)."""

    mail_id: int
    created: bool
    state: MailState


def _insert(engine: Engine) -> Any:
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


def store_raw(
    engine: Engine,
    raw: bytes,
    message_id: str,
    *,
    source: str,
    keep_bytes: int,
    size: int | None = None,
    claim_for: timedelta | None = None,
) -> Stored:
    """Commit the raw mail (cut at `keep_bytes`) under its key; return the row, new or existing.

    `size` is the mail's real size when only part of it was fetched (its header section).
    `claim_for`: a new row is stored already claimed by the caller for that long, so a poll
    running at the same moment (`pending`) cannot take the mail between the insert and the
    caller's own handling; should the caller die, the lease runs out and a poll handles it.
    """
    digest = hashlib.sha256(raw).hexdigest()
    key = message_id[:500]
    now = utcnow()
    state = MailState.RECEIVED if claim_for is None else MailState.HANDLING
    lease_until = None if claim_for is None else now + claim_for
    statement = (
        _insert(engine)(_TABLE)
        .values(
            message_id=key,
            sha256=digest,
            raw=raw[:keep_bytes],
            size=max(size or 0, len(raw)),
            source=source[:40],
            state=state.value,
            lease_until=lease_until,
            degraded=[] if len(raw) <= keep_bytes else ["raw_cut"],
            attachments=[],
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=[_C.message_id, _C.sha256])
        .returning(_C.id)
    )
    with engine.begin() as connection:
        new_id = connection.execute(statement).scalar()
        if new_id is not None:
            return Stored(int(new_id), True, state)
        row = connection.execute(
            sa.select(_C.id, _C.state).where(_C.message_id == key, _C.sha256 == digest)
        ).one()
    return Stored(int(row.id), False, MailState(row.state))


def claim(
    engine: Engine, mail_id: int, lease: timedelta = DEFAULT_LEASE, now: datetime | None = None
) -> bool:
    """Take the mail for handling; False when it is handled already or another process holds it.

    One conditional UPDATE: PostgreSQL re-checks the condition after a concurrent writer commits,
    SQLite serialises writers, so exactly one of two racing handlers gets the row.
    """
    now = now or utcnow()
    free = sa.or_(
        _C.state == MailState.RECEIVED.value,
        sa.and_(_C.state == MailState.HANDLING.value, leases.lapsed(_C.lease_until, now)),
    )
    with engine.begin() as connection:
        changed = connection.execute(
            sa.update(_TABLE)
            .where(_C.id == mail_id, free)
            .values(state=MailState.HANDLING.value, lease_until=now + lease)
        ).rowcount
    return int(changed) == 1


def finish(session: Session, mail_id: int, state: MailState, **values: Any) -> bool:
    """Record the outcome in the caller's transaction; False when the claim was lost meanwhile."""
    result: sa.CursorResult[Any] = session.connection().execute(
        sa.update(_TABLE)
        .where(_C.id == mail_id, _C.state == MailState.HANDLING.value)
        .values(state=state.value, lease_until=None, handled_at=utcnow(), **values)
    )
    return int(result.rowcount) == 1


def release(engine: Engine, mail_id: int, note: str) -> None:
    """Give a claimed mail back (a transient failure such as the database); the next poll retries it."""
    with engine.begin() as connection:
        connection.execute(
            sa.update(_TABLE)
            .where(_C.id == mail_id, _C.state == MailState.HANDLING.value)
            .values(state=MailState.RECEIVED.value, lease_until=None, note=note[:2000])
        )


def get(engine: Engine, mail_id: int) -> InboundMail:
    """Return one stored mail.

    Raises:
        LookupError: no mail with that id.
    """
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(InboundMail, mail_id)
    if row is None:
        raise LookupError(f"no stored mail with id {mail_id}")
    return row


def pending(engine: Engine, limit: int = 100, now: datetime | None = None) -> list[int]:
    """Return ids of stored mails not yet handled, or whose handler died (lease ran out)."""
    now = now or utcnow()
    query = (
        sa.select(_C.id)
        .where(
            sa.or_(
                _C.state == MailState.RECEIVED.value,
                sa.and_(_C.state == MailState.HANDLING.value, leases.lapsed(_C.lease_until, now)),
            )
        )
        .order_by(_C.id)
        .limit(limit)
    )
    with engine.connect() as connection:
        return [int(i) for i in connection.execute(query).scalars()]


def is_done(state: MailState) -> bool:
    """Tell whether a mail in `state` is handled for good."""
    return state in _DONE


def take_ack_slot(engine: Engine, address: str, limit: int, now: datetime | None = None) -> bool:
    """Count one acknowledgement to `address` today; False when today's `limit` is reached.

    An UPSERT with a condition, so concurrent processes never send more than `limit` between them.
    """
    if limit <= 0:
        return False
    table: sa.Table = MailAckCount.__table__  # type: ignore[attr-defined]
    day = (now or utcnow()).strftime("%Y-%m-%d")
    statement = (
        _insert(engine)(table)
        .values(address=address.lower()[:320], day=day, count=1)
        .on_conflict_do_update(
            index_elements=[table.c.address, table.c.day],
            set_={"count": table.c["count"] + 1},
            where=table.c["count"] < limit,
        )
        .returning(table.c["count"])
    )
    with engine.begin() as connection:
        return connection.execute(statement).scalar() is not None


def take_poll_lease(
    engine: Engine, name: str, owner: str, lease: timedelta, now: datetime | None = None
) -> bool:
    """Take (or renew) the right to poll mailbox folder `name`; False while another owner holds it."""
    now = now or utcnow()
    table: sa.Table = MailboxLease.__table__  # type: ignore[attr-defined]
    statement = (
        _insert(engine)(table)
        .values(name=name[:500], owner=owner[:200], lease_until=now + lease)
        .on_conflict_do_update(
            index_elements=[table.c.name],
            set_={"owner": owner[:200], "lease_until": now + lease},
            where=sa.or_(leases.lapsed(table.c.lease_until, now), table.c.owner == owner[:200]),
        )
        .returning(table.c.owner)
    )
    with engine.begin() as connection:
        return connection.execute(statement).scalar() is not None


def release_poll_lease(engine: Engine, name: str, owner: str) -> None:
    """Give the poll lease up at once (the next process need not wait for it to run out)."""
    table: sa.Table = MailboxLease.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(
            sa.update(table)
            .where(table.c.name == name[:500], table.c.owner == owner[:200])
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
