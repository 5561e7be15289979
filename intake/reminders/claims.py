"""Exactly-once sends across processes: a row per thing to send, claimed in the database.

The app and every worker look for due agendas and digests at the same time. Each thing to send has
one row with a unique key (forum and meeting day; the digest's day). A process sends only after it
has claimed the row: one INSERT (a no-op when the row exists) and one conditional UPDATE in one
transaction, which succeeds for one process only. PostgreSQL re-checks the UPDATE's condition
after waiting for the row lock of a process that claimed first; SQLite runs one writing
transaction at a time. A claim holds until `claim_until`: a process that dies while sending
loses it then, and another sends. A failed send releases the claim with the error kept, so the
next look tries again. Once `sent_at` is set (or the row is settled as `empty`) nobody claims it.

The one gap left is the moment between the SMTP server accepting a mail and `sent_at` being
written: a process killed exactly then sends again after its claim runs out. SMTP offers no way
to close it; the claim is renewed right before sending, so a slow process never sends late.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from intake.models import AgendaDispatch, ReminderDigest, utcnow
from intake.services.jobs import worker_name

AGENDAS: sa.Table = AgendaDispatch.__table__  # type: ignore[attr-defined]
DIGESTS: sa.Table = ReminderDigest.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Held:
    """A row one process has claimed: valid while `owner` is the row's `claimed_by`."""

    table: str
    row_id: int
    owner: str
    attempts: int


def new_owner(prefix: str = "") -> str:
    """Return a claim owner: this process (host and pid) and a random token per claim."""
    return f"{prefix}{worker_name()}/{uuid.uuid4().hex[:12]}"


def _table(name: str) -> sa.Table:
    return {AGENDAS.name: AGENDAS, DIGESTS.name: DIGESTS}[name]


def _open(table: sa.Table) -> sa.ColumnElement[bool]:
    """Not sent and not settled: still to be done."""
    condition: sa.ColumnElement[bool] = table.c.sent_at.is_(None)
    if "empty" in table.c:
        condition = sa.and_(condition, table.c.empty.is_(False))
    return condition


def claim(
    engine: Engine,
    table: sa.Table,
    key: dict[str, Any],
    *,
    lease: timedelta,
    owner: str | None = None,
    now: datetime | None = None,
) -> Held | None:
    """Create the row for `key` if needed and claim it; None when it is sent, settled or held by another."""
    now = now or utcnow()
    owner = owner or new_owner()
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    create = (
        insert(table)
        .values(**key, recipients=[], attempts=0, created_at=now, updated_at=now, **_defaults(table))
        .on_conflict_do_nothing(index_elements=list(key))
    )
    free = sa.or_(table.c.claim_until.is_(None), table.c.claim_until < now)
    take = (
        sa.update(table)
        .where(*(table.c[name] == value for name, value in key.items()), _open(table), free)
        .values(claimed_by=owner, claim_until=now + lease, attempts=table.c.attempts + 1, updated_at=now)
        .returning(table.c.id, table.c.attempts)
    )
    with engine.begin() as connection:
        connection.execute(create)
        row = connection.execute(take).first()
    return None if row is None else Held(table.name, int(row.id), owner, int(row.attempts))


def _defaults(table: sa.Table) -> dict[str, Any]:
    if table is AGENDAS:
        return {"item_count": 0}
    return {"stale_count": 0, "question_count": 0, "empty": False}


def renew(engine: Engine, held: Held, lease: timedelta) -> bool:
    """Extend the claim right before sending; False when it was lost (ran out, taken by another)."""
    now = utcnow()
    table = _table(held.table)
    mine = (table.c.claim_until >= now, _open(table))
    return update(engine, held, *mine, claim_until=now + lease, updated_at=now)


def update(engine: Engine, held: Held, *where: Any, **values: Any) -> bool:
    """Write `values` to the held row if the claim is still this one's; return whether it was."""
    table = _table(held.table)
    statement = (
        sa.update(table)
        .where(table.c.id == held.row_id, table.c.claimed_by == held.owner, *where)
        .values(**values)
    )
    with engine.begin() as connection:
        return int(connection.execute(statement).rowcount) == 1


def sent(engine: Engine, held: Held, recipients: list[str], now: datetime | None = None) -> bool:
    """Record that the mail went out: the row is done for good."""
    now = now or utcnow()
    return update(engine, held, sent_at=now, recipients=recipients, claim_until=None, updated_at=now)


def failed(engine: Engine, held: Held, error: str) -> bool:
    """Release the claim with the error kept, so that a later look tries again."""
    return update(engine, held, error=error[:2000], claim_until=None, updated_at=utcnow())
