"""Checklists, kinds and initiative types as data: what a draft is checked against and may choose from.

Like the process, these differ between municipalities, so they live in a YAML file
(`intake/data/checklists.yaml` by default) that an administrator replaces. Each checklist item
may name the deterministic rule that judges it; the rules themselves are code in `rules.py`, so a
file can only pick among the rules that exist.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, Field, model_validator

from intake.domain.datafile import load_data_file
from intake.domain.process import Label

NEEDS_HUMAN: Final = "needs_human"
"""The choice for a kind or initiative type that no configured value fits: a person decides.

Configured keys cannot take it: they allow no underscore."""

RuleName = Literal[
    "benefit",
    "scope",
    "starting_points",
    "participants",
    "anchoring",
    "dependencies",
    "time_plan",
    "quality",
    "closing_meeting",
    "need",
    "current_situation",
    "cost",
    "shared_infrastructure",
    "personal_data",
    "risks",
]

_KEY: Final = r"^[a-z0-9][a-z0-9-]*$"


class ChecklistFileError(ValueError):
    """Raised when the checklists file cannot be read or is not a valid configuration."""


class Choice(BaseModel):
    """One value a draft may take for its kind or initiative type."""

    key: str = Field(pattern=_KEY)
    name: Label
    aliases: list[str] = Field(default_factory=list, description="Other names, compared folded.")
    keywords: list[str] = Field(default_factory=list, description="Word starts that suggest it in a text.")

    def keyword_pattern(self) -> re.Pattern[str] | None:
        """Return a case-insensitive pattern matching any keyword at the start of a word."""
        if not self.keywords:
            return None
        words = "|".join(r"\s+".join(map(re.escape, k.split())) for k in self.keywords)
        return re.compile(rf"(?<!\w)(?:{words})", re.IGNORECASE)


class ChecklistItem(BaseModel):
    """One item of a checklist: what it needs and what to ask the submitter when it is not met."""

    id: str = Field(pattern=_KEY)
    label: Label
    needs: Label
    question: Label
    question_partly: Label | None = None
    mandatory: bool = Field(description="Must be covered before the initiative is raised for decision.")
    weight: int = Field(
        default=0,
        ge=0,
        le=10,
        description="How much the item weighs in the forum's decision; agendas ask the heaviest open ones.",
    )
    rule: RuleName | None = None

    def ask(self, status: str, language: str) -> str:
        """Return the question for an item with `status` ("partly" or "missing") in `language`."""
        if status == "partly" and self.question_partly is not None:
            return self.question_partly.get(language)
        return self.question.get(language)


class Checklist(BaseModel):
    """A named checklist, such as the one for the kick-off meeting ("Uppstartsmöte")."""

    id: str = Field(pattern=_KEY)
    name: Label
    items: list[ChecklistItem] = Field(min_length=1)


class ChecklistConfig(BaseModel):
    """Everything a draft is checked against or chooses from, apart from the focus areas."""

    kinds: list[Choice] = Field(min_length=1)
    initiative_types: list[Choice] = Field(min_length=1)
    checklists: list[Checklist] = Field(min_length=1)

    @model_validator(mode="after")
    def _keys_are_unique(self) -> ChecklistConfig:
        groups = [("kind", [c.key for c in self.kinds])]
        groups.append(("initiative type", [c.key for c in self.initiative_types]))
        groups.append(("checklist", [c.id for c in self.checklists]))
        groups.extend((f"item of {c.id}", [i.id for i in c.items]) for c in self.checklists)
        for what, keys in groups:
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                raise ValueError(f"duplicate {what} keys: {', '.join(dupes)}")
        return self

    def item(self, checklist_id: str, item_id: str) -> ChecklistItem | None:
        """Return the item `item_id` of checklist `checklist_id`, or None when either is unknown."""
        for checklist in self.checklists:
            if checklist.id == checklist_id:
                return next((i for i in checklist.items if i.id == item_id), None)
        return None

    def match_kind(self, text: str) -> Choice | None:
        """Find the kind whose key, name or alias matches `text`, ignoring case, accents and dashes."""
        return _match(self.kinds, text)

    def match_initiative_type(self, text: str) -> Choice | None:
        """Find the initiative type whose key, name or alias matches `text` as `match_kind` does."""
        return _match(self.initiative_types, text)


def fold(text: str) -> str:
    """Fold case, accents, dashes and spacing so that labels typed by people or models compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in letters if c.isalnum())


def _match(choices: list[Choice], text: str) -> Choice | None:
    wanted = fold(text)
    for choice in choices:
        if wanted in {fold(n) for n in (choice.key, choice.name.sv, choice.name.en, *choice.aliases)}:
            return choice
    return None


def load_checklists(path: Path | None = None) -> ChecklistConfig:
    """Load the checklists from `path`, or the ones shipped with the package when `path` is None."""
    return _load_cached(str(path) if path else None)


@lru_cache(maxsize=8)
def _load_cached(path: str | None) -> ChecklistConfig:
    return load_data_file(path, "checklists.yaml", ChecklistConfig, ChecklistFileError, "checklists")
