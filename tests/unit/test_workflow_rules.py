"""The transition table and its guards, on the shipped process and on small files, without a database."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from intake.domain.process import GuardName, ProcessDefinition, ProcessFileError, load_process
from intake.domain.workflow import (
    GUARDS,
    Facts,
    GapFact,
    TransitionRefused,
    check,
    decision_targets,
    options,
)

PRESTUDY = {"initiative_type": "forstudie", "shared_infrastructure": "no", "has_draft": True}
CLOSED_GAP = GapFact("uppstartsmote", "tidsplan", "covered", mandatory=True)
OPEN_GAP = GapFact("uppstartsmote", "nyttor-och-effekter", "missing", mandatory=True)
OPTIONAL_GAP = GapFact("uppstartsmote", "deltagare", "missing", mandatory=False)


@pytest.fixture(scope="module")
def process() -> ProcessDefinition:
    return load_process()


def facts(step: str, **kwargs: object) -> Facts:
    return Facts(reference="IN-2026-00001", step=step, **kwargs)  # type: ignore[arg-type]


def codes(process: ProcessDefinition, item: Facts, target: str, **request: object) -> list[str]:
    return [b.code for b in check(process, item, target, **request).blockers]  # type: ignore[arg-type]


def test_every_guard_a_file_may_name_is_implemented() -> None:
    assert set(GUARDS) == set(get_args(GuardName))


def test_new_items_go_forward_one_step_and_no_further(process: ProcessDefinition) -> None:
    item = facts("steg-0")
    assert [c.target for c in options(process, item) if c.move and c.move.kind == "forward"] == ["steg-1"]
    assert check(process, item, "steg-1").allowed
    result = check(process, item, "steg-3")
    assert [b.code for b in result.blockers] == ["no_move"]
    assert "steg-1" in result.blockers[0].en and "möjliga" in result.blockers[0].sv
    assert "unknown step 'steg-9'" in check(process, item, "steg-9").blockers[0].en
    assert "already" in check(process, item, "steg-0").blockers[0].en


def test_pending_duplicates_keep_an_item_in_step_1_even_with_an_override(process: ProcessDefinition) -> None:
    item = facts("steg-1", pending_duplicates=("22-04", "IN-2026-00007"), **PRESTUDY)
    result = check(process, item, "steg-2", override=True, reason="brådskande")
    assert [b.code for b in result.blockers] == ["duplicates_resolved"]
    assert "22-04, IN-2026-00007" in result.blockers[0].sv and not result.blockers[0].overridable
    assert codes(process, facts("steg-1", **PRESTUDY), "steg-2") == []
    # The guard is about leaving step 1, not about the item's other moves.
    assert check(process, item, "pausad", reason="väntar på budget").allowed


def test_only_a_prestudy_takes_the_shortcut_past_arkitektforum(process: ProcessDefinition) -> None:
    assert check(process, facts("steg-1", **PRESTUDY), "steg-3").allowed
    shortcut = check(process, facts("steg-1", **PRESTUDY), "steg-3").move
    assert shortcut is not None and shortcut.kind == "shortcut"
    other = facts("steg-1", initiative_type="upphandling", has_draft=True)
    blockers = check(process, other, "steg-3").blockers
    assert [b.code for b in blockers] == ["prestudy_only"]
    assert "upphandling" in blockers[0].sv and "pre-study" in blockers[0].en
    assert codes(process, facts("steg-1"), "steg-3") == ["prestudy_only"]  # no draft: type unknown
    # Not a choice a person overrides: the draft's type is corrected instead.
    assert codes(process, other, "steg-3", override=True, reason="det är en förstudie") == ["prestudy_only"]


def test_a_prestudy_on_shared_infrastructure_goes_to_arkitektforum_unless_overridden(
    process: ProcessDefinition,
) -> None:
    item = facts("steg-1", **{**PRESTUDY, "shared_infrastructure": "yes"})
    result = check(process, item, "steg-3")
    assert [b.code for b in result.blockers] == ["shared_infrastructure_needs_arkitektforum"]
    assert result.blockers[0].overridable
    overridden = check(process, item, "steg-3", override=True, reason="bara en läsbehörighet")
    assert overridden.allowed and overridden.overridden == ("shared_infrastructure_needs_arkitektforum",)


def test_open_mandatory_gaps_block_the_way_to_decision_unless_overridden_with_a_reason(
    process: ProcessDefinition,
) -> None:
    ready = facts("fardigberedd", has_draft=True, gaps=(CLOSED_GAP, OPTIONAL_GAP))
    assert check(process, ready, "klar-for-beslut").allowed
    gaps = facts("fardigberedd", has_draft=True, gaps=(CLOSED_GAP, OPEN_GAP, OPTIONAL_GAP))
    blockers = check(process, gaps, "klar-for-beslut").blockers
    assert [b.code for b in blockers] == ["no_open_mandatory_gaps"]
    assert "uppstartsmote/nyttor-och-effekter (saknas)" in blockers[0].sv
    assert "deltagare" not in blockers[0].en
    assert codes(process, gaps, "klar-for-beslut", override=True) == ["no_open_mandatory_gaps", "reason"]
    assert codes(process, gaps, "klar-for-beslut", override=True, reason="  ") == [
        "no_open_mandatory_gaps",
        "reason",
    ]
    lifted = check(process, gaps, "klar-for-beslut", override=True, reason="beslut krävs före årsskiftet")
    assert lifted.allowed and lifted.overridden == ("no_open_mandatory_gaps",)
    assert codes(process, facts("fardigberedd"), "klar-for-beslut") == ["no_open_mandatory_gaps"]


def test_going_back_pausing_and_stopping_need_a_reason(process: ProcessDefinition) -> None:
    item = facts("steg-2")
    for target in ("steg-1", "pausad", "avslutad"):
        assert codes(process, item, target) == ["reason"], target
        assert check(process, item, target, reason="omtag").allowed
    # Only a pre-study goes back past the forum it skipped.
    assert codes(process, facts("steg-3"), "steg-1", reason="omtag") == ["prestudy_only"]
    assert check(process, facts("steg-3", **PRESTUDY), "steg-1", reason="omtag").allowed


def test_a_paused_item_resumes_where_it_was(process: ProcessDefinition) -> None:
    paused = facts("pausad", return_step="steg-2")
    assert check(process, paused, "steg-2").allowed
    assert codes(process, paused, "steg-1") == ["no_move"]
    assert [(c.target, c.move and c.move.kind) for c in options(process, paused)] == [
        ("steg-2", "resume"),
        ("avslutad", "stop"),
        ("sammanslagen", "merge"),
    ]
    assert "steg-2" not in {c.target for c in options(process, facts("pausad"))}  # nowhere to return to
    closed = facts("avslutad", return_step="steg-1")
    assert codes(process, closed, "steg-1") == ["reason"]  # reopening says why


def test_a_merge_needs_its_target_and_only_a_merge_has_one(process: ProcessDefinition) -> None:
    item = facts("steg-1")
    assert codes(process, item, "sammanslagen") == ["merge_target"]
    assert check(process, item, "sammanslagen", merge_into="portfolio:22-04").allowed
    assert codes(process, facts("steg-0"), "steg-1", merge_into="portfolio:22-04") == ["merge_target"]


def test_decided_items_stay_decided(process: ProcessDefinition) -> None:
    assert options(process, facts("beslutad")) == []


def test_decisions_map_to_targets_in_the_forums_step(process: ProcessDefinition) -> None:
    go_on = process.match_decision("Gå vidare")
    assert go_on is not None and go_on.key == "go-on"
    assert decision_targets(process, facts("steg-1"), "losningsforum", go_on) == ["steg-3", "steg-2"]
    assert decision_targets(process, facts("klar-for-beslut"), "it-direktor", go_on) == ["beslutad"]
    pause = process.match_decision("pausa")
    assert pause is not None and decision_targets(process, facts("steg-2"), "arkitektforum", pause) == [
        "pausad"
    ]
    with pytest.raises(TransitionRefused) as refused:
        decision_targets(process, facts("steg-2"), "losningsforum", go_on)
    message = str(refused.value)
    assert "IN-2026-00001" in message and "nekas" in message and "refused" in message
    assert "not in the forum's step (steg-1)" in message


def test_labels_match_as_people_type_them(process: ProcessDefinition) -> None:
    assert process.match_place("Pausad") == "pausad"
    assert process.match_place("arkitektforum") == "steg-2"
    assert process.match_forum_key("Lösningsforum") == "losningsforum"
    assert process.match_forum_key("IT-direktörens möte") == "it-direktor"
    assert process.match_decision("slå ihop") is not None and process.match_decision("avslå") is None


def test_a_refusal_lists_every_blocker_in_both_languages(process: ProcessDefinition) -> None:
    item = facts("steg-1", pending_duplicates=("22-04",), initiative_type="upphandling", has_draft=True)
    blockers = list(check(process, item, "steg-3").blockers)
    message = str(TransitionRefused("IN-2026-00001", "flytten", "the move", blockers))
    assert message.splitlines()[0] == "IN-2026-00001: flytten nekas / the move refused:"
    assert "dubbletter" in message and "duplicates" in message
    assert "förstudie" in message and "pre-study" in message


HEADER = """
name: {sv: P, en: P}
forums: [{key: forum-a, name: {sv: A, en: A}}]
steps:
  - {key: idea, number: 0, name: {sv: Idé, en: Idea}, board_column: {sv: Idé, en: Idea}}
  - {key: forum, number: 1, name: {sv: Forum, en: Forum}, board_column: {sv: F, en: F}, forum: forum-a}
