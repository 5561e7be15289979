"""Hybrid similarity search: dense cosine and character n-gram cosine, combined and explained.

Neither part is enough alone. The dense model sees that `timvikarie` and `timanställd` are one need,
the n-grams see that `parkeringstillstånd` is `Parkeringsstillstånd` and keep working when the
model cannot be loaded. Candidates come from both, and every candidate is scored with both, so a
document found by one part is never ranked on half a score.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.base import (
    Document,
    Embedder,
    EmbeddingError,
    IndexUnavailable,
    Match,
    Matrix,
    StoredVectors,
    Vector,
    VectorIndex,
    content_hash,
)
from retrieval.lexical import LexicalIndex, shared_terms

log = logging.getLogger(__name__)

DENSE_FLOORS: dict[str, float] = {
    "minilm-l6-v2": 0.40,
    "e5-small-q4": 0.79,
    "e5-small-enpt-q4": 0.79,  # not measured: assumed from the model it was fine-tuned from
}
"""Cosine a model typically gives two unrelated texts; mapped to 0 in the combined score.

Measured as the median cosine of 500 shuffled (unrelated) SweParaphrase dev pairs, which is close to
the median of pairs people scored <= 1 (MiniLM 0.40 and 0.50, e5 0.79 and 0.84). Without the floor,
e5's compressed range (unrelated 0.8, paraphrase 0.94) would swamp the lexical part with a constant.
Models not listed are taken at face value (floor 0).
"""


def dense_to_unit(cosine: float, floor: float) -> float:
    """Map a cosine to [0, 1] so that `floor` (unrelated) is 0 and identical texts are 1."""
    if floor >= 1.0:
        return 0.0
    return float(min(1.0, max(0.0, (cosine - floor) / (1.0 - floor))))


def _swedish(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


@dataclass(frozen=True)
class UpsertResult:
    """How many vectors an upsert computed, and how many it reused from memory or the index."""

    embedded: int
    reused: int


class SimilaritySearch:
    """Keeps documents in a vector index, a lexical index and memory, and ranks them for a text.

    The in-memory vectors (`key -> vector`) let every candidate get a dense part without another
    round trip to the index, and let search go on by brute force when the index is unavailable.
    Only documents known here (`documents`) are returned; after a restart, `upsert` everything
    from SQL again, which is cheap because unchanged texts are not re-embedded.
    """

    def __init__(
        self,
        embedder: Embedder,
        vector_index: VectorIndex,
        lexical_index: LexicalIndex,
        dense_weight: float = 0.45,
        lexical_weight: float = 0.55,
        dense_floor: float | None = None,
    ) -> None:
        if dense_weight < 0 or lexical_weight < 0 or dense_weight + lexical_weight <= 0:
            raise ValueError("weights must be non-negative and not both zero")
        self.embedder = embedder
        self.vector_index = vector_index
        self.lexical_index = lexical_index
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self.dense_floor = (
            dense_floor if dense_floor is not None else DENSE_FLOORS.get(embedder.model_id, 0.0)
        )
        self.documents: dict[str, Document] = {}
        self._vectors: dict[str, Vector] = {}
        self._hashes: dict[str, str] = {}
        self._lock = threading.RLock()

    def _hash(self, doc: Document) -> str:
        return content_hash(doc.text, self.embedder.model_id)

    def upsert(self, documents: Iterable[Document], embeddings: Matrix | None = None) -> UpsertResult:
        """Add or replace documents in memory, the lexical index and the vector index.

        Vectors are reused when the text is unchanged (same content hash) in memory or in the
        index. The lexical side and `documents` are updated first, so a document stays findable
        by its words when embedding fails.

        Raises:
            EmbeddingError: the model failed; the caller retries this upsert later.
            IndexUnavailable: the vector index failed; the caller retries this upsert later.
        """
        docs = list({d.key: d for d in documents}.values())
        if embeddings is not None and len(embeddings) != len(docs):
            raise ValueError(f"{len(docs)} distinct documents but {len(embeddings)} embeddings")
        if not docs:
            return UpsertResult(0, 0)
        with self._lock:
            self.lexical_index.upsert(docs)
            self.documents.update((d.key, d) for d in docs)
            hashes = {d.key: self._hash(d) for d in docs}
            if embeddings is not None:
                vectors = {d.key: np.asarray(embeddings[i]) for i, d in enumerate(docs)}
                self._remember(vectors, hashes)
                self._write(docs, vectors)
                return UpsertResult(len(docs), 0)
            stored = self._stored_hashes([d.key for d in docs])
            in_index = [d for d in docs if stored.get(d.key) == hashes[d.key]]
            vectors = {
                d.key: self._vectors[d.key]
                for d in docs
                if self._hashes.get(d.key) == hashes[d.key] and d.key in self._vectors
            }
            missing_in_memory = [d.key for d in in_index if d.key not in vectors]
            if missing_in_memory:
                vectors.update(self._stored_vectors(missing_in_memory))
            reused = len(vectors)
            for d in docs:  # a changed text must not keep ranking by its old vector
                if self._hashes.get(d.key) != hashes[d.key]:
                    self._vectors.pop(d.key, None)
                    self._hashes.pop(d.key, None)
            to_embed = [d for d in docs if d.key not in vectors]
            if to_embed:
                new = self.embedder.embed_documents([d.text for d in to_embed])
                vectors.update((d.key, new[i]) for i, d in enumerate(to_embed))
            self._remember(vectors, hashes)
            confirmed = {d.key for d in in_index}
            self._write([d for d in docs if d.key not in confirmed], vectors)
            return UpsertResult(len(to_embed), reused)

    def _stored_hashes(self, keys: list[str]) -> dict[str, str]:
        if not isinstance(self.vector_index, StoredVectors):
            return {}
        try:
            return self.vector_index.content_hashes(keys)
        except IndexUnavailable as exc:
            log.warning("cannot read stored content hashes, re-embedding: %s", exc)
            return {}

    def _stored_vectors(self, keys: list[str]) -> dict[str, Vector]:
        if not isinstance(self.vector_index, StoredVectors):
            return {}
        try:
            return self.vector_index.get_embeddings(keys)
        except IndexUnavailable as exc:
            log.warning("cannot read stored vectors, re-embedding: %s", exc)
            return {}

    def _remember(self, vectors: dict[str, Vector], hashes: dict[str, str]) -> None:
        for key, vector in vectors.items():
            self._vectors[key] = np.asarray(vector, dtype=np.float32)
            self._hashes[key] = hashes[key]

    def _write(self, docs: list[Document], vectors: dict[str, Vector]) -> None:
        if docs:
            matrix = np.stack([vectors[d.key] for d in docs]).astype(np.float32)
            self.vector_index.upsert(docs, matrix)

    def remove(self, keys: Iterable[str]) -> None:
        """Forget documents everywhere; unknown keys are ignored.

        Raises:
            IndexUnavailable: the vector index failed (memory and lexical are already updated).
        """
        keys = list(keys)
        with self._lock:
            for key in keys:
                self.documents.pop(key, None)
                self._vectors.pop(key, None)
                self._hashes.pop(key, None)
            self.lexical_index.remove(keys)
            self.vector_index.delete(keys)

    def rebuild(
        self,
        documents: Sequence[Document],
        on_progress: Callable[[int, int], None] | None = None,
        batch_size: int = 256,
    ) -> UpsertResult:
        """Empty both indexes and upsert every document, reporting `on_progress(done, total)`.

        Vectors already in memory for unchanged texts are reused; the index is rebuilt from them.
        """
        with self._lock:
            self.vector_index.reset()
            self.lexical_index.clear()
            self.documents.clear()
            embedded = reused = 0
            total = len(documents)
            if on_progress:
                on_progress(0, total)
            for start in range(0, total, batch_size):
                result = self.upsert(documents[start : start + batch_size])
                embedded += result.embedded
                reused += result.reused
                if on_progress:
                    on_progress(min(start + batch_size, total), total)
            known = set(self.documents)
            for key in set(self._vectors) - known:
                self._vectors.pop(key, None)
                self._hashes.pop(key, None)
            return UpsertResult(embedded, reused)

    def search(
        self,
        text: str,
        *,
        limit: int,
        kinds: Sequence[str] | None = None,
        exclude_keys: Iterable[str] = (),
        pool: int = 50,
        explain: bool = True,
    ) -> list[Match]:
        """Return up to `limit` known documents most similar to `text`, best first.

        `explain=False` leaves out the shared words (the slow part with long texts) but not the
        score or its parts; evaluation runs use it. When the embedder fails, the matches are
        lexical only: `parts` has no `dense` and the reason says so, so that the caller can show
        them and mark the text for a retry.
        """
        if not text.strip() or limit <= 0:
            return []
        # Snapshots, so that a concurrent upsert or rebuild cannot change the dicts under us.
        documents, vectors = dict(self.documents), dict(self._vectors)
        excluded = set(exclude_keys)
        fetch = pool + len(excluded)
        lexical_hits = dict(self.lexical_index.query(text, fetch, kinds))
        try:
            query_vector: Vector | None = self.embedder.embed_query(text)
        except EmbeddingError as exc:
            log.warning("semantic part unavailable, ranking by text only: %s", exc)
            query_vector = None
        candidates = set(lexical_hits)
        if query_vector is not None:
            candidates.update(self._dense_candidates(query_vector, fetch, kinds, documents, vectors))
        candidates = {
            k
            for k in candidates - excluded
            if k in documents and (kinds is None or documents[k].kind in kinds)
        }
        missing = [k for k in candidates if k not in lexical_hits]
        lexical = {**lexical_hits, **self.lexical_index.score(text, missing)}
        matches = [
            self._match(text, documents[k], lexical.get(k, 0.0), query_vector, vectors.get(k), explain)
            for k in candidates
        ]
        matches.sort(key=lambda m: (-m.score, m.document.key))
        return matches[:limit]

    def score(self, text: str, keys: Iterable[str], *, explain: bool = True) -> dict[str, Match]:
        """Return the match of `text` with each known key, scored exactly as `search` scores it.

        For evaluation of pairs: the score of one given document, whether or not it would be
        among the candidates of `search`.
        """
        documents, vectors = dict(self.documents), dict(self._vectors)
        wanted = [k for k in dict.fromkeys(keys) if k in documents]
        if not wanted or not text.strip():
            return {}
        lexical = self.lexical_index.score(text, wanted)
        try:
            query_vector: Vector | None = self.embedder.embed_query(text)
        except EmbeddingError as exc:
            log.warning("semantic part unavailable, scoring by text only: %s", exc)
            query_vector = None
        return {
            k: self._match(text, documents[k], lexical.get(k, 0.0), query_vector, vectors.get(k), explain)
            for k in wanted
        }

    def _dense_candidates(
        self,
        query_vector: Vector,
        fetch: int,
        kinds: Sequence[str] | None,
        documents: dict[str, Document],
        vectors: dict[str, Vector],
    ) -> list[str]:
        try:
            return [hit.key for hit in self.vector_index.query(query_vector, fetch, kinds)]
        except IndexUnavailable as exc:
            log.warning("vector index unavailable, searching vectors in memory: %s", exc)
        keys = [k for k in vectors if k in documents and (kinds is None or documents[k].kind in kinds)]
        if not keys:
            return []
        sims = np.stack([vectors[k] for k in keys]) @ query_vector
        order = np.argsort(-sims, kind="stable")[:fetch]
        return [keys[i] for i in order]

    def _match(
        self,
        text: str,
        doc: Document,
        lexical: float,
        query_vector: Vector | None,
        vector: Vector | None,
        explain: bool = True,
    ) -> Match:
        terms = shared_terms(text, doc.text) if explain else []
        words = f"Gemensamma ord: {', '.join(terms)}." if terms else "Inga gemensamma ord."
        if query_vector is None or vector is None:
            why = "modellen var inte tillgänglig" if query_vector is None else "ingen vektor ännu"
            return Match(
                document=doc,
                score=lexical,
                parts={"lexical": lexical},
                shared_terms=terms,
                reason=f"{words} Textlikhet {_swedish(lexical)}; semantisk likhet saknas ({why}).",
            )
        cosine = float(np.dot(vector, query_vector))
        dense = dense_to_unit(cosine, self.dense_floor)
        wd, wl = self.dense_weight, self.lexical_weight
        score = (wd * dense + wl * lexical) / (wd + wl)
        return Match(
            document=doc,
            score=score,
            parts={"dense": cosine, "dense_scaled": dense, "lexical": lexical},
            shared_terms=terms,
            reason=(f"{words} Textlikhet {_swedish(lexical)}; semantisk likhet {_swedish(dense)}."),
        )
