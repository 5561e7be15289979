"""`beredning bench`: measure the served app as its users meet it, and print the figures."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from intake.cli import CliContext, pass_ctx

if TYPE_CHECKING:
    from beredning_bench.benchmark import SimilarBenchResult

SAMPLE_TEXTS = (
    "Invånare ska kunna ansöka om parkeringstillstånd digitalt och följa sitt ärende",
    "Det är krångligt att hantera timvikarier: registrering och avslut tar för lång tid",
    "Vi behöver ett e-arkiv som tar emot handlingar från fler verksamhetssystem",
    "Kontaktcentret vill kunna svara på vanliga frågor i en chatt på webben",
    "Skolan behöver ett enklare sätt att boka lokaler och utrustning",
)


DEFAULT_SIZES = (1000, 10_000, 100_000)
TABLE_COLUMNS = (
    ("items", "items", "d"),
    ("build s", "build_seconds", ".1f"),
    ("build/s", "build_items_per_s", ".1f"),
    ("raw/s", "raw_items_per_s", ".1f"),
    ("build/raw", "build_vs_raw", ".2f"),
    ("proj. s", "projected_build_seconds", ".0f"),
    ("ready s", "server_ready_seconds", ".1f"),
    ("p50 ms", "http_p50_ms", ".1f"),
    ("p95 ms", "http_p95_ms", ".1f"),
    ("p99 ms", "http_p99_ms", ".1f"),
    ("RSS MB", "peak_rss_mb", ".0f"),
    ("index RSS", "index_server_peak_rss_mb", ".0f"),
    ("decidim p50", "decidim_p50_ms", ".1f"),
    ("p95", "decidim_p95_ms", ".1f"),
    ("p99", "decidim_p99_ms", ".1f"),
)
"""Header, result key and format of each column of `bench similar`'s table."""


SOURCE_OPTION = click.option(
    "--source",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory of *.groups.jsonl and *.pairs.jsonl files (default ../shared/data/eval/dev).",
)
"""The development sets the benchmarks read their texts from."""


@click.group("bench")
def bench() -> None:
    """Benchmarks that print figures (they never fail on a number)."""


