"""A reviewer's draft edits: validated per field against the schema and the configuration, marked honestly.

The database side (optimistic saving, the audit event) is tested on SQLite and PostgreSQL in
`tests/integration/test_item_page.py`; here only what needs no database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from intake.domain.process import load_process
from intake.drafting import Draft, load_checklists
from intake.locale import texts
from intake.services import draft_edits
from intake.services.draft_edits import DraftEditInvalid, _edited, choice_keys, field_kinds, validate
from intake.web.review.item import DraftForm
from intake.web.review.item._view import FIELD_TEXTS

PROCESS = load_process()
CHECKLISTS = load_checklists()
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_every_schema_field_has_an_editor_and_a_label_in_both_languages() -> None:
    kinds = field_kinds()
    assert list(kinds) == list(Draft.model_fields)
    assert kinds["initiative_type"] == "choice" and kinds["personal_data"] == "yesno"
    assert kinds["risks"] == "lines" and kinds["benefits"] == "benefits" and kinds["title"] == "text"
    for name in kinds:
        assert FIELD_TEXTS[name] and texts("en")(FIELD_TEXTS[name]) != FIELD_TEXTS[name], name


def test_choices_are_the_configured_keys_and_needs_human() -> None:
    keys = choice_keys(PROCESS, CHECKLISTS)
    assert "forstudie" in keys["initiative_type"] and keys["initiative_type"][-1] == "needs_human"
    assert [a.key for a in PROCESS.focus_areas] == keys["focus_area"][:-1]


def test_valid_values_are_cleaned() -> None:
    cleaned = validate(
        {
            "title": "  Boka lokaler  ",
            "summary": "",
            "initiative_type": "forstudie",
            "personal_data": "no",
            "risks": ["  Ingen gör det ", "", "   "],
            "benefits": [
                {"effect": "Sparad tid", "measure": " timmar per vecka "},
                {"effect": "", "measure": ""},
            ],
            "stakeholders": [],
        },
        PROCESS,
        CHECKLISTS,
    )
    assert cleaned == {
        "title": "Boka lokaler",
        "summary": None,
        "initiative_type": "forstudie",
        "personal_data": "no",
        "risks": ["Ingen gör det"],
        "benefits": [{"effect": "Sparad tid", "measure": "timmar per vecka"}],
        "stakeholders": None,
    }


def test_every_bad_field_is_reported_in_both_languages() -> None:
    with pytest.raises(DraftEditInvalid) as raised:
        validate(
            {
                "focus_area": "mars",
                "personal_data": "kanske",
                "title": "x" * (draft_edits.MAX_TITLE + 1),
                "benefits": [{"effect": "", "measure": "procent"}],
                "risks": "not a list",
                "colour": "blå",
            },
            PROCESS,
            CHECKLISTS,
        )
    errors = {e.field: e for e in raised.value.errors}
    assert set(errors) == {"focus_area", "personal_data", "title", "benefits", "risks", "colour"}
    assert errors["personal_data"].sv == "ska vara ja eller nej"
    assert errors["personal_data"].en == "must be yes or no"
    assert "300" in errors["title"].sv and "300" in errors["title"].en


def test_too_many_lines_are_refused() -> None:
    with pytest.raises(DraftEditInvalid):
        validate({"risks": [f"risk {i}" for i in range(draft_edits.MAX_ITEMS + 1)]}, PROCESS, CHECKLISTS)


@pytest.mark.parametrize(
    ("old", "value", "basis", "quote"),
    [
        ({"value": "Lärare", "basis": "stated", "quote": "lärare"}, "Lärare och elever", "stated", "lärare"),
        ({"value": "behov", "basis": "inferred", "quote": None}, "problem", "inferred", None),
        ({"value": None, "basis": "empty", "quote": None}, "Skolchefen", "inferred", None),
        ({"value": "Lärare", "basis": "stated", "quote": "lärare"}, None, "empty", None),
    ],
)
def test_an_edited_field_keeps_an_honest_basis_and_is_marked(
    old: dict[str, Any], value: Any, basis: str, quote: str | None
) -> None:
    edited = _edited(old, value, "anna@kommun.se", NOW)
    assert edited == {
        "value": value,
        "basis": basis,
        "quote": quote,
        "edited_by": "anna@kommun.se",
        "edited_at": NOW.isoformat(),
    }
    Draft.model_validate({"sponsor": edited})  # still a valid field of the schema


def test_the_form_round_trips_the_stored_draft() -> None:
    content = {
        "title": {"value": "Boka lokaler", "basis": "stated", "quote": "Boka lokaler"},
        "risks": {"value": ["a", "b"], "basis": "inferred", "quote": None},
        "benefits": {"value": [{"effect": "Tid", "measure": None}], "basis": "inferred", "quote": None},
    }
    form = DraftForm.from_content(content, NOW)
    assert form.values["title"] == "Boka lokaler" and form.values["risks"] == "a\nb"
    assert form.values["sponsor"] == "" and form.benefits == [("Tid", "")]
    assert form.benefit_rows() == [("Tid", ""), ("", "")], "one empty pair to add a benefit without JS"
    posted = {
        "updated_at": NOW.isoformat(),
        "title": "Ny rubrik",
        "risks": "a\r\nc\n",
        "benefit_rows": "2",
        "benefit_effect_0": "Tid",
        "benefit_measure_0": "",
        "benefit_effect_1": "Pengar",
        "benefit_measure_1": "kronor",
    }
    back = DraftForm.from_post(posted)
    assert back.posted == {"title", "risks", "benefits"}, "fields missing from a post stay as they are"
    values = back.to_values()
    assert values["risks"] == ["a", "c"]
    assert values["benefits"][1] == {"effect": "Pengar", "measure": "kronor"}
    assert validate(values, PROCESS, CHECKLISTS)["benefits"] == [
        {"effect": "Tid", "measure": None},
        {"effect": "Pengar", "measure": "kronor"},
    ]
