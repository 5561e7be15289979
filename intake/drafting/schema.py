"""The typed initiative draft, its checklist gaps, and what one model call must return.

Every field of the draft says where its value came from: *stated* by the submitter (with their own
words quoted, which must occur in the text), *inferred*, or *empty*. Empty is the honest answer when
the text says nothing; the model's output is normalised towards it rather than trusted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final, Generic, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationInfo, model_validator

from intake.domain.process import ProcessDefinition
from intake.drafting.checklists import NEEDS_HUMAN, ChecklistConfig, ChecklistItem

Basis = Literal["stated", "inferred", "empty"]
Source = Literal["rules", "model"]
GapStatus = Literal["covered", "partly", "missing"]
YesNo = Literal["yes", "no"]

V = TypeVar("V")

# Words a model writes instead of leaving a field empty; they carry no information.
_NOTHING: Final = frozenset(
    {"", "-", "?", "unknown", "none", "null", "n/a", "na", "okänt", "okänd", "saknas", "ej angivet"}
)
LENIENT: Final = {"lenient": True}
"""Validation context for model output: a stated field without a quote becomes inferred, not an error."""


def _blank(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().casefold() in _NOTHING
    if isinstance(value, Mapping):
        return all(_blank(v) or v is None for v in value.values())
    return False


def _clean(value: object) -> object:
    """Turn blanks into None and drop blank list entries, so that `[""]` and `"okänt"` mean empty."""
    if value is None or _blank(value):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        items = [v.strip() if isinstance(v, str) else v for v in value if v is not None and not _blank(v)]
        return items or None
    return value


class Benefit(BaseModel):
    """An expected benefit or effect and how it would be measured ("tydliga och mätbara")."""

    effect: str = Field(min_length=1, description="The benefit or effect.")
    measure: str | None = Field(default=None, description="How it would be measured; null if not said.")

    @model_validator(mode="before")
    @classmethod
    def _blank_measure_is_none(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = {**data, "measure": _clean(data.get("measure"))}
        return data


class DraftField(BaseModel, Generic[V]):
    """One field of the draft: its value, where the value came from, and the submitter's own words."""

    value: V | None = None
    basis: Basis = "empty"
    quote: str | None = Field(default=None, description="The submitter's exact words; required when stated.")

    @model_validator(mode="before")
    @classmethod
    def _consistent(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, Mapping):
            return data
        value, quote = _clean(data.get("value")), _clean(data.get("quote"))
        basis = data.get("basis", "empty")
        if value is None:
            return {"value": None, "basis": "empty", "quote": None}
        if basis == "empty":
            basis = "inferred"
        if basis == "stated" and quote is None:
            if not (info.context or {}).get("lenient"):
                raise ValueError("a stated field needs the submitter's words in `quote`")
            basis = "inferred"
        return {"value": value, "basis": basis, "quote": quote}

    @property
    def empty(self) -> bool:
        """Whether the text said nothing that fills this field."""
        return self.basis == "empty"


def _field(description: str) -> Any:
    # An empty dict validated into the field's own DraftField[...] type, so defaults serialise cleanly.
    return Field(default_factory=dict, validate_default=True, description=description)


class Draft(BaseModel):
    """The initiative template ("initiativmall") as drafted from one submission."""

    title: DraftField[str] = _field("A short title for the initiative.")
    summary: DraftField[str] = _field("Two or three sentences on what is proposed and why.")
    kind: DraftField[str] = _field("Idea, need, problem or challenge: a configured key.")
    initiative_type: DraftField[str] = _field("Pre-study, procurement, automation, ...: a configured key.")
    need: DraftField[str] = _field("The need or problem, and for whom.")
    target_group: DraftField[str] = _field("The target group the initiative serves.")
    affected_users: DraftField[list[str]] = _field("Users or roles affected by the change.")
    current_situation: DraftField[str] = _field("How it works today.")
    benefits: DraftField[list[Benefit]] = _field("Expected benefits and effects, each with how measured.")
    scope_limits: DraftField[list[str]] = _field("What is included and what is not (avgränsningar).")
    starting_points: DraftField[list[str]] = _field("Decisions and governing documents it starts from.")
    dependencies: DraftField[list[str]] = _field("Other systems, initiatives or work it depends on.")
    stakeholders: DraftField[list[str]] = _field("Stakeholders to anchor it with (förankring).")
    sponsor: DraftField[str] = _field("The sponsor or commissioner (beställare).")
    focus_area: DraftField[str] = _field("The focus area (fokusområde): a configured key.")
    cost_estimate: DraftField[str] = _field("The estimated cost.")
    financing: DraftField[str] = _field("How it would be financed.")
    time_plan: DraftField[str] = _field("Time plan and governing dates.")
    shared_infrastructure: DraftField[YesNo] = _field("Whether it touches shared infrastructure.")
    personal_data: DraftField[YesNo] = _field("Whether personal data is processed.")
    risks: DraftField[list[str]] = _field("Risks, and what happens if nothing is done.")
    open_questions: DraftField[list[str]] = _field("Questions the solution forum should settle.")


