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

    def prepare(self, text: str) -> LexicalQuery:
        """Return `text` weighted against the index as it is now, to be asked for hits and scores.

        One query vector serves both questions a search asks (the best hits, then the scores of
        the dense part's candidates), so the text is tokenised and weighted once.
        """
        snapshot = self._current()
        q = self._tf([text])
        if q.nnz == 0:
            return LexicalQuery(snapshot, None)
        q.data = q.data * snapshot.idf[q.indices]
        norm = float(np.sqrt(np.dot(q.data, q.data)))
        if norm == 0.0:
            return LexicalQuery(snapshot, None)
        q.data = q.data / norm
        return LexicalQuery(snapshot, q)

    def query(self, text: str, limit: int, kinds: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """Return up to `limit` (key, cosine) pairs with a positive score, best first."""
        return self.prepare(text).top(limit, kinds)

    def score(self, text: str, keys: Iterable[str]) -> dict[str, float]:
        """Return the cosine of `text` with each known key (0.0 when nothing is shared)."""
        return self.prepare(text).scores(keys)


POSTINGS_BUDGET = 200_000
"""Postings a query reads to find its candidates; the rarest n-grams are read first.

An n-gram such as ` för` is in most Swedish texts: reading its postings costs as much as scanning
the whole index and tells almost nothing apart (its idf is near 1). The candidates are found from
the query's rarest n-grams, as many as fit this budget, and then scored exactly on every n-gram.
An index small enough that a query's postings fit is read whole, so its
hits are exact; at 100,000 items a query reads a few percent of the index instead of all of it.
"""
CANDIDATE_FACTOR = 4
"""Candidates scored exactly per hit asked for: room for the exact order to differ from the rough."""


class LexicalQuery:
    """A text weighted against one state of the index: its best hits and its exact scores."""

    def __init__(self, snapshot: _Snapshot, vector: sp.csr_matrix | None) -> None:
        self._snapshot = snapshot
        self._vector = vector

    def top(self, limit: int, kinds: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """Return up to `limit` (key, cosine) pairs with a positive score, best first.

        The rough scores come from the rarest n-grams within `POSTINGS_BUDGET`; the best
        `CANDIDATE_FACTOR` x `limit` of them are scored exactly on every n-gram and ranked.
        """
        snapshot, q = self._snapshot, self._vector
        if q is None or limit <= 0 or not snapshot.keys:
            return []
        rough = snapshot.rough_scores(q)
        if kinds is not None:
            rough = np.where(np.isin(snapshot.kinds, list(kinds)), rough, 0.0)
        positive = np.flatnonzero(rough > 0.0)
        wanted = min(limit * CANDIDATE_FACTOR, positive.size)
        if wanted == 0:
            return []
        rows = positive[np.argpartition(-rough[positive], wanted - 1)[:wanted]]
        exact = snapshot.exact_scores(q, rows)
        order = np.lexsort((rows, -exact))[:limit]
        return [(snapshot.keys[rows[i]], float(exact[i])) for i in order if exact[i] > 0.0]

    def scores(self, keys: Iterable[str]) -> dict[str, float]:
        """Return the exact cosine with each known key (0.0 when nothing is shared)."""
        snapshot = self._snapshot
        known = [k for k in keys if k in snapshot.position]
        if not known:
            return {}
        if self._vector is None:
            return dict.fromkeys(known, 0.0)
        rows = np.array([snapshot.position[k] for k in known], dtype=np.int64)
        exact = snapshot.exact_scores(self._vector, rows)
        return {k: float(v) for k, v in zip(known, exact, strict=True)}


class _Snapshot:
    """The index by n-gram (posting lists, weighted and row-normalised) for one state of the index.

    Immutable once built. The rows themselves are not copied into a second matrix: exact scores
    read the index's own rows (raw term frequencies) with the snapshot's idf and row norms, so the
    n-gram weights are held twice (rows and posting lists), not three times; at 100,000 texts one
    copy is about 0.4 GB.
    """

    def __init__(
        self,
        keys: list[str],
        kinds: npt.NDArray[np.str_],
        rows: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]],
        columns: sp.csc_matrix,
        norms: npt.NDArray[np.float32],
        idf: npt.NDArray[np.float32],
        df: npt.NDArray[np.int64],
    ) -> None:
        self.keys = keys
        self.kinds = kinds
        self.rows = rows
        self.columns = columns
        self.norms = norms
        self.idf = idf
        self.df = df
        self.position = {k: i for i, k in enumerate(keys)}

    def rough_scores(self, q: sp.csr_matrix) -> npt.NDArray[np.float32]:
        """Return every row's cosine over the query's rarest n-grams within `POSTINGS_BUDGET`."""
        grams, weights = q.indices, q.data
        df = self.df[grams]
        if int(df.sum()) > POSTINGS_BUDGET:
            order = np.argsort(df, kind="stable")
            within = np.cumsum(df[order]) <= POSTINGS_BUDGET
            within[0] = True
            keep = order[within]
            grams, weights = grams[keep], weights[keep]
        scores: npt.NDArray[np.float32] = np.asarray(self.columns[:, grams] @ weights, dtype=np.float32)
        return scores.ravel()

    def exact_scores(self, q: sp.csr_matrix, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Return the cosine of the query with each of `rows` over every n-gram, clipped to [0, 1]."""
        order = np.argsort(q.indices)
        grams, weights = q.indices[order], q.data[order]
        picked = [self.rows[int(r)] for r in rows]
        lengths = np.array([p[0].size for p in picked], dtype=np.int64)
        scores = np.zeros(len(picked), dtype=np.float64)
        if grams.size == 0 or not lengths.any():
            return scores.astype(np.float32)
        indices = np.concatenate([p[0] for p in picked])
        tf = np.concatenate([p[1] for p in picked]).astype(np.float64)
        at = np.minimum(np.searchsorted(grams, indices), grams.size - 1)
        shared = grams[at] == indices
        products = np.where(shared, tf * self.idf[indices] * weights[at], 0.0)
        ends = np.cumsum(lengths)
        totals = np.concatenate(([0.0], np.cumsum(products)))
        scores = (totals[ends] - totals[ends - lengths]) / np.maximum(self.norms[rows], 1e-12)
        clipped: npt.NDArray[np.float32] = np.clip(scores, 0.0, 1.0).astype(np.float32)
        return clipped

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
        # Smooth idf as in scikit-learn's TfidfVectorizer: log((1 + n) / (1 + df)) + 1.
        df = np.bincount(indices, minlength=_N_FEATURES)
        idf = (np.log((1.0 + len(keys)) / (1.0 + df)) + 1.0).astype(np.float32)
        # In place where it can be: at 100,000 texts each of these arrays is about 0.2 GB.
        np.multiply(data, idf[indices], out=data)
        norms = np.zeros(len(keys), dtype=np.float32)
        filled = lengths > 0
        if filled.any():
            norms[filled] = np.sqrt(np.add.reduceat(data * data, indptr[:-1][filled]))
        data /= np.repeat(np.maximum(norms, 1e-12), lengths)
        columns = sp.csr_matrix((data, indices, indptr), shape=(len(keys), _N_FEATURES)).tocsc()
        del data, indices
        kept = [(rows[k][1], rows[k][2]) for k in keys]
        return cls(keys, kinds, kept, columns, norms, idf, df)


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
