"""Store imported portfolio rows and read items back for export, listing, search and pages.

An import upserts by Nr. A row that says what the database already says is left alone, so
`updated_at` moves only on a real change and the search index is not rebuilt for nothing. Every
created or changed item gets one audit event with the values before and after. Readers get
`PortfolioEntry` records, never the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.domain.duplicates import Decision, ItemKind
from intake.domain.portfolio import PortfolioEntry
from intake.models import Draft, DuplicateCandidate, PortfolioItem, Submission, utcnow
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
        action=AuditAction.PORTFOLIO_CREATED,
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
        action=AuditAction.PORTFOLIO_UPDATED,
        entity_kind=ENTITY_KIND,
        entity_key=item.nr,
        changes=changes,
        note=f"import from {report.source}",
    )


def two_percent_funded(item: PortfolioItem | PortfolioEntry) -> bool:
    """Tell whether the item is (partly) paid from the 2 % fund: its 2%-aren cell says a sum."""
    if item.two_percent_sek is not None:
        return item.two_percent_sek > 0
    # A cut-off amount such as "730 00" still says that money came from the fund.
    return bool(item.two_percent_text)


def entry(item: PortfolioItem) -> PortfolioEntry:
    """Return the frozen copy of a row that readers get."""
    return PortfolioEntry(
        nr=item.nr,
        year=item.year,
        title=item.title,
        project_number=item.project_number,
        cost_sek=item.cost_sek,
        cost_text=item.cost_text,
        two_percent_sek=item.two_percent_sek,
        two_percent_text=item.two_percent_text,
        focus_area=item.focus_area,
        step=item.step,
        description=item.description,
        source=item.source,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def get_item(engine: Engine, nr: str) -> PortfolioEntry | None:
    """Return the item with Nr `nr`, or None."""
    with session_scope(engine) as session:
        found = session.exec(select(PortfolioItem).where(col(PortfolioItem.nr) == nr.strip())).first()
        return entry(found) if found is not None else None


def export_items(engine: Engine) -> list[PortfolioEntry]:
    """Return every item, ordered by Nr."""
    with session_scope(engine) as session:
        return [entry(i) for i in session.exec(select(PortfolioItem).order_by(col(PortfolioItem.nr)))]


def list_items(
    engine: Engine, search: str | None = None, limit: int = 50, offset: int = 0
) -> list[PortfolioEntry]:
    """Return one page of items ordered by Nr, those containing every word of `search` when given."""
    return browse(engine, PortfolioQuery(search=search or "", limit=limit, offset=offset), facets=False).items


def count_items(engine: Engine, search: str | None = None) -> int:
    """Return how many items `list_items` pages through."""
    return browse(engine, PortfolioQuery(search=search or "", limit=0), facets=False).total


NO_FOCUS = "none"
"""The focus area filter value for items that have none."""

SORTS: tuple[str, ...] = ("nr", "newest", "cost")
"""Orders a list may take: by Nr, newest year first, highest cost first (each then by Nr)."""

SEARCHED = ("nr", "title", "project_number", "description")
"""The columns a search looks in."""


@dataclass(frozen=True)
class PortfolioQuery:
    """Which items to show: words to find, filters, an order and one page of `limit` items.

    `focus_area` is a focus area key, `NO_FOCUS`, or empty for all; `year` None means every year.
    """

    search: str = ""
    focus_area: str = ""
    year: int | None = None
    sort: str = "nr"
    limit: int = 50
    offset: int = 0

    def __post_init__(self) -> None:
        # PostgreSQL refuses NUL in any string (a 500 schemathesis found); no stored text has one,
        # so it separates words in a search and makes a focus area that matches nothing
        object.__setattr__(self, "search", self.search.replace("\x00", " "))
        object.__setattr__(self, "focus_area", self.focus_area.replace("\x00", "\ufffd"))


@dataclass
class PortfolioPage:
    """One page of matching items, how many match in all, and the years there are to choose from."""

    items: list[PortfolioEntry]
    total: int
    years: list[int] = field(default_factory=list)


def browse(engine: Engine, query: PortfolioQuery, *, facets: bool = True) -> PortfolioPage:
    """Return the page of items `query` asks for, filtered, searched and ordered in SQL.

    With `facets`, also every year that some item has (for the year filter's choices).
    """
    with session_scope(engine) as session:
        conditions = _conditions(session, query)
        total = session.exec(select(sa.func.count()).select_from(PortfolioItem).where(*conditions)).one()
        items: list[PortfolioEntry] = []
        if query.limit > 0:
            statement = (
                select(PortfolioItem)
                .where(*conditions)
                .order_by(*_order(query.sort))
                .offset(max(0, query.offset))
                .limit(query.limit)
            )
            items = [entry(i) for i in session.exec(statement)]
        years: list[int] = []
        if facets:
            found = session.exec(
                select(col(PortfolioItem.year)).where(col(PortfolioItem.year).is_not(None)).distinct()
            )
            years = sorted((y for y in found if y is not None), reverse=True)
    return PortfolioPage(items=items, total=int(total), years=years)


def like_pattern(word: str) -> str:
    """Return a LIKE pattern that finds `word` anywhere, its `%`, `_` and `\\` taken literally."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(session: Session, query: PortfolioQuery) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if query.focus_area == NO_FOCUS:
        conditions.append(col(PortfolioItem.focus_area).is_(None))
    elif query.focus_area:
        conditions.append(col(PortfolioItem.focus_area) == query.focus_area)
    if query.year is not None:
        conditions.append(col(PortfolioItem.year) == query.year)
    words = query.search.split()
    if words:
        fold = _case_folding(session)
        columns = [col(getattr(PortfolioItem, name)) for name in SEARCHED]
        for word in words:
            # Every word must occur somewhere: "heroma timvikarie" finds the item with both.
            pattern = like_pattern(word)
            conditions.append(sa.or_(*(fold(column, pattern) for column in columns)))
    return conditions


def _case_folding(session: Session) -> Callable[[Any, str], sa.ColumnElement[bool]]:
    """Return a case-blind LIKE test for this database, Swedish letters included.

    PostgreSQL's ILIKE folds case by the database's LC_CTYPE (a UTF-8 locale folds Ö to ö).
    SQLite's LIKE folds ASCII letters only, so there both sides go through Python's `casefold`,
    registered on the connection at hand (cheap, and a pooled connection may be new).
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return lambda column, pattern: column.ilike(pattern, escape="\\")
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.create_function(_FOLD, 1, _casefold, deterministic=True)
    return lambda column, pattern: sa.func.beredning_casefold(column).like(pattern.casefold(), escape="\\")


_FOLD = "beredning_casefold"


def _casefold(value: object) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def _order(sort: str) -> list[Any]:
    nr = col(PortfolioItem.nr)
    if sort == "newest":
        # items without a year last, on both databases (they order NULL differently)
        return [col(PortfolioItem.year).is_(None), col(PortfolioItem.year).desc(), nr]
    if sort == "cost":
        return [col(PortfolioItem.cost_sek).is_(None), col(PortfolioItem.cost_sek).desc(), nr]
    return [nr]


@dataclass(frozen=True)
class FlaggedBy:
    """An open submission that has this portfolio item among its duplicate candidates."""

    reference: str
    title: str | None
    step: str
    score: float
    decision: str


def flagged_by(engine: Engine, nr: str, open_steps: Collection[str]) -> list[FlaggedBy]:
    """Return the submissions in `open_steps` whose candidate `nr` is not dismissed, best score first.

    Staff use it on the item page: people who asked for what this initiative already does.
    """
    draft_title = col(Draft.content)["title"]["value"].as_string()
    statement = (
        sa.select(
            col(Submission.reference),
            sa.func.coalesce(col(Submission.title), draft_title),
            col(Submission.step),
            col(DuplicateCandidate.score),
            col(DuplicateCandidate.decision),
        )
        .select_from(DuplicateCandidate)
        .join(Submission, col(Submission.id) == col(DuplicateCandidate.submission_id))
        .outerjoin(Draft, col(Draft.submission_id) == col(Submission.id))
        .where(col(DuplicateCandidate.other_kind) == ItemKind.PORTFOLIO)
        .where(col(DuplicateCandidate.other_key) == nr)
        .where(col(DuplicateCandidate.decision) != Decision.DISMISSED)
        .where(col(Submission.step).in_(list(open_steps)))
        .order_by(col(DuplicateCandidate.score).desc(), col(Submission.reference))
    )
    with session_scope(engine) as session:
        rows = session.execute(statement).all()
    return [
        FlaggedBy(
            reference=reference,
            title=title,
            step=step,
            score=float(score),
            decision=str(getattr(decision, "value", decision)),
        )
        for reference, title, step, score, decision in rows
    ]
