"""Accept submissions and process them: store first, then embed, index and compare.

The order is the point. `accept` commits the submission before any model work, so a crash or a
model failure can never lose what a person wrote. `process` does the rest and, when it fails,
marks the submission for a later retry (`process_due`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.domain.duplicates import Decision, ItemKind
from intake.domain.language import detect_language
from intake.domain.submission import Limits, NewSubmission, ProcessingState, format_reference, validate
from intake.models import DuplicateCandidate, ReferenceCounter, Submission, utcnow
from intake.services import audit, jobs, personal_data
from intake.services.judge import DuplicateJudge, judge_candidates
from intake.services.similarity import (
    SimilarityService,
    SimilarityUnavailable,
    submission_key,
    submission_text,
)
from intake.settings import IntakeSettings
from retrieval import Match

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
STALLED_AFTER = timedelta(minutes=2)
"""A submission still `received` this long after intake lost its processing (a crash)."""
INLINE_HOLD = timedelta(minutes=2)
"""How long `submit` keeps workers off the triage job while it processes the submission itself."""


@dataclass(frozen=True)
class Outcome:
    """What happened to a submission after intake: its row, suggestions and whether work is left."""

    submission: Submission
    matches: list[Match]
    processed: bool
    error: str | None = None


def limits_from(settings: IntakeSettings) -> Limits:
    """Return the validation limits configured for intake."""
    return Limits(min_text=settings.min_text_chars, max_text=settings.max_text_chars)


def accept(
    engine: Engine,
    new: NewSubmission,
    settings: IntakeSettings,
    *,
    actor: str,
    hold: timedelta | None = None,
) -> Submission:
    """Validate and store a submission with its reference and its triage job, in one commit.

    The job row is what makes a crash after the commit harmless: a worker runs it whenever it
    can. `hold` keeps workers off the job for a while, for a caller that processes the
    submission itself first and then calls `jobs.release` (see `submit`).
    """
    clean = validate(new, limits_from(settings))
    received_at = utcnow()
    with session_scope(engine) as session:
        number = _next_reference_number(session, received_at.year)
        submission = Submission(
            reference=format_reference(settings.reference_prefix, received_at.year, number),
            title=clean.title,
            raw_text=clean.text,
            channel=clean.channel,
            submitter_name=clean.submitter_name,
            submitter_email=clean.submitter_email,
            submitter_unit=clean.submitter_unit,
            received_at=received_at,
            language=detect_language(clean.text),
        )
        session.add(submission)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.SUBMISSION_RECEIVED,
            entity_kind="submission",
            entity_key=submission.reference,
            changes={"channel": clean.channel.value},
        )
        assert submission.id is not None
        jobs.enqueue(session, submission.id, jobs.TRIAGE, run_after=received_at + hold if hold else None)
    return submission


def _next_reference_number(session: Session, year: int) -> int:
    """Hand out the next number of `year` atomically, on SQLite and PostgreSQL alike."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ReferenceCounter.__table__  # type: ignore[attr-defined]
    statement = (
        insert(table)
        .values(year=year, last_value=1)
        .on_conflict_do_update(index_elements=[table.c.year], set_={"last_value": table.c.last_value + 1})
        .returning(table.c.last_value)
    )
    return int(session.execute(statement).scalar_one())


def process(
    engine: Engine,
    similarity: SimilarityService,
    submission_id: int,
    settings: IntakeSettings,
    judge: DuplicateJudge | None = None,
) -> Outcome:
    """Index a stored submission and record its duplicate candidates; on failure, schedule a retry.

    With a `judge`, the best pending candidates also get the model's verdict beside their score
    (advice only; a judge that fails changes nothing).
    """
    with Session(engine, expire_on_commit=False) as session:
        submission = session.get(Submission, submission_id)
        if submission is None:
            raise LookupError(f"no submission with id {submission_id}")
    key = submission_key(submission.reference)
    try:
        similarity.index_submission(submission)
        matches = similarity.find_similar(_search_text(submission), limit=10, exclude_keys=[key])
    except SimilarityUnavailable as exc:
        failed = _mark_failed(engine, submission_id, str(exc), settings)
        return Outcome(failed, _lexical_fallback(similarity, submission, key), False, str(exc))
    done = _store_candidates(engine, submission, matches, similarity.flag_threshold)
    if judge is not None:
        judge_candidates(engine, submission_id, judge)
    return Outcome(done, matches, True)


