"""Import a portfolio file uploaded through the staff page: check it, then import all or nothing.

The reader wants a path (openpyxl reads Excel from a file), so the bytes go to a temporary file
under the name the person chose; its messages then name the file they know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePath
from tempfile import TemporaryDirectory

from sqlalchemy.engine import Engine

from intake.domain.process import ProcessDefinition
from intake.portfolio.reader import PortfolioFileError, PortfolioSource, RowError, parse_rows, read_portfolio
from intake.services.portfolio import ImportReport, import_rows

UPLOAD_SUFFIXES: tuple[str, ...] = (".csv", ".txt", ".xlsx", ".xlsm")
"""File name endings an upload may have: what `read_portfolio` reads."""


class UploadRefused(ValueError):
    """Raised for an uploaded file that cannot be imported at all; nothing was saved.

    `kind` says why, for the page and its status code: `type` (not CSV or Excel), `empty` (no
    bytes, or a header and no rows) or `unreadable` (`detail` has the reader's explanation).
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


@dataclass
class UploadOutcome:
    """What an uploaded file did: the report, the file's columns we skipped, and whether it was refused."""

    report: ImportReport
    ignored_columns: list[str]
    notes: list[str]
    refused: bool


def import_upload(
    engine: Engine, name: str, data: bytes, process: ProcessDefinition, *, actor: str, dry_run: bool
) -> UploadOutcome:
    """Import an uploaded file all or nothing: a real import with any rejected row saves nothing.

    The CLI imports the good rows and tells scripts about the rest by its exit code; a person in a
    browser could miss that three rows of sixty were left out, so the page lists the rows to fix
    and the whole file goes in once it is clean. Raises `UploadRefused` for an unreadable file.
    """
    source = read_upload(name, data)
    rows = list(parse_rows(source, process))
    rejected = any(isinstance(row, RowError) for row in rows)
    report = import_rows(engine, rows, source=source.name, actor=actor, dry_run=dry_run or rejected)
    return UploadOutcome(
        report=report,
        ignored_columns=list(source.columns.ignored),
        notes=list(source.notes),
        refused=rejected and not dry_run,
    )


def read_upload(name: str, data: bytes) -> PortfolioSource:
    """Read uploaded bytes as a portfolio file named `name` (the reader wants a path for Excel)."""
    shown = PurePath(name.replace("\\", "/")).name.strip() or "upload"
    if PurePath(shown).suffix.casefold() not in UPLOAD_SUFFIXES:
        raise UploadRefused("type", f"{shown} is not a CSV or Excel (.xlsx) file")
    if not data.strip():
        raise UploadRefused("empty", f"{shown} is empty")
    # The name reaches the file system and every audit note: keep it plain and short.
    safe = re.sub(r"[^\w.\- ]", "_", shown)[-120:]
    with TemporaryDirectory(prefix="beredning-upload-") as folder:
        path = Path(folder) / safe
        path.write_bytes(data)
        try:
            source = read_portfolio(path)
        except PortfolioFileError as exc:
            raise UploadRefused("unreadable", str(exc)) from exc
    if not source.rows:
        raise UploadRefused("empty", f"{safe} has a header row but no items")
    return source