@bench.command("intake")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="The served app.")
@click.option("--requests", "count", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@click.option(
    "--api-key",
    envvar="BEREDNING_API_KEY",
    help="A key with the `submit` scope (`beredning apikey add bench --scope submit`).",
)
def intake_bench(url: str, count: int, as_json: bool, api_key: str | None) -> None:
    """Time POST /api/submissions end to end (store, embed, index, compare), one at a time."""
    import httpx

    from beredning_bench.benchmark import percentile

    timings: list[float] = []
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    with httpx.Client(base_url=url, timeout=60, headers=headers) as client:
        try:
            client.get("/health").raise_for_status()
        except httpx.HTTPError as exc:
            raise click.ClickException(f"no app answering at {url}: {exc}") from exc
        for i in range(count):
            text = f"{SAMPLE_TEXTS[i % len(SAMPLE_TEXTS)]} (mätning {i + 1})"
            started = time.perf_counter()
            response = client.post("/api/submissions", json={"text": text})
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 201:
                raise click.ClickException(
                    f"request {i + 1}: HTTP {response.status_code} {response.text[:200]}"
                )
    figures = {
        "requests": count,
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "min_ms": round(min(timings), 1),
        "max_ms": round(max(timings), 1),
    }
    if as_json:
        click.echo(json.dumps(figures))
        return
    click.echo(
        f"POST /api/submissions x{count}: median {figures['median_ms']} ms, "
        f"p95 {figures['p95_ms']} ms, min {figures['min_ms']} ms, max {figures['max_ms']} ms"
    )


@bench.command("similar")
@click.option(
    "--items",
    "sizes",
    type=click.IntRange(min=1),
    multiple=True,
    metavar="N",
    help="Portfolio size; repeat for several (default 1000, 10000 and 100000).",
)
@click.option(
    "--queries",
    "query_count",
    type=click.IntRange(1, 100_000),
    default=200,
    show_default=True,
    help="Similar-items queries timed per size, one at a time.",
)
@SOURCE_OPTION
@click.option(
    "--pg-url",
    envvar="BEREDNING_EVAL_PG_URL",
    default=None,
    help="PostgreSQL for the decidim timing (default the local server's `test` database).",
)
@click.option(
    "--distinct",
    type=click.IntRange(min=1),
    default=None,
    metavar="M",
    help="Use only the first M source texts; items beyond them are variations of those M "
    "(reworded; with --reuse-embeddings only signed, so compared as the source).",
)
@click.option(
    "--reuse-embeddings",
    "reuse",
    is_flag=True,
    help="Embed each distinct compared text once per run and write the index from those vectors; "
    "the build figures then time the index writes, not the model.",
)
@click.option(
    "--scale-out",
    is_flag=True,
    help="Serve as docker-compose.yml does: the app's tables in a temporary database on the "
    "--pg-url server and the index in a Chroma server (`chroma run` on loopback).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per size on stdout.")
@pass_ctx
def similar_bench(
    ctx: CliContext,
    sizes: tuple[int, ...],
    query_count: int,
    source: Path | None,
    pg_url: str | None,
    distinct: int | None,
    reuse: bool,
    scale_out: bool,
    as_json: bool,
) -> None:
    """Time index build, GET /api/similar, peak RSS and Decidim's query for portfolios of N items.

    Each size gets a fresh temporary data directory (SQLite, embedded Chroma) and its own served
    app; the configured database and index are never touched. With --scale-out the size gets a
    temporary PostgreSQL database and a Chroma server instead; "index RSS" (in --json
    index_server_peak_rss_mb) is then the Chroma server's peak beside the app's. Progress goes to
    stderr.

    The model embeds some 20-40 short texts/s on a small CPU, so a 100,000-item build takes hours.
    For the query side at such sizes use --reuse-embeddings, best with --distinct: items beyond
    the M sources then differ from them only by an e-mail signature, which boilerplate removal
    takes off, so each is compared (and embedded) as its source. A vector is computed once per
    distinct compared text and kept for every size of the run; the index, the content hashes and
    the server's start are as in production. In this mode "build s" and "build/s" are the index
    writes with precomputed vectors, NOT the model, "build/raw" is left out, and "proj. s"
    (N / raw/s, printed in both modes) projects the build time the model alone would need.
    In --json: build_vs_raw is null, reused_embeddings counts the items whose vector was computed
    before, projected_build_seconds is the projection.
    """
    import sqlalchemy as sa

    from beredning_bench.benchmark import (
        WARMUP_QUERIES,
        BenchError,
        BenchInputError,
        EmbeddingCache,
        default_source_dir,
        query_texts,
        read_sources,
        run_similar,
    )
    from retrieval.evaluation import DEFAULT_PG_URL

    try:
        sa.make_url(pg_url or DEFAULT_PG_URL)
    except sa.exc.ArgumentError as exc:
        raise click.ClickException(f"--pg-url is not a database URL: {exc}") from exc
    directory = source or default_source_dir()
    try:
        sources = read_sources(directory)
        queries = query_texts(sources, WARMUP_QUERIES + query_count)
    except BenchInputError as exc:
        raise click.ClickException(str(exc)) from exc
    settings = ctx.settings
    used = sources[:distinct] if distinct else sources
    click.echo(f"{len(sources)} distinct texts from {directory}; {len(used)} used", err=True)
    cache = EmbeddingCache() if reuse else None
    results: list[SimilarBenchResult] = []
    for size in dict.fromkeys(sizes or DEFAULT_SIZES):
        try:
            result = run_similar(
                settings,
                used,
                size,
                queries,
                pg_url or DEFAULT_PG_URL,
                lambda m: click.echo(m, err=True),
                cache,
                scale_out=scale_out,
            )
        except BenchError as exc:
            raise click.ClickException(f"N={size}: {exc}") from exc
        if as_json:  # at once: a run over every default size takes hours
            click.echo(json.dumps(result.to_dict()))
        results.append(result)
    if not as_json:
        _print_table(results)


def _print_table(results: list[SimilarBenchResult]) -> None:
    """Print one row per size, then what a reader must know about the rows."""
    click.echo(_table_row([header for header, _, _ in TABLE_COLUMNS]))
    for result in results:
        figures = result.to_dict()
        click.echo(_table_row([_cell(figures[key], fmt) for _, key, fmt in TABLE_COLUMNS]))
    click.echo("build/raw: index build items/s over the embedder's own batch items/s (1.0: no overhead)")
    click.echo("proj. s: projected, not measured: N / raw/s, the build time the model alone would need")
    if any(r.reuse_embeddings for r in results):
        click.echo(
            "--reuse-embeddings: build s and build/s time the index writes with precomputed vectors, "
            "not the model; build/raw is left out"
        )
    for result in results:
        for note in _notes(result):
            click.echo(note)


def _cell(value: object, fmt: str) -> str:
    if value is None:
        return "-"
    return format(value, fmt)


def _table_row(cells: list[str]) -> str:
    widths = [max(len(header), 8) for header, _, _ in TABLE_COLUMNS]
    return "  ".join(cell.rjust(width) for cell, width in zip(cells, widths, strict=True))


def _notes(result: SimilarBenchResult) -> list[str]:
    """Return what a reader of the table must know about one row."""
    n = result.items
    if result.reuse_embeddings:
        raw_on = f"the {result.raw_sample} texts this run embedded"
    elif result.raw_sample >= n:
        raw_on = f"all {n} texts"
    else:
        raw_on = f"a random sample of {result.raw_sample} texts"
    notes = [
        f"N={n}: model {result.model}; {result.distinct_sources} source texts; {result.queries} queries; "
        f"raw throughput on {raw_on}"
    ]
    if result.reused_embeddings is not None:
        notes.append(
            f"N={n}: {result.reused_embeddings} of {n} vectors reused, "
            f"{n - result.reused_embeddings} computed for this size"
        )
    if result.server_reembedded:
        notes.append(
            f"N={n}: the server embedded texts again at start "
            f"({result.server_index_writes} index writes): the build was not reused"
        )
    if result.server_index_documents not in (None, n):
        notes.append(f"N={n}: the server saw {result.server_index_documents} documents in the index")
    if result.http_errors:
        notes.append(f"N={n}: {result.http_errors} of {result.queries} HTTP queries failed")
    if result.decidim_skipped:
        notes.append(f"N={n}: decidim skipped: {result.decidim_skipped}")
    return notes


@bench.command("pages")
@click.option("--items", type=click.IntRange(1, 200_000), default=10_000, show_default=True)
@click.option("--requests", "count", type=click.IntRange(10, 5000), default=200, show_default=True)
@click.option(
    "--database-url",
    default=None,
    help="An EMPTY PostgreSQL database to measure on (default: fresh SQLite in a temporary directory).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@pass_ctx
def pages_bench(ctx: CliContext, items: int, count: int, database_url: str | None, as_json: bool) -> None:
    """Time the staff pages (queue, item) over HTTP with N items in the database: p50/p95/p99."""
    from beredning_bench.benchmark import BenchError, BenchInputError
    from beredning_bench.benchmark.pages import run_pages

    try:
        result = run_pages(
            ctx.settings, items, count, database_url=database_url, say=lambda m: click.echo(m, err=True)
        )
    except (BenchError, BenchInputError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    click.echo(
        f"{result.items} items on {result.database}; seeded in {result.seed_seconds} s, "
        f"warm after {result.ready_seconds} s"
    )
    click.echo(f"{'page':<8}{'requests':>10}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for page in result.pages:
        p = page.percentiles
        click.echo(
            f"{page.page:<8}{page.requests:>10}{page.errors:>8}"
            f"{_cell(p.p50, '.1f'):>10}{_cell(p.p95, '.1f'):>10}{_cell(p.p99, '.1f'):>10}"
        )
    click.echo(f"peak RSS of the app: {_cell(result.peak_rss_mb, '.0f')} MB")


@bench.command("embed")
@SOURCE_OPTION
@click.option(
    "--count", type=click.IntRange(2, 10_000), default=60, show_default=True, help="Long texts embedded."
)
@click.option(
    "--rounds",
    type=click.IntRange(1, 20),
    default=3,
    show_default=True,
    help="Rounds per model, alternating; the fastest counts.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@pass_ctx
def embed_bench(ctx: CliContext, source: Path | None, count: int, rounds: int, as_json: bool) -> None:
    """Embed the same long texts with the default embedder and all-MiniLM-L6-v2: rates and ratio."""
    from beredning_bench.benchmark import BenchInputError, default_source_dir, read_sources
    from beredning_bench.benchmark.embed import MINILM, TARGET_RATIO, long_texts, run_embed
    from intake.services.similarity import embedder_of
    from retrieval.base import EmbeddingError
    from retrieval.embedders import SentenceTransformerEmbedder

    settings = ctx.settings.embedding
    directory = source or default_source_dir()
    try:
        texts = long_texts(read_sources(directory), count)
        default = embedder_of(ctx.settings)
        minilm = SentenceTransformerEmbedder(MINILM, batch_size=settings.batch_size)
        result = run_embed(default, minilm, texts, batch_size=settings.batch_size, rounds=rounds)
    except (BenchInputError, EmbeddingError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    figures = result.figures()
    if as_json:
        click.echo(json.dumps(figures))
        return
    click.echo(
        f"{result.texts} long texts (mean {result.mean_chars:.0f} characters) from {directory}, "
        f"batches of {result.batch_size}, the fastest of {result.rounds} rounds each"
    )
    click.echo(f"{'model':<18}{'texts/s':>10}{'tokens/s':>10}{'tokens/text':>13}")
    for prefix in ("default", "minilm"):
        click.echo(
            f"{figures[prefix + '_model']:<18}{figures[prefix + '_texts_per_s']:>10.2f}"
            f"{_cell(figures[prefix + '_tokens_per_s'], '.0f'):>10}"
            f"{_cell(figures[prefix + '_tokens_per_text'], '.0f'):>13}"
        )
    click.echo(f"ratio to MiniLM: {figures['ratio_to_minilm']:.2f} (target {TARGET_RATIO})")
