"""An in-memory character n-gram index and the shared words shown to reviewers.

Character 3-5 grams inside word boundaries survive what Swedish intake texts are full of:
compounds (`parkeringstillstånd` in `SBK Parkeringsstillstånd`), inflections (`timvikarie`,
`timvikarier`) and typos. N-grams are hashed, so no vocabulary has to be fitted: a document is
tokenised once when it is upserted, and the idf weights are recomputed from the stored counts (a
single pass over the sparse data) on the first query after a change.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from retrieval.base import Document

_N_FEATURES = 2**20
"""Hash space for n-grams; collisions at this size are rare enough not to show in scores."""


def normalise(text: str) -> str:
    """Return text folded for matching: NFKC, casefolded, punctuation and symbols as spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = [" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in folded]
    return " ".join("".join(kept).split())


class LexicalIndex:
    """TF-IDF over hashed character 3-5 grams (sublinear tf), searched by cosine."""

    def __init__(self) -> None:
        # scikit-learn is imported here, not at module level: it costs most of a second.
        from sklearn.feature_extraction.text import HashingVectorizer

        self._vectorizer = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            n_features=_N_FEATURES,
            alternate_sign=False,
            norm=None,
            lowercase=False,
            dtype=np.float32,
        )
        self._rows: dict[str, tuple[str, npt.NDArray[np.int32], npt.NDArray[np.float32]]] = {}
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    def __len__(self) -> int:
        return len(self._rows)

    def _tf(self, texts: Sequence[str]) -> sp.csr_matrix:
        counts = sp.csr_matrix(self._vectorizer.transform([normalise(t) for t in texts]))
        counts.sum_duplicates()
        counts.data = (1.0 + np.log(counts.data)).astype(np.float32)
        return counts

    def upsert(self, documents: Iterable[Document]) -> None:
        """Add or replace documents; the weights are refreshed lazily on the next query."""
        docs = list(documents)
        if not docs:
            return
        tf = self._tf([d.text for d in docs])
        with self._lock:
            for i, doc in enumerate(docs):
                lo, hi = tf.indptr[i], tf.indptr[i + 1]
                indices = tf.indices[lo:hi].astype(np.int32)
                self._rows[doc.key] = (doc.kind, indices, tf.data[lo:hi].astype(np.float32))
            self._snapshot = None

    def remove(self, keys: Iterable[str]) -> None:
        """Remove documents; unknown keys are ignored."""
        with self._lock:
            removed = [self._rows.pop(k, None) for k in keys]
            if any(r is not None for r in removed):
                self._snapshot = None

    def clear(self) -> None:
        """Remove every document."""
        with self._lock:
            self._rows.clear()
            self._snapshot = None

    def _current(self) -> _Snapshot:
        with self._lock:
            if self._snapshot is None:
                self._snapshot = _Snapshot.build(self._rows)
            return self._snapshot

    def _query_vector(self, snapshot: _Snapshot, text: str) -> sp.csr_matrix | None:
        q = self._tf([text])
        if q.nnz == 0:
            return None
        q.data = q.data * snapshot.idf[q.indices]
        norm = float(np.sqrt(np.dot(q.data, q.data)))
        if norm == 0.0:
            return None
        q.data = q.data / norm
        return q

    def _scores(self, text: str) -> tuple[_Snapshot, npt.NDArray[np.float32]]:
        snapshot = self._current()
        if not snapshot.keys:
            return snapshot, np.zeros(0, dtype=np.float32)
        q = self._query_vector(snapshot, text)
        if q is None:
            return snapshot, np.zeros(len(snapshot.keys), dtype=np.float32)
        scores = np.asarray((snapshot.matrix @ q.T).toarray()).ravel()
        return snapshot, np.clip(scores, 0.0, 1.0).astype(np.float32)

    def query(self, text: str, limit: int, kinds: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """Return up to `limit` (key, cosine) pairs with a positive score, best first."""
        snapshot, scores = self._scores(text)
        if limit <= 0 or scores.size == 0:
            return []
        if kinds is not None:
            scores = np.where(np.isin(snapshot.kinds, list(kinds)), scores, 0.0)
        k = min(limit, scores.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(snapshot.keys[i], float(scores[i])) for i in top if scores[i] > 0.0]

    def score(self, text: str, keys: Iterable[str]) -> dict[str, float]:
        """Return the cosine of `text` with each known key (0.0 when nothing is shared)."""
        snapshot, scores = self._scores(text)
        return {k: float(scores[snapshot.position[k]]) for k in keys if k in snapshot.position}


class _Snapshot:
    """The weighted, row-normalised matrix for one state of the index; immutable once built."""

    def __init__(
        self,
        keys: list[str],
        kinds: npt.NDArray[np.str_],
        matrix: sp.csr_matrix,
        idf: npt.NDArray[np.float32],
    ) -> None:
        self.keys = keys
        self.kinds = kinds
        self.matrix = matrix
        self.idf = idf
        self.position = {k: i for i, k in enumerate(keys)}

    @classmethod
    def build(cls, rows: dict[str, tuple[str, npt.NDArray[np.int32], npt.NDArray[np.float32]]]) -> _Snapshot:
        keys = list(rows)
        kinds = np.array([rows[k][0] for k in keys], dtype=np.str_)
        lengths = np.array([rows[k][1].size for k in keys], dtype=np.int64)
        indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        if keys:
            indices = np.concatenate([rows[k][1] for k in keys])
            data = np.concatenate([rows[k][2] for k in keys])
        else:
            indices = np.zeros(0, dtype=np.int32)
            data = np.zeros(0, dtype=np.float32)
        from sklearn.preprocessing import normalize

        # Smooth idf as in scikit-learn's TfidfVectorizer: log((1 + n) / (1 + df)) + 1.
        df = np.bincount(indices, minlength=_N_FEATURES)
        idf = (np.log((1.0 + len(keys)) / (1.0 + df)) + 1.0).astype(np.float32)
        matrix = sp.csr_matrix(
            ((data * idf[indices]).astype(np.float32), indices, indptr),
            shape=(len(keys), _N_FEATURES),
        )
        if keys:
            matrix = sp.csr_matrix(normalize(matrix, norm="l2", copy=False))
        return cls(keys, kinds, matrix, idf)


# Swedish and English function words of four letters or more (shorter words are never shown).
_STOPWORD_TEXT = """
    alla allt andra annan annat både bara behöver blev blir blivit borde cirka dagens dels denna
    denne dess dessa detta deras direkt där därför efter eftersom eller enligt finns från före
    genom hade hans hela helt hennes här hos idag ingen inga inget inför inom inte kanske kommer
    kunde kunna kunnat lite många måste mellan mera mest mindre mycket nära något några också
    olika samma samt sedan sina sitt själv skall skulle snart till tillsammans under utan vara
    varit vems vilka vilken vilket vill ville våra vårt även ännu över
    about above after again also because been before being below between both cannot could does
    doing down during each from further have having here into just make makes more most much
    must need needs only other over same should some such takes than that their them then there
    these they this those through under until very want what when where which while will with
    would your
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


_WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> list[tuple[str, str]]:
    """Return (original, folded) words of at least four letters that are not stopwords."""
    seen: dict[str, str] = {}
    for word in _WORD.findall(unicodedata.normalize("NFKC", text)):
        folded = word.casefold()
        if len(folded) >= 4 and folded not in _STOPWORDS and not folded.isdigit():
            seen.setdefault(folded, word)
    return [(orig, folded) for folded, orig in seen.items()]


def _grams(word: str) -> set[str]:
    return {word[i : i + 5] for i in range(len(word) - 4)}


def _related(a: str, b: str) -> bool:
    """Return whether two folded words are one compound or inflection apart.

    They must share a run of at least five letters, and the matching runs together must cover most
    (three quarters) of the shorter word: `parkeringstillstånd`/`parkeringsstillstånd` and
    `timanställda`/`timanställningar` qualify (so does `hantering`/`ärendehantering`, a compound
    that really does share its head); `process`/`access` does not.
    """
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    blocks = matcher.get_matching_blocks()
    if max((m.size for m in blocks), default=0) < 5:
        return False
    covered = sum(m.size for m in blocks if m.size >= 3)
    return covered >= 0.75 * min(len(a), len(b))


def shared_terms(query_text: str, doc_text: str, limit: int = 8) -> list[str]:
    """Return the words two texts share, for a reviewer: `heroma`, or `a ≈ b` when forms differ."""
    doc_words = _words(doc_text)
    doc_folded = {folded: orig for orig, folded in doc_words}
    # `_related` needs a shared run of five letters: index the documents' 5-grams so that only
    # words that have one are compared (a long document made this the slow part of a query).
    by_gram: dict[str, set[str]] = {}
    for _, d_folded in doc_words:
        for gram in _grams(d_folded):
            by_gram.setdefault(gram, set()).add(d_folded)
    terms: list[str] = []
    used: set[str] = set()
    for orig, folded in _words(query_text):
        if len(terms) >= limit:
            break
        if folded in doc_folded:
            terms.append(folded)
            used.add(folded)
            continue
        near: set[str] = set().union(*(by_gram.get(g, set()) for g in _grams(folded)))
        for d_orig, d_folded in doc_words:
            if d_folded in near and d_folded not in used and _related(folded, d_folded):
                terms.append(f"{orig} ≈ {d_orig}")
                used.add(d_folded)
                break
    return terms


def shared_passages(query_text: str, doc_text: str, min_words: int = 4, limit: int = 3) -> list[str]:
    """Return the longest runs of at least `min_words` words that two texts share, as in `doc_text`.

    Words are compared folded (case and punctuation ignored); the passage is quoted from the
    document so the reviewer can find it. Runs made only of stopwords are left out.
    """
    doc_words = re.findall(r"\S+", unicodedata.normalize("NFKC", doc_text))
    query_folded = [normalise(w) for w in re.findall(r"\S+", unicodedata.normalize("NFKC", query_text))]
    doc_folded = [normalise(w) for w in doc_words]
    if len(query_folded) < min_words or len(doc_folded) < min_words:
        return []
    matcher = SequenceMatcher(None, query_folded, doc_folded, autojunk=False)
    blocks = sorted(matcher.get_matching_blocks(), key=lambda m: -m.size)
    passages: list[str] = []
    for block in blocks:
        if block.size < min_words or len(passages) >= limit:
            break
        words = doc_folded[block.b : block.b + block.size]
        if all(len(w) < 4 or w in _STOPWORDS for w in words):
            continue
        passages.append(" ".join(doc_words[block.b : block.b + block.size]).strip(".,;:!?"))
    return passages
