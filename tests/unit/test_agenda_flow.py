"""The scheduled agenda flow's logic with `.fn()` and fakes: what is due, catch-up, order, failures.

No Prefect server and no database: the flow body runs as a plain function with each task replaced
by a recording fake. `tests/integration/test_periodic_agendas.py` runs the real flow, racing
processes and SMTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from flows import agenda as flow
from flows.periodic import PeriodicContext
from intake.domain.process import load_process
from intake.reminders.claims import Held
from intake.settings import Settings

SATURDAY = date(2026, 11, 28)
"""Three days before Lösningsforum's meeting on Tuesday 1 December 2026 (it meets every other Tuesday)."""


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def test_due_today_is_the_agenda_three_days_before_the_meeting() -> None:
    process = load_process()
    assert flow.due(process, SATURDAY, _at(SATURDAY, 6), catch_up_days=0) == [
        ("losningsforum", date(2026, 12, 1))
    ]
    # Sunday: Slutberedning meets Wednesday 2 December
    sunday = date(2026, 11, 29)
    assert flow.due(process, sunday, _at(sunday, 6), catch_up_days=0) == [
        ("slutberedning", date(2026, 12, 2))
    ]
    assert flow.due(process, date(2026, 11, 27), _at(date(2026, 11, 27), 6), catch_up_days=0) == []


def test_catch_up_sends_missed_agendas_but_never_for_a_meeting_already_held() -> None:
    process = load_process()
    # The service was down from Wednesday; on Saturday the IT director's agenda (meeting Monday
    # 30 November, due Wednesday 25th, five days before) is still of use.
    assert flow.due(process, SATURDAY, _at(SATURDAY, 6), catch_up_days=7) == [
        ("it-direktor", date(2026, 11, 30)),
        ("losningsforum", date(2026, 12, 1)),
    ]
    # On Tuesday 1 December at 10:00 Stockholm time Lösningsforum (09:00) has begun, and the
    # IT director met yesterday: both are left out; the two still ahead are caught up.
    tuesday = date(2026, 12, 1)
    assert flow.due(process, tuesday, _at(tuesday, 9), catch_up_days=7) == [
        ("slutberedning", date(2026, 12, 2)),
        ("arkitektforum", date(2026, 12, 3)),
    ]
    # a minute before the meeting its agenda still goes out
    assert ("losningsforum", tuesday) in flow.due(process, tuesday, _at(tuesday, 7, 59), catch_up_days=7)
    # the catch-up window is a setting: one day back does not reach Wednesday
    assert flow.due(process, SATURDAY, _at(SATURDAY, 6), catch_up_days=1) == [
        ("losningsforum", date(2026, 12, 1))
    ]


def test_a_later_day_is_looked_at_from_its_start() -> None:
    process = load_process()
    later = date(2099, 1, 10)
    today, now = flow.today_and_now(process, later)
    assert today == later and now == datetime(2099, 1, 9, 23, 0, tzinfo=UTC)  # midnight in Stockholm
    today, now = flow.today_and_now(process, date(2000, 1, 1))
    assert today == date(2000, 1, 1) and now > datetime(2020, 1, 1, tzinfo=UTC), "the past is seen from now"


@dataclass
class FakeTasks:
    """Stands in for the four tasks; records calls and raises where told to."""

    due: list[flow.DueAgenda]
    calls: list[tuple[str, str]] = field(default_factory=list)
    build_fails: set[str] = field(default_factory=set)
    released: list[tuple[int, str]] = field(default_factory=list)

    def find(self, today: date, now: datetime) -> list[flow.DueAgenda]:
        self.calls.append(("find", today.isoformat()))
        return self.due

    def build(self, forum_key: str, day: date, now: datetime) -> Any:
        self.calls.append(("build", forum_key))
        if forum_key in self.build_fails:
            raise RuntimeError("database went away")
        return SimpleNamespace(items=(1, 2), forum_key=forum_key)

    def store(self, due: flow.DueAgenda, agenda: Any) -> bool:
        self.calls.append(("store", due.forum_key))
        return due.forum_key != "lost"

    def send(self, due: flow.DueAgenda, agenda: Any) -> list[str]:
        self.calls.append(("send", due.forum_key))
        return [f"{due.forum_key}@example.org"]

    def failed(self, engine: Any, held: Held, error: str) -> bool:
        self.released.append((held.row_id, error))
        return True


