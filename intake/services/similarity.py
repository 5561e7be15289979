"""Find portfolio items and submissions similar to a text, keeping the index in step with SQL.

SQL is the source of truth. Each process keeps a watermark of the newest `updated_at` it has
indexed and, before searching, indexes the rows changed since (`sync`). Unchanged texts are
not embedded again: the vector index stores a content hash per document.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.domain.duplicates import ItemKind
from intake.domain.glossary import GlossaryFileError, glossary_path, load_glossary
from intake.domain.submission import ProcessingState
from intake.models import IndexRemoval, PortfolioItem, Submission
from intake.settings import Settings, SimilaritySettings
from retrieval import (
    ChromaIndex,
    Document,
    Embedder,
    EmbeddingError,
    IndexUnavailable,
    LexicalIndex,
    Match,
    ScoreModel,
    SimilaritySearch,
    VectorIndex,
    embedder_from_config,
    shipped_model,
)
from retrieval.glossary import EMPTY as EMPTY_GLOSSARY
from retrieval.glossary import Glossary
from retrieval.search import DEFAULT_MODEL

log = logging.getLogger(__name__)


class SimilarityUnavailable(RuntimeError):
    """Raised when the index cannot be updated now; the caller retries later."""


def score_model_for(settings: SimilaritySettings, embedder: Embedder) -> ScoreModel:
    """Return the configured score model file, else the one shipped for the embedder.

    Raises:
        ValueError: the configured file cannot be read as a score model.
    """
    if settings.score_model is not None:
        return ScoreModel.load(settings.score_model)
    return shipped_model(embedder.model_id) or DEFAULT_MODEL


def embedder_of(settings: Settings) -> Embedder:
    """Return the configured embedder (`settings.embedding`); nothing loads until it first embeds.

    Raises:
        ValueError: the backend, model or engine is not one the settings allow together.
    """
    e = settings.embedding
    return embedder_from_config(e.backend, e.model, e.device, e.batch_size, engine=e.engine)


def glossary_of(settings: Settings) -> Glossary:
    """Return the glossary in force (configured file, staff's copy, or the shipped one).

    Raises:
        GlossaryFileError: the file is unreadable or invalid.
    """
    return load_glossary(glossary_path(settings.glossary_file, settings.data_dir))


def glossary_for_reasons(settings: Settings) -> Glossary:
    """Return the glossary in force, or an empty one when its file was broken after the start.

    For what only explains (an agenda's reasons): an explanation is not worth failing an agenda for,
    and the glossary page says what is wrong with the file.
    """
    try:
        return glossary_of(settings)
    except GlossaryFileError as exc:
        log.warning("glossary not used for the reasons: %s", exc)
        return EMPTY_GLOSSARY


def portfolio_key(nr: str) -> str:
    """Return the index key of a portfolio item."""
    return f"{ItemKind.PORTFOLIO.value}:{nr}"


def submission_key(reference: str) -> str:
    """Return the index key of a submission."""
    return f"{ItemKind.SUBMISSION.value}:{reference}"


def portfolio_document(item: PortfolioItem) -> Document:
    """Turn a portfolio row into a searchable document."""
    metadata: dict[str, str | int | float | bool] = {}
    if item.year is not None:
        metadata["year"] = item.year
    if item.step:
        metadata["step"] = item.step
    if item.focus_area:
        metadata["focus_area"] = item.focus_area
    return Document(
        key=portfolio_key(item.nr),
        kind=ItemKind.PORTFOLIO.value,
        ref=item.nr,
        title=item.title,
        body=item.description or "",
        metadata=metadata,
    )


def submission_text(submission: Submission) -> str:
    """Return the text a submission is compared by: as sent, then what the submitter added later."""
    if submission.follow_up_text:
        return f"{submission.raw_text}\n\n{submission.follow_up_text}"
    return submission.raw_text


def submission_document(submission: Submission) -> Document:
    """Turn a submission row into a searchable document."""
    return Document(
        key=submission_key(submission.reference),
        kind=ItemKind.SUBMISSION.value,
        ref=submission.reference,
        title=submission.title or "",
        body=submission_text(submission),
        metadata={"step": submission.step},
    )


class SimilarityService:
    """Searches the portfolio and open submissions; one instance per process."""

    def __init__(
        self,
        engine: Engine,
        search: SimilaritySearch,
        settings: SimilaritySettings,
        glossary_source: Callable[[], Glossary] | None = None,
    ) -> None:
        self._engine = engine
        self._search = search
        self._settings = settings
        self._glossary_source = glossary_source
        self._lock = threading.RLock()
        self._portfolio_mark: datetime | None = None
        self._submission_mark: datetime | None = None
        self._removal_mark: datetime | None = None
        self._seen: set[tuple[str, int | None, datetime]] = set()

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> SimilarityService:
        """Build the service with the configured embedder and index (nothing loads yet)."""
        embedder = embedder_of(settings)
        index = build_vector_index(settings, embedder)
        return cls.with_parts(
            engine,
            embedder,
            index,
            settings.similarity,
            glossary_of(settings),
            glossary_source=lambda: glossary_of(settings),
        )

    @classmethod
    def with_parts(
        cls,
        engine: Engine,
        embedder: Embedder,
        index: VectorIndex,
        settings: SimilaritySettings,
        glossary: Glossary = EMPTY_GLOSSARY,
        *,
        glossary_source: Callable[[], Glossary] | None = None,
    ) -> SimilarityService:
        """Build the service from explicit parts (tests pass fakes here).

        `glossary_source` is read at every sync, so that an edited glossary is followed.
        """
        search = SimilaritySearch(
            embedder,
            index,
            LexicalIndex(),
            score_model_for(settings, embedder),
            clean=settings.clean_boilerplate,
            glossary=glossary,
        )
        return cls(engine, search, settings, glossary_source)

    @property
    def search_engine(self) -> SimilaritySearch:
        """Return the underlying search (for health checks)."""
        return self._search

    @property
    def flag_threshold(self) -> float:
        """Return the score at or above which a match is a possible duplicate.

        The configured threshold, or else the one calibrated with the score model.
        """
        configured = self._settings.flag_threshold
        return self._search.score_model.threshold if configured is None else configured

    def sync(self) -> int:
        """Index portfolio items and processed submissions changed since the last sync.

        Documents another process took out of the index (an erasure, a retention rule) leave this
        process's copy too: their keys are in `index_removal`.
        """
        self._follow_glossary()
        with self._lock, Session(self._engine) as session:
            items = self._changed(session, PortfolioItem, self._portfolio_mark)
            submissions = self._changed(session, Submission, self._submission_mark)
            removals = self._removals(session)
            fresh = [s for s in submissions if self._is_new(s)]
            documents = [portfolio_document(i) for i in items if self._is_new(i)]
            documents += [submission_document(s) for s in fresh if s.unindexed_at is None]
            gone = [r.key for r in removals] + [submission_key(s.reference) for s in fresh if s.unindexed_at]
            if gone:
                self._remove(gone)
            if documents:
                self._upsert(documents)
            self._portfolio_mark = self._advance(items, self._portfolio_mark)
            self._submission_mark = self._advance(submissions, self._submission_mark)
            if removals:
                self._removal_mark = removals[-1].at
            return len(documents)

    def _follow_glossary(self) -> None:
        """Take up a changed glossary file: every document is compared anew at this sync.

        Texts that the change does not touch keep their vectors (same content hash); the others
        are embedded again. A file that has become unreadable keeps the glossary in use.
        """
        if self._glossary_source is None:
            return
        try:
            glossary = self._glossary_source()
        except GlossaryFileError as exc:
            log.warning("glossary unreadable, the one in use stays: %s", exc)
            return
        current = self._search.glossary
        # the file's loader is cached by modification time: unchanged, it is the same object
        if glossary is current or glossary.fingerprint() == current.fingerprint():
            return
        with self._lock:
            log.info("the glossary changed (%d entries): comparing every document anew", len(glossary))
            self._search.glossary = glossary
            self._seen = set()
            self._portfolio_mark = None
            self._submission_mark = None

    def _removals(self, session: Session) -> list[IndexRemoval]:
        query = select(IndexRemoval).order_by(col(IndexRemoval.at))
        if self._removal_mark is not None:
            query = query.where(col(IndexRemoval.at) >= self._removal_mark)
        return list(session.exec(query))

    def forget(self, keys: Sequence[str]) -> None:
        """Take documents out of this process's index now (others follow `index_removal`)."""
        with self._lock:
            self._remove(list(keys))

    def _remove(self, keys: list[str]) -> None:
        try:
            self._search.remove(keys)
        except IndexUnavailable as exc:
            raise SimilarityUnavailable(str(exc)) from exc

    def compact(self) -> bool:
        """Rewrite the vector index without the space of removed documents, where it can; say whether."""
        compact = getattr(self._search.vector_index, "compact", None)
        if compact is None:
            return False
        with self._lock:
            try:
                compact()
            except IndexUnavailable as exc:
                raise SimilarityUnavailable(str(exc)) from exc
        return True

    def _changed(
        self, session: Session, table: type[PortfolioItem] | type[Submission], mark: datetime | None
    ) -> list[Any]:
        # `>=` rather than `>`: rows written in the same microsecond as the mark are not lost;
        # `_seen` keeps them from being indexed twice.
        query = select(table).order_by(col(table.updated_at))
        if table is Submission:
            query = query.where(col(Submission.state) == ProcessingState.PROCESSED)
        if mark is not None:
            query = query.where(col(table.updated_at) >= mark)
        return list(session.exec(query))

    def _is_new(self, row: PortfolioItem | Submission) -> bool:
        key = (type(row).__name__, row.id, row.updated_at)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def _advance(self, rows: list[Any], mark: datetime | None) -> datetime | None:
        if not rows:
            return mark
        newest: datetime = rows[-1].updated_at
        table = type(rows[-1]).__name__
        # Forget this table's rows from before the new mark, so `_seen` stays small.
        self._seen = {k for k in self._seen if k[0] != table or k[2] >= newest}
        return newest

    def index_submission(self, submission: Submission) -> None:
        """Embed and index one submission; raise SimilarityUnavailable if that cannot be done now.

        The row is read again after the write: an erasure or anonymisation that committed while
        this process embedded the old text wins, and the index ends as SQL says.
        """
        with self._lock:
            if submission.unindexed_at is None:
                self._upsert([submission_document(submission)])
            with Session(self._engine) as session:
                now = session.get(Submission, submission.id)
            if now is None or now.unindexed_at is not None:
                self._remove([submission_key(submission.reference)])
            elif now.anonymised_at != submission.anonymised_at:
                self._upsert([submission_document(now)])

    def find_similar(
        self,
        text: str,
        *,
        limit: int | None = None,
        kinds: Sequence[str] | None = None,
        exclude_keys: Sequence[str] = (),
    ) -> list[Match]:
        """Return the items most similar to `text`, best first, each with its reasons.

        When the embedding model fails, the lexical part still answers (the matches then say
        so in their reason); only an unreachable vector index or database raises.
        """
        try:
            self.sync()
        except SimilarityUnavailable as exc:
            log.warning("searching a stale index: %s", exc)
        with self._lock:
            try:
                return self._search.search(
                    text,
                    limit=limit or self._settings.default_limit,
                    kinds=kinds,
                    exclude_keys=exclude_keys,
                    pool=self._settings.candidate_pool,
                )
            except IndexUnavailable as exc:
                raise SimilarityUnavailable(str(exc)) from exc

    def rebuild(self, on_progress: Callable[[int, int], None] | None = None) -> int:
        """Drop the index and rebuild it from SQL; return the number of documents indexed."""
        with self._lock, Session(self._engine) as session:
            items = list(session.exec(select(PortfolioItem).order_by(col(PortfolioItem.nr))))
            submissions = list(
                session.exec(
                    select(Submission)
                    .where(col(Submission.state) == ProcessingState.PROCESSED)
                    .where(col(Submission.unindexed_at).is_(None))
                    .order_by(col(Submission.id))
                )
            )
            documents = [portfolio_document(i) for i in items]
            documents += [submission_document(s) for s in submissions]
            try:
                self._search.rebuild(documents, on_progress=on_progress)
            except (EmbeddingError, IndexUnavailable) as exc:
                raise SimilarityUnavailable(str(exc)) from exc
            self._seen = set()
            self._portfolio_mark = None
            self._submission_mark = None
            self._removal_mark = None
            for item in items:
                self._is_new(item)  # mark as indexed
            for submission in submissions:
                self._is_new(submission)
            self._portfolio_mark = self._advance(sorted(items, key=lambda i: i.updated_at), None)
            self._submission_mark = self._advance(sorted(submissions, key=lambda s: s.updated_at), None)
            return len(documents)

    def _upsert(self, documents: list[Document]) -> None:
        try:
            self._search.upsert(documents)
        except (EmbeddingError, IndexUnavailable) as exc:
            raise SimilarityUnavailable(str(exc)) from exc


def build_vector_index(settings: Settings, embedder: Embedder) -> VectorIndex:
    """Return the Chroma index the settings name: a server by URL, else the embedded one."""
    if settings.index.url:
        return ChromaIndex(
            url=settings.index.url, collection=settings.index.collection, model_id=embedder.model_id
        )
    return ChromaIndex(
        path=settings.chroma_path, collection=settings.index.collection, model_id=embedder.model_id
    )
