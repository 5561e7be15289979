"""A reviewer's edits to a submission's initiative draft: validated, marked, audited, never lost.

The rules, decided here once:

- Every field is checked against the draft schema (`intake.drafting.schema.Draft`): kind,
  initiative type and focus area must be configured keys (or `needs_human`), the yes/no fields
  yes or no, lists and texts within their limits. Errors come back per field, in Swedish and
  English, and nothing is stored.
- A field the reviewer changes keeps its `basis` and `quote`: they say what the submitter's own
  text supports, and the reviewer's words do not change that. The change is marked on the field
  itself (`edited_by`, `edited_at`), so the page can say "inferred, edited by X". A field the
  reviewer empties becomes `empty` (its quote goes with it); an empty field the reviewer fills
  becomes `inferred`, since the submitter's text did not state it.
- The draft's state becomes `edited`, which the drafting service never overwrites.
- Saving is optimistic: the form carries the `updated_at` it was rendered from, and a draft that
  changed since (another reviewer, the drafting service) is refused (`DraftEditConflict`) rather
  than silently overwritten. The check is repeated in the UPDATE itself, so two saves racing
  cannot both win.
- One audit event `draft.edited` per save, with the old and new value of each changed field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy.engine import Engine
from sqlmodel import col, select, update

from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.domain.drafts import DraftState
from intake.domain.process import ProcessDefinition
from intake.drafting.checklists import NEEDS_HUMAN, ChecklistConfig
from intake.drafting.schema import Benefit, YesNo
from intake.drafting.schema import Draft as DraftSchema
from intake.models import Draft, Submission, utcnow
from intake.services import audit

FieldKind = Literal["text", "choice", "yesno", "lines", "benefits"]

CHOICE_FIELDS: Final = ("kind", "initiative_type", "focus_area")
MAX_TITLE: Final = 300
MAX_TEXT: Final = 5000
MAX_ITEMS: Final = 50
MAX_ITEM: Final = 1000


def _kind_of(name: str, value_type: Any) -> FieldKind:
    if name in CHOICE_FIELDS:
        return "choice"
    if value_type == YesNo:
        return "yesno"
    if value_type == list[str]:
        return "lines"
    if value_type == list[Benefit]:
        return "benefits"
    return "text"


def field_kinds() -> dict[str, FieldKind]:
    """Return each draft field's name and how it is edited, in the schema's order."""
    kinds: dict[str, FieldKind] = {}
    for name, info in DraftSchema.model_fields.items():
        (value_type,) = info.annotation.__pydantic_generic_metadata__["args"]  # type: ignore[union-attr]
        kinds[name] = _kind_of(name, value_type)
    return kinds


def choice_keys(process: ProcessDefinition, checklists: ChecklistConfig) -> dict[str, list[str]]:
    """Return the keys each choice field may take: the configured ones, then `needs_human`."""
    return {
        "kind": [c.key for c in checklists.kinds] + [NEEDS_HUMAN],
        "initiative_type": [c.key for c in checklists.initiative_types] + [NEEDS_HUMAN],
        "focus_area": [a.key for a in process.focus_areas] + [NEEDS_HUMAN],
    }


@dataclass(frozen=True)
class FieldError:
    """Why one field's value was not accepted, in Swedish and English."""

    field: str
    sv: str
    en: str


