"""The drafting client's retry layer and answer checks, with a fake clock and no server."""

from __future__ import annotations

import json
from collections.abc import Callable

import jsonschema  # type: ignore[import-untyped]
import pytest
from pydantic import SecretStr

from intake.drafting.client import (
    Drafter,
    LangChainDrafter,
    RetryExhausted,
    backoff_delay,
    check_answer,
    response_format,
    retry_with_deadline,
)
from intake.settings import LlmSettings


class Flaky(Exception):
    """A failure worth retrying."""


class Broken(Exception):
    """A failure not worth retrying."""


class FakeTime:
    """A clock that only moves when the code sleeps or a call takes time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def calls(
    time: FakeTime, outcomes: list[Exception | str], seconds_per_call: float = 1.0
) -> tuple[Callable[[float], str], list[float]]:
    """Return a call that takes `seconds_per_call` and then raises or returns the next outcome."""
    seen: list[float] = []

    def call(left: float) -> str:
        seen.append(left)
        time.now += seconds_per_call
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return call, seen


def run(time: FakeTime, call: Callable[[float], str], **overrides: float) -> tuple[str, int]:
    options: dict[str, float] = {"max_attempts": 3, "deadline_seconds": 30.0, **overrides}
    return retry_with_deadline(
        call,
        retry_on=(Flaky,),
        max_attempts=int(options["max_attempts"]),
        deadline_seconds=options["deadline_seconds"],
        base_delay_seconds=1.0,
        max_delay_seconds=4.0,
        clock=time.clock,
        sleep=time.sleep,
        rand=lambda: 1.0,  # the top of the jitter range, so pauses are predictable
    )


def test_first_success_returns_without_pausing() -> None:
    time = FakeTime()
    call, _ = calls(time, ["ok"])
    assert run(time, call) == ("ok", 1)
    assert time.sleeps == []


def test_transient_failures_back_off_exponentially_and_pass_the_time_left() -> None:
    time = FakeTime()
    call, seen = calls(time, [Flaky(), Flaky(), Flaky(), Flaky(), "ok"])
    assert run(time, call, max_attempts=5) == ("ok", 5)
    assert time.sleeps == [1.0, 2.0, 4.0, 4.0]  # capped at max_delay
    assert seen == [30.0, 28.0, 25.0, 20.0, 15.0]


def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    time = FakeTime()
    last = Flaky("third")
    call, _ = calls(time, [Flaky("first"), Flaky("second"), last])
    with pytest.raises(RetryExhausted) as caught:
        run(time, call)
    assert caught.value.attempts == 3
    assert caught.value.last_error is last
    assert caught.value.__cause__ is last
    assert len(time.sleeps) == 2


def test_never_pauses_past_the_deadline() -> None:
    time = FakeTime()
    call, _ = calls(time, [Flaky(), Flaky(), "never reached"], seconds_per_call=2.0)
    # 2 s call, 1 s pause, 2 s call: a 2 s pause would end at 7 s, past the 6 s deadline
    with pytest.raises(RetryExhausted, match="no time left") as caught:
        run(time, call, max_attempts=10, deadline_seconds=6.0)
    assert caught.value.attempts == 2
    assert time.now == 5.0


def test_other_errors_propagate_at_once() -> None:
    time = FakeTime()
    call, seen = calls(time, [Broken(), "never reached"])
    with pytest.raises(Broken):
        run(time, call)
    assert len(seen) == 1


def test_jitter_stays_below_the_exponential_cap() -> None:
    for attempt, cap in [(1, 0.5), (2, 1.0), (3, 2.0), (6, 8.0), (10, 8.0)]:
        assert backoff_delay(attempt, 0.5, 8.0, rand=lambda: 0.999) == pytest.approx(0.999 * cap)
        assert backoff_delay(attempt, 0.5, 8.0, rand=lambda: 0.0) == 0.0


def test_max_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        retry_with_deadline(lambda left: "x", retry_on=(Flaky,), max_attempts=0, deadline_seconds=1.0)


SCHEMA = {
    "type": "object",
    "properties": {
        "kind": {"enum": ["idea", "problem"]},
        "gaps": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["kind", "gaps"],
    "additionalProperties": False,
}
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def test_check_answer_accepts_valid_json() -> None:
    assert check_answer('{"kind": "idea", "gaps": []}', VALIDATOR) == ({"kind": "idea", "gaps": []}, None)


def test_check_answer_names_what_is_wrong_for_the_repair_request() -> None:
    data, problem = check_answer('{"kind": "wish", "gaps": [1]}', VALIDATOR)
    assert data is None
    assert problem is not None
    assert "$.gaps[0]" in problem.text
    assert "'wish' is not one of" in problem.text
    assert problem.where == "schema violated at $.gaps[0] (type), $.kind (enum)"
    data, problem = check_answer('{"kind": "idea",', VALIDATOR)
    assert data is None
    assert problem is not None
    assert "not valid JSON" in problem.text


def test_check_answer_cuts_long_problems_short() -> None:
    long_value = "x" * 5000
    _, problem = check_answer(json.dumps({"kind": long_value, "gaps": []}), VALIDATOR)
    assert problem is not None
    assert len(problem.text) < 500
    assert "xxx" not in problem.where  # the log line never carries a value


def test_response_format_in_both_styles() -> None:
    assert response_format(SCHEMA, "json_object", strict=False) == {"type": "json_object", "schema": SCHEMA}
    openai_style = response_format({**SCHEMA, "title": "Initiative draft"}, "json_schema", strict=True)
    assert openai_style["type"] == "json_schema"
    assert openai_style["json_schema"]["name"] == "Initiative_draft"
    assert openai_style["json_schema"]["strict"] is True


def test_a_drafter_needs_a_configured_model() -> None:
    with pytest.raises(ValueError, match="no model configured"):
        LangChainDrafter(LlmSettings())


def test_langchain_drafter_is_a_drafter_and_keeps_its_key_to_itself() -> None:
    settings = LlmSettings(base_url="http://127.0.0.1:1/v1", model="m", api_key=SecretStr("sk-secret-key"))
    drafter: Drafter = LangChainDrafter(settings)  # mypy checks the Protocol here
    assert drafter.model_id == "m"
    assert "sk-secret" not in repr(drafter)


def test_check_answer_accepts_a_raw_newline_inside_a_string() -> None:
    # llama.cpp's schema grammars let the model write one; the value is still a string
    data, problem = check_answer('{"kind": "idea", "gaps": ["first line\nsecond line"]}', VALIDATOR)
    assert problem is None
    assert data == {"kind": "idea", "gaps": ["first line\nsecond line"]}
