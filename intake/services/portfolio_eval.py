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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from intake.db import create_db_engine
from intake.domain.duplicates import ItemKind
from intake.domain.process import ProcessDefinition
from intake.migrate import upgrade
from intake.portfolio import parse_rows, read_portfolio
from intake.services.portfolio import import_rows
from intake.services.similarity import SimilarityService, glossary_of
from intake.settings import Settings
from retrieval import Embedder, Match, ScoreModel, VectorIndex

if TYPE_CHECKING:
    from retrieval.evaluation import KindQuery

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


@contextmanager
def scratch_portfolio(
    settings: Settings,
    process: ProcessDefinition,
    portfolio: Path,
    embedder: Embedder,
    index: VectorIndex,
) -> Iterator[tuple[SimilarityService, int]]:
    """Yield the service's matcher over `portfolio` imported into a scratch database, and the item count.

    The matcher is built as the service builds it (score model, boilerplate removal, the
    glossary in force); the scratch database and its directory are gone afterwards.

    Raises:
        intake.portfolio.PortfolioFileError: the portfolio file cannot be read.
        GlossaryFileError: the glossary in force is invalid.
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
            similarity = SimilarityService.with_parts(
                engine, embedder, index, settings.similarity, glossary_of(settings)
            )
            similarity.sync()
            yield similarity, report.imported
        finally:
            engine.dispose()


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
        GlossaryFileError: the glossary in force is invalid.
        ValueError: a row of it is refused (the message names the line).
    """
    with scratch_portfolio(settings, process, portfolio, embedder, index) as (similarity, items):
        _known_answers(similarity, portfolio, queries)
        evaluation = PortfolioEvaluation(threshold=similarity.flag_threshold, items=items)
        for query in queries:
            matches = similarity.find_similar(query.text, limit=TOP, kinds=[ItemKind.PORTFOLIO.value])
            ranked = [(m.document.ref, m.score) for m in matches]
            evaluation.results.append(QueryResult(query, ranked, similarity.flag_threshold))
    return evaluation


@dataclass(frozen=True)
class Candidate:
    """One way to build the portfolio model, with its in-sample and cross-validated figures."""

    name: str
    symmetric: bool
    calibration: str
    in_sample: dict[str, float]
    cross_validated: dict[str, float]

    @property
    def merit(self) -> float:
        """Return what the choice maximises: cross-validated top-1 plus F0.5 of the flags."""
        p, r = self.cross_validated["flag_precision"], self.cross_validated["flag_recall"]
        f = 1.25 * p * r / (0.25 * p + r) if p and r else 0.0
        return round(self.cross_validated["top1"] + f, 4)


@dataclass
class PortfolioFit:
    """Every candidate, the chosen one, and the score model carrying its `portfolio` model."""

    candidates: list[Candidate]
    chosen: Candidate
    model: ScoreModel


