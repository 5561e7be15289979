"""The glossary ("ordlista") as data: the municipality's systems and terms, used by matching.

Like `process.yaml` it is a file the municipality owns: the shipped default
(`intake/data/glossary.yaml`) holds common Swedish municipal systems and terms, and
`BEREDNING_GLOSSARY_FILE` replaces it. Staff edit the copy in the data directory (the page
/glossary): when no file is configured, `data_dir/glossary.yaml` wins over the shipped one once it
exists. What an entry does to matching is `retrieval.glossary`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from intake.domain.datafile import load_data_file
from retrieval.glossary import Glossary, Term

EDITED_NAME = "glossary.yaml"
"""The staff-edited copy's name in the data directory."""


class GlossaryFileError(ValueError):
    """Raised when the glossary file cannot be read or is not a valid glossary."""


class TermEntry(BaseModel):
    """One entry as written in the file."""

    model_config = ConfigDict(extra="forbid")

    term: str = Field(min_length=1, max_length=120)
    means: str = Field(min_length=1, max_length=300)
    also: list[str] = Field(default_factory=list, max_length=40)

    @field_validator("term", "means")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("also")
    @classmethod
    def _expressions(cls, values: list[str]) -> list[str]:
        cleaned = [v.strip() for v in values if isinstance(v, str)]
        if any(not v for v in cleaned) or any(len(v) > 120 for v in cleaned):
            raise ValueError("every other expression must be 1-120 characters")
        return cleaned


class GlossaryFile(BaseModel):
    """The file: a list of entries with distinct terms."""

    model_config = ConfigDict(extra="forbid")

    terms: list[TermEntry] = Field(default_factory=list, max_length=2000)

    @model_validator(mode="after")
    def _distinct(self) -> GlossaryFile:
        seen: set[str] = set()
        for entry in self.terms:
            key = entry.term.casefold()
            if key in seen:
                raise ValueError(f"the term {entry.term!r} is listed twice")
            seen.add(key)
        return self

    def glossary(self) -> Glossary:
        """Return the entries as the matcher uses them."""
        return Glossary.of(Term(e.term, e.means, tuple(e.also)) for e in self.terms)


def glossary_path(configured: Path | None, data_dir: Path) -> Path | None:
    """Return the glossary file in force: the configured one, staff's copy, or None (the shipped one)."""
    if configured is not None:
        return configured
    edited = data_dir / EDITED_NAME
    return edited if edited.is_file() else None


def load_glossary_file(path: Path | None = None) -> GlossaryFile:
    """Load and validate the glossary at `path` (the shipped one when None).

    Raises:
        GlossaryFileError: the file cannot be read or is invalid (the message says where and why).
    """
    return _load_cached(str(path) if path else None, _mtime(path))


def load_glossary(path: Path | None = None) -> Glossary:
    """Return the glossary at `path` (the shipped one when None) as the matcher uses it."""
    return load_glossary_file(path).glossary()


def parse_glossary(text: str, where: str) -> GlossaryFile:
    """Validate glossary YAML given as text (an edit on the staff page).

    Raises:
        GlossaryFileError: the text is not YAML or not a valid glossary.
    """
    import yaml
    from pydantic import ValidationError

    if not text.strip():
        raise GlossaryFileError(f"the glossary {where} is empty; for no entries write `terms: []`")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise GlossaryFileError(f"cannot read glossary {where}: {exc}") from exc
    try:
        return GlossaryFile.model_validate(raw)
    except ValidationError as exc:
        raise GlossaryFileError(f"invalid glossary {where}:\n{exc}") from exc


def _mtime(path: Path | None) -> float:
    try:
        return path.stat().st_mtime if path else 0.0
    except OSError:
        return -1.0


@lru_cache(maxsize=8)
def _load_cached(path: str | None, _mtime: float) -> GlossaryFile:
    return load_data_file(path, "glossary.yaml", GlossaryFile, GlossaryFileError, "glossary")