class DraftEditInvalid(ValueError):
    """Raised when one or more fields are not valid; `errors` has one entry per problem."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.en}" for e in errors))


class DraftEditConflict(Exception):
    """Raised when the draft changed after the form was rendered; the save would overwrite that."""

    def __init__(self, reference: str, current: datetime) -> None:
        self.reference = reference
        self.current = current
        super().__init__(f"the draft of {reference} changed at {current.isoformat()}; reload it")


class DraftMissing(LookupError):
    """Raised when the submission does not exist, or has no draft to edit yet."""


@dataclass(frozen=True)
class EditResult:
    """What a save did: the draft as stored now, and the fields whose value changed (none: no save)."""

    draft: Draft
    changed: list[str] = field(default_factory=list)


def validate(
    values: Mapping[str, Any], process: ProcessDefinition, checklists: ChecklistConfig
) -> dict[str, Any]:
    """Return `values` cleaned (blanks as None, text stripped), or raise with every field's problem.

    Values: text, choice and yes/no fields a string; lists a sequence of strings; benefits a
    sequence of `{"effect", "measure"}` mappings. Fields left out are not changed.

    Raises:
        DraftEditInvalid: an unknown field, or a value the schema or the configuration refuses.
    """
    kinds = field_kinds()
    keys = choice_keys(process, checklists)
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, raw in values.items():
        kind = kinds.get(name)
        if kind is None:
            errors.append(FieldError(name, "okänt fält i utkastet", "unknown field of the draft"))
            continue
        try:
            cleaned[name] = _clean(name, kind, raw, keys)
        except _Refused as refused:
            errors.append(FieldError(name, refused.sv, refused.en))
    if errors:
        raise DraftEditInvalid(errors)
    return cleaned


class _Refused(Exception):
    def __init__(self, sv: str, en: str) -> None:
        super().__init__(en)
        self.sv, self.en = sv, en


def _text(raw: Any, limit: int) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _Refused("ska vara text", "must be text")
    text = raw.replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise _Refused("innehåller otillåtna tecken", "contains characters that are not allowed")
    if len(text) > limit:
        raise _Refused(f"får vara högst {limit} tecken", f"may be at most {limit} characters")
    return text or None


def _clean(name: str, kind: FieldKind, raw: Any, keys: dict[str, list[str]]) -> Any:
    if kind == "text":
        return _text(raw, MAX_TITLE if name == "title" else MAX_TEXT)
    if kind == "choice":
        value = _text(raw, MAX_ITEM)
        if value is not None and value not in keys[name]:
            raise _Refused("är inget av de valbara värdena", "is not one of the values to choose from")
        return value
    if kind == "yesno":
        value = _text(raw, MAX_ITEM)
        if value not in (None, "yes", "no"):
            raise _Refused("ska vara ja eller nej", "must be yes or no")
        return value
    if isinstance(raw, str) or not isinstance(raw, Sequence):
        raise _Refused("ska vara en lista", "must be a list")
    if len(raw) > MAX_ITEMS * 4:
        raise _Refused(f"får ha högst {MAX_ITEMS} rader", f"may have at most {MAX_ITEMS} lines")
    items = _benefits(raw) if kind == "benefits" else _lines(raw)
    if len(items) > MAX_ITEMS:
        raise _Refused(f"får ha högst {MAX_ITEMS} rader", f"may have at most {MAX_ITEMS} lines")
    return items or None


def _lines(raw: Sequence[Any]) -> list[str]:
    lines = [_text(item, MAX_ITEM) for item in raw]
    return [line for line in lines if line is not None]


def _benefits(raw: Sequence[Any]) -> list[dict[str, str | None]]:
    benefits: list[dict[str, str | None]] = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise _Refused("ska vara nyttor med mått", "must be benefits with measures")
        effect, measure = _text(item.get("effect"), MAX_ITEM), _text(item.get("measure"), MAX_ITEM)
        if effect is None and measure is not None:
            raise _Refused("ett mått behöver nyttan det mäter", "a measure needs the benefit it measures")
        if effect is not None:
            benefits.append({"effect": effect, "measure": measure})
    return benefits


def edit(
    engine: Engine,
    reference: str,
    values: Mapping[str, Any],
    actor: str,
    *,
    seen_updated_at: datetime,
    process: ProcessDefinition,
    checklists: ChecklistConfig,
    now: datetime | None = None,
) -> EditResult:
    """Save a reviewer's values for the draft of `reference`, as the module docstring describes.

    `seen_updated_at` is the draft's `updated_at` when the reviewer's form was rendered.

    Raises:
        DraftMissing: no such submission, or it has no draft yet.
        DraftEditInvalid: a value is not valid (nothing is stored).
        DraftEditConflict: the draft changed since `seen_updated_at` (nothing is stored).
    """
    cleaned = validate(values, process, checklists)
    now = now or utcnow()
    with session_scope(engine) as session:
        found = session.exec(
            select(Submission.id, Submission.reference).where(
                col(Submission.reference) == reference.strip().upper()
            )
        ).first()
        if found is None:
            raise DraftMissing(f"no submission {reference.strip().upper()}")
        submission_id, ref = found
        row = session.exec(select(Draft).where(col(Draft.submission_id) == submission_id)).first()
        if row is None or row.id is None:
            raise DraftMissing(f"{ref} has no draft yet")
        if not _same_instant(row.updated_at, seen_updated_at):
            raise DraftEditConflict(ref, row.updated_at)
        state_before, updated_before = row.state, row.updated_at  # the UPDATE below refreshes `row`
        content = dict(row.content)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for name, value in cleaned.items():
            old = content.get(name) if isinstance(content.get(name), dict) else {}
            assert isinstance(old, dict)
            if old.get("value") == value:
                continue
            content[name] = _edited(old, value, actor, now)
            before[name], after[name] = old.get("value"), value
        if not after:
            session.expunge(row)
            return EditResult(row, [])
        DraftSchema.model_validate(content)  # the stored draft must stay a valid draft
        changed = session.exec(
            update(Draft)
            .where(col(Draft.id) == row.id)
            .where(col(Draft.updated_at) == updated_before)
            .values(content=content, state=DraftState.EDITED, updated_at=now)
        )
        if changed.rowcount != 1:
            raise DraftEditConflict(ref, now)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.DRAFT_EDITED,
            entity_kind="submission",
            entity_key=ref,
            changes=audit.diff(before, after) | {"state": [state_before.value, DraftState.EDITED.value]},
        )
        session.flush()
        session.expire(row)
        session.refresh(row)
        session.expunge(row)
    return EditResult(row, list(after))


def _edited(old: Mapping[str, Any], value: Any, actor: str, now: datetime) -> dict[str, Any]:
    """The field with the reviewer's value: basis and quote kept honest, the edit marked."""
    basis, quote = old.get("basis") or "empty", old.get("quote")
    if value is None:
        basis, quote = "empty", None
    elif basis == "empty":
        basis = "inferred"
    return {"value": value, "basis": basis, "quote": quote, "edited_by": actor, "edited_at": now.isoformat()}


def _same_instant(a: datetime, b: datetime) -> bool:
    if a.tzinfo is None or b.tzinfo is None:
        return a.replace(tzinfo=None) == b.replace(tzinfo=None)
    return a == b