def index(engine: Engine, similarity: SimilarityService, submission_id: int) -> None:
    """Embed and index one stored submission (a no-op for an unchanged text).

    Raises:
        LookupError: no such submission.
        SimilarityUnavailable: the model or the index failed; the caller retries.
    """
    similarity.index_submission(_load(engine, submission_id))


def compare(engine: Engine, similarity: SimilarityService, submission_id: int) -> list[DuplicateCandidate]:
    """Find and store the duplicate candidates of a submission, unless that was done already.

    A processed submission keeps the candidates it has (reviewers may be deciding on them), so
    running triage again changes nothing.

    Raises:
        LookupError: no such submission.
        SimilarityUnavailable: the index failed; the caller retries.
    """
    submission = _load(engine, submission_id)
    if submission.state != ProcessingState.PROCESSED:
        key = submission_key(submission.reference)
        matches = similarity.find_similar(_search_text(submission), limit=10, exclude_keys=[key])
        _store_candidates(engine, submission, matches, similarity.flag_threshold)
    return candidates(engine, submission_id)


def candidates(engine: Engine, submission_id: int) -> list[DuplicateCandidate]:
    """Return the stored duplicate candidates of a submission, best first."""
    with Session(engine, expire_on_commit=False) as session:
        query = (
            select(DuplicateCandidate)
            .where(col(DuplicateCandidate.submission_id) == submission_id)
            .order_by(col(DuplicateCandidate.score).desc())
        )
        return list(session.exec(query))


def _load(engine: Engine, submission_id: int) -> Submission:
    with Session(engine, expire_on_commit=False) as session:
        submission = session.get(Submission, submission_id)
    if submission is None:
        raise LookupError(f"no submission with id {submission_id}")
    return submission


def _search_text(submission: Submission) -> str:
    text = submission_text(submission)
    return f"{submission.title}\n{text}" if submission.title else text


def _lexical_fallback(similarity: SimilarityService, submission: Submission, key: str) -> list[Match]:
    # Suggestions still help the person who is waiting, even when the index cannot be written.
    try:
        return similarity.find_similar(_search_text(submission), exclude_keys=[key])
    except SimilarityUnavailable:
        return []


def _store_candidates(engine: Engine, read: Submission, matches: list[Match], threshold: float) -> Submission:
    """Store the candidates found for `read`, unless an erasure changed the row since it was read.

    Raises:
        SubmissionErased: it was deleted or anonymised meanwhile; the matches (and the words they
            share with the old text) are dropped, and a retry works from the row as it is now.
    """
    submission_id = read.id
    assert submission_id is not None
    with session_scope(engine) as session:
        submission = personal_data.lock_unchanged(session, read)
        existing = {
            (c.other_kind.value, c.other_key): c
            for c in session.exec(
                select(DuplicateCandidate).where(col(DuplicateCandidate.submission_id) == submission_id)
            )
        }
        for match in matches:
            if match.score < threshold:
                continue
            found = existing.get((match.document.kind, match.document.ref))
            if found is not None and found.decision != Decision.PENDING:
                continue  # a reviewer's decision stands; never overwrite it
            candidate = found or DuplicateCandidate(
                submission_id=submission_id,
                other_kind=ItemKind(match.document.kind),
                other_key=match.document.ref,
                score=match.score,
                reason=match.reason,
            )
            candidate.score = round(match.score, 4)
            candidate.parts = {k: round(v, 4) for k, v in match.parts.items()}
            candidate.reason = match.reason
            candidate.shared_terms = list(match.shared_terms)
            session.add(candidate)
        submission.state = ProcessingState.PROCESSED
        submission.processed_at = utcnow()
        submission.updated_at = utcnow()
        submission.last_error = None
        submission.next_attempt_at = None
        session.add(submission)
        _audit_system(
            session,
            submission,
            AuditAction.SUBMISSION_PROCESSED,
            {"candidates": sum(m.score >= threshold for m in matches)},
        )
    return submission


