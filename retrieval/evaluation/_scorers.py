"""The in-process scorers: `hybrid` (the service's `SimilaritySearch`), `dense` and `lexical` alone.

Each scorer answers both questions of the evaluation formats: how similar two texts are
(`score_pairs`) and which items are nearest to each query item (`rank`, the query excluded).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from retrieval.base import Document, Embedder
from retrieval.evaluation._data import Item
from retrieval.evaluation._memory_index import NumpyVectorIndex
from retrieval.evaluation._metrics import Ranking
from retrieval.glossary import EMPTY, Glossary
from retrieval.lexical import LexicalIndex
from retrieval.scoring import ScoreModel
from retrieval.search import SimilaritySearch

_KIND = "item"


class Scorer(Protocol):
    """A similarity method under evaluation."""

    name: str
    threshold: float | None
    """Default flag threshold; None means every returned result (or any positive score) flags."""

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Return one similarity per (a, b) pair, higher meaning more alike."""
        ...

    def rank(self, items: Sequence[Item], queries: Sequence[str], k: int) -> dict[str, Ranking]:
        """Index `items` and return, for each query id, up to `k` other items, best first."""
        ...


def pair_documents(pairs: Sequence[tuple[str, str]]) -> tuple[list[Document], list[tuple[str, str]]]:
    """Return one document per distinct text and each pair as (key of a, key of b)."""
    keys: dict[str, str] = {}
    for a, b in pairs:
        for text in (a, b):
            keys.setdefault(text, f"t{len(keys)}")
    docs = [Document(key=key, kind=_KIND, ref=key, title=text) for text, key in keys.items()]
    return docs, [(keys[a], keys[b]) for a, b in pairs]


def item_documents(items: Sequence[Item]) -> list[Document]:
    """Return the items as documents keyed by their id."""
    return [Document(key=i.id, kind=_KIND, ref=i.id, title=i.title, body=i.body) for i in items]


class HybridScorer:
    """The service's scorer: `SimilaritySearch` with its embedder, score model and candidate pool."""

    name = "hybrid"

    def __init__(
        self,
        embedder: Embedder,
        score_model: ScoreModel,
        threshold: float | None = None,
        pool: int = 50,
        clean: bool = True,
        glossary: Glossary = EMPTY,
    ) -> None:
        self.embedder = embedder
        self.score_model = score_model
        self.glossary = glossary
        self.threshold: float | None = score_model.threshold if threshold is None else threshold
        self.pool = pool
        self.clean = clean

    def _search(self, docs: Sequence[Document]) -> SimilaritySearch:
        search = SimilaritySearch(
            self.embedder,
            NumpyVectorIndex(),
            LexicalIndex(),
            self.score_model,
            clean=self.clean,
            glossary=self.glossary,
        )
        search.upsert(docs)
        return search

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Score b as a document found for query a, in an index holding every text of the file."""
        docs, keyed = pair_documents(pairs)
        search = self._search(docs)
        texts = {d.key: d.text for d in docs}
        return [search.score(texts[a], [b], explain=False)[b].score for a, b in keyed]

    def rank(self, items: Sequence[Item], queries: Sequence[str], k: int) -> dict[str, Ranking]:
        """Search each query item's text with the service's `search`, excluding the item."""
        search = self._search(item_documents(items))
        by_id = {i.id: i for i in items}
        return {
            q: [
                (m.document.key, m.score)
                for m in search.search(
                    by_id[q].text, limit=k, exclude_keys=[q], pool=self.pool, explain=False
                )
            ]
            for q in queries
        }


class DenseScorer:
    """Cosine of the embedder alone: query embedding of a against document embedding of b."""

    name = "dense"

    def __init__(self, embedder: Embedder, threshold: float | None) -> None:
        self.embedder = embedder
        self.threshold = threshold

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Return the cosine of each pair."""
        docs, keyed = pair_documents(pairs)
        texts = {d.key: d.text for d in docs}
        b_keys = list(dict.fromkeys(b for _, b in keyed))
        matrix = self.embedder.embed_documents([texts[b] for b in b_keys])
        rows = {b: i for i, b in enumerate(b_keys)}
        queries = {a: self.embedder.embed_query(texts[a]) for a in dict.fromkeys(a for a, _ in keyed)}
        return [float(np.dot(queries[a], matrix[rows[b]])) for a, b in keyed]

    def rank(self, items: Sequence[Item], queries: Sequence[str], k: int) -> dict[str, Ranking]:
        """Rank every other item by cosine with the query item."""
        matrix = self.embedder.embed_documents([i.text for i in items])
        ids = [i.id for i in items]
        position = {key: n for n, key in enumerate(ids)}
        out: dict[str, Ranking] = {}
        for q in queries:
            sims = matrix @ self.embedder.embed_query(items[position[q]].text)
            sims[position[q]] = -np.inf
            order = np.argsort(-sims, kind="stable")[:k]
            out[q] = [(ids[n], float(sims[n])) for n in order]
        return out


class LexicalScorer:
    """The character n-gram part of `hybrid` alone (TF-IDF cosine over the file's texts)."""

    name = "lexical"

    def __init__(self, threshold: float | None) -> None:
        self.threshold = threshold

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Return the n-gram cosine of each pair, with idf from every text of the file."""
        docs, keyed = pair_documents(pairs)
        index = LexicalIndex()
        index.upsert(docs)
        texts = {d.key: d.text for d in docs}
        return [index.score(texts[a], [b]).get(b, 0.0) for a, b in keyed]

    def rank(self, items: Sequence[Item], queries: Sequence[str], k: int) -> dict[str, Ranking]:
        """Rank every other item by n-gram cosine with the query item."""
        index = LexicalIndex()
        index.upsert(item_documents(items))
        by_id = {i.id: i for i in items}
        return {
            q: [(key, s) for key, s in index.query(by_id[q].text, k + 1) if key != q][:k] for q in queries
        }
