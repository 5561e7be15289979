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
from retrieval.glossary import EMPTY, Glossary
from retrieval.language import across, detect_language
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
        glossary: Glossary = EMPTY,
    ) -> None:
        self.embedder = embedder
        self.vector_index = vector_index
        self.lexical_index = lexical_index
        self.score_model = score_model or shipped_model(embedder.model_id) or DEFAULT_MODEL
        self.clean = clean
        self.glossary = glossary
        self.documents: dict[str, Document] = {}
        self._vectors: dict[str, Vector] = {}
        self._hashes: dict[str, str] = {}
        self._languages: dict[str, tuple[str, str | None]] = {}
        self._lock = threading.RLock()

    def cleaned_text(self, text: str) -> str:
        """Return a text without its boilerplate (see `boilerplate`): what the writer wrote."""
        return strip_boilerplate(text) if self.clean else text

    def compared_text(self, text: str) -> str:
        """Return what is compared of a text: the cleaned text with the line of every glossary
        entry it mentions appended (see `glossary`)."""
        return self.glossary.expand(self.cleaned_text(text))

    def language_of(self, doc: Document) -> str | None:
        """Return the language of a known document (detected once per text), None when unsure."""
        known = self._languages.get(doc.key)
        if known is not None and known[0] == doc.text:
            return known[1]
        language = detect_language(self.cleaned_text(doc.text))
        self._languages[doc.key] = (doc.text, language)
        return language

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
                self._languages.pop(key, None)
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
            for key in set(self._languages) - known:
                self._languages.pop(key, None)
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
        query = _Query(self, text, "ranking")
        excluded = set(exclude_keys)
        fetch = pool + len(excluded)
        lexical_query = self.lexical_index.prepare(query.compared)
        lexical_hits = dict(lexical_query.top(fetch, kinds))
        candidates = set(lexical_hits)
        query_vector = query.vector(self.score_model.for_words(query.words).symmetric)
        if query_vector is not None:
            candidates.update(self._dense_candidates(query_vector, fetch, kinds))
        documents, vectors = self._entries(candidates - excluded)
        candidates = {k for k, d in documents.items() if kinds is None or d.kind in kinds}
        missing = [k for k in candidates if k not in lexical_hits]
        lexical = {**lexical_hits, **lexical_query.scores(missing)}
        # Every candidate is scored; only the results are made into matches and explained.
        ranked = sorted(
            candidates,
            key=lambda k: (-self._scored(query, documents[k], lexical.get(k, 0.0), vectors.get(k)).score, k),
        )
        return [
            self._match(query, documents[k], lexical.get(k, 0.0), vectors.get(k), explain=explain)
            for k in ranked[:limit]
        ]

    def score(self, text: str, keys: Iterable[str], *, explain: bool = True) -> dict[str, Match]:
        """Return the match of `text` with each known key, scored exactly as `search` scores it.

        For evaluation of pairs: the score of one given document, whether or not it would be
        among the candidates of `search`.
        """
        asked = list(dict.fromkeys(keys))
        documents, vectors = self._entries(asked)
        wanted = [k for k in asked if k in documents]
        if not wanted or not text.strip():
            return {}
        query = _Query(self, text, "scoring")
        lexical = self.lexical_index.score(query.compared, wanted)
        return {
            k: self._match(query, documents[k], lexical.get(k, 0.0), vectors.get(k), explain=explain)
            for k in wanted
        }

    def _entries(self, keys: Iterable[str]) -> tuple[dict[str, Document], dict[str, Vector]]:
        """Return the known documents among `keys` and their vectors, as they are now.

        Copies of these entries only, not of every document, so that a search costs nothing per
        item it does not touch. Each is one `dict.get`, atomic under the GIL, and no lock is
        taken: an upsert holds the lock while the model embeds, and a search must not wait for it.
        """
        documents = {k: d for k in keys if (d := self.documents.get(k)) is not None}
        vectors = {k: v for k in documents if (v := self._vectors.get(k)) is not None}
        return documents, vectors

    def _dense_candidates(self, query_vector: Vector, fetch: int, kinds: Sequence[str] | None) -> list[str]:
        try:
            return [hit.key for hit in self.vector_index.query(query_vector, fetch, kinds)]
        except IndexUnavailable as exc:
            log.warning("vector index unavailable, searching vectors in memory: %s", exc)
        # Copies, so that a concurrent upsert or rebuild cannot change the dicts while we iterate.
        documents, vectors = dict(self.documents), dict(self._vectors)
        keys = [k for k in vectors if k in documents and (kinds is None or documents[k].kind in kinds)]
        if not keys:
            return []
        sims = np.stack([vectors[k] for k in keys]) @ query_vector
        order = np.argsort(-sims, kind="stable")[:fetch]
        return [keys[i] for i in order]

    def _scored(self, query: _Query, doc: Document, lexical: float, vector: Vector | None) -> _Scored:
        """Return the score of `doc` for `query` and what it was made of (no explanation)."""
        model = self.score_model.for_match(query.words, doc.kind)
        query_vector = query.vector(model.symmetric)
        if query_vector is None or vector is None:
            missing = "modellen var inte tillgänglig" if query_vector is None else "ingen vektor ännu"
            parts = {"lexical": lexical}
            return _Scored(model, parts, False, model.score(parts), missing)
        parts = {"dense": float(np.dot(vector, query_vector)), "lexical": lexical}
        other_language = across(query.language, self.language_of(doc))
        return _Scored(model, parts, other_language, model.score(parts, across=other_language), None)

    def _match(
        self, query: _Query, doc: Document, lexical: float, vector: Vector | None, *, explain: bool
    ) -> Match:
        text = query.shown
        terms = shared_terms(text, doc.text) if explain else []
        words = f"Gemensamma ord: {', '.join(terms)}." if terms else "Inga gemensamma ord."
        passages = shared_passages(text, doc.text) if explain else []
        if passages:
            words += " Gemensamma avsnitt: " + "; ".join(f"»{p}»" for p in passages) + "."
        if explain:
            words += "".join(f" {t.explanation}" for t in self.glossary.linking(text, doc.text))
        scored = self._scored(query, doc, lexical, vector)
        parts, score = scored.parts, scored.score
        if scored.missing is not None:
            reason = f"{words} Textlikhet {_swedish(lexical)}; semantisk likhet saknas ({scored.missing})."
        else:
            scaled = scored.model.calibrated(parts)
            note = " Olika språk: bedömd på innebörden." if scored.across else ""
            reason = (
                f"{words} Textlikhet {_swedish(scaled.get('lexical', lexical))}; "
                f"semantisk likhet {_swedish(scaled.get('dense', parts['dense']))}.{note}"
            )
        return Match(
            document=doc,
            score=score,
            relevant=score >= scored.model.floor,
            parts=parts,
            shared_terms=terms,
            reason=reason,
        )


