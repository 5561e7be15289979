"""A vector index in process memory (numpy brute force), for evaluation runs that leave no trace."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrieval.base import DenseHit, Document, Embedder, Matrix, Vector
from retrieval.evaluation._cache import DiskEmbeddingCache


class NumpyVectorIndex:
    """`VectorIndex` over a dense matrix, searched by exact cosine; fine for a few thousand items."""

    def __init__(self) -> None:
        self._kinds: dict[str, str] = {}
        self._vectors: dict[str, Vector] = {}
        self._matrix: tuple[list[str], Matrix] | None = None

    def upsert(self, documents: Sequence[Document], embeddings: Matrix) -> None:
        """Insert or replace documents with their vectors."""
        if len(documents) != len(embeddings):
            raise ValueError("documents and embeddings differ in length")
        for doc, vector in zip(documents, embeddings, strict=True):
            self._kinds[doc.key] = doc.kind
            self._vectors[doc.key] = np.asarray(vector, dtype=np.float32)
        self._matrix = None

    def delete(self, keys: Sequence[str]) -> None:
        """Remove documents; unknown keys are ignored."""
        for key in keys:
            self._kinds.pop(key, None)
            self._vectors.pop(key, None)
        self._matrix = None

    def query(self, embedding: Vector, limit: int, kinds: Sequence[str] | None = None) -> list[DenseHit]:
        """Return up to `limit` nearest documents, optionally only of some kinds."""
        if self._matrix is None:
            keys = list(self._vectors)
            stacked = np.stack([self._vectors[k] for k in keys]) if keys else np.zeros((0, 1), np.float32)
            self._matrix = (keys, stacked.astype(np.float32))
        keys, matrix = self._matrix
        if not keys or limit <= 0:
            return []
        sims = matrix @ embedding
        if kinds is not None:
            allowed = np.array([self._kinds[k] in kinds for k in keys])
            sims = np.where(allowed, sims, -np.inf)
        order = np.argsort(-sims, kind="stable")[:limit]
        return [DenseHit(key=keys[i], similarity=float(sims[i])) for i in order if np.isfinite(sims[i])]

    def count(self) -> int:
        """Return the number of stored documents."""
        return len(self._vectors)

    def reset(self) -> None:
        """Remove every document."""
        self._kinds.clear()
        self._vectors.clear()
        self._matrix = None


_DISK_CHUNK = 64


class CachingEmbedder:
    """Remembers every vector an embedder made, so that methods compared in one run share them.

    `--method all` runs hybrid and dense on the same texts; on a 2-core machine embedding is
    nearly all of the time, so the second method would otherwise double the run. With a `disk`
    cache, vectors also outlive the run (see `DiskEmbeddingCache`).
    """

    def __init__(self, embedder: Embedder, disk: DiskEmbeddingCache | None = None) -> None:
        self._embedder = embedder
        self._disk = disk
        self._documents: dict[str, Vector] = {}
        self._queries: dict[str, Vector] = {}

    @property
    def model_id(self) -> str:
        """The wrapped embedder's id."""
        return self._embedder.model_id

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """Embed the texts not seen before, in one call, and return every vector in order."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._documents))
        if missing and self._disk is not None:
            for text in missing:
                stored = self._disk.get("passage", text)
                if stored is not None:
                    self._documents[text] = stored
            missing = [t for t in missing if t not in self._documents]
        # with a disk cache, in chunks: an interrupted run keeps what it embedded
        step = _DISK_CHUNK if self._disk is not None else max(1, len(missing))
        for start in range(0, len(missing), step):
            chunk = missing[start : start + step]
            fresh = self._embedder.embed_documents(chunk)
            self._documents.update(zip(chunk, fresh, strict=True))
            if self._disk is not None:
                for text, vector in zip(chunk, fresh, strict=True):
                    self._disk.put("passage", text, vector)
        if not texts:
            return self._embedder.embed_documents([])
        return np.stack([self._documents[t] for t in texts]).astype(np.float32)

    def embed_query(self, text: str) -> Vector:
        """Embed a query once."""
        if text not in self._queries:
            stored = self._disk.get("query", text) if self._disk is not None else None
            if stored is None:
                stored = self._embedder.embed_query(text)
                if self._disk is not None:
                    self._disk.put("query", text, stored)
            self._queries[text] = stored
        return self._queries[text]
