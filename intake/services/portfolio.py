"""Store imported portfolio rows and read items back for export, listing and pages.

An import upserts by Nr. A row that says what the database already says is left alone, so
`updated_at` moves only on a real change and the search index is not rebuilt for nothing. Every
created or changed item gets one audit event with the values before and after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.db import session_scope
from intake.models import PortfolioItem, utcnow
from intake.portfolio.reader import ParsedRow, RowError
from intake.services import audit

ENTITY_KIND = "portfolio_item"


@dataclass(frozen=True)
class RowIssue:
    """A rejected row or a warning about a row, by the line a person sees in the file."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    source: str
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    changed_nrs: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        """Return the number of rows accepted, changed or not."""
        return self.created + self.updated + self.unchanged

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain data for `--json`."""
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.errors),
            "warnings": len(self.warnings),
            "changed": list(self.changed_nrs),
            "errors": [{"line": e.line, "message": e.message} for e in self.errors],
            "warning_details": [{"line": w.line, "message": w.message} for w in self.warnings],
        }


def import_rows(
    target: Engine | Session,
    rows: Iterable[ParsedRow | RowError],
    *,
    source: str,
    actor: str = audit.SYSTEM_ACTOR,
    dry_run: bool = False,
    on_row: Callable[[], None] | None = None,
) -> ImportReport:
    """Upsert rows by Nr in one transaction; a dry run changes nothing and reports the same."""
    report = ImportReport(source=source, dry_run=dry_run)
    if isinstance(target, Session):
        _import(target, rows, report, actor=actor, on_row=on_row)
    else:
        with session_scope(target) as session:
            _import(session, rows, report, actor=actor, on_row=on_row)
    return report


def _import(
    session: Session,
    rows: Iterable[ParsedRow | RowError],
    report: ImportReport,
    *,
    actor: str,
    on_row: Callable[[], None] | None,
) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        if on_row is not None:
            on_row()
        if isinstance(row, RowError):
            report.errors.append(RowIssue(row.line, row.message))
            continue
        nr = row.values.nr
        if nr in seen:
            report.errors.append(RowIssue(row.line, f"Nr {nr} appears again (first on line {seen[nr]})"))
            continue
        seen[nr] = row.line
        report.warnings.extend(RowIssue(row.line, w) for w in row.warnings)
        values = row.values.values()
        item = session.exec(select(PortfolioItem).where(col(PortfolioItem.nr) == nr)).first()
        if item is None:
            _create(session, values, report, actor=actor)
        else:
            _update(session, item, values, report, actor=actor)


def _create(session: Session, values: dict[str, Any], report: ImportReport, *, actor: str) -> None:
    report.created += 1
    report.changed_nrs.append(values["nr"])
    if report.dry_run:
        return
    session.add(PortfolioItem(**values, source=report.source))
    changes = audit.diff({}, {k: v for k, v in values.items() if v is not None})
    audit.record(
        session,
        actor=actor,
        action="portfolio.created",
        entity_kind=ENTITY_KIND,
        entity_key=values["nr"],
        changes=changes,
        note=f"import from {report.source}",
    )


def _update(
    session: Session, item: PortfolioItem, values: dict[str, Any], report: ImportReport, *, actor: str
) -> None:
    before = {name: getattr(item, name) for name in values}
    changes = audit.diff(before, values)
    if not changes:
        report.unchanged += 1
        return
    report.updated += 1
    report.changed_nrs.append(item.nr)
    if report.dry_run:
        return
    for name, (_old, new) in changes.items():
        setattr(item, name, new)
    # `source` follows real changes only: re-importing an export must not touch every row.
    item.source = report.source
    item.updated_at = utcnow()
    session.add(item)
    audit.record(
        session,
        actor=actor,
        action="portfolio.updated",
        entity_kind=ENTITY_KIND,
        entity_key=item.nr,
        changes=changes,
        note=f"import from {report.source}",
    )


def two_percent_funded(item: PortfolioItem) -> bool:
    """Tell whether the item is (partly) paid from the 2 % fund: its 2%-aren cell says a sum."""
    if item.two_percent_sek is not None:
        return item.two_percent_sek > 0
    # A cut-off amount such as "730 00" still says that money came from the fund.
    return bool(item.two_percent_text)


def get_item(engine: Engine, nr: str) -> PortfolioItem | None:
    """Return the item with Nr `nr`, or None."""
    with session_scope(engine) as session:
        return session.exec(select(PortfolioItem).where(col(PortfolioItem.nr) == nr.strip())).first()


def export_items(engine: Engine) -> list[PortfolioItem]:
    """Return every item, ordered by Nr."""
    with session_scope(engine) as session:
        return list(session.exec(select(PortfolioItem).order_by(col(PortfolioItem.nr))))


def list_items(
    engine: Engine, search: str | None = None, limit: int = 50, offset: int = 0
) -> list[PortfolioItem]:
    """Return one page of items ordered by Nr, those containing `search` when given."""
    return _matching(engine, search)[offset : offset + limit]


def count_items(engine: Engine, search: str | None = None) -> int:
    """Return how many items `list_items` pages through."""
    return len(_matching(engine, search))


def _matching(engine: Engine, search: str | None) -> list[PortfolioItem]:
    # Filtered in Python: SQLite's LIKE ignores case for ASCII only ("Öka" would miss "öka"),
    # and a portfolio holds hundreds of items, not millions.
    items = export_items(engine)
    wanted = " ".join((search or "").split()).casefold()
    if not wanted:
        return items
    return [item for item in items if wanted in _haystack(item)]


def _haystack(item: PortfolioItem) -> str:
    parts = (item.nr, item.title, item.project_number, item.description, item.cost_text)
    return " ".join(" ".join(p.split()) for p in parts if p).casefold()
