"""`beredning eval`: score similarity methods on evaluation files and print the figures side by side.

Reads the two formats of `data/eval/FORMAT.md`; the metrics are defined in
`retrieval.evaluation._metrics`. `hybrid`, `dense` and `lexical` use the service's settings
(embedder, weights, flag threshold); `decidim` and `fider` run on PostgreSQL in a scratch schema
that is dropped afterwards.

Embeddings are cached on disk between runs (`--cache-dir`, `$BEREDNING_EVAL_CACHE`, default
`<data_dir>/cache/embeddings`; keyed by embedder id, role and text hash, see
`retrieval.evaluation.DiskEmbeddingCache`), so a second run of the same file embeds nothing;
`--no-cache` embeds everything again.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from intake.cli._context import CliContext, pass_ctx

if TYPE_CHECKING:
    from intake.domain.process import ProcessDefinition
    from intake.services.portfolio_eval import Query
    from retrieval import Embedder, VectorIndex
    from retrieval.evaluation import CachingEmbedder, Result, Scorer

PAIR_COLUMNS = ("spearman", "f1_at_threshold", "best_f1", "best_threshold")
GROUP_COLUMNS = (
    "recall@1",
    "recall@5",
    "recall@10",
    "mrr",
    "precision_at_threshold",
    "recall_at_threshold",
    "queries",
)
METHOD_CHOICES = ("hybrid", "dense", "lexical", "decidim", "fider", "all")


def _cache_root(ctx: CliContext, cache_dir: Path | None, no_cache: bool) -> Path | None:
    if no_cache:
        return None
    return cache_dir if cache_dir is not None else ctx.settings.data_dir / "cache" / "embeddings"


def _cached_embedder(ctx: CliContext, cache: Path | None) -> CachingEmbedder:
    """The configured embedder, its vectors read from and written to `cache` when given."""
    from intake.services.similarity import embedder_of
    from retrieval.evaluation import CachingEmbedder, DiskEmbeddingCache

    base = embedder_of(ctx.settings)
    return CachingEmbedder(base, DiskEmbeddingCache(cache, base.model_id) if cache is not None else None)


@contextmanager
def _scorers(
    ctx: CliContext, names: list[str], pg_url: str, lang: str, cache: Path | None = None
) -> Iterator[list[Scorer]]:
    """Build the named scorers; the PostgreSQL ones share one scratch schema, dropped on exit.

    With `cache`, the embedder's vectors are read from and written to that directory.
    """
    from intake.domain.glossary import GlossaryFileError
    from intake.services.similarity import glossary_of, score_model_for
    from retrieval.evaluation import (
        DecidimScorer,
        DenseScorer,
        FiderScorer,
        HybridScorer,
        LexicalScorer,
        scratch_schema,
    )

    with ExitStack() as stack:
        scorers: list[Scorer] = []
        engine = None
        sim = ctx.settings.similarity
        # one embedder for every method that needs it: the model loads once per run
        embedder = _cached_embedder(ctx, cache)
        try:
            model = score_model_for(sim, embedder)
            glossary = glossary_of(ctx.settings)
        except (ValueError, GlossaryFileError) as exc:
            raise click.ClickException(str(exc)) from exc
        for name in names:
            if name in ("hybrid", "dense", "lexical"):
                if name == "hybrid":
                    scorers.append(
                        HybridScorer(
                            embedder,
                            model,
                            sim.flag_threshold,
                            pool=sim.candidate_pool,
                            clean=sim.clean_boilerplate,
                            glossary=glossary,
                        )
                    )
                elif name == "dense":
                    scorers.append(DenseScorer(embedder, None))
                else:
                    scorers.append(LexicalScorer(None))
                continue
            if engine is None:
                import sqlalchemy as sa

                try:
                    engine = stack.enter_context(scratch_schema(pg_url))
                except sa.exc.OperationalError as exc:
                    raise click.ClickException(f"method {name} needs PostgreSQL: {exc.orig}") from exc
            scorers.append(DecidimScorer(engine) if name == "decidim" else FiderScorer(engine, lang=lang))
        yield scorers


def _format(value: float | int | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}"


def _report(results: list[Result], columns: tuple[str, ...], as_json: bool, title: str) -> None:
    def threshold(result: Result) -> str:
        return "any match" if result.threshold is None else f"{result.threshold:g}"

    if as_json:
        objects = {r.method: {c: r.figures.get(c) for c in columns} for r in results}
        click.echo(json.dumps(objects if len(results) > 1 else objects[results[0].method]))
        for r in results:
            click.echo(f"{r.method}: {r.seconds:.1f} s, threshold {threshold(r)}", err=True)
        return
    headers = ("method", *columns, "threshold", "seconds")
    rows = [
        (r.method, *(_format(r.figures.get(c)) for c in columns), threshold(r), f"{r.seconds:.1f}")
        for r in results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    click.echo(title)
    for row in (headers, *rows):
        click.echo(
            "  ".join(
                v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def _common(function: Callable[..., None]) -> Callable[..., None]:
    options = [
        click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
        click.option(
            "--method",
            type=click.Choice(METHOD_CHOICES),
            default="hybrid",
            show_default=True,
            help="Scorer to evaluate; `all` runs every one on the same data.",
        ),
        click.option(
            "--threshold",
            type=click.FloatRange(0, 1),
            default=None,
            help="Flag threshold for every method (default: each method's own).",
        ),
        click.option(
            "--limit", type=click.IntRange(1), default=None, help="Evaluate a deterministic subsample."
        ),
        click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout."),
        click.option(
            "--pg-url",
            envvar="BEREDNING_EVAL_PG_URL",
            default=None,
            help="PostgreSQL for decidim and fider (default the local server's `test` database).",
        ),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False, path_type=Path),
            envvar="BEREDNING_EVAL_CACHE",
            default=None,
            help="Embedding cache between runs (default <data_dir>/cache/embeddings).",
        ),
        click.option("--no-cache", is_flag=True, help="Embed everything again; read and write no cache."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _checked(name: str, run: Callable[[], Result]) -> Result:
    """Run one method; a database error (say, pg_trgm not installed) becomes a plain message."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return run()
    except SQLAlchemyError as exc:
        raise click.ClickException(
            f"method {name} failed in PostgreSQL: {getattr(exc, 'orig', exc)}"
        ) from exc


