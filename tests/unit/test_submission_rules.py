"""Validation of new submissions and the reference format."""

from __future__ import annotations

import pytest

from intake.domain.language import detect_language
from intake.domain.submission import (
    Channel,
    Limits,
    NewSubmission,
    SubmissionInvalid,
    format_reference,
    validate,
)

LIMITS = Limits(min_text=10, max_text=200)


def _new(text: str, **kwargs: str | None) -> NewSubmission:
    return NewSubmission(text=text, channel=Channel.API, **kwargs)  # type: ignore[arg-type]


def test_text_is_kept_exactly_and_short_fields_are_tidied() -> None:
    text = "  Rad ett\n\n\tRad två med  dubbla  mellanslag  "
    clean = validate(_new(text, title="  En   rubrik ", submitter_email=" Anna@Kommunen.SE "), LIMITS)
    assert clean.text == text
    assert clean.title == "En rubrik"
    assert clean.submitter_email == "anna@kommunen.se"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SubmissionInvalid) as info:
        validate(_new("kort", submitter_email="inte en adress", title="x" * 301), LIMITS)
    fields = {p.field for p in info.value.problems}
    assert fields == {"text", "submitter_email", "title"}
    assert all(p.sv and p.en for p in info.value.problems)


@pytest.mark.parametrize("text", ["a" * 201, "Text med \x00 nolltecken", "Text med \x1b escape-tecken"])
def test_too_long_or_control_characters_are_refused(text: str) -> None:
    with pytest.raises(SubmissionInvalid):
        validate(_new(text), LIMITS)


def test_whitespace_only_is_too_short() -> None:
    with pytest.raises(SubmissionInvalid, match="at least 10"):
        validate(_new(" " * 50), LIMITS)


def test_reference_format() -> None:
    assert format_reference("IN", 2026, 42) == "IN-2026-00042"
    assert format_reference("IN", 2026, 123456) == "IN-2026-123456"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Invånare ska kunna ansöka om parkeringstillstånd digitalt", "sv"),
        ("Managing hourly substitute staff takes too much manual work", "en"),
        ("Kaupunki tarvitsee uuden järjestelmän asukkaille", "fi"),
        ("hej", None),
    ],
)
def test_language_detection(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


def test_bench_percentile_is_nearest_rank() -> None:
    from beredning_bench.benchmark import percentile

    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 0.5) == 10.0
    assert percentile(values, 0.95) == 19.0
    assert percentile([5.0], 0.99) == 5.0