def _due(forum_key: str, row_id: int) -> flow.DueAgenda:
    return flow.DueAgenda(forum_key, date(2026, 12, 1), Held("agenda_dispatch", row_id, "me/1", 1))


@pytest.fixture
def tasks(monkeypatch: pytest.MonkeyPatch) -> FakeTasks:
    fakes = FakeTasks(due=[_due("losningsforum", 1), _due("arkitektforum", 2)])
    monkeypatch.setattr(flow, "find_due_task", fakes.find)
    monkeypatch.setattr(flow, "build_task", fakes.build)
    monkeypatch.setattr(flow, "store_task", fakes.store)
    monkeypatch.setattr(flow, "send_task", fakes.send)
    monkeypatch.setattr(flow.claims, "failed", fakes.failed)
    return fakes


def _context() -> PeriodicContext:
    return PeriodicContext(
        Settings(), engine=SimpleNamespace(), process=load_process(), similarity=None, drafting=None
    )  # type: ignore[arg-type]


def test_each_claimed_agenda_is_built_stored_and_sent_in_order(tasks: FakeTasks) -> None:
    with flow.bound(_context()):
        result = flow.forum_agendas.fn(SATURDAY, _at(SATURDAY, 6))
    assert tasks.calls == [
        ("find", "2026-11-28"),
        ("build", "losningsforum"),
        ("store", "losningsforum"),
        ("send", "losningsforum"),
        ("build", "arkitektforum"),
        ("store", "arkitektforum"),
        ("send", "arkitektforum"),
    ]
    assert result == [
        {"forum": "losningsforum", "day": "2026-12-01", "items": 2, "sent_to": ["losningsforum@example.org"]},
        {"forum": "arkitektforum", "day": "2026-12-01", "items": 2, "sent_to": ["arkitektforum@example.org"]},
    ]


def test_one_failing_agenda_releases_its_claim_and_the_others_still_go(tasks: FakeTasks) -> None:
    tasks.build_fails.add("losningsforum")
    with flow.bound(_context()):
        result = flow.forum_agendas.fn(SATURDAY, _at(SATURDAY, 6))
    assert result[0] == {"forum": "losningsforum", "day": "2026-12-01", "error": "database went away"}
    assert tasks.released == [(1, "RuntimeError: database went away")]
    assert ("send", "arkitektforum") in tasks.calls and ("send", "losningsforum") not in tasks.calls


def test_a_claim_lost_before_storing_sends_nothing(tasks: FakeTasks) -> None:
    tasks.due = [_due("lost", 3)]
    with flow.bound(_context()):
        result = flow.forum_agendas.fn(SATURDAY, _at(SATURDAY, 6))
    assert result == [{"forum": "lost", "day": "2026-12-01"}]
    assert ("send", "lost") not in tasks.calls


def test_the_periodic_entry_starts_no_flow_run_when_everything_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[date] = []
    monkeypatch.setattr(flow, "unsent", lambda engine, agendas: [])
    monkeypatch.setattr(flow, "forum_agendas", lambda today, now: started.append(today) or [])
    assert flow.run(_context(), _at(SATURDAY, 6)) == []
    assert started == []
    monkeypatch.setattr(flow, "unsent", lambda engine, agendas: agendas)
    flow.run(_context(), _at(SATURDAY, 6))
    assert started == [SATURDAY]


def test_the_interval_comes_from_the_settings() -> None:
    smtp = {"host": "smtp.exempel.se"}
    settings = Settings(schedule={"agenda_check_seconds": 60}, smtp=smtp)
    assert flow.PERIODIC.interval(settings) == 60
    assert flow.PERIODIC.interval(Settings(smtp=smtp)) == 900
    assert flow.PERIODIC.interval(Settings()) == 0, "off without an SMTP server"
    assert flow.PERIODIC.name == "forum-agendas"


def test_tasks_need_a_bound_context() -> None:
    with pytest.raises(RuntimeError, match="no periodic context bound"):
        flow.current()