def _names(method: str) -> list[str]:
    from retrieval.evaluation import METHODS

    return list(METHODS) if method == "all" else [method]


@click.group("eval")
def evaluate() -> None:
    """Measure similarity methods on evaluation files (pairs and groups)."""


@evaluate.command("pairs")
@_common
@click.option(
    "--lang", default="sv", show_default=True, help="Language of the pairs (fider's configuration)."
)
@pass_ctx
def pairs_command(
    ctx: CliContext,
    file: Path,
    method: str,
    threshold: float | None,
    limit: int | None,
    as_json: bool,
    pg_url: str | None,
    cache_dir: Path | None,
    no_cache: bool,
    lang: str,
) -> None:
    """Spearman and flagging F1 on a `*.pairs.jsonl` file (first N lines with --limit)."""
    from retrieval.evaluation import DEFAULT_PG_URL, FormatError, evaluate_pairs, read_pairs

    try:
        pairs = read_pairs(file)
    except FormatError as exc:
        raise click.ClickException(str(exc)) from exc
    pairs = pairs[:limit] if limit else pairs
    cache = _cache_root(ctx, cache_dir, no_cache)
    with _scorers(ctx, _names(method), pg_url or DEFAULT_PG_URL, lang, cache) as scorers:
        results = [_checked(s.name, partial(evaluate_pairs, s, pairs, threshold)) for s in scorers]
    _report(results, PAIR_COLUMNS, as_json, f"{file.name}: {len(pairs)} pairs")


