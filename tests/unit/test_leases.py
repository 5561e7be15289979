"""The one lease: who may take a row, when a hold has run out, and renewal while work runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from intake.services import leases

NOW = datetime(2026, 12, 8, 9, 0, 0)


def _rows(condition: Callable[[sa.Column[datetime]], sa.ColumnElement[bool]]) -> list[str]:
    """Names of the rows of a small real table (SQLite in memory) that meet `condition`."""
    meta = sa.MetaData()
    table = sa.Table("t", meta, sa.Column("name", sa.String), sa.Column("until", sa.DateTime, nullable=True))
    engine = sa.create_engine("sqlite://")
    meta.create_all(engine)
    rows = [
        {"name": "never", "until": None},
        {"name": "ran-out", "until": NOW - timedelta(seconds=1)},
        {"name": "ends-now", "until": NOW},
        {"name": "held", "until": NOW + timedelta(minutes=5)},
    ]
    with engine.begin() as connection:
        connection.execute(table.insert(), rows)
        return sorted(connection.execute(sa.select(table.c.name).where(condition(table.c.until))).scalars())


def test_a_row_is_free_when_never_held_or_its_lease_ran_out() -> None:
    assert _rows(lambda c: leases.free(c, NOW)) == ["never", "ran-out"]


def test_a_lease_that_ends_this_instant_still_holds() -> None:
    assert _rows(lambda c: leases.running(c, NOW)) == ["ends-now", "held"]
    assert _rows(lambda c: leases.lapsed(c, NOW)) == ["ran-out"]


def test_owners_name_the_process_and_differ_per_claim() -> None:
    first, second = leases.new_owner(), leases.new_owner()
    assert first != second
    assert first.startswith(leases.worker_name() + "/")
    assert leases.new_owner("cli:host:1").startswith("cli:host:1/")


def test_renewal_comes_three_times_per_lease() -> None:
    lease = timedelta(seconds=30)
    assert leases.renew_every(lease) == 10
    assert not leases.renewal_due(100.0, 109.9, lease)
    assert leases.renewal_due(100.0, 110.0, lease)


def test_the_keeper_renews_while_work_runs_and_stops_when_the_lease_is_lost() -> None:
    calls: list[int] = []
    lost = threading.Event()

    def renew() -> bool:
        calls.append(1)
        if len(calls) >= 3:
            lost.set()
            return False
        return True

    with leases.Keeper(renew, timedelta(seconds=0.15), "test"):
        assert lost.wait(5), "the keeper never renewed three times"
        threading.Event().wait(0.3)  # it must have stopped: no renewal after the lost one
    assert len(calls) == 3


def test_the_keeper_stops_renewing_when_the_work_ends() -> None:
    calls: list[int] = []
    with leases.Keeper(lambda: calls.append(1) is None, timedelta(seconds=0.15), "test"):
        threading.Event().wait(0.2)
    after = len(calls)
    threading.Event().wait(0.3)
    assert after >= 1 and len(calls) == after
