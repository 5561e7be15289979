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
from dataclasses import dataclass, replace

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
from retrieval.boilerplate import strip_boilerplate
from retrieval.lexical import LexicalIndex, shared_passages, shared_terms
from retrieval.scoring import ScoreModel, shipped_model

log = logging.getLogger(__name__)

DEFAULT_MODEL = ScoreModel.weighted({"dense": 0.55, "lexical": 0.45})
"""For embedders without a fitted model (`retrieval/scoremodels/`): cosines taken at face value."""


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
        score_model: ScoreModel | None = None,
        *,
        clean: bool = True,
    ) -> None:
        self.embedder = embedder
        self.vector_index = vector_index
        self.lexical_index = lexical_index
        self.score_model = score_model or shipped_model(embedder.model_id) or DEFAULT_MODEL
        self.clean = clean
        self.documents: dict[str, Document] = {}
        self._vectors: dict[str, Vector] = {}
        self._hashes: dict[str, str] = {}
        self._lock = threading.RLock()

    def compared_text(self, text: str) -> str:
        """Return the part of a text that is compared: boilerplate removed (see `boilerplate`)."""
        return strip_boilerplate(text) if self.clean else text

    def _hash(self, doc: Document) -> str:
        return content_hash(self.compared_text(doc.text), self.embedder.model_id)

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
            compared = {d.key: self.compared_text(d.text) for d in docs}
            self.lexical_index.upsert(replace(d, title="", body=compared[d.key]) for d in docs)
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
                new = self.embedder.embed_documents([compared[d.key] for d in to_embed])
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
        # The index stores the text that was embedded, so that its content hash is the one `_hash`
        # computes and the next process reuses the vector; the title stays in the metadata.
        if docs:
            matrix = np.stack([vectors[d.key] for d in docs]).astype(np.float32)
            embedded = [
                replace(
                    d, title="", body=self.compared_text(d.text), metadata={**d.metadata, "title": d.title}
                )
                for d in docs
            ]
            self.vector_index.upsert(embedded, matrix)

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
        shown, text = text, self.compared_text(text)
        # Snapshots, so that a concurrent upsert or rebuild cannot change the dicts under us.
        documents, vectors = dict(self.documents), dict(self._vectors)
        excluded = set(exclude_keys)
        fetch = pool + len(excluded)
        lexical_hits = dict(self.lexical_index.query(text, fetch, kinds))
        model = self.score_model.for_words(len(text.split()))
        query_vector = self._query_vector(text, model, "ranking")
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
            self._match(shown, documents[k], lexical.get(k, 0.0), query_vector, vectors.get(k), False, model)
            for k in candidates
        ]
        matches.sort(key=lambda m: (-m.score, m.document.key))
        if not explain:
            return matches[:limit]
        # The shared words are the slow part: find them for the results only, not every candidate.
        return [
            self._match(
                shown, m.document, m.parts["lexical"], query_vector, vectors.get(m.document.key), True, model
            )
            for m in matches[:limit]
        ]

    def score(self, text: str, keys: Iterable[str], *, explain: bool = True) -> dict[str, Match]:
        """Return the match of `text` with each known key, scored exactly as `search` scores it.

        For evaluation of pairs: the score of one given document, whether or not it would be
        among the candidates of `search`.
        """
        documents, vectors = dict(self.documents), dict(self._vectors)
        wanted = [k for k in dict.fromkeys(keys) if k in documents]
        if not wanted or not text.strip():
            return {}
        shown, text = text, self.compared_text(text)
        lexical = self.lexical_index.score(text, wanted)
        model = self.score_model.for_words(len(text.split()))
        query_vector = self._query_vector(text, model, "scoring")
        return {
            k: self._match(
                shown, documents[k], lexical.get(k, 0.0), query_vector, vectors.get(k), explain, model
            )
            for k in wanted
        }

    def _query_vector(self, text: str, model: ScoreModel, doing: str) -> Vector | None:
        """Embed the (cleaned) query as `model` wants it; None when the embedder failed.

        A symmetric model compares two documents: the query is embedded as a document too.
        """
        try:
            if model.symmetric:
                vector: Vector = self.embedder.embed_documents([text])[0]
                return vector
            return self.embedder.embed_query(text)
        except EmbeddingError as exc:
            log.warning("semantic part unavailable, %s by text only: %s", doing, exc)
            return None

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
        model: ScoreModel | None = None,
    ) -> Match:
        terms = shared_terms(text, doc.text) if explain else []
        words = f"Gemensamma ord: {', '.join(terms)}." if terms else "Inga gemensamma ord."
        passages = shared_passages(text, doc.text) if explain else []
        if passages:
            words += " Gemensamma avsnitt: " + "; ".join(f"»{p}»" for p in passages) + "."
        model = model or self.score_model
        if query_vector is None or vector is None:
            why = "modellen var inte tillgänglig" if query_vector is None else "ingen vektor ännu"
            parts = {"lexical": lexical}
            return Match(
                document=doc,
                score=model.score(parts),
                parts=parts,
                shared_terms=terms,
                reason=f"{words} Textlikhet {_swedish(lexical)}; semantisk likhet saknas ({why}).",
            )
        parts = {"dense": float(np.dot(vector, query_vector)), "lexical": lexical}
        scaled = model.calibrated(parts)
        return Match(
            document=doc,
            score=model.score(parts),
            parts=parts,
            shared_terms=terms,
            reason=(
                f"{words} Textlikhet {_swedish(scaled.get('lexical', lexical))}; "
                f"semantisk likhet {_swedish(scaled.get('dense', parts['dense']))}."
            ),
        )