@dataclass(frozen=True)
class _Scored:
    """A document's score for a query, the model that gave it and its parts."""

    model: ScoreModel
    parts: dict[str, float]
    across: bool
    score: float
    missing: str | None
    """Why the dense part is missing (the model failed, or no vector yet); None when it is there."""


class _Query:
    """A text being matched: cleaned, compared, its language, and its vectors made once each.

    A model for a kind of document may want the query embedded the other way (as a passage, or
    with e5's `query: ` prefix) than the model that found the candidates; each way is embedded at
    most once per query.
    """

    def __init__(self, search: SimilaritySearch, text: str, doing: str) -> None:
        self._search = search
        self._doing = doing
        self.shown = text
        cleaned = search.cleaned_text(text)
        self.compared = search.glossary.expand(cleaned)
        self.words = len(cleaned.split())
        self._cleaned = cleaned
        self._language: tuple[str | None] | None = None
        self._vectors: dict[bool, Vector | None] = {}

    @property
    def language(self) -> str | None:
        """Return the query's language, None when unsure (detected on first use)."""
        if self._language is None:
            self._language = (detect_language(self._cleaned),)
        return self._language[0]

    def vector(self, symmetric: bool) -> Vector | None:
        """Return the query embedded as a passage (`symmetric`) or as a query; None when the model failed.

        Once the model has failed for this query it is not asked again.
        """
        if symmetric in self._vectors:
            return self._vectors[symmetric]
        if any(v is None for v in self._vectors.values()):
            return None
        embedder = self._search.embedder
        try:
            vector: Vector | None = (
                embedder.embed_documents([self.compared])[0]
                if symmetric
                else embedder.embed_query(self.compared)
            )
        except EmbeddingError as exc:
            log.warning("semantic part unavailable, %s by text only: %s", self._doing, exc)
            vector = None
        self._vectors[symmetric] = vector
        return vector
