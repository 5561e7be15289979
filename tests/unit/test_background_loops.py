"""The background loops survive any error in one pass, and `/health` says when one has stopped.

The job runner runs the flows it is given (`JobFlows`), in the order Prefect needs them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from intake.services.jobs import Claim, PassReport
from intake.web import background
from intake.web.health import _loops
from intake.web.state import LoopStatus
from tests.fakes import FakeJobFlows


class _Services(SimpleNamespace):
    pass


def _services(**extra: Any) -> Any:
    settings = SimpleNamespace(llm=SimpleNamespace(poll_seconds=0.001), jobs=SimpleNamespace(poll_seconds=0))
    return _Services(settings=settings, engine=object(), loops={}, **extra)


def test_a_job_pass_that_raises_is_counted_and_the_next_pass_runs() -> None:
    runner = background.JobRunner.__new__(background.JobRunner)
    runner._stop = threading.Event()
    runner.status = LoopStatus("jobs")
    runner.status.started()
    ticks: list[int] = []

    class Worker:
        calls = 0

        def run_pending(self, _stop: threading.Event) -> Any:
            Worker.calls += 1
            if Worker.calls == 1:
                raise KeyError("a bug in one item")
            return SimpleNamespace(done=1, failed=0, swept=0)

    worker = Worker()
    runner._pass(worker, lambda: ticks.append(1))  # type: ignore[arg-type]
    assert (runner.status.failures_in_row, runner.status.last_error) == (1, "KeyError")
    runner._pass(worker, lambda: ticks.append(1))  # type: ignore[arg-type]
    assert runner.status.failures_in_row == 0 and runner.status.passes == 2 and ticks == [1]
    assert runner.status.running


def _runner_services() -> Any:
    jobs = SimpleNamespace(poll_seconds=0.01, lease_seconds=60, max_attempts=3)
    settings = SimpleNamespace(llm=SimpleNamespace(poll_seconds=0), jobs=jobs)
    return _Services(
        settings=settings, engine=object(), process=object(), similarity=object(), drafting=object(), loops={}
    )


def test_a_scaled_out_app_leaves_the_jobs_to_the_workers() -> None:
    services, flows = _runner_services(), FakeJobFlows(api_url="http://prefect.test/api")
    runner = background.JobRunner(services, flows)
    runner.start()
    runner.stop()
    assert flows.calls == ["api_url"], "no local Prefect, no flows bound"
    assert "jobs" not in services.loops


def test_the_job_runner_runs_the_flows_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    claim = Claim(7, 42, "triage", "app:test", 1, datetime.now(UTC))
    built: list[Any] = []

    class Worker:
        def __init__(self, _engine: object, handler: Any, **options: Any) -> None:
            self.handler, self.options = handler, options
            built.append(self)

        def run_pending(self, _stop: threading.Event) -> PassReport:
            self.handler(claim)
            return PassReport(done=1)

    monkeypatch.setattr(background.jobs, "Worker", Worker)
    services, flows = _runner_services(), FakeJobFlows()
    runner = background.JobRunner(services, flows)
    runner.start()
    deadline = time.monotonic() + 30
    while flows.ticks < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    runner.stop()
    assert flows.calls == ["api_url", "enter local api", "triage_handler", "periodic_tick", "leave local api"]
    assert flows.ticks >= 2 and set(flows.handled) == {42}
    assert built[0].options["name"].startswith("app:") and built[0].options["max_attempts"] == 3
    assert runner.status.stopped_reason == "stopped with the app"


def test_the_drafting_loop_goes_on_after_any_error(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def redraft_due() -> tuple[int, int]:
        calls.append(1)
        if len(calls) < 3:
            raise ValueError("a draft the rules choke on")
        raise asyncio.CancelledError  # the app stops

    services = _services(drafting=SimpleNamespace(redraft_due=redraft_due))
    monkeypatch.setattr(background.jobs, "busy", lambda _engine: False)
    raised: list[BaseException] = []

    def run() -> None:  # in a thread of its own: a browser test may have a loop running in this one
        try:
            asyncio.run(background.drafting_loop(services))
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert len(raised) == 1 and isinstance(raised[0], asyncio.CancelledError), raised
    status = services.loops["drafting"]
    assert len(calls) == 3, "the loop ran again after each error"
    assert status.failures_in_row == 2 and status.last_error == "ValueError"
    assert not status.running and status.stopped_reason == "stopped with the app"


def test_health_reports_a_stopped_loop_as_degraded() -> None:
    services = _services()
    assert _loops(services).ok
    jobs, drafting = LoopStatus("jobs"), LoopStatus("drafting")
    jobs.started()
    drafting.started()
    drafting.failed(RuntimeError("x"))
    services.loops.update(jobs=jobs, drafting=drafting)
    health = _loops(services)
    assert health.ok and "drafting running, last 1 passes failed (RuntimeError)" in health.detail
    jobs.ended("crashed: MemoryError")
    health = _loops(services)
    assert not health.ok and "jobs stopped (crashed: MemoryError)" in health.detail
