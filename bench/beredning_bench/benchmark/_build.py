"""Fill a fresh data directory with a portfolio and time the index build beside the model alone.

The build goes through `SimilarityService.rebuild`, the path `beredning reindex` takes, so that
everything around the model (SQL reads, content hashes, the lexical index, Chroma writes) is in the
figure; the embedder's own `embed_documents` on the same texts is the ceiling it is compared with.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from beredning_bench.benchmark._corpus import SourceText
from intake.models import PortfolioItem, utcnow
from intake.services.similarity import SimilarityService, embedder_of, glossary_of
from intake.settings import Settings
from retrieval import ChromaIndex, Embedder

RAW_SAMPLE = 2000
"""Texts the embedder's raw throughput is measured on, at most (a random sample beyond that)."""

INSERT_CHUNK = 5000


@dataclass(frozen=True)
class Timing:
    """How many texts took how long."""

    items: int
    seconds: float

    @property
    def per_second(self) -> float:
        """Return texts per second (0 when nothing was timed)."""
        return self.items / self.seconds if self.seconds > 0 else 0.0


def bench_settings(
    base: Settings, data_dir: Path, database_url: str | None = None, index_url: str | None = None
) -> Settings:
    """Return `base` pointed at `data_dir`, and at the benchmark's own database and index.

    The configured database and index URLs are replaced on purpose (by the data directory's SQLite
    and embedded Chroma unless the run's own servers are given): a benchmark must never write its
    N items into a real portfolio. The embedding and similarity settings stay, since they are what
    is measured.
    """
    return base.model_copy(
        update={
            "data_dir": data_dir,
            "database": base.database.model_copy(update={"url": database_url}),
            "index": base.index.model_copy(update={"url": index_url}),
        }
    )


def nr_of(number: int) -> str:
    """Return the portfolio Nr of the `number`-th benchmark item (0-based)."""
    return f"B-{number + 1:06d}"


def insert_items(engine: Engine, texts: Sequence[SourceText]) -> None:
    """Insert the texts as `portfolio_item` rows, in bulk.

    Each row gets its own `updated_at`, as rows imported one by one do: rows that share the newest
    timestamp are read again by every `sync` (its `>=` mark), which would put an artificial SQL
    read of all of them into every query.
    """
    start = utcnow() - timedelta(microseconds=len(texts) + 1)
    rows = [
        {
            "nr": nr_of(i),
            "title": text.title,
            "description": text.body or None,
            "source": "beredning bench similar",
            "created_at": start + timedelta(microseconds=i),
            "updated_at": start + timedelta(microseconds=i),
        }
        for i, text in enumerate(texts)
    ]
    with engine.begin() as connection:
        for offset in range(0, len(rows), INSERT_CHUNK):
            connection.execute(sa.insert(PortfolioItem), rows[offset : offset + INSERT_CHUNK])


@contextmanager
def similarity_service(settings: Settings, engine: Engine) -> Iterator[SimilarityService]:
    """Yield the service as `SimilarityService.from_settings` builds it, and close its index after.

    An embedded index's Chroma client is opened here rather than inside `ChromaIndex`, only so that
    it can be closed: the served app must be the one process holding the index while it is
    measured. A Chroma server (`index.url`) is reached as the service reaches it.
    """
    embedder = embedder_of(settings)
    parts = (settings.similarity, glossary_of(settings))
    if settings.index.url:
        index = ChromaIndex(
            url=settings.index.url, collection=settings.index.collection, model_id=embedder.model_id
        )
        yield SimilarityService.with_parts(engine, embedder, index, *parts)
        return
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(
        path=str(settings.chroma_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    try:
        index = ChromaIndex(client=client, collection=settings.index.collection, model_id=embedder.model_id)
        yield SimilarityService.with_parts(engine, embedder, index, *parts)
    finally:
        close = getattr(client, "close", None)  # Chroma 1.x; its ClientAPI type does not declare it
        if close is not None:
            close()


def build_index(service: SimilarityService, on_progress: Callable[[int, int], None] | None = None) -> Timing:
    """Time `service.rebuild()`: every row read from SQL, embedded and written to both indexes."""
    started = time.perf_counter()
    count = service.rebuild(on_progress=on_progress)
    return Timing(count, time.perf_counter() - started)


def raw_throughput(
    embedder: Embedder,
    texts: Sequence[str],
    batch_size: int,
    prepare: Callable[[str], str] | None = None,
    sample: int = RAW_SAMPLE,
    seed: int = 11,
) -> Timing:
    """Time `embed_documents` alone, one call per batch of `batch_size`, on up to `sample` texts.

    `prepare` turns a document's text into what the service hands the embedder (boilerplate
    removed), so that both figures embed the same strings. Beyond `sample` texts a seeded random
    sample is taken, which has the same mix of lengths; only the calls are timed.
    """
    chosen = list(texts) if len(texts) <= sample else random.Random(seed).sample(list(texts), sample)
    if prepare is not None:
        chosen = [prepare(text) for text in chosen]
    elapsed = 0.0
    for start in range(0, len(chosen), batch_size):
        batch = chosen[start : start + batch_size]
        began = time.perf_counter()
        embedder.embed_documents(batch)
        elapsed += time.perf_counter() - began
    return Timing(len(chosen), elapsed)