focus_areas: [{key: f, name: {sv: F, en: F}}]
"""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("transitions: {moves: [{kind: forward, from: idea, to: fourm}]}", "unknown step or state 'fourm'"),
        (
            "transitions: {moves: [{kind: forward, from: idea, to: forum, guards: [is_prestudy]}]}",
            "prestudy_only",  # pydantic names the guards that exist
        ),
        ("transitions: {overridable: [duplicates]}", "duplicates_resolved"),
        ("transitions: {moves: [{kind: forward, from: idea}]}", "a resume move has no `to`"),
        ("transitions: {moves: [{kind: resume, from: idea}]}", "only a state can be resumed from"),
        (
            "transitions: {moves: [{kind: forward, from: idea, to: forum},"
            " {kind: back, from: idea, to: forum}]}",
            "repeats the move idea -> forum",
        ),
        ("transitions: {states: [{key: idea, name: {sv: x, en: x}}]}", "state 'idea' repeats a step"),
        ("transitions: {moves: [{kind: forward, from: idea, to: forum, when: x}]}", "when"),
        (
            "decisions: [{key: go-on, name: {sv: G, en: G}, to: {forum-a: idea}}]",
            "no move forum -> idea",
        ),
        (
            "transitions: {moves: [{kind: back, from: forum, to: idea}]}\n"
            "decisions: [{key: go-on, name: {sv: G, en: G}, to: {forum-b: idea}}]",
            "unknown forum 'forum-b'",
        ),
    ],
)
def test_bad_transitions_are_refused_when_the_file_is_loaded(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "process.yaml"
    path.write_text(HEADER + content)
    with pytest.raises(ProcessFileError, match="invalid process file") as refused:
        load_process(path)
    assert message in str(refused.value)


def test_a_file_without_transitions_allows_no_moves(tmp_path: Path) -> None:
    path = tmp_path / "process.yaml"
    path.write_text(HEADER)
    process = load_process(path)
    assert options(process, facts("idea")) == []
    assert check(process, facts("idea"), "forum").blockers[0].code == "no_move"
