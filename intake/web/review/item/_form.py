"""The draft form's values as text: from the stored draft, from a post, and back to values to save."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from intake.services import draft_edits


@dataclass
class DraftForm:
    """The draft form's values as text, from the stored draft or as the reviewer posted them."""

    values: dict[str, str] = field(default_factory=dict)
    benefits: list[tuple[str, str]] = field(default_factory=list)
    updated_at: str = ""
    posted: frozenset[str] = frozenset()
    """Fields the post carried; a field missing from a post is left as it is."""

    @classmethod
    def from_content(cls, content: Mapping[str, Any], updated_at: datetime) -> DraftForm:
        """The form as the stored draft fills it."""
        values: dict[str, str] = {}
        benefits: list[tuple[str, str]] = []
        for name, kind in draft_edits.field_kinds().items():
            stored = content.get(name)
            value = stored.get("value") if isinstance(stored, dict) else None
            if kind == "benefits":
                benefits = [
                    (str(b.get("effect") or ""), str(b.get("measure") or ""))
                    for b in (value or [])
                    if isinstance(b, dict)
                ]
            elif kind == "lines":
                values[name] = "\n".join(str(v) for v in (value or []))
            else:
                values[name] = "" if value is None else str(value)
        return cls(values, benefits, updated_at.isoformat())

    @classmethod
    def from_post(cls, form: Mapping[str, Any]) -> DraftForm:
        """The form as posted: text fields by name, benefits as numbered effect/measure pairs."""
        values: dict[str, str] = {}
        posted: set[str] = set()
        for name, kind in draft_edits.field_kinds().items():
            if kind != "benefits" and name in form:
                values[name] = str(form[name])
                posted.add(name)
        benefits: list[tuple[str, str]] = []
        if "benefit_rows" in form:
            posted.add("benefits")
            rows = min(_int(form["benefit_rows"]), draft_edits.MAX_ITEMS + 5)
            for i in range(rows):
                effect, measure = form.get(f"benefit_effect_{i}", ""), form.get(f"benefit_measure_{i}", "")
                benefits.append((str(effect), str(measure)))
        return cls(values, benefits, str(form.get("updated_at", "")), frozenset(posted))

    def to_values(self) -> dict[str, Any]:
        """The values for `draft_edits.edit`: lists split into lines, benefits as mappings."""
        kinds = draft_edits.field_kinds()
        values: dict[str, Any] = {}
        for name in self.posted:
            if kinds[name] == "benefits":
                values[name] = [{"effect": e, "measure": m} for e, m in self.benefits]
            elif kinds[name] == "lines":
                values[name] = self.values[name].splitlines()
            else:
                values[name] = self.values[name]
        return values

    def benefit_rows(self) -> list[tuple[str, str]]:
        """The benefits, and one empty pair to add a new one without JavaScript."""
        return [*self.benefits, ("", "")]


def _int(value: Any) -> int:
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0