def fit_portfolio_model(
    settings: Settings,
    process: ProcessDefinition,
    portfolio: Path,
    queries: Sequence[Query],
    embedder: Embedder,
    index: VectorIndex,
    *,
    folds: int = 5,
    repeats: int = 10,
) -> PortfolioFit:
    """Fit the model an idea against a portfolio item is scored by, choosing its form by cross-validation.

    The candidates are the dense part embedded as e5 means it (`query: ` idea against `passage: `
    item) or symmetrically, times calibrations fitted here (isotonic) or the sentence model's.
    Each is cross-validated over the queries (`folds` x `repeats`); the one with the best
    cross-validated top-1 plus flag F0.5 is fitted on every query and returned inside the
    service's score model (`kinds["portfolio"]`), its flag point on the service's threshold.

    Raises:
        as `scratch_portfolio`.
    """
    from retrieval.evaluation import cross_validate, figures, fit_kind

    with scratch_portfolio(settings, process, portfolio, embedder, index) as (similarity, _items):
        search = similarity.search_engine
        base = search.score_model
        sentence = replace(base, long_text=None, long_text_words=0, kinds={})
        _known_answers(similarity, portfolio, queries)
        keys = sorted(k for k, d in search.documents.items() if d.kind == ItemKind.PORTFOLIO.value)
        refs = [search.documents[k].ref for k in keys]
        by_form: dict[bool, list[KindQuery]] = {}
        try:
            for symmetric in (False, True):
                search.score_model = replace(
                    base, kinds={ItemKind.PORTFOLIO.value: replace(sentence, symmetric=symmetric)}
                )
                by_form[symmetric] = [
                    _kind_query(search.score(q.text, keys, explain=False), keys, refs, q) for q in queries
                ]
        finally:
            search.score_model = base
    parts = ("dense", "lexical")
    fixed = {n: sentence.calibrations[n] for n in parts}
    candidates = []
    fits = {}
    for symmetric in (False, True):
        for calibration in ("isotonic", "sentence"):

            def fit(train: Sequence[KindQuery], c: str = calibration) -> Any:
                return fit_kind(train, parts, fixed if c == "sentence" else None)

            data = by_form[symmetric]
            whole = fit(data)
            name = f"{'symmetric' if symmetric else 'query-passage'}, {calibration}"
            fits[name] = whole
            candidates.append(
                Candidate(
                    name,
                    symmetric,
                    calibration,
                    figures(whole, data).as_dict(),
                    cross_validate(data, fit, folds, repeats).as_dict(),
                )
            )
    chosen = max(candidates, key=lambda c: c.merit)
    provenance = {
        "fitted_on": {"portfolio": portfolio.name, "queries": len(queries)},
        "method": "isotonic calibration per part + logistic weights; flag point by F0.5"
        if chosen.calibration == "isotonic"
        else "the sentence model's calibrations + logistic weights; flag point by F0.5",
        "dense": "symmetric (passage: both)" if chosen.symmetric else "query: idea, passage: item",
        "in_sample": chosen.in_sample,
        "cross_validated": {**chosen.cross_validated, "folds": folds, "repeats": repeats},
    }
    kind = fits[chosen.name].score_model(
        f"{base.name}-portfolio", base.threshold, chosen.symmetric, provenance
    )
    kind = replace(kind, floor=relevance_floor(kind, by_form[chosen.symmetric]))
    model = replace(base, kinds={**base.kinds, ItemKind.PORTFOLIO.value: kind})
    return PortfolioFit(candidates, chosen, model)


def _known_answers(similarity: SimilarityService, portfolio: Path, queries: Sequence[Query]) -> None:
    """Refuse an idea none of whose expected items the portfolio has (a typo or the wrong file).

    One of several may be missing: a queries file can serve portfolios that differ a little.
    """
    refs = {d.ref for d in similarity.search_engine.documents.values() if d.kind == ItemKind.PORTFOLIO.value}
    for query in queries:
        if query.expected and not any(nr in refs for nr in query.expected):
            raise ValueError(f"line {query.line}: {', '.join(query.expected)} is not in {portfolio.name}")


FLOOR_KEEPS = 0.95
"""The share of right answers among the suggestions that the relevance floor keeps."""


def relevance_floor(model: ScoreModel, queries: Sequence[KindQuery]) -> float:
    """Return the score that keeps `FLOOR_KEEPS` of the right items shown among the first `TOP`.

    Below it an item is not shown as a suggestion: on the development ideas, what lies lower is
    almost only unrelated initiatives.
    """
    kept: list[float] = []
    for query in queries:
        scores = np.array(
            [
                model.score({"dense": float(d), "lexical": float(x)})
                for d, x in zip(query.parts["dense"], query.parts["lexical"], strict=True)
            ]
        )
        shown = np.argsort(-scores, kind="stable")[:TOP]
        kept.extend(float(scores[i]) for i in shown if query.answers[i])
    if not kept:
        return 0.0
    return round(min(model.threshold, float(np.quantile(kept, 1.0 - FLOOR_KEEPS))), 4)


def _kind_query(matches: dict[str, Match], keys: list[str], refs: list[str], query: Query) -> KindQuery:
    from retrieval.evaluation import KindQuery

    dense = np.array([matches[k].parts.get("dense", 0.0) if k in matches else 0.0 for k in keys])
    lexical = np.array([matches[k].parts.get("lexical", 0.0) if k in matches else 0.0 for k in keys])
    answers = np.array([1.0 if r in query.expected else 0.0 for r in refs])
    return KindQuery({"dense": dense, "lexical": lexical}, answers)
