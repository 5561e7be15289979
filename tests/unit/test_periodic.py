"""The periodic-flow runner: each entry at its interval, a failing one never stops the others."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from flows import periodic
from flows.periodic import Periodic, PeriodicContext, PeriodicRunner
from intake.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _context(settings: Settings) -> PeriodicContext:
    # The runner passes the context through; the entries below only read the settings.
    return PeriodicContext(settings, cast(Any, None), cast(Any, None), cast(Any, None), cast(Any, None))


def _entry(name: str, seconds: float, calls: list[str], fail: bool = False) -> Periodic:
    def run(_context: PeriodicContext, _now: datetime) -> None:
        calls.append(name)
        if fail:
            raise RuntimeError(f"{name} is broken")

    return Periodic(name=name, interval=lambda _settings: seconds, run=run)


def test_each_entry_runs_at_once_then_after_its_interval() -> None:
    calls: list[str] = []
    clock = Clock()
    runner = PeriodicRunner(
        _context(Settings()),
        entries=[_entry("often", 10, calls), _entry("rarely", 60, calls), _entry("off", 0, calls)],
        clock=clock,
    )
    assert runner.tick() == ["often", "rarely"]
    clock.now += 5
    assert runner.tick() == []
    clock.now += 5
    assert runner.tick() == ["often"]
    clock.now += 50
    assert runner.tick() == ["often", "rarely"]
    assert calls == ["often", "rarely", "often", "often", "rarely"]


def test_a_failing_entry_is_logged_and_the_next_one_still_runs(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []
    runner = PeriodicRunner(
        _context(Settings()), entries=[_entry("broken", 10, calls, fail=True), _entry("fine", 10, calls)]
    )
    assert runner.tick(datetime(2026, 11, 30, tzinfo=UTC)) == ["broken", "fine"]
    assert calls == ["broken", "fine"]
    assert "periodic flow broken failed" in caplog.text


def test_the_settings_switch_every_periodic_flow_off() -> None:
    calls: list[str] = []
    runner = PeriodicRunner(_context(Settings(jobs={"periodic": False})), entries=[_entry("a", 1, calls)])
    assert runner.tick() == [] and calls == []


def test_the_shipped_flows_are_registered_and_mail_ones_wait_for_an_smtp_server() -> None:
    entries = {entry.name: entry for entry in periodic.registered()}
    assert len(entries) == len(periodic.MODULES)
    without = Settings()
    with_smtp = Settings(smtp={"host": "smtp.exempel.se"})
    for name in ("forum-agendas", "reminder-digest"):
        assert entries[name].interval(without) == 0, f"{name} must be off without SMTP"
        assert entries[name].interval(with_smtp) > 0