@evaluate.command("groups")
@_common
@pass_ctx
def groups_command(
    ctx: CliContext,
    file: Path,
    method: str,
    threshold: float | None,
    limit: int | None,
    as_json: bool,
    pg_url: str | None,
    cache_dir: Path | None,
    no_cache: bool,
) -> None:
    """Leave-one-out recall@k, MRR and flagging on a `*.groups.jsonl` file.

    With --limit N: the first N duplicate groups and a proportional share of distractors.
    """
    from retrieval.evaluation import DEFAULT_PG_URL, FormatError, evaluate_groups, first_groups, read_groups

    try:
        items = read_groups(file)
    except FormatError as exc:
        raise click.ClickException(str(exc)) from exc
    items = first_groups(items, limit) if limit else items
    cache = _cache_root(ctx, cache_dir, no_cache)
    with _scorers(ctx, _names(method), pg_url or DEFAULT_PG_URL, "sv", cache) as scorers:
        results = [_checked(s.name, partial(evaluate_groups, s, items, threshold)) for s in scorers]
    _report(results, GROUP_COLUMNS, as_json, f"{file.name}: {len(items)} items")


@evaluate.command("fit")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Where to write the score model (JSON); point BEREDNING_SIMILARITY__SCORE_MODEL at it.",
)
@pass_ctx
def fit_command(ctx: CliContext, file: Path, out: Path) -> None:
    """Fit the hybrid score model for the configured embedder on a TRAINING `*.pairs.jsonl` file.

    The shipped models in retrieval/scoremodels/ were made with this command on
    sweparaphrase-train; never fit on a set you then report figures for.
    """
    from intake.services.similarity import embedder_of, score_model_for
    from retrieval.evaluation import FormatError, fit_score_model, read_pairs

    try:
        pairs = read_pairs(file)
    except FormatError as exc:
        raise click.ClickException(str(exc)) from exc
    embedder = embedder_of(ctx.settings)
    click.echo(f"fitting on {len(pairs)} pairs with {embedder.model_id} ...", err=True)
    try:
        previous = score_model_for(ctx.settings.similarity, embedder)
        model, figures = fit_score_model(embedder, pairs, file.name, previous)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    model.save(out)
    weights = ", ".join(f"{k} {v:.3f}" for k, v in sorted(model.weights.items()))
    click.echo(
        f"{out}: weights {weights}; threshold {model.threshold:g}; on the training pairs "
        f"Spearman {figures['spearman']:.3f}, best F1 {figures['best_f1']:.3f}"
    )
    if model.long_text is not None:
        click.echo(
            f"kept the long-text model of {previous.name} (texts of {model.long_text_words} words or "
            "more; chosen on group files, not refitted from pairs), re-anchored to the new threshold"
        )


