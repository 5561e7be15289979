"""The preparation process as data: steps, forums and focus areas loaded from a YAML file.

Municipalities differ in forums, steps and focus areas, so none of them is code. The shipped
file describes Sundsvall; `Settings.process_file` replaces it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from intake.domain.datafile import load_data_file

DEFAULT_TIMEZONE = "Europe/Stockholm"
"""The time zone of a process file or a cadence that names none: the one place it is written."""


class ProcessFileError(ValueError):
    """Raised when the process file cannot be read or does not describe a valid process."""


_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


class Label(BaseModel):
    """A text in Swedish and English."""

    sv: str
    en: str

    def get(self, lang: str) -> str:
        """Return the text in `lang`, Swedish when that language is missing."""
        return self.en if lang == "en" else self.sv


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class Cadence(BaseModel):
    """When a forum meets: one weekday every `every_weeks` weeks, counted from the `first` meeting."""

    model_config = ConfigDict(extra="forbid")

    weekday: Weekday
    every_weeks: int = Field(default=1, ge=1, le=52)
    first: date | None = Field(default=None, description="A meeting date; needed when every_weeks > 1.")
    time: time
    duration_minutes: int = Field(default=60, ge=5, le=12 * 60)
    location: str | None = None
    timezone: str = DEFAULT_TIMEZONE

    @field_validator("time", mode="before")
    @classmethod
    def _time_is_text(cls, value: Any) -> Any:
        # YAML reads an unquoted 09:00 as the number 540, which pydantic would take as 00:09.
        if not isinstance(value, str | time):
            raise ValueError(f'write the time in quotes, such as "09:00" (got {value!r})')
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}, such as Europe/Stockholm") from exc
        return value

    @model_validator(mode="after")
    def _first_fits(self) -> Cadence:
        if self.first is None and self.every_weeks > 1:
            raise ValueError("every_weeks > 1 needs `first`, the date of one meeting, to count from")
        if self.first is not None and WEEKDAYS[self.first.weekday()] != self.weekday:
            raise ValueError(
                f"first meeting {self.first} is a {WEEKDAYS[self.first.weekday()]}, not a {self.weekday}"
            )
        return self


class Forum(BaseModel):
    """A preparation forum that meets and decides on initiatives.

    `cadence`, `members` and `agenda_days_before` say when its agenda is built and who gets it;
    `questions` are what it decides for each item (default: the sentences of `purpose`).
    """

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: Label
    purpose: Label | None = None
    questions: list[Label] = Field(default_factory=list)
    cadence: Cadence | None = None
    members: list[str] = Field(default_factory=list, description="E-mail addresses that get the agenda.")
    agenda_days_before: int = Field(default=3, ge=0, le=60)

    @property
    def zone(self) -> ZoneInfo:
        """The forum's time zone: its cadence's, else the default."""
        return ZoneInfo(self.cadence.timezone if self.cadence else DEFAULT_TIMEZONE)

    @field_validator("members")
    @classmethod
    def _members_are_addresses(cls, value: list[str]) -> list[str]:
        bad = [m for m in value if not _EMAIL.fullmatch(m)]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(map(repr, bad))}")
        folded = [m.casefold() for m in value]
        dupes = sorted({m for m in folded if folded.count(m) > 1})
        if dupes:
            raise ValueError(f"members listed twice: {', '.join(dupes)}")
        return value


class Step(BaseModel):
    """A step of the preparation process, i.e. a column of the portfolio board."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    number: int = Field(ge=0)
    name: Label
    board_column: Label
    forum: str | None = None
    about: Label | None = Field(
        default=None,
        description="What being here means, in plain words for the submitter (shown on their follow page).",
    )
    remind_after_days: int | None = Field(
        default=None,
        ge=0,
        le=365,
        strict=True,
        description=(
            "Days an item may wait in this step before the reminder digest lists it. Empty: the "
            "setting reminders.stale_after_days; 0: never (a step where items rest, such as decided)."
        ),
    )