class Gap(BaseModel):
    """How far the submission answers one checklist item, with the evidence and the question to ask."""

    checklist_id: str
    item_id: str
    status: GapStatus
    evidence: str | None = Field(default=None, description="Words quoted from the text, or null.")
    question: str | None = Field(default=None, description="What to ask the submitter; null when covered.")
    source: Source = "model"

    @model_validator(mode="before")
    @classmethod
    def _blanks_are_none(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = {
                **data,
                "evidence": _clean(data.get("evidence")),
                "question": _clean(data.get("question")),
            }
        return data

    @property
    def key(self) -> tuple[str, str]:
        """The (checklist id, item id) pair that identifies the item."""
        return (self.checklist_id, self.item_id)

    @property
    def is_open(self) -> bool:
        """Whether the item still needs an answer from the submitter."""
        return self.status != "covered"


class DraftAnswer(BaseModel):
    """What one drafting pass returns: the draft and one gap per checklist item.

    `source` says whether a model took part ("model") or only the deterministic rules ("rules"),
    for instance because no model is configured or it was down; rules-only drafts are redone later.
    """

    draft: Draft = Field(default_factory=Draft)
    gaps: list[Gap] = Field(default_factory=list)
    source: Source = "model"


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def quote_in_text(quote: str, text: str) -> bool:
    """Whether `quote` occurs in `text` as whole words, ignoring case and runs of whitespace."""
    wanted = _norm(quote)
    if not wanted:
        return False
    pattern = re.escape(wanted)
    if wanted[0].isalnum():
        pattern = r"(?<!\w)" + pattern
    if wanted[-1].isalnum():
        pattern += r"(?!\w)"
    return re.search(pattern, _norm(text)) is not None


def check_quotes(draft: Draft, source_text: str) -> Draft:
    """Return `draft` with quotes that do not occur in `source_text` removed, stated fields downgraded."""
    changes: dict[str, DraftField[Any]] = {}
    for name in Draft.model_fields:
        field: DraftField[Any] = getattr(draft, name)
        if field.quote is not None and not quote_in_text(field.quote, source_text):
            basis: Basis = "inferred" if field.basis == "stated" else field.basis
            changes[name] = field.model_copy(update={"basis": basis, "quote": None})
    return draft.model_copy(update=changes)


def resolve_choices(draft: Draft, process: ProcessDefinition, checklists: ChecklistConfig) -> Draft:
    """Return `draft` with kind, initiative type and focus area as configured keys or `needs_human`."""
    matchers = {
        "kind": checklists.match_kind,
        "initiative_type": checklists.match_initiative_type,
        "focus_area": process.match_focus_area,
    }
    changes: dict[str, DraftField[str]] = {}
    for name, match in matchers.items():
        field: DraftField[str] = getattr(draft, name)
        if field.value is None or field.value == NEEDS_HUMAN:
            continue
        found = match(field.value)
        key = found.key if found is not None else NEEDS_HUMAN
        changes[name] = field.model_copy(update={"value": key})
    return draft.model_copy(update=changes)


def parse_answer(
    data: str | bytes | Mapping[str, Any],
    *,
    source_text: str,
    process: ProcessDefinition,
    checklists: ChecklistConfig,
) -> DraftAnswer:
    """Validate a model's answer and make it honest: configured choices, real quotes, known items.

    Raises ValueError (json.JSONDecodeError, or pydantic's ValidationError) when the answer is not
    JSON or does not fit the schema at all; the caller may then ask once for a repair.
    """
    raw = json.loads(data) if isinstance(data, str | bytes) else data
    answer = DraftAnswer.model_validate(raw, context=LENIENT)
    draft = check_quotes(resolve_choices(answer.draft, process, checklists), source_text)
    gaps = []
    for gap in answer.gaps:
        if checklists.item(gap.checklist_id, gap.item_id) is None:
            continue
        if gap.evidence is not None and not quote_in_text(gap.evidence, source_text):
            gap = gap.model_copy(update={"evidence": None})
        gaps.append(gap.model_copy(update={"source": "model"}))
    return DraftAnswer(draft=draft, gaps=gaps, source="model")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _value_schema(name: str, value_type: Any, enums: Mapping[str, list[str]]) -> dict[str, Any]:
    if name in enums:
        return {"type": "string", "enum": enums[name]}
    if value_type == YesNo:
        return {"type": "string", "enum": ["yes", "no", "unknown"]}
    if value_type == list[str]:
        return {"type": "array", "items": {"type": "string"}}
    if value_type == list[Benefit]:
        measure = _nullable({"type": "string"})
        return {"type": "array", "items": _object({"effect": {"type": "string"}, "measure": measure})}
    return {"type": "string"}


def answer_json_schema(process: ProcessDefinition, checklists: ChecklistConfig) -> dict[str, Any]:
    """Return the JSON schema of one model answer, with the configured keys as enums.

    Flat on purpose: no `$ref` or `$defs`, only objects, arrays, strings, enums and anyOf-with-null,
    which llama.cpp's grammar converter and OpenAI's strict structured output both accept.
    """
    enums = {
        "kind": [c.key for c in checklists.kinds] + [NEEDS_HUMAN],
        "initiative_type": [c.key for c in checklists.initiative_types] + [NEEDS_HUMAN],
        "focus_area": [a.key for a in process.focus_areas] + [NEEDS_HUMAN],
    }
    fields: dict[str, Any] = {}
    for name, info in Draft.model_fields.items():
        (value_type,) = info.annotation.__pydantic_generic_metadata__["args"]  # type: ignore[union-attr]
        field = _object(
            {
                "value": _nullable(_value_schema(name, value_type, enums)),
                "basis": {"type": "string", "enum": ["stated", "inferred", "empty"]},
                "quote": _nullable({"type": "string"}),
            }
        )
        fields[name] = {**field, "description": info.description}
    gap = _object(
        {
            "checklist_id": {"type": "string", "enum": [c.id for c in checklists.checklists]},
            "item_id": {
                "type": "string",
                "enum": sorted({i.id for c in checklists.checklists for i in c.items}),
            },
            "status": {"type": "string", "enum": ["covered", "partly", "missing"]},
            "evidence": _nullable({"type": "string"}),
            "question": _nullable({"type": "string"}),
        }
    )
    return {
        "title": "DraftAnswer",
        **_object({"draft": _object(fields), "gaps": {"type": "array", "items": gap}}),
    }


def _item_line(checklist_id: str, item: ChecklistItem, language: str) -> str:
    return f"- {checklist_id}/{item.id}: {item.label.get(language)}. {item.needs.get(language)}"


def prompt_context(
    process: ProcessDefinition, checklists: ChecklistConfig, language: str = "sv"
) -> dict[str, str]:
    """Describe the configured choices and checklist items as text for the prompt's placeholders."""
    return {
        "focus_areas": "\n".join(f"- {a.key}: {a.name.get(language)}" for a in process.focus_areas),
        "kinds": "\n".join(f"- {c.key}: {c.name.get(language)}" for c in checklists.kinds),
        "initiative_types": "\n".join(
            f"- {c.key}: {c.name.get(language)}" for c in checklists.initiative_types
        ),
        "checklist": "\n".join(
            _item_line(c.id, item, language) for c in checklists.checklists for item in c.items
        ),
    }
