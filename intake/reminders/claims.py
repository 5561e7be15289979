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

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from intake.models import AgendaDispatch, ReminderDigest, RetentionRun, utcnow
from intake.services import leases

AGENDAS: sa.Table = AgendaDispatch.__table__  # type: ignore[attr-defined]
DIGESTS: sa.Table = ReminderDigest.__table__  # type: ignore[attr-defined]
CULLS: sa.Table = RetentionRun.__table__  # type: ignore[attr-defined]
"""The day's culling: not a send, but claimed the same way so that it runs once a day."""


@dataclass(frozen=True)
class Held:
    """A row one process has claimed: valid while `owner` is the row's `claimed_by`."""

    table: str
    row_id: int
    owner: str
    attempts: int


def _table(name: str) -> sa.Table:
    return {AGENDAS.name: AGENDAS, DIGESTS.name: DIGESTS, CULLS.name: CULLS}[name]


def _open(table: sa.Table) -> sa.ColumnElement[bool]:
    """Not sent (or finished) and not settled: still to be done."""
    done = table.c.sent_at if "sent_at" in table.c else table.c.finished_at
    condition: sa.ColumnElement[bool] = done.is_(None)
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
    owner = owner or leases.new_owner()
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    create = (
        insert(table)
        .values(**key, attempts=0, **_defaults(table, now))
        .on_conflict_do_nothing(index_elements=list(key))
    )
    free = leases.free(table.c.claim_until, now)
    take = (
        sa.update(table)
        .where(*(table.c[name] == value for name, value in key.items()), _open(table), free)
        .values(
            claimed_by=owner, claim_until=now + lease, attempts=table.c.attempts + 1, **_touched(table, now)
        )
        .returning(table.c.id, table.c.attempts)
    )
    with engine.begin() as connection:
        connection.execute(create)
        row = connection.execute(take).first()
    return None if row is None else Held(table.name, int(row.id), owner, int(row.attempts))


def _defaults(table: sa.Table, now: datetime) -> dict[str, Any]:
    if table is CULLS:
        return {"counts": {}}
    sends = {"recipients": [], "created_at": now, "updated_at": now}
    if table is AGENDAS:
        return sends | {"item_count": 0}
    return sends | {"stale_count": 0, "question_count": 0, "empty": False}


def _touched(table: sa.Table, now: datetime) -> dict[str, Any]:
    return {"updated_at": now} if "updated_at" in table.c else {}


def renew(engine: Engine, held: Held, lease: timedelta) -> bool:
    """Extend the claim right before sending; False when it was lost (ran out, taken by another)."""
    now = utcnow()
    table = _table(held.table)
    mine = (leases.running(table.c.claim_until, now), _open(table))
    return update(engine, held, *mine, claim_until=now + lease, **_touched(table, now))


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
    return update(
        engine, held, error=error[:2000], claim_until=None, **_touched(_table(held.table), utcnow())
    )
