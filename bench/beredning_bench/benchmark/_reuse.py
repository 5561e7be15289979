"""`--reuse-embeddings`: build the index from vectors computed once per distinct compared text.

At 100,000 items the model on a small machine takes hours, yet what the query side costs depends
on how many vectors are indexed, not on how they were computed. So each distinct compared text
(boilerplate removed, as the service compares it) is embedded once per command run, and every
item with that compared text gets the vector. The index is then written as the service writes it:
documents from the SQL rows through `portfolio_document`, `SimilaritySearch.upsert` with the
precomputed matrix, which stores the same content hashes; the server, a separate process, must
find them and embed nothing (`check_in_step` makes sure before it starts).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from beredning_bench.benchmark._build import Timing
from beredning_bench.benchmark._server import BenchError, index_write_mark
from intake.models import PortfolioItem
from intake.services.similarity import SimilarityService, SimilarityUnavailable, portfolio_document
from retrieval import Document, Embedder, EmbeddingError
from retrieval.base import Matrix, Vector

UPSERT_BATCH = 256
"""Documents per upsert, as `SimilaritySearch.rebuild` writes them."""


class EmbeddingCache:
    """Vectors by compared text for one command run, and how long the model took to compute them.

    The time is the embedder's own `embed_documents` calls only, so that it is the raw throughput
    of this mode: measured on every text the run embedded, not on a sample.
    """

    def __init__(self) -> None:
        self._vectors: dict[str, Vector] = {}
        self._model_id: str | None = None
        self._embedded = 0
        self._seconds = 0.0

    def __len__(self) -> int:
        return len(self._vectors)

    @property
    def timing(self) -> Timing:
        """Return every embedding of this run so far and the time the model spent on them."""
        return Timing(self._embedded, self._seconds)

    def missing(self, texts: Sequence[str]) -> list[str]:
        """Return the distinct texts that have no vector yet, in order."""
        return [t for t in dict.fromkeys(texts) if t not in self._vectors]

    def fill(self, embedder: Embedder, texts: Sequence[str], batch_size: int) -> int:
        """Embed the distinct texts not cached yet, one call per batch; return how many were embedded."""
        if self._model_id not in (None, embedder.model_id):  # another model: no vector is valid
            self._vectors.clear()
        self._model_id = embedder.model_id
        missing = self.missing(texts)
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            began = time.perf_counter()
            matrix = embedder.embed_documents(batch)
            self._seconds += time.perf_counter() - began
            self._vectors.update(zip(batch, np.asarray(matrix, dtype=np.float32), strict=True))
        self._embedded += len(missing)
        return len(missing)

    def matrix(self, texts: Sequence[str]) -> Matrix:
        """Return the cached vectors of `texts`, one row each, in order."""
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32)


def stored_documents(engine: Engine) -> list[Document]:
    """Return the portfolio as `SimilarityService.rebuild` reads it: every row, by Nr.

    Built from the rows read back, not from the texts inserted, so that a column the database
    normalises (an empty description stored as NULL) gives the server's document exactly.
    """
    with Session(engine) as session:
        items = session.exec(select(PortfolioItem).order_by(col(PortfolioItem.nr)))
        return [portfolio_document(item) for item in items]


def build_with_vectors(
    service: SimilarityService,
    documents: Sequence[Document],
    cache: EmbeddingCache,
    on_progress: Callable[[int, int], None] | None = None,
) -> Timing:
    """Time emptying the indexes and upserting `documents` with their cached vectors, in batches.

    What `SimilaritySearch.rebuild` does, less the model: boilerplate removal, content hashes,
    the lexical index and the Chroma writes are in the figure. Every document's compared text
    must be in `cache` (`fill` first).
    """
    search = service.search_engine
    compared = [search.compared_text(d.text) for d in documents]
    total = len(documents)
    started = time.perf_counter()
    search.vector_index.reset()
    search.lexical_index.clear()
    search.documents.clear()
    if on_progress:
        on_progress(0, total)
    for start in range(0, total, UPSERT_BATCH):
        end = min(start + UPSERT_BATCH, total)
        search.upsert(documents[start:end], embeddings=cache.matrix(compared[start:end]))
        if on_progress:
            on_progress(end, total)
    return Timing(total, time.perf_counter() - started)


class _RefusingEmbedder:
    """Stands in for the model while the index is checked: any call means a vector was missing."""

    def __init__(self, model_id: str) -> None:
        self._model_id = model_id

    @property
    def model_id(self) -> str:
        return self._model_id

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        raise EmbeddingError(f"{len(texts)} texts would be embedded again")

    def embed_query(self, text: str) -> Vector:
        raise EmbeddingError("a query would be embedded")


def check_in_step(service: SimilarityService, chroma_path: Path) -> float:
    """Run the service's `sync` over the built index with the model refused; return its seconds.

    The build wrote through the search engine, so the service's watermark is still unset; its
    `sync` then reads every row back as the server's first sync will, and must find each vector
    stored under the hash it computes. That leaves the service as `rebuild` would, and fails fast,
    before a server spends hours embedding 100,000 texts again.

    Raises:
        BenchError: the sync wanted to embed or to write to the index.
    """
    search = service.search_engine
    model = search.embedder
    before = index_write_mark(chroma_path)
    search.embedder = _RefusingEmbedder(model.model_id)
    started = time.perf_counter()
    try:
        service.sync()
    except SimilarityUnavailable as exc:
        raise BenchError(
            f"the index built from precomputed vectors is not what the service reads: {exc}"
        ) from exc
    finally:
        search.embedder = model
    seconds = time.perf_counter() - started
    after = index_write_mark(chroma_path)
    if before != after:
        raise BenchError(f"the service's sync wrote to the index again (write mark {before} -> {after})")
    return seconds
