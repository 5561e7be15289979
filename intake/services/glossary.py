"""The glossary in force, and staff's edits of it (the page /glossary).

An edit is validated as a whole (`intake.domain.glossary.parse_glossary`), written to
`DATA_DIR/glossary.yaml` atomically (a reader sees the old file or the new one, never half) and
audited with its counts, never its text. Every process takes the change up at its next
similarity sync (`SimilarityService._follow_glossary`), so no restart is needed. When the
operator configured `BEREDNING_GLOSSARY_FILE`, that file is theirs: the page shows it and does
not write.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy.engine import Engine

from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.domain.glossary import (
    EDITED_NAME,
    GlossaryFile,
    glossary_path,
    load_glossary_file,
    parse_glossary,
)
from intake.services import audit
from intake.settings import Settings

MAX_BYTES = 256_000
"""The largest glossary an edit may send (about 2,000 entries)."""


class GlossaryNotEditable(RuntimeError):
    """Raised when the operator's configured file is in force: edit that file instead."""


@dataclass(frozen=True)
class InForce:
    """The glossary in force: its entries, its text, where it comes from and whether staff may edit it."""

    glossary: GlossaryFile
    text: str
    source: str
    editable: bool


def source_text(settings: Settings) -> tuple[str, str]:
    """Return where the glossary in force comes from and its text as it stands (valid or not)."""
    path = glossary_path(settings.glossary_file, settings.data_dir)
    if path is None:
        return "intake/data/glossary.yaml", resources.files("intake.data").joinpath(EDITED_NAME).read_text(
            "utf-8"
        )
    try:
        return str(path), path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return str(path), ""


def in_force(settings: Settings) -> InForce:
    """Return the glossary in force.

    Raises:
        GlossaryFileError: the file in force is unreadable or invalid.
    """
    glossary = load_glossary_file(glossary_path(settings.glossary_file, settings.data_dir))
    source, text = source_text(settings)
    return InForce(glossary, text, source, editable=settings.glossary_file is None)


def save(settings: Settings, engine: Engine, text: str, *, actor: str) -> GlossaryFile:
    """Validate `text` as a glossary and make it the one in force.

    Raises:
        GlossaryNotEditable: `BEREDNING_GLOSSARY_FILE` is set.
        GlossaryFileError: the text is too long, not YAML or not a valid glossary (nothing changes).
    """
    from intake.domain.glossary import GlossaryFileError

    if settings.glossary_file is not None:
        raise GlossaryNotEditable(f"the glossary is the configured file {settings.glossary_file}")
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise GlossaryFileError(f"the glossary may be at most {MAX_BYTES // 1000} kB")
    glossary = parse_glossary(text, "(the edit)")
    try:
        before: int | None = len(in_force(settings).glossary.terms)
    except GlossaryFileError:
        before = None  # the edit repairs a broken file
    target = settings.data_dir / EDITED_NAME
    _write_atomically(target, text)
    with session_scope(engine) as session:
        audit.record(
            session,
            actor=actor,
            action=AuditAction.GLOSSARY_CHANGED,
            entity_kind="glossary",
            entity_key=EDITED_NAME,
            changes={"terms": [before, len(glossary.terms)]},
        )
    return glossary


def _write_atomically(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".glossary-", suffix=".yaml", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text if text.endswith("\n") else text + "\n")
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
