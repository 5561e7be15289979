"""The typed seams of retrieval: documents, embedders, vector indexes and scored matches.

Everything in `retrieval/` works on these types and never on the service's SQL rows, so the
package can be evaluated and benchmarked on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]
"""One embedding, L2-normalised, shape (dim,)."""

Matrix = npt.NDArray[np.float32]
"""Several embeddings, L2-normalised, shape (n, dim)."""


class EmbeddingError(RuntimeError):
    """Raised when a model cannot be loaded or cannot embed; callers retry later."""


class IndexUnavailable(RuntimeError):
    """Raised when the vector index cannot be reached or written; callers retry later."""


@dataclass(frozen=True)
class Document:
    """A text that can be found: a portfolio item or a submission.

    `key` is unique across kinds (`portfolio:22-04`, `submission:IN-2026-00001`); `ref` is what
    people call it (`22-04`, `IN-2026-00001`).
    """

    key: str
    kind: str
    ref: str
    title: str
    body: str = ""
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Return title and body as one text, the form that is embedded and matched."""
        if self.title and self.body:
            return f"{self.title}\n{self.body}"
        return self.title or self.body


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into normalised vectors. Documents and queries may be encoded differently
    (e5 wants `passage:` and `query:` prefixes), so the two are separate calls."""

    @property
    def model_id(self) -> str:
        """Return a short stable id of the model, used to name the index collection."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """Embed texts that will be stored in the index."""
        ...

    def embed_query(self, text: str) -> Vector:
        """Embed a text that is searched for."""
        ...


@dataclass(frozen=True)
class DenseHit:
    """A document found by the vector index, with its cosine similarity in [-1, 1]."""

    key: str
    similarity: float


@runtime_checkable
class VectorIndex(Protocol):
    """Stores document vectors and finds the nearest. Always fed by our own embedder."""

    def upsert(self, documents: Sequence[Document], embeddings: Matrix) -> None:
        """Insert or replace documents with their vectors."""
        ...

    def delete(self, keys: Sequence[str]) -> None:
        """Remove documents; unknown keys are ignored."""
        ...

    def query(self, embedding: Vector, limit: int, kinds: Sequence[str] | None = None) -> list[DenseHit]:
        """Return up to `limit` nearest documents, optionally only of some kinds."""
        ...

    def count(self) -> int:
        """Return the number of stored documents."""
        ...

    def reset(self) -> None:
        """Remove every document (before a rebuild from SQL)."""
        ...


def content_hash(text: str, model_id: str) -> str:
    """Return the sha256 of a text and its model's id, so that unchanged texts skip re-embedding."""
    return hashlib.sha256(f"{text}\x00{model_id}".encode()).hexdigest()


@runtime_checkable
class StoredVectors(Protocol):
    """A vector index that can hand back what it stores, so callers skip re-embedding."""

    def content_hashes(self, keys: Sequence[str]) -> dict[str, str]:
        """Return `content_hash` of the stored text for each known key."""
        ...

    def get_embeddings(self, keys: Sequence[str]) -> dict[str, Vector]:
        """Return the stored vector for each known key."""
        ...


@dataclass(frozen=True)
class Match:
    """A ranked similar document with the parts of its score and the reason in words."""

    document: Document
    score: float
    parts: dict[str, float]
    shared_terms: list[str]
    reason: str
    relevant: bool = True
    """Whether the score reaches its model's relevance floor: below it, the document is shown to
    no one as a suggestion (it may still be among a reviewer's candidates)."""
