"""What the staff item page reads of one submission, with indexed look-ups only, as frozen records.

The submission, its draft, the questions asked about its gaps, its moves and its audit trail are
read in one session and handed over as records, so the page (`intake.web.review.item`) and its
templates never hold an ORM row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.domain.drafts import DraftState
from intake.domain.submission import Channel
from intake.models import AuditEvent, Draft, GapQuestion, StepChange, Submission

AUDIT_LIMIT = 200
"""Most audit events read; an item has a few dozen in a long life."""


@dataclass(frozen=True)
class ItemSubmission:
    """The submission as the item page shows it: the texts as sent and who sent them."""

    reference: str
    title: str | None
    raw_text: str
    follow_up_text: str | None
    step: str
    channel: Channel
    received_at: datetime
    submitter_name: str | None
    submitter_unit: str | None
    submitter_email: str | None


@dataclass(frozen=True)
class ItemDraft:
    """The stored draft: its state, fields and gaps, the masked text the model saw, and its version."""

    state: DraftState
    content: dict[str, Any]
    gaps: list[dict[str, Any]]
    masked_text: str
    updated_at: datetime


@dataclass(frozen=True)
class AskedQuestion:
    """A question put to the submitter about one gap, and the answer once it came."""

    gap_key: str
    question: str
    asked_at: datetime
    asked_by: str
    answer: str | None
    answered_at: datetime | None


@dataclass(frozen=True)
class StepMove:
    """One move between steps or states, as the item's history lists it."""

    at: datetime
    from_step: str
    to_step: str
    kind: str
    actor: str
    reason: str | None
    overridden: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AuditEntry:
    """One audit event of the item: who did what when, with the values before and after."""

    at: datetime
    actor: str
    action: str
    changes: dict[str, Any]
    note: str | None


@dataclass(frozen=True)
class ItemRecord:
    """Everything the item page reads of one submission, newest moves and events first."""

    submission: ItemSubmission
    draft: ItemDraft | None
    asked: list[AskedQuestion]
    history: list[StepMove]
    events: list[AuditEntry]


def load_item(engine: Engine, reference: str) -> ItemRecord | None:
    """Read the submission `reference` (case-insensitive) and what its page shows; None if unknown."""
    wanted = reference.strip().upper()
    with Session(engine) as session:
        submission = session.exec(select(Submission).where(col(Submission.reference) == wanted)).first()
        if submission is None or submission.id is None:
            return None
        draft = session.exec(select(Draft).where(col(Draft.submission_id) == submission.id)).first()
        asked = session.exec(
            select(GapQuestion)
            .where(col(GapQuestion.submission_id) == submission.id)
            .order_by(col(GapQuestion.asked_at), col(GapQuestion.id))
        ).all()
        history = session.exec(
            select(StepChange)
            .where(col(StepChange.submission_id) == submission.id)
            .order_by(col(StepChange.at).desc(), col(StepChange.id).desc())
        ).all()
        events = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.entity_key) == submission.reference)
            .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
            .limit(AUDIT_LIMIT)
        ).all()
        return ItemRecord(
            submission=_submission(submission),
            draft=_draft(draft) if draft is not None else None,
            asked=[_question(q) for q in asked],
            history=[_move(c) for c in history],
            events=[_event(e) for e in events],
        )


def _submission(row: Submission) -> ItemSubmission:
    return ItemSubmission(
        reference=row.reference,
        title=row.title,
        raw_text=row.raw_text,
        follow_up_text=row.follow_up_text,
        step=row.step,
        channel=row.channel,
        received_at=row.received_at,
        submitter_name=row.submitter_name,
        submitter_unit=row.submitter_unit,
        submitter_email=row.submitter_email,
    )


def _draft(row: Draft) -> ItemDraft:
    return ItemDraft(
        state=row.state,
        content=dict(row.content),
        gaps=list(row.gaps),
        masked_text=row.masked_text,
        updated_at=row.updated_at,
    )


def _question(row: GapQuestion) -> AskedQuestion:
    return AskedQuestion(
        gap_key=row.gap_key,
        question=row.question,
        asked_at=row.asked_at,
        asked_by=row.asked_by,
        answer=row.answer,
        answered_at=row.answered_at,
    )


def _move(row: StepChange) -> StepMove:
    return StepMove(
        at=row.at,
        from_step=row.from_step,
        to_step=row.to_step,
        kind=row.kind,
        actor=row.actor,
        reason=row.reason,
        overridden=list(row.overridden),
    )


def _event(row: AuditEvent) -> AuditEntry:
    return AuditEntry(at=row.at, actor=row.actor, action=row.action, changes=dict(row.changes), note=row.note)
