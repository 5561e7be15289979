"""The triage flow's logic with `.fn()` and fake steps: order, retries, a model that stays down.

No Prefect server is involved: the flow body runs as a plain function and each task is replaced
by a recording fake. `tests/integration/test_triage.py` runs the real flow against a real
Prefect server, database and index.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed

from flows import runtime, triage
from flows.triage_steps import ModelUnavailable
from intake.models import utcnow
from intake.services import jobs
from intake.services.similarity import SimilarityUnavailable
from intake.settings import Settings

TASKS = {
    "mask_personal_data": "mask",
    "embed_and_index": "index",
    "find_similar": "similar",
    "draft_and_check_gaps": "draft",
    "place_in_review": "review",
}


class FakeSteps:
    """Stands in for the five tasks; records calls and raises where told to."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.raises: dict[str, Exception] = {}
        self.results: dict[str, Any] = {
            "mask": {"person": 1},
            "index": None,
            "similar": ["portfolio:22-04 0.812"],
            "draft": "drafted",
            "review": "steg-1",
        }

    def fake(self, step: str) -> Callable[[int], Any]:
        def run(submission_id: int) -> Any:
            self.calls.append((step, submission_id))
            if step in self.raises:
                raise self.raises[step]
            return self.results[step]

        return run


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> FakeSteps:
    fakes = FakeSteps()
    for attribute, step in TASKS.items():
        monkeypatch.setattr(triage, attribute, fakes.fake(step))
    return fakes


def test_the_steps_run_in_order_on_the_one_submission(steps: FakeSteps) -> None:
    result = triage.triage.fn(7)
    assert steps.calls == [(s, 7) for s in ("mask", "index", "similar", "draft", "review")]
    assert result == {
        "submission_id": 7,
        "personal_data": {"person": 1},
        "duplicates": ["portfolio:22-04 0.812"],
        "draft": "drafted",
        "step": "steg-1",
    }


def test_a_model_that_stays_down_does_not_hold_the_item_back(steps: FakeSteps) -> None:
    steps.raises["draft"] = ModelUnavailable("connection refused")
    result = triage.triage.fn(7)
    assert result["draft"] == "rules_only"
    assert result["step"] == "steg-1", "the item awaits review with its rules-only draft"


def test_an_index_that_stays_down_fails_the_run_before_any_draft(steps: FakeSteps) -> None:
    steps.raises["index"] = SimilarityUnavailable("chroma down")
    with pytest.raises(SimilarityUnavailable):
        triage.triage.fn(7)
    assert [s for s, _ in steps.calls] == ["mask", "index"]


def test_model_and_index_tasks_retry_with_growing_delays() -> None:
    for task in (triage.embed_and_index, triage.find_similar):
        assert task.retries == 3
        assert task.retry_delay_seconds == [2, 10, 30]
    assert triage.draft_and_check_gaps.retries == 1
    assert triage.draft_and_check_gaps.retry_delay_seconds == [10]
    assert triage.mask_personal_data.retries == 2, "a database hiccup is retried too"
    assert triage.place_in_review.retries == 2


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (SimilarityUnavailable("index down"), True),
        (ModelUnavailable("model down"), True),
        (LookupError("no submission with id 7"), False),
        (ValueError("a bug"), False),
    ],
)
def test_only_errors_that_can_pass_are_retried(error: Exception, retried: bool) -> None:
    state: State[Any] = Failed(data=error)
    assert triage._transient(triage.embed_and_index, None, state) is retried  # type: ignore[arg-type]


def _claim() -> jobs.Claim:
    return jobs.Claim(1, 7, jobs.TRIAGE, "test/abc", 1, utcnow() + timedelta(minutes=5))


def test_run_job_returns_the_flow_run_id(monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = uuid4()
    state: State[Any] = Completed()
    state.state_details.flow_run_id = run_id
    seen: list[int] = []

    def fake_flow(submission_id: int, *, return_state: bool) -> Any:
        seen.append(submission_id)
        return state

    monkeypatch.setattr(triage, "triage", fake_flow)
    assert triage.run_job(_claim()) == str(run_id)
    assert seen == [7]


def test_run_job_raises_when_the_run_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    state: State[Any] = Failed(message="embed-and-index failed")
    monkeypatch.setattr(triage, "triage", lambda submission_id, *, return_state: state)
    with pytest.raises(triage.TriageFailed, match="embed-and-index failed"):
        triage.run_job(_claim())


def test_job_backoff_doubles_up_to_an_hour() -> None:
    assert [jobs.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert jobs.backoff(30) == timedelta(hours=1)


def test_without_a_server_prefect_s_home_is_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    monkeypatch.delenv("PREFECT_HOME", raising=False)
    with temporary_settings(restore_defaults=[PREFECT_API_URL]):
        with runtime.local_prefect(Settings(data_dir=tmp_path)):
            assert get_current_settings().home == tmp_path / "prefect"
        server = temporary_settings(updates={PREFECT_API_URL: "http://prefect:4200/api"})
        with server, runtime.local_prefect(Settings(data_dir=tmp_path)):
            assert runtime.api_url() == "http://prefect:4200/api"
            assert get_current_settings().home != tmp_path / "prefect", "a server keeps its own"
