"""Marking what two texts share: segments, escaping, overlapping passages, Swedish compounds."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape

from intake.locale import install, texts
from intake.web.review.highlight import Segment, highlight_pair, passage_spans, segments

TEMPLATES = Path(__file__).parents[2] / "intake" / "web" / "templates"

BOOKING = "Skolan vill boka skolans lokaler för föreningar på kvällarna, helst via en app."
BOOKING_TOO = "Föreningar ska kunna boka skolans lokaler för föreningar på kvällarna utan att ringa."


def _joined(found: list[Segment]) -> str:
    return "".join(s.text for s in found)


def _marked(found: list[Segment], kind: str) -> list[str]:
    return [s.text for s in found if s.shared == kind]


def test_segments_cover_the_text_exactly_and_mark_the_shared_passage_on_both_sides() -> None:
    left, right = highlight_pair(BOOKING, BOOKING_TOO)
    assert _joined(left) == BOOKING and _joined(right) == BOOKING_TOO
    assert _marked(left, "passage") == ["boka skolans lokaler för föreningar på kvällarna"]
    assert _marked(right, "passage") == ["boka skolans lokaler för föreningar på kvällarna"]
    # neighbouring segments never have the same mark: each run is one segment
    assert all(a.shared != b.shared for a, b in pairwise(left))


def test_punctuation_at_a_passage_end_stays_outside_the_mark() -> None:
    left, _ = highlight_pair(BOOKING, BOOKING_TOO)
    passage = _marked(left, "passage")[0]
    assert not passage.endswith(",") and ", helst" in _joined(left)


def test_a_passage_matches_across_line_breaks_and_case() -> None:
    text = "Vi vill Boka Skolans\nlokaler  för föreningar."
    assert passage_spans(text, "boka skolans lokaler för föreningar") == [(8, len(text) - 1)]


def test_overlapping_passages_are_marked_once_as_one_run() -> None:
    text = "alfa beta gamma delta epsilon zeta"
    found = segments(text, ["alfa beta gamma delta", "gamma delta epsilon zeta"], set())
    assert found == [Segment("alfa beta gamma delta epsilon zeta", "passage")]


def test_a_word_inside_a_passage_is_part_of_the_passage_and_elsewhere_a_word() -> None:
    text = "boka skolans lokaler nu. Lokaler igen."
    found = segments(text, ["boka skolans lokaler nu"], {"lokaler"})
    assert found == [
        Segment("boka skolans lokaler nu", "passage"),
        Segment(". ", None),
        Segment("Lokaler", "term"),
        Segment(" igen.", None),
    ]


def test_swedish_compounds_and_inflections_are_marked_in_their_own_form_on_each_side() -> None:
    left, right = highlight_pair(
        "Ett nytt lokalbokningssystem för kommunen.", "Lokalbokningssystemet är gammalt och krångligt."
    )
    assert "lokalbokningssystem" in _marked(left, "term")
    assert "Lokalbokningssystemet" in _marked(right, "term")


def test_texts_with_nothing_in_common_have_no_marks() -> None:
    left, right = highlight_pair("Parkeringstillstånd i appen.", "Hemtjänstens schema saknas.")
    assert [s.shared for s in left + right] == [None, None]


def test_empty_texts_give_no_segments() -> None:
    assert highlight_pair("", "") == ([], [])


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_partial_escapes_submitted_text_and_labels_marks_for_screen_readers(lang: str) -> None:
    hostile = "<script>alert(1)</script> boka skolans lokaler för föreningar på kvällarna & <b>mer</b>"
    left, _ = highlight_pair(hostile, BOOKING_TOO)
    env = install(Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])))
    macro = env.from_string(
        '{% import "review/_marks.html" as marks with context %}{{ marks.marked(segments) }}'
    ).render(segments=left, lang=lang)
    assert "<script>" not in macro and "&lt;script&gt;" in macro and "&amp;" in macro
    assert "&lt;b&gt;mer&lt;/b&gt;" in macro
    hidden = texts(lang)("gemensamt avsnitt: ")
    assert f'<mark class="dup-passage"><span class="visually-hidden">{hidden}</span>boka' in macro
