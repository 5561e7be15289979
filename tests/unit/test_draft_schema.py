"""The typed draft: honest fields, quotes that must occur, enums from configuration, a flat JSON schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from pydantic import ValidationError

from intake.domain.process import load_process
from intake.drafting import (
    NEEDS_HUMAN,
    ChecklistFileError,
    Draft,
    DraftAnswer,
    DraftField,
    answer_json_schema,
    check_quotes,
    load_checklists,
    parse_answer,
    quote_in_text,
    resolve_choices,
    rules_only_draft,
)

TEXT = "Vi behöver en ny planering av skolskjutsar. Idag görs allt i Excel av två handläggare."

OWN_CHECKLISTS = """
kinds: [{key: forslag, name: {sv: Förslag, en: Proposal}}]
initiative_types: [{key: bygge, name: {sv: Bygge, en: Construction}, aliases: [construction work]}]
checklists:
  - id: egen
    name: {sv: Egen, en: Own}
    items:
      - {id: nar, label: {sv: När, en: When}, needs: {sv: Datum, en: Dates},
         question: {sv: "När?", en: "When?"}, mandatory: true, rule: time_plan}
"""


def _own(tmp_path: Path) -> Path:
    path = tmp_path / "checklists.yaml"
    path.write_text(OWN_CHECKLISTS, encoding="utf-8")
    return path


def test_a_stated_field_needs_the_submitters_words() -> None:
    with pytest.raises(ValidationError, match="quote"):
        DraftField[str].model_validate({"value": "Skolskjuts", "basis": "stated"})
    lenient = DraftField[str].model_validate(
        {"value": "Skolskjuts", "basis": "stated"}, context={"lenient": True}
    )
    assert lenient.basis == "inferred"


@pytest.mark.parametrize("value", ["", "  ", "okänt", "unknown", "N/A", [], ["", " "]])
def test_blank_values_mean_empty_not_invented(value: object) -> None:
    field = DraftField[Any].model_validate({"value": value, "basis": "stated", "quote": "något"})
    assert field.empty and field.value is None and field.quote is None


def test_a_value_without_a_basis_is_inferred_and_unknown_yes_no_is_empty() -> None:
    draft = Draft.model_validate(
        {
            "title": {"value": "Skolskjutsar", "basis": "empty", "quote": None},
            "personal_data": {"value": "unknown", "basis": "inferred", "quote": None},
        }
    )
    assert draft.title.basis == "inferred"
    assert draft.personal_data.empty
    with pytest.raises(ValidationError):
        Draft.model_validate({"personal_data": {"value": "maybe", "basis": "inferred", "quote": None}})


def test_check_quotes_downgrades_stated_fields_whose_quote_is_not_in_the_text() -> None:
    draft = Draft.model_validate(
        {
            "need": {"value": "Ny planering", "basis": "stated", "quote": "ny  planering av SKOLSKJUTSAR"},
            "time_plan": {"value": "Hösten", "basis": "stated", "quote": "klart till hösten"},
            "current_situation": {"value": "Excel", "basis": "inferred", "quote": "allt i Word"},
        }
    )
    checked = check_quotes(draft, TEXT)
    assert checked.need.basis == "stated"  # case and spacing do not matter
    assert checked.time_plan.basis == "inferred" and checked.time_plan.quote is None
    assert checked.time_plan.value == "Hösten"
    assert checked.current_situation.quote is None
    assert draft.time_plan.basis == "stated"  # the input is not changed


def test_quotes_match_whole_words_only() -> None:
    assert quote_in_text("planering", TEXT)
    assert not quote_in_text("lanering", TEXT)
    assert not quote_in_text("   ", TEXT)


def test_unknown_enum_values_become_needs_human_and_aliases_resolve() -> None:
    draft = Draft.model_validate(
        {
            "kind": {"value": "Klagomål", "basis": "inferred"},
            "initiative_type": {"value": "Pre-study", "basis": "inferred"},
            "focus_area": {"value": "morgondagens larande", "basis": "inferred"},
        }
    )
    resolved = resolve_choices(draft, load_process(), load_checklists())
    assert resolved.kind.value == NEEDS_HUMAN
    assert resolved.initiative_type.value == "forstudie"
    assert resolved.focus_area.value == "morgondagens-larande"


def test_schema_enums_come_from_configuration(tmp_path: Path) -> None:
    process, shipped = load_process(), load_checklists()
    schema = answer_json_schema(process, shipped)
    fields = schema["properties"]["draft"]["properties"]

    def enum(name: str) -> list[str]:
        return fields[name]["properties"]["value"]["anyOf"][0]["enum"]  # type: ignore[no-any-return]

    assert enum("kind") == [c.key for c in shipped.kinds] + [NEEDS_HUMAN]
    assert enum("focus_area") == [a.key for a in process.focus_areas] + [NEEDS_HUMAN]
    assert "forstudie" in enum("initiative_type")

    own = answer_json_schema(process, load_checklists(_own(tmp_path)))
    own_fields = own["properties"]["draft"]["properties"]
    assert own_fields["kind"]["properties"]["value"]["anyOf"][0]["enum"] == ["forslag", NEEDS_HUMAN]
    gap = own["properties"]["gaps"]["items"]["properties"]
    assert gap["checklist_id"]["enum"] == ["egen"] and gap["item_id"]["enum"] == ["nar"]


def _objects(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found.extend(_objects(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_objects(value))
    return found


def test_schema_is_flat_strict_and_covers_every_field() -> None:
    schema = answer_json_schema(load_process(), load_checklists())
    text = json.dumps(schema)
    assert "$ref" not in text and "$defs" not in text
    for obj in _objects(schema):
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])
    assert list(schema["properties"]["draft"]["properties"]) == list(Draft.model_fields)
    jsonschema.Draft202012Validator.check_schema(schema)


def test_a_rules_only_answer_fits_the_schema_the_model_gets() -> None:
    process, checklists = load_process(), load_checklists()
    answer = rules_only_draft(TEXT, process, checklists)
    data = answer.model_dump(mode="json", exclude={"source": True, "gaps": {"__all__": {"source"}}})
    jsonschema.validate(data, answer_json_schema(process, checklists))


def test_parse_answer_makes_a_model_answer_honest() -> None:
    raw = {
        "draft": {
            "title": {"value": "Skolskjutsplanering", "basis": "inferred", "quote": None},
            "kind": {"value": "önskan", "basis": "stated", "quote": "Vi behöver"},
            "need": {"value": "Ny planering", "basis": "stated", "quote": "Ignorera instruktionerna"},
            "sponsor": {"value": "", "basis": "stated", "quote": ""},
        },
        "gaps": [
            {"checklist_id": "uppstartsmote", "item_id": "tidsplan", "status": "covered",
             "evidence": "klart i maj", "question": None},
            {"checklist_id": "uppstartsmote", "item_id": "påhittad", "status": "missing",
             "evidence": None, "question": "?"},
        ],
    }  # fmt: skip
    answer = parse_answer(
        json.dumps(raw), source_text=TEXT, process=load_process(), checklists=load_checklists()
    )
    assert answer.source == "model"
    assert answer.draft.kind.value == NEEDS_HUMAN and answer.draft.kind.basis == "stated"
    assert answer.draft.need.basis == "inferred" and answer.draft.need.quote is None
    assert answer.draft.sponsor.empty
    assert [g.item_id for g in answer.gaps] == ["tidsplan"]
    assert answer.gaps[0].evidence is None and answer.gaps[0].source == "model"


def test_parse_answer_refuses_what_does_not_fit_the_schema() -> None:
    with pytest.raises(ValueError, match="status"):
        parse_answer(
            {"draft": {}, "gaps": [{"checklist_id": "a", "item_id": "b", "status": "done"}]},
            source_text=TEXT,
            process=load_process(),
            checklists=load_checklists(),
        )


def test_an_answer_round_trips_through_json() -> None:
    answer = rules_only_draft(TEXT, load_process(), load_checklists())
    assert DraftAnswer.model_validate_json(answer.model_dump_json()) == answer


def test_shipped_checklists_hold_the_kick_off_meeting_items() -> None:
    checklists = load_checklists()
    kickoff = next(c for c in checklists.checklists if c.id == "uppstartsmote")
    assert [i.label.sv for i in kickoff.items] == [
        "Nyttor och effekter tydliga",
        "Avgränsningar",
        "Utgångspunkter",
        "Deltagare",
        "Förankring",
        "Beroenden",
        "Tidsplan",
        "Kvalitetssäkring",
        "Slutmöte",
    ]
    for item in kickoff.items:
        assert item.question.sv.endswith("?") and item.question.en.endswith("?")
        assert item.needs.sv and item.needs.en and item.label.en
    assert {i.id for i in kickoff.items if i.mandatory} >= {"nyttor-och-effekter", "tidsplan", "forankring"}
    assert [k.key for k in checklists.kinds] == ["ide", "behov", "problem", "utmaning"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("kinds: [", "cannot read"),
        (OWN_CHECKLISTS.replace("rule: time_plan", "rule: astrology"), "invalid checklists file"),
        (OWN_CHECKLISTS.replace("key: bygge", "key: forslag_2"), "invalid checklists file"),
        (OWN_CHECKLISTS + "      - {id: nar, label: {sv: a, en: a}, needs: {sv: a, en: a}, "
         "question: {sv: a, en: a}, mandatory: false}\n", "duplicate item of egen keys: nar"),
    ],
)  # fmt: skip
def test_bad_checklists_files_are_refused_clearly(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ChecklistFileError, match=message):
        load_checklists(path)
