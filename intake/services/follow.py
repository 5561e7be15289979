"""Follow links: a submitter follows one submission and answers its questions without an account.

The link carries a random token (256 bits from `secrets`); only its SHA-256 is stored, so a copy
of the database opens nothing, and a token is found by the hash's unique index rather than by
comparing secrets, so no comparison leaks timing about a stored token. Each receipt or mail gets
a new link (the token itself cannot be shown again); a revoked link opens nothing. What the
follow page shows is read here too (`status`), so that it can only ever be that one submission's.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.models import FollowLink, GapQuestion, StepChange, Submission, utcnow
from intake.services import audit, questions
from intake.settings import Settings

TOKEN_BYTES = 32
"""Random bytes in a token: 43 URL-safe characters, far beyond guessing, so no rate limit is needed."""

PATH = "/follow/"
"""Where the follow pages live; the token follows."""

SUBMITTER = "submitter"
"""The actor recorded for what a submitter does through their link (they have no account)."""


@dataclass(frozen=True)
class FollowedSubmission:
    """What the submitter's pages show of their own submission: no text, nothing of staff."""

    id: int
    reference: str
    title: str | None
    received_at: datetime
    step: str


def _followed(row: Submission) -> FollowedSubmission:
    assert row.id is not None
    return FollowedSubmission(
        id=row.id, reference=row.reference, title=row.title, received_at=row.received_at, step=row.step
    )


def token_hash(token: str) -> str:
    """Return the SHA-256 (hex) of `token`: what is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(target: Engine | Session, submission_id: int, *, actor: str = audit.SYSTEM_ACTOR) -> str:
    """Make a new follow link for `submission_id` and return its token (shown once, never stored).

    Given a session, the link is added to it and commits with the caller's change (a submission
    and its first link together); given an engine, it commits at once.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    if isinstance(target, Session):
        _add(target, submission_id, token, actor)
    else:
        with session_scope(target) as session:
            _add(session, submission_id, token, actor)
    return token


def _add(session: Session, submission_id: int, token: str, actor: str) -> None:
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise ValueError(f"no submission with id {submission_id}")
    link = FollowLink(submission_id=submission_id, token_hash=token_hash(token))
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.FOLLOW_ISSUED,
        entity_kind="submission",
        entity_key=submission.reference,
        changes={"follow_link_id": link.id},
    )


def resolve(engine: Engine, token: str, *, now: datetime | None = None) -> FollowedSubmission | None:
    """Return the submission `token` opens, or None for an unknown, malformed or revoked token.

    A found link has `last_used_at` set, so that staff can tell a link that was opened from one
    that never was.
    """
    with session_scope(engine) as session:
        link = _live_link(session, token)
        if link is None:
            return None
        link.last_used_at = now or utcnow()
        session.add(link)
        found = session.get(Submission, link.submission_id)
        return _followed(found) if found is not None else None


def revoke(engine: Engine, token: str, *, actor: str) -> bool:
    """Revoke the link of `token`; return whether there was a live one."""
    with session_scope(engine) as session:
        link = _live_link(session, token)
        if link is None:
            return False
        link.revoked_at = utcnow()
        session.add(link)
        submission = session.get(Submission, link.submission_id)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.FOLLOW_REVOKED,
            entity_kind="submission",
            entity_key=submission.reference if submission else str(link.submission_id),
            changes={"follow_link_id": link.id},
        )
        return True


def follow_path(token: str) -> str:
    """The follow page's path for `token`."""
    return f"{PATH}{token}"


def follow_url(settings: Settings, token: str, *, base: str | None = None) -> str:
    """The follow page's address: under `public_base_url`, else under `base` (the visitor's), else a path."""
    root = settings.public_base_url or base or ""
    return root.rstrip("/") + follow_path(token)


def mail_url(settings: Settings, token: str) -> str | None:
    """The absolute address to put in a mail, or None when no `public_base_url` is configured."""
    return follow_url(settings, token) if settings.public_base_url else None


def answer_problem(text: str) -> str | None:
    """Say what is wrong with an answer before it is stored: `empty`, `long`, or None when fine."""
    clean = text.strip()
    if not clean:
        return "empty"
    if len(clean) > questions.MAX_TEXT:
        return "long"
    return None


def _live_link(session: Session, token: str) -> FollowLink | None:
    """Return the unrevoked link of `token`, or None; a malformed token never reaches the database."""
    if not _plausible(token):
        return None
    link = session.exec(select(FollowLink).where(col(FollowLink.token_hash) == token_hash(token))).first()
    return None if link is None or link.revoked_at is not None else link


def _plausible(token: str) -> bool:
    # Refuse what no issued token looks like before touching the database.
    return 20 <= len(token) <= 100 and all(c.isalnum() or c in "-_" for c in token)


@dataclass(frozen=True)
class FollowStatus:
    """What the submitter may see of their own submission: nothing of staff, nothing of others."""

    submission: FollowedSubmission
    open_questions: list[GapQuestion]
    answered: list[GapQuestion]
    history: list[StepChange]


def status(engine: Engine, submission_id: int) -> FollowStatus:
    """Load the follow page's data of one submission: its questions and its moves between steps."""
    with Session(engine, expire_on_commit=False) as session:
        submission = session.get(Submission, submission_id)
        if submission is None:
            raise ValueError(f"no submission with id {submission_id}")
        asked = list(
            session.exec(
                select(GapQuestion)
                .where(col(GapQuestion.submission_id) == submission_id)
                .order_by(col(GapQuestion.asked_at), col(GapQuestion.id))
            ).all()
        )
        history = list(
            session.exec(
                select(StepChange)
                .where(col(StepChange.submission_id) == submission_id)
                .order_by(col(StepChange.at), col(StepChange.id))
            ).all()
        )
    return FollowStatus(
        submission=_followed(submission),
        open_questions=[q for q in asked if q.answered_at is None],
        answered=[q for q in asked if q.answered_at is not None],
        history=history,
    )


# --- a logged-in person's own submissions (`/mine`) ---

MINE_LIMIT = 200
"""The most submissions `/mine` lists: newest first; older ones stay reachable by their links."""


def submissions_of(engine: Engine, email: str, limit: int = MINE_LIMIT) -> list[FollowedSubmission]:
    """Return the submissions sent from `email` (case-insensitive), newest first.

    An account's address is the person's identity here: the same address that receives the
    acknowledgement and the questions. Nothing else ties a submission to a person.
    """
    wanted = email.strip().lower()
    if not wanted:
        return []
    with Session(engine, expire_on_commit=False) as session:
        rows = session.exec(
            select(Submission)
            .where(func.lower(col(Submission.submitter_email)) == wanted)
            .order_by(col(Submission.received_at).desc(), col(Submission.id).desc())
            .limit(limit)
        )
        return [_followed(row) for row in rows]


def issue_for_owner(engine: Engine, reference: str, email: str, *, actor: str) -> str | None:
    """Make a follow link for `reference` if it was sent from `email`; None otherwise (or unknown).

    The caller cannot tell "not yours" from "no such reference", on purpose.
    """
    wanted = email.strip().lower()
    with session_scope(engine) as session:
        submission = session.exec(
            select(Submission).where(col(Submission.reference) == reference.strip().upper())
        ).first()
        if submission is None or submission.id is None or not wanted:
            return None
        if (submission.submitter_email or "").strip().lower() != wanted:
            return None
        token = secrets.token_urlsafe(TOKEN_BYTES)
        _add(session, submission.id, token, actor)
        return token
