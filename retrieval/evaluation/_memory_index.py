"""A vector index in process memory (numpy brute force), for evaluation runs that leave no trace."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrieval.base import DenseHit, Document, Matrix, Vector


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