def _audit_system(
    session: Session,
    submission: Submission,
    action: AuditAction,
    changes: dict[str, object],
    note: str | None = None,
) -> None:
    audit.record(
        session,
        actor=audit.SYSTEM_ACTOR,
        action=action,
        entity_kind="submission",
        entity_key=submission.reference,
        changes=changes,
        note=note,
    )


def _mark_failed(engine: Engine, submission_id: int, error: str, settings: IntakeSettings) -> Submission:
    with session_scope(engine) as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        submission.attempts += 1
        submission.last_error = error[:2000]
        now = utcnow()
        if submission.attempts >= settings.max_attempts:
            submission.state = ProcessingState.FAILED
            submission.next_attempt_at = None
        else:
            submission.state = ProcessingState.RETRY
            delay = min(BACKOFF_BASE * 2 ** (submission.attempts - 1), BACKOFF_MAX)
            submission.next_attempt_at = now + delay
        submission.updated_at = now
        session.add(submission)
        changes: dict[str, object] = {"attempts": submission.attempts, "state": submission.state.value}
        _audit_system(
            session, submission, AuditAction.SUBMISSION_PROCESSING_FAILED, changes, submission.last_error
        )
    log.warning("processing %s failed (attempt %d): %s", submission.reference, submission.attempts, error)
    return submission


def submit(
    engine: Engine,
    similarity: SimilarityService,
    new: NewSubmission,
    settings: IntakeSettings,
    *,
    actor: str,
) -> Outcome:
    """Accept a submission, then process it at once; the person gets suggestions either way.

    The triage job waits until this processing is over, so that a worker does not store the same
    duplicate candidates concurrently; if this process dies first, the job is due after the hold.
    """
    submission = accept(engine, new, settings, actor=actor, hold=INLINE_HOLD)
    assert submission.id is not None
    try:
        outcome = process(engine, similarity, submission.id, settings)
        jobs.release(engine, submission.id, jobs.TRIAGE)
    except sa.exc.SQLAlchemyError as exc:
        # Stored already: the person gets the reference, not an error that invites sending it
        # twice. It stays `received`; the retry pass and its job (after the hold) take it up.
        log.warning("%s stored, its processing failed on the database: %s", submission.reference, exc)
        return Outcome(submission, [], processed=False, error=f"database: {type(exc).__name__}")
    return outcome


def due_for_processing(engine: Engine, now: datetime | None = None, limit: int = 50) -> list[int]:
    """Return ids of submissions whose processing stalled or whose retry time has come.

    Fresh `received` submissions are left alone: the request that accepted them is processing
    them right now.
    """
    now = now or utcnow()
    with Session(engine) as session:
        query = (
            select(Submission.id)
            .where(
                sa.or_(
                    sa.and_(
                        col(Submission.state) == ProcessingState.RECEIVED,
                        col(Submission.received_at) <= now - STALLED_AFTER,
                    ),
                    sa.and_(
                        col(Submission.state) == ProcessingState.RETRY,
                        col(Submission.next_attempt_at) <= now,
                    ),
                )
            )
            .order_by(col(Submission.received_at))
            .limit(limit)
        )
        return [i for i in session.exec(query) if i is not None]


def process_due(
    engine: Engine, similarity: SimilarityService, settings: IntakeSettings, now: datetime | None = None
) -> tuple[int, int]:
    """Process every submission that is due; return (succeeded, failed)."""
    ok = failed = 0
    for submission_id in due_for_processing(engine, now):
        outcome = process(engine, similarity, submission_id, settings)
        if outcome.processed:
            ok += 1
        else:
            failed += 1
    return ok, failed


def get_by_reference(engine: Engine, reference: str) -> Submission | None:
    """Return the submission with `reference` (case-insensitive), or None."""
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(
            select(Submission).where(col(Submission.reference) == reference.strip().upper())
        ).first()


@dataclass(frozen=True)
class StatusRecord:
    """Where a submission stands, and nothing of its text or its submitter (the status API's answer)."""

    reference: str
    received_at: datetime
    state: ProcessingState
    step: str


def status_of(engine: Engine, reference: str) -> StatusRecord | None:
    """Return where the submission with `reference` (case-insensitive) stands, or None."""
    row = get_by_reference(engine, reference)
    if row is None:
        return None
    return StatusRecord(reference=row.reference, received_at=row.received_at, state=row.state, step=row.step)
