"""One size of `beredning bench similar`: build, serve, query, compare with Decidim, report."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from beredning_bench.benchmark._backends import Backends, backends
from beredning_bench.benchmark._build import (
    Timing,
    bench_settings,
    build_index,
    insert_items,
    raw_throughput,
    similarity_service,
)
from beredning_bench.benchmark._corpus import SourceText, portfolio_texts, sign, vary
from beredning_bench.benchmark._decidim import DecidimTiming, decidim_latencies
from beredning_bench.benchmark._reuse import (
    EmbeddingCache,
    build_with_vectors,
    check_in_step,
    stored_documents,
)
from beredning_bench.benchmark._server import (
    BenchError,
    http_latencies,
    index_write_mark,
    peak_rss_mb,
    reembedding_warnings,
    served_app,
)
from beredning_bench.benchmark._stats import summarize
from intake.db import create_db_engine
from intake.services.similarity import SimilarityUnavailable
from intake.settings import Settings
from retrieval import EmbeddingError

Progress = Callable[[str], None]

WARMUP_QUERIES = 5


@dataclass(frozen=True)
class SimilarBenchResult:
    """The figures for one portfolio size; `None` where a figure could not be taken (and why).

    `shape` is "embedded" (SQLite and Chroma in the app's process) or "scale-out" (PostgreSQL and a
    Chroma server); `peak_rss_mb` is the app's process either way, `index_server_peak_rss_mb` the
    Chroma server's (None when embedded).

    With `reuse_embeddings` the build figures time the index writes with precomputed vectors,
    `build_vs_raw` is None (the two no longer measure the same work), `reused_embeddings` counts
    the items that got a vector computed before (for another item or another size), and
    `raw_items_per_s` is over every text the run has embedded so far (`raw_sample`).
    `projected_build_seconds` is N over the raw throughput: what the model alone would need.
    """

    items: int
    shape: str
    model: str
    queries: int
    distinct_sources: int
    reuse_embeddings: bool
    reused_embeddings: int | None
    build_seconds: float
    build_items_per_s: float
    raw_items_per_s: float
    raw_sample: int
    build_vs_raw: float | None
    projected_build_seconds: float | None
    server_ready_seconds: float
    server_index_documents: int | None
    server_reembedded: bool
    server_index_writes: int | None
    http_p50_ms: float | None
    http_p95_ms: float | None
    http_p99_ms: float | None
    http_errors: int
    peak_rss_mb: float | None
    index_server_peak_rss_mb: float | None
    decidim_load_seconds: float | None
    decidim_p50_ms: float | None
    decidim_p95_ms: float | None
    decidim_p99_ms: float | None
    decidim_skipped: str | None

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as plain data for `--json`."""
        return dataclasses.asdict(self)