def _portfolio_files(
    help_portfolio: str, help_queries: str
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Add the options every portfolio command takes: the two files, --json and the embedding cache."""

    def decorate(function: Callable[..., None]) -> Callable[..., None]:
        files = [
            click.option(
                flag,
                dest,
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                required=True,
                help=text,
            )
            for flag, dest, text in (
                ("--portfolio", "portfolio_file", help_portfolio),
                ("--queries", "queries_file", help_queries),
            )
        ]
        for option in reversed(
            (
                *files,
                click.option("--json", "as_json", is_flag=True, help="The figures as one JSON object."),
                click.option(
                    "--cache-dir", type=click.Path(file_okay=False, path_type=Path), help="Embedding cache."
                ),
                click.option("--no-cache", is_flag=True, help="Embed everything again."),
            )
        ):
            function = option(function)
        return function

    return decorate


@dataclass(frozen=True)
class _PortfolioRun:
    """What a portfolio command works with: the ideas, the embedder, the process and an index."""

    queries: list[Query]
    embedder: Embedder
    process: ProcessDefinition
    index: VectorIndex


def _portfolio_run(
    ctx: CliContext, queries_file: Path, cache_dir: Path | None, no_cache: bool
) -> _PortfolioRun:
    """Read the ideas (a bad file is one line) and build the cached embedder for a portfolio command."""
    from intake.cli.remind import _process
    from intake.services.portfolio_eval import QueriesFileError, read_queries
    from retrieval.evaluation import NumpyVectorIndex

    try:
        queries = read_queries(queries_file)
    except QueriesFileError as exc:
        raise click.ClickException(str(exc)) from exc
    embedder = _cached_embedder(ctx, _cache_root(ctx, cache_dir, no_cache))
    return _PortfolioRun(queries, embedder, _process(ctx), NumpyVectorIndex())


@evaluate.command("portfolio")
@_portfolio_files(
    "The portfolio (CSV or XLSX in the excerpt's format), imported as `portfolio import` does.",
    "Tab-separated `expected<TAB>query` lines: the Nr each idea belongs to, or none.",
)
@pass_ctx
def portfolio_command(
    ctx: CliContext,
    portfolio_file: Path,
    queries_file: Path,
    as_json: bool,
    cache_dir: Path | None,
    no_cache: bool,
) -> None:
    """Score the service's portfolio matching: top-1, flag precision and recall, `none` ideas flagged.

    Without --json a table per idea follows the figures: expected, the first item and its score,
    what was flagged. The portfolio goes into a scratch database; nothing is left behind.
    """
    from intake.domain.glossary import GlossaryFileError
    from intake.portfolio import PortfolioFileError
    from intake.services.portfolio_eval import evaluate_portfolio

    run = _portfolio_run(ctx, queries_file, cache_dir, no_cache)
    try:
        evaluation = evaluate_portfolio(
            ctx.settings, run.process, portfolio_file, run.queries, run.embedder, run.index
        )
    except (PortfolioFileError, GlossaryFileError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    figures = evaluation.figures()
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    click.echo(f"{portfolio_file.name} ({figures['portfolio_items']} items), {queries_file.name}:")
    for key in ("top1", "flag_precision", "flag_recall", "none_flagged", "answered", "none_queries"):
        click.echo(f"  {key:<16} {_format(figures[key])}")
    click.echo(f"  {'flag_threshold':<16} {figures['flag_threshold']}")
    click.echo("")
    click.echo(f"{'line':>5}  {'expected':<12} {'first':<8} {'score':>6}  {'flagged':<14} idea")
    for r in evaluation.results:
        first, score = r.ranked[0] if r.ranked else ("-", 0.0)
        mark = "ok" if (r.top1_right or (not r.query.expected and not r.flagged)) else "MISS"
        expected = ",".join(r.query.expected) or "none"
        flagged = ",".join(r.flagged) or "-"
        row = f"{r.query.line:>5}  {expected:<12} {first:<8} {score:>6.3f}  {flagged:<14} {mark:<4}"
        click.echo(f"{row} {r.query.text[:60]}")


@evaluate.command("drafts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The figures as one JSON object.")
@pass_ctx
def drafts_command(ctx: CliContext, file: Path, as_json: bool) -> None:
    """Score the configured drafter on a gold `*.drafts.jsonl` file (labelled submissions).

    Rules only without a model; with one configured, the model's answer merged with the rules,
    as the service stores drafts. Prints accuracy and 3-class macro F1 of the checklist statuses
    with per-class precision, recall and F1, and kind and initiative-type accuracy. Nothing is
    stored. A model that does not answer leaves that submission to the rules (counted in
    `model_errors`).
    """
    from intake.services.draft_eval import DraftsFileError, evaluate_drafts, read_drafts

    drafting = ctx.drafting
    items = [i.id for c in drafting.checklists.checklists for i in c.items]
    try:
        gold = read_drafts(file, items)
    except DraftsFileError as exc:
        raise click.ClickException(str(exc)) from exc
    figures = evaluate_drafts(drafting, gold).figures()
    if as_json:
        click.echo(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    click.echo(f"{file.name}: {figures['submissions']} submissions, drafted by {figures['model']}")
    click.echo(f"  accuracy                  {_format(figures['accuracy'])}")
    click.echo(f"  macro F1                  {_format(figures['macro_f1'])}")
    click.echo(f"  kind accuracy             {_format(figures['kind_accuracy'])}")
    click.echo(f"  initiative type accuracy  {_format(figures['initiative_type_accuracy'])}")
    if figures["output_tokens_per_draft"] is not None:
        click.echo(f"  output tokens per draft   {figures['output_tokens_per_draft']}")
    if figures["model_errors"]:
        click.echo(f"  model errors              {figures['model_errors']} (those drafts are rules only)")
    click.echo(f"{'status':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}")
    for status, c in figures["per_class"].items():
        click.echo(
            f"{status:<10} {c['precision']:>9.3f} {c['recall']:>7.3f} {c['f1']:>6.3f} {c['support']:>8}"
        )


@evaluate.command("fit-portfolio")
@_portfolio_files(
    "The development portfolio (CSV or XLSX in the excerpt's format).",
    "Development ideas: tab-separated `expected<TAB>query` lines.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the score model (the configured one with its new portfolio model) to this file; "
    "the shipped one is retrieval/scoremodels/<model id>.json.",
)
@click.option(
    "--folds", type=click.IntRange(2, 20), default=5, show_default=True, help="Cross-validation folds."
)
@click.option("--repeats", type=click.IntRange(1, 100), default=10, show_default=True, help="Random splits.")
@pass_ctx
def fit_portfolio_command(
    ctx: CliContext,
    portfolio_file: Path,
    queries_file: Path,
    out: Path | None,
    folds: int,
    repeats: int,
    as_json: bool,
    cache_dir: Path | None,
    no_cache: bool,
) -> None:
    """Fit the score model of ideas against portfolio items, each choice made by cross-validation.

    Prints every candidate form with its in-sample and cross-validated figures (top-1, flag
    precision and recall, `none` ideas flagged per repeat) and the one chosen; with --out writes
    the score model carrying it. Tune on development files only.
    """
    from intake.domain.glossary import GlossaryFileError
    from intake.portfolio import PortfolioFileError
    from intake.services.portfolio_eval import fit_portfolio_model

    run = _portfolio_run(ctx, queries_file, cache_dir, no_cache)
    if not any(q.expected for q in run.queries):
        raise click.ClickException(f"{queries_file}: no idea has an expected item; nothing to fit on")
    try:
        fitted = fit_portfolio_model(
            ctx.settings,
            run.process,
            portfolio_file,
            run.queries,
            run.embedder,
            run.index,
            folds=folds,
            repeats=repeats,
        )
    except (PortfolioFileError, GlossaryFileError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if out is not None:
        try:
            fitted.model.save(out)
        except OSError as exc:
            raise click.ClickException(f"cannot write {out}: {exc}") from exc
    if as_json:
        click.echo(
            json.dumps(
                {
                    "candidates": [
                        {
                            "name": c.name,
                            "in_sample": c.in_sample,
                            "cross_validated": c.cross_validated,
                            "merit": c.merit,
                        }
                        for c in fitted.candidates
                    ],
                    "chosen": fitted.chosen.name,
                    "model": fitted.model.kinds["portfolio"].to_dict(),
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    click.echo(
        f"{portfolio_file.name}, {queries_file.name}: {len(run.queries)} ideas, {folds}-fold x {repeats}"
    )
    click.echo(f"{'candidate':<28} {'':>10} {'top1':>6} {'flag P':>7} {'flag R':>7} {'none fl.':>8}")
    for c in fitted.candidates:
        for label, f in (("in-sample", c.in_sample), ("cross-val.", c.cross_validated)):
            click.echo(
                f"{c.name if label == 'in-sample' else '':<28} {label:>10} {f['top1']:>6.3f} "
                f"{f['flag_precision']:>7.3f} {f['flag_recall']:>7.3f} {f['none_flagged']:>8.2f}"
            )
    click.echo(f"chosen: {fitted.chosen.name} (cross-validated top-1 + flag F0.5 = {fitted.chosen.merit})")
    if out is not None:
        click.echo(f"written: {out}")


def register(main: click.Group) -> None:
    """Add the `eval` group to the CLI."""
    main.add_command(evaluate)
