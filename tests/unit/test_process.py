"""The process definition is data: shipped default, replaceable, validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.domain.process import ProcessFileError, load_process


def test_shipped_process_has_sundsvalls_steps_forums_and_focus_areas() -> None:
    process = load_process()
    assert [s.key for s in process.steps][:4] == ["steg-0", "steg-1", "steg-2", "steg-3"]
    assert process.step("steg-2").forum == "arkitektforum"
    assert {f.key for f in process.forums} >= {"losningsforum", "arkitektforum", "slutberedning"}
    assert "Morgondagens välfärd" in {a.name.sv for a in process.focus_areas}


def test_labels_are_matched_as_people_type_them() -> None:
    process = load_process()
    step = process.match_step("Steg 1 - Behov och lösning")
    assert step is not None and step.key == "steg-1"
    area = process.match_focus_area("morgondagens valfard")
    assert area is not None and area.key == "morgondagens-valfard"
    assert process.match_step("Steg 9") is None


def test_another_municipality_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "process.yaml"
    path.write_text(
        """
name: {sv: Annan process, en: Other process}
forums: [{key: forum-a, name: {sv: Forum A, en: Forum A}}]
steps: [{key: idea, number: 0, name: {sv: Idé, en: Idea}, board_column: {sv: Idé, en: Idea}, forum: forum-a}]
focus_areas: [{key: skola, name: {sv: Skola, en: School}}]
"""
    )
    process = load_process(path)
    assert [s.key for s in process.steps] == ["idea"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("steps: [", "cannot read"),
        ("name: {sv: a, en: b}\nforums: []\nsteps: []\nfocus_areas: []", "invalid process file"),
        (
            "name: {sv: a, en: b}\nforums: []\n"
            "steps: [{key: s, number: 0, name: {sv: a, en: a}, board_column: {sv: a, en: a}, forum: nope}]\n"
            "focus_areas: [{key: f, name: {sv: a, en: a}}]",
            "unknown forum",
        ),
    ],
)
def test_bad_process_files_are_refused_clearly(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(ProcessFileError, match=message):
        load_process(path)
