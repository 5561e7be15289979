"""The preparation process as data: steps, forums and focus areas loaded from a YAML file.

Municipalities differ in forums, steps and focus areas, so none of them is code. The shipped
file describes Sundsvall; `Settings.process_file` replaces it.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator


class ProcessFileError(ValueError):
    """Raised when the process file cannot be read or does not describe a valid process."""


class Label(BaseModel):
    """A text in Swedish and English."""

    sv: str
    en: str

    def get(self, lang: str) -> str:
        """Return the text in `lang`, Swedish when that language is missing."""
        return self.en if lang == "en" else self.sv


class Forum(BaseModel):
    """A preparation forum that meets and decides on initiatives."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: Label
    purpose: Label | None = None


class Step(BaseModel):
    """A step of the preparation process, i.e. a column of the portfolio board."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    number: int = Field(ge=0)
    name: Label
    board_column: Label
    forum: str | None = None


class FocusArea(BaseModel):
    """A focus area ("fokusområde") that initiatives belong to."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: Label


class ProcessDefinition(BaseModel):
    """Everything about the process that an administrator may change without code."""

    name: Label
    forums: list[Forum]
    steps: list[Step] = Field(min_length=1)
    focus_areas: list[FocusArea] = Field(min_length=1)

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


def _fold(text: str) -> str:
    """Fold case, accents, dashes and spacing so that labels typed by people compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in letters if c.isalnum())


def load_process(path: Path | None = None) -> ProcessDefinition:
    """Load the process from `path`, or the one shipped with the package when `path` is None."""
    return _load_cached(str(path) if path else None)


@lru_cache(maxsize=8)
def _load_cached(path: str | None) -> ProcessDefinition:
    try:
        if path is None:
            text = resources.files("intake.data").joinpath("process.yaml").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        raw = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise ProcessFileError(f"cannot read process file {path or '(built-in)'}: {exc}") from exc
    try:
        return ProcessDefinition.model_validate(raw)
    except ValidationError as exc:
        raise ProcessFileError(f"invalid process file {path or '(built-in)'}:\n{exc}") from exc