def _build_progress(progress: Progress) -> Callable[[int, int], None]:
    shown = [-1]

    def report(done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if tenth > shown[0]:
            shown[0] = tenth
            progress(f"indexed {done}/{total}")

    return report


@dataclass(frozen=True)
class _Served:
    """What was measured on the served app."""

    ready_seconds: float
    index_documents: int | None
    reembedded: bool
    index_writes: int | None
    timings_ms: list[float]
    errors: int
    peak_rss_mb: float | None
    index_server_peak_rss_mb: float | None


def run_similar(
    settings: Settings,
    sources: Sequence[SourceText],
    size: int,
    queries: Sequence[str],
    pg_url: str,
    progress: Progress,
    cache: EmbeddingCache | None = None,
    scale_out: bool = False,
) -> SimilarBenchResult:
    """Measure one portfolio size in a temporary data directory, removed afterwards.

    With `scale_out` the app's tables go into a temporary database on `pg_url`'s server and the
    index into a Chroma server process (`_backends`), both removed afterwards.

    `queries` holds the warm-up queries first (`WARMUP_QUERIES`), then the timed ones. With a
    `cache` (`--reuse-embeddings`), items beyond the sources are signed copies of them (`sign`),
    and the index is built from the cache's vectors; pass the same cache for every size of a run.

    Raises:
        BenchError: the model, the index or the server failed.
    """
    warmup, timed = list(queries[:WARMUP_QUERIES]), list(queries[WARMUP_QUERIES:])
    texts = portfolio_texts(sources, size, sign if cache is not None else vary)

    def say(message: str) -> None:
        progress(f"N={size}: {message}")

    with (
        tempfile.TemporaryDirectory(prefix="beredning-bench-") as tmp,
        backends(scale_out, pg_url, Path(tmp)) as where,
    ):
        local = bench_settings(settings, Path(tmp), where.database_url, where.index_url)
        if where.index_url:
            say(f"app database {where.database_url}; Chroma server {where.index_url}")
        if cache is None:
            model, raw, build = _build(local, texts, say)
            reused = None
        else:
            model, raw, build, reused = _build_reusing(local, texts, cache, where, say)
        served = _serve(local, where, size, warmup, timed, say)
        decidim, skipped = _decidim(pg_url, texts, warmup, timed, say)
    # with reused vectors the build no longer runs the model: its rate is not comparable with raw
    comparable = round(build.per_second / raw.per_second, 3) if raw.per_second and cache is None else None
    http = summarize(served.timings_ms)
    peer = summarize(decidim.timings_ms if decidim else [])
    return SimilarBenchResult(
        items=size,
        shape=where.shape,
        model=model,
        queries=len(timed),
        distinct_sources=len(sources),
        reuse_embeddings=cache is not None,
        reused_embeddings=reused,
        build_seconds=round(build.seconds, 2),
        build_items_per_s=round(build.per_second, 1),
        raw_items_per_s=round(raw.per_second, 1),
        raw_sample=raw.items,
        build_vs_raw=comparable,
        projected_build_seconds=round(size / raw.per_second, 1) if raw.per_second else None,
        server_ready_seconds=round(served.ready_seconds, 2),
        server_index_documents=served.index_documents,
        server_reembedded=served.reembedded,
        server_index_writes=served.index_writes,
        http_p50_ms=http.p50,
        http_p95_ms=http.p95,
        http_p99_ms=http.p99,
        http_errors=served.errors,
        peak_rss_mb=served.peak_rss_mb,
        index_server_peak_rss_mb=served.index_server_peak_rss_mb,
        decidim_load_seconds=round(decidim.load_seconds, 2) if decidim else None,
        decidim_p50_ms=peer.p50,
        decidim_p95_ms=peer.p95,
        decidim_p99_ms=peer.p99,
        decidim_skipped=skipped,
    )


def _build(settings: Settings, texts: Sequence[SourceText], progress: Progress) -> tuple[str, Timing, Timing]:
    """Migrate, insert the items, time the embedder alone and then the index build."""
    from intake.migrate import upgrade  # Alembic is slow to import; only this command needs it

    size = len(texts)
    engine = create_db_engine(settings)
    try:
        upgrade(engine)
        insert_items(engine, texts)
        progress(f"{size} portfolio items in {settings.database_url}")
        with similarity_service(settings, engine) as service:
            search = service.search_engine
            search.embedder.embed_query("uppvärmning")  # load the model outside both timings
            raw = raw_throughput(
                search.embedder, [t.text for t in texts], settings.embedding.batch_size, search.compared_text
            )
            progress(f"raw {search.embedder.model_id} throughput {raw.per_second:.1f} texts/s")
            build = build_index(service, _build_progress(progress))
            progress(f"index built in {build.seconds:.1f} s ({build.per_second:.1f} texts/s)")
            return search.embedder.model_id, raw, build
    except SimilarityUnavailable as exc:
        raise BenchError(f"the index could not be built: {exc}") from exc
    finally:
        engine.dispose()


def _build_reusing(
    settings: Settings,
    texts: Sequence[SourceText],
    cache: EmbeddingCache,
    where: Backends,
    progress: Progress,
) -> tuple[str, Timing, Timing, int]:
    """Migrate, insert the items, embed the compared texts not cached, write the index from the cache.

    Returns the model id, the run's raw throughput so far, the timed index writes and how many
    items got a vector that was not computed for them.
    """
    from intake.migrate import upgrade

    size = len(texts)
    engine = create_db_engine(settings)
    try:
        upgrade(engine)
        insert_items(engine, texts)
        progress(f"{size} portfolio items in {settings.database_url}")
        documents = stored_documents(engine)
        with similarity_service(settings, engine) as service:
            search = service.search_engine
            compared = [search.compared_text(d.text) for d in documents]
            if cache.missing(compared):  # each size has its own embedder: load it outside the timing
                search.embedder.embed_query("uppvärmning")
            embedded = cache.fill(search.embedder, compared, settings.embedding.batch_size)
            reused = size - embedded
            raw = cache.timing
            progress(
                f"{embedded} texts embedded, {reused} vectors reused; raw {search.embedder.model_id} "
                f"throughput {raw.per_second:.1f} texts/s over the run's {raw.items} texts"
            )
            build = build_with_vectors(service, documents, cache, _build_progress(progress))
            progress(f"index written from precomputed vectors in {build.seconds:.1f} s")
            seconds = check_in_step(service, where.index_files)
            progress(f"the service's sync found every vector stored ({seconds:.1f} s, nothing embedded)")
            return search.embedder.model_id, raw, build, reused
    except (SimilarityUnavailable, EmbeddingError) as exc:
        raise BenchError(f"the index could not be built: {exc}") from exc
    finally:
        engine.dispose()


def _serve(
    settings: Settings,
    where: Backends,
    size: int,
    warmup: Sequence[str],
    timed: Sequence[str],
    progress: Progress,
) -> _Served:
    """Serve the built data, check that nothing is embedded again, time the queries."""
    before = index_write_mark(where.index_files)
    progress("starting the server")
    timeout = 300 + size / 100  # reading 100,000 vectors back takes minutes
    with served_app(settings, settings.data_dir / "serve.log", timeout) as app:
        progress(f"server warm after {app.ready_seconds:.1f} s; {len(timed)} queries")
        timings, errors = http_latencies(app.base_url, warmup, timed)
        rss = peak_rss_mb(app.pid)
        index_rss = peak_rss_mb(where.index_server_pid) if where.index_server_pid else None
        after = index_write_mark(where.index_files)
        log_text = app.log_path.read_text(errors="replace")
    writes = after - before if after is not None and before is not None else None
    reembedded = bool(reembedding_warnings(log_text)) or bool(writes)
    if reembedded:
        progress(f"the server embedded texts again at start ({writes} index writes)")
    return _Served(
        app.ready_seconds, app.index_documents, reembedded, writes, timings, errors, rss, index_rss
    )


def _decidim(
    url: str,
    texts: Sequence[SourceText],
    warmup: Sequence[str],
    timed: Sequence[str],
    progress: Progress,
) -> tuple[DecidimTiming | None, str | None]:
    """Return Decidim's timings, or None and the reason when PostgreSQL cannot run them."""
    progress("loading PostgreSQL for decidim")
    try:
        return decidim_latencies(url, texts, warmup, timed), None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        progress(f"decidim skipped: {reason}")
        return None, reason