class FocusArea(BaseModel):
    """A focus area ("fokusområde") that initiatives belong to."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: Label


GuardName = Literal[
    "prestudy_only",
    "no_open_mandatory_gaps",
    "duplicates_resolved",
    "shared_infrastructure_needs_arkitektforum",
]
"""A guard a move may name. What each means is code in `intake.domain.workflow`, so a file can only
choose among guards that exist, as checklist items choose among the drafting rules."""

MoveKind = Literal["forward", "back", "shortcut", "pause", "resume", "stop", "merge"]
"""What a move is. `resume` returns to where the item was before; `merge` needs the item it joins."""

ALL_FORUMS = "*"


class State(BaseModel):
    """A place besides the steps where an item waits or ends, such as paused, closed or merged."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: Label
    about: Label | None = Field(
        default=None,
        description="What being here means, in plain words for the submitter (shown on their follow page).",
    )


class Move(BaseModel):
    """One allowed move between steps or states, with the guards that must hold before it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: MoveKind
    sources: list[str] = Field(alias="from", min_length=1)
    to: str | None = None
    guards: list[GuardName] = Field(default_factory=list)
    reason: bool = Field(default=False, description="The person making the move must write why.")

    @field_validator("sources", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _target_fits_kind(self) -> Move:
        if (self.kind == "resume") != (self.to is None):
            raise ValueError("a resume move has no `to` (it returns to where the item was); others need one")
        return self


class Transitions(BaseModel):
    """The moves the process allows; checked by `intake.domain.workflow`."""

    model_config = ConfigDict(extra="forbid")

    states: list[State] = Field(default_factory=list)
    prestudy_types: list[str] = Field(
        default_factory=list, description="Initiative types (keys in checklists.yaml) that are pre-studies."
    )
    overridable: list[GuardName] = Field(default_factory=list)
    moves: list[Move] = Field(default_factory=list)


class DecisionRule(BaseModel):
    """A decision a forum can make, and the targets it moves an item to from the forum's step."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: Label
    to: dict[str, list[str]] = Field(description="Targets per forum key; `*` for every forum.")

    @field_validator("to", mode="before")
    @classmethod
    def _per_forum(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            value = {ALL_FORUMS: value}
        return {k: [v] if isinstance(v, str) else v for k, v in value.items()}

    def targets(self, forum: str) -> list[str]:
        """Return the targets to try in order when `forum` makes this decision."""
        return self.to.get(forum) or self.to.get(ALL_FORUMS, [])


class ProcessDefinition(BaseModel):
    """Everything about the process that an administrator may change without code."""

    name: Label
    timezone: str = Field(
        default=DEFAULT_TIMEZONE, description="Where the process runs: when the daily reminder goes out."
    )
    forums: list[Forum]
    steps: list[Step] = Field(min_length=1)
    focus_areas: list[FocusArea] = Field(min_length=1)
    transitions: Transitions = Field(default_factory=Transitions)
    decisions: list[DecisionRule] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return Cadence._known_zone(value)

    @model_validator(mode="after")
    def _keys_are_consistent(self) -> ProcessDefinition:
        for kind, keys in (
            ("forum", [f.key for f in self.forums]),
            ("step", [s.key for s in self.steps]),
            ("focus area", [a.key for a in self.focus_areas]),
        ):
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                raise ValueError(f"duplicate {kind} keys: {', '.join(dupes)}")
        forums = {f.key for f in self.forums}
        for step in self.steps:
            if step.forum is not None and step.forum not in forums:
                raise ValueError(f"step {step.key!r} names unknown forum {step.forum!r}")
        return self

    def step(self, key: str) -> Step:
        """Return the step with `key`; raise KeyError naming the known keys otherwise."""
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(f"unknown step {key!r}; known: {', '.join(s.key for s in self.steps)}")

    def match_step(self, text: str) -> Step | None:
        """Find the step whose key, name or board column matches `text`, ignoring case and dashes."""
        wanted = _fold(text)
        for step in self.steps:
            names = (step.key, step.name.sv, step.name.en, step.board_column.sv, step.board_column.en)
            if any(_fold(n) == wanted for n in names):
                return step
        return None

    def match_focus_area(self, text: str) -> FocusArea | None:
        """Find the focus area whose key or name matches `text`, ignoring case and accents."""
        wanted = _fold(text)
        for area in self.focus_areas:
            if wanted in (_fold(area.key), _fold(area.name.sv), _fold(area.name.en)):
                return area
        return None

    @model_validator(mode="after")
    def _moves_are_consistent(self) -> ProcessDefinition:
        problems = _move_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def place_label(self, key: str) -> Label:
        """Return the name of the step or state `key`; raise KeyError for an unknown key."""
        places = {s.key: s.name for s in self.steps} | {s.key: s.name for s in self.transitions.states}
        if key not in places:
            raise KeyError(f"unknown step or state {key!r}; known: {', '.join(places)}")
        return places[key]

    def place_about(self, key: str) -> Label | None:
        """Return what being in step or state `key` means for the submitter; None if the file does not say."""
        places = {s.key: s.about for s in self.steps} | {s.key: s.about for s in self.transitions.states}
        return places.get(key)

    def match_place(self, text: str) -> str | None:
        """Find the key of the step or state that `text` names, as `match_step` does."""
        step = self.match_step(text)
        if step is not None:
            return step.key
        wanted = _fold(text)
        for state in self.transitions.states:
            if wanted in (_fold(state.key), _fold(state.name.sv), _fold(state.name.en)):
                return state.key
        return None

    def match_forum_key(self, text: str) -> str | None:
        """Find the key of the forum whose key or name matches `text`, ignoring case and accents."""
        wanted = _fold(text)
        for forum in self.forums:
            if wanted in (_fold(forum.key), _fold(forum.name.sv), _fold(forum.name.en)):
                return forum.key
        return None

    def match_decision(self, text: str) -> DecisionRule | None:
        """Find the decision whose key or name matches `text` ("gå vidare", "go-on", "Pausa")."""
        wanted = _fold(text)
        for rule in self.decisions:
            if wanted in (_fold(rule.key), _fold(rule.name.sv), _fold(rule.name.en)):
                return rule
        return None


def _fold(text: str) -> str:
    """Fold case, accents, dashes and spacing so that labels typed by people compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in letters if c.isalnum())


def _move_problems(process: ProcessDefinition) -> list[str]:
    """Check that moves and decisions only name known places and forums, and that decisions can move."""
    steps = [s.key for s in process.steps]
    states = [s.key for s in process.transitions.states]
    known = steps + states
    problems = [f"state {k!r} repeats a step or state key" for k in sorted(set(states)) if known.count(k) > 1]
    pairs: set[tuple[str, str | None]] = set()
    for n, move in enumerate(process.transitions.moves, start=1):
        for place in [*move.sources, *([move.to] if move.to else [])]:
            if place not in known:
                problems.append(f"move {n} ({move.kind}) names unknown step or state {place!r}")
        if move.kind == "resume" and set(move.sources) & set(steps):
            problems.append(f"move {n} resumes from a step; only a state can be resumed from")
        for source in move.sources:
            if (source, move.to) in pairs:
                problems.append(f"move {n} repeats the move {source} -> {move.to or 'resume'}")
            pairs.add((source, move.to))
    if problems:
        return [*problems, f"known steps and states: {', '.join(known)}"]
    keys = [d.key for d in process.decisions]
    problems += [f"duplicate decision key {k!r}" for k in sorted({k for k in keys if keys.count(k) > 1})]
    forums = {f.key for f in process.forums}
    for decision in process.decisions:
        for forum in decision.to:
            if forum != ALL_FORUMS and forum not in forums:
                problems.append(f"decision {decision.key!r} names unknown forum {forum!r}")
            decided_in = [s for s in process.steps if s.forum and forum in (s.forum, ALL_FORUMS)]
            if forum != ALL_FORUMS and forum in forums and not decided_in:
                problems.append(f"decision {decision.key!r}: forum {forum!r} has no step to decide in")
            for step in decided_in:
                for target in decision.targets(step.forum or ""):
                    if (step.key, target) not in pairs:
                        problems.append(
                            f"decision {decision.key!r} of {step.forum}: no move {step.key} -> {target}"
                        )
    return sorted(set(problems), key=problems.index)


def load_process(path: Path | None = None) -> ProcessDefinition:
    """Load the process from `path`, or the one shipped with the package when `path` is None."""
    return _load_cached(str(path) if path else None)


@lru_cache(maxsize=8)
def _load_cached(path: str | None) -> ProcessDefinition:
    return load_data_file(path, "process.yaml", ProcessDefinition, ProcessFileError, "process")
