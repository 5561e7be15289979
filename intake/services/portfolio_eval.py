"""Score the service's portfolio matching on a portfolio file and a file of ideas with answers.

The format is `../shared/data/eval/FORMAT.md` ("Portfolio matching"): a portfolio in the
excerpt's CSV format, and a tab-separated queries file `expected<TAB>query` where `expected` is
one or more Nr (comma-separated) or `none`. The portfolio goes through the service's own import
(`read_portfolio`, `parse_rows`, `import_rows`) into a scratch SQLite database, and each idea is
matched by the service's `SimilarityService` against the portfolio only, as the intake form does.
The vectors live in process memory; nothing is left behind.

Figures: `top1` (the first portfolio item is an expected one, over the queries with an answer),
`flag_precision` and `flag_recall` (a query is flagged when any item scores at or above the flag
point; the flag is right when its best flagged item is an expected one; precision over flagged
queries, `none` ones included, recall over the queries with an answer), and `none_flagged` (how
many `none` queries flagged anything: it should be 0).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake.db import create_db_engine
from intake.domain.process import ProcessDefinition
from intake.migrate import upgrade
from intake.models import ItemKind
from intake.portfolio import parse_rows, read_portfolio
from intake.services.portfolio import import_rows
from intake.services.similarity import SimilarityService
from intake.settings import Settings
from retrieval import Embedder, VectorIndex

TOP = 5
"""Portfolio items shown per idea (the form's suggestions)."""


class QueriesFileError(ValueError):
    """Raised when the queries file is not `expected<TAB>query` lines under that header."""


@dataclass(frozen=True)
class Query:
    """One idea and the portfolio items it belongs to (empty: none)."""

    line: int
    expected: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class QueryResult:
    """What the matcher did with one idea."""

    query: Query
    ranked: list[tuple[str, float]]
    threshold: float

    @property
    def flagged(self) -> list[str]:
        """Return the items at or above the flag point, best first."""
        return [nr for nr, score in self.ranked if score >= self.threshold]

    @property
    def top1_right(self) -> bool:
        """Whether the first item is an expected one (False for a `none` query)."""
        return bool(self.ranked) and self.ranked[0][0] in self.query.expected

    @property
    def flag_right(self) -> bool:
        """Whether the query flagged something and its best flagged item is an expected one."""
        return bool(self.flagged) and self.flagged[0] in self.query.expected


@dataclass
class PortfolioEvaluation:
    """Every query's result and the figures over them."""

    results: list[QueryResult] = field(default_factory=list)
    threshold: float = 0.0
    items: int = 0

    def figures(self) -> dict[str, Any]:
        """Return `top1`, `flag_precision`, `flag_recall`, `none_flagged` and the counts."""
        answered = [r for r in self.results if r.query.expected]
        nones = [r for r in self.results if not r.query.expected]
        flagged = [r for r in self.results if r.flagged]
        right = [r for r in flagged if r.flag_right]
        return {
            "top1": _share(sum(r.top1_right for r in answered), len(answered)),
            "flag_precision": _share(len(right), len(flagged)),
            "flag_recall": _share(len(right), len(answered)),
            "none_flagged": sum(1 for r in nones if r.flagged),
            "queries": len(self.results),
            "answered": len(answered),
            "none_queries": len(nones),
            "flagged": len(flagged),
            "flag_threshold": round(self.threshold, 4),
            "portfolio_items": self.items,
        }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def read_queries(path: Path) -> list[Query]:
    """Read a queries file; raise QueriesFileError naming the line that is wrong."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueriesFileError(f"cannot read {path}: {exc}") from exc
    rows = list(csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or [c.strip().lower() for c in rows[0]] != ["expected", "query"]:
        raise QueriesFileError(f"{path}: the first line must be the header expected<TAB>query")
    queries = []
    for number, row in enumerate(rows[1:], start=2):
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) != 2 or not row[1].strip():
            raise QueriesFileError(
                f"{path}, line {number}: expected two tab-separated columns, got {len(row)}"
            )
        wanted = row[0].strip()
        expected = (
            () if wanted.lower() == "none" else tuple(n.strip() for n in wanted.split(",") if n.strip())
        )
        queries.append(Query(number, expected, row[1].strip()))
    if not queries:
        raise QueriesFileError(f"{path}: no queries")
    return queries


def evaluate_portfolio(
    settings: Settings,
    process: ProcessDefinition,
    portfolio: Path,
    queries: Sequence[Query],
    embedder: Embedder,
    index: VectorIndex,
) -> PortfolioEvaluation:
    """Import `portfolio` into a scratch database and match every query against it.

    Raises:
        intake.portfolio.PortfolioFileError: the portfolio file cannot be read.
        ValueError: a row of it is refused (the message names the line).
    """
    source = read_portfolio(portfolio)
    with tempfile.TemporaryDirectory(prefix="beredning-eval-") as scratch:
        scratch_settings = settings.model_copy(
            update={"data_dir": Path(scratch), "database": settings.database.model_copy(update={"url": None})}
        )
        engine = create_db_engine(scratch_settings)
        try:
            upgrade(engine)
            report = import_rows(engine, parse_rows(source, process), source=str(portfolio), actor="eval")
            if report.errors:
                first = report.errors[0]
                raise ValueError(f"{portfolio}, line {first.line}: {first.message}")
            similarity = SimilarityService.with_parts(engine, embedder, index, settings.similarity)
            similarity.sync()
            evaluation = PortfolioEvaluation(threshold=similarity.flag_threshold, items=report.imported)
            for query in queries:
                matches = similarity.find_similar(query.text, limit=TOP, kinds=[ItemKind.PORTFOLIO.value])
                ranked = [(m.document.ref, m.score) for m in matches]
                evaluation.results.append(QueryResult(query, ranked, similarity.flag_threshold))
        finally:
            engine.dispose()
    return evaluation
