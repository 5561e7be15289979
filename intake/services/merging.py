"""Reviewers' decisions on duplicate candidates: confirm, dismiss, link, merge, and undo a merge.

A merge moves the item to the process's merge state and records the item it joined; nothing else
changes: both texts stay as sent and both submitters stay on their own items, so the target's page
lists what was merged into it (`merged_into_here`). An undo is possible while the merge is the
item's latest move: it returns the item to the step it came from and the candidate to the decision
it had before, read from the merge's audit event. The moves themselves go through
`intake.services.workflow` (its checks and its guarded update), so this module holds only the rules
that are about duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.domain.duplicates import Decision, ItemKind
from intake.domain.process import ProcessDefinition
from intake.drafting.checklists import ChecklistConfig
from intake.models import AuditEvent, DuplicateCandidate, StepChange, Submission
from intake.services import audit, workflow

MERGE_KIND = "merge"
UNDO_KIND = "undo-merge"
UNDO_REASON = "ångrad sammanslagning"


class MergeError(Exception):
    """A duplicate decision, merge or undo that cannot be made, with the reason in Swedish and English."""

    def __init__(self, reference: str, sv: str, en: str) -> None:
        self.reference = reference
        self.sv = sv
        self.en = en
        super().__init__(f"{reference}: {sv} / {en}")


@dataclass(frozen=True)
class MergedHere:
    """A submission merged into another item: shown on the target's page with its submitter."""

    reference: str
    title: str | None
    submitter_name: str | None
    submitter_email: str | None
    merged_by: str
    merged_at: datetime


def decide(
    engine: Engine,
    reference: str,
    other_key: str,
    decision: Decision,
    actor: str,
    *,
    note: str | None = None,
) -> DuplicateCandidate:
    """Confirm, dismiss or link the candidate `other_key` of the item, with the reviewer's note.

    Raises:
        SubmissionNotFound: no such submission or candidate.
        MergeError: the decision is `pending`, or the item is merged (undo the merge first: its
            candidate decision is part of the merge).
    """
    if decision == Decision.PENDING:
        raise MergeError(
            reference,
            "ett beslut är att bekräfta, avfärda eller länka",
            "a decision is to confirm, dismiss or link",
        )
    with session_scope(engine) as session:
        submission = workflow.load_submission(session, reference)
        candidate = workflow.find_candidate(session, submission, other_key)
        if _latest_merge(session, submission) is not None:
            raise MergeError(
                submission.reference,
                "ärendet är sammanslaget; ångra sammanslagningen först",
                "the item is merged; undo the merge first",
            )
        workflow.set_candidate_decision(session, submission, candidate, decision, actor, note=_clean(note))
    return candidate


def link(
    engine: Engine, reference: str, other_key: str, actor: str, note: str | None = None
) -> DuplicateCandidate:
    """Mark the candidate `other_key` as related but not a duplicate: both items go on."""
    return decide(engine, reference, other_key, Decision.LINKED, actor, note=note)


def merge(
    engine: Engine,
    reference: str,
    into_key: str,
    actor: str,
    *,
    process: ProcessDefinition,
    checklists: ChecklistConfig,
    note: str | None = None,
) -> StepChange:
    """Merge the item into `into_key` (a submission reference or portfolio Nr) and confirm the candidate.

    The step changes first, guarded, so that of two people merging at once only one gets further.
    What the candidate was decided before is kept in the `submission.merged` audit event for the undo.

    Raises:
        SubmissionNotFound: no submission has that reference.
        TransitionRefused: the process or the target refuses the merge, or the item just moved.
    """
    note = _clean(note)
    with session_scope(engine) as session:
        submission = workflow.load_submission(session, reference)
        change, (kind, key) = workflow.apply_merge(
            session, process, checklists, submission, into_key, actor, reason=note
        )
        candidate = session.exec(
            select(DuplicateCandidate)
            .where(col(DuplicateCandidate.submission_id) == submission.id)
            .where(col(DuplicateCandidate.other_kind) == kind)
            .where(col(DuplicateCandidate.other_key) == key)
        ).first()
        before = _decision_state(candidate) if candidate is not None else None
        if candidate is not None and candidate.decision != Decision.CONFIRMED:
            workflow.set_candidate_decision(session, submission, candidate, Decision.CONFIRMED, actor)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.SUBMISSION_MERGED,
            entity_kind="submission",
            entity_key=submission.reference,
            changes={
                "merged_into": f"{kind.value}:{key}",
                "step": [change.from_step, change.to_step],
                "step_change": change.id,
                "candidate_before": before,
            },
            note=note,
        )
    return change


def undo_merge(engine: Engine, reference: str, actor: str) -> StepChange:
    """Undo the item's merge: back to the step it came from, the candidate back to its old decision.

    Raises:
        SubmissionNotFound: no submission has that reference.
        MergeError: the item's latest move is not a merge it is still in.
        TransitionRefused: someone else moved the item meanwhile.
    """
    with session_scope(engine) as session:
        submission = workflow.load_submission(session, reference)
        merged = _latest_merge(session, submission)
        if merged is None:
            raise MergeError(
                submission.reference,
                "ärendet är inte sammanslaget, eller har flyttats sedan sammanslagningen",
                "the item is not merged, or has moved since the merge",
            )
        back = workflow.step_back(session, submission, merged, actor, kind=UNDO_KIND, reason=UNDO_REASON)
        restored = _restore_candidate(session, submission, merged)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.SUBMISSION_UNMERGED,
            entity_kind="submission",
            entity_key=submission.reference,
            changes={
                "merged_into": f"{_kind_value(merged.merged_into_kind)}:{merged.merged_into_key}",
                "step": [back.from_step, back.to_step],
            }
            | restored,
            note=UNDO_REASON,
        )
    return back


def current_merge(engine: Engine, reference: str) -> StepChange | None:
    """Return the merge the item is in now (its latest move, still in force), or None."""
    with Session(engine, expire_on_commit=False) as session:
        return _latest_merge(session, workflow.load_submission(session, reference))


def merged_into_here(engine: Engine, key: str) -> list[MergedHere]:
    """Return the submissions merged, and still merged, into `key` (a reference or a portfolio Nr)."""
    wanted = key.strip()
    with Session(engine) as session:
        rows = session.exec(
            select(StepChange, Submission)
            .join(Submission, col(Submission.id) == col(StepChange.submission_id))
            .where(col(StepChange.kind) == MERGE_KIND)
            .where(col(StepChange.merged_into_key).in_(sorted({wanted, wanted.upper()})))
            .where(col(StepChange.to_step) == col(Submission.step))
            .order_by(col(StepChange.at), col(StepChange.id))
        ).all()
        found = []
        for change, submission in rows:
            latest = _latest_change(session, submission)
            if latest is None or latest.id != change.id:
                continue  # merged here once, undone or moved since
            found.append(
                MergedHere(
                    reference=submission.reference,
                    title=submission.title,
                    submitter_name=submission.submitter_name,
                    submitter_email=submission.submitter_email,
                    merged_by=change.actor,
                    merged_at=change.at,
                )
            )
        return found


def _latest_change(session: Session, submission: Submission) -> StepChange | None:
    return session.exec(
        select(StepChange)
        .where(col(StepChange.submission_id) == submission.id)
        .order_by(col(StepChange.at).desc(), col(StepChange.id).desc())
    ).first()


def _latest_merge(session: Session, submission: Submission) -> StepChange | None:
    """The item's latest move if it is a merge the item is still in (only then can it be undone)."""
    latest = _latest_change(session, submission)
    if latest is None or latest.kind != MERGE_KIND or latest.to_step != submission.step:
        return None
    return latest


def _decision_state(candidate: DuplicateCandidate) -> dict[str, Any]:
    return {
        "candidate": f"{candidate.other_kind.value}:{candidate.other_key}",
        "decision": candidate.decision.value,
        "decided_by": candidate.decided_by,
        "decided_at": candidate.decided_at.isoformat() if candidate.decided_at else None,
    }


def _restore_candidate(session: Session, submission: Submission, merged: StepChange) -> dict[str, Any]:
    """Put the merged-with candidate back as the merge found it; return the change for the audit event.

    The state before is in the `submission.merged` event of this merge. A merge made by a forum's
    decision (`workflow.decide`) has no such event; its candidate keeps the decision the forum made.
    """
    events = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.entity_kind) == "submission")
        .where(col(AuditEvent.entity_key) == submission.reference)
        .where(col(AuditEvent.action) == AuditAction.SUBMISSION_MERGED)
        .order_by(col(AuditEvent.id).desc())
    ).all()
    event = next((e for e in events if e.changes.get("step_change") == merged.id), None)
    before = event.changes.get("candidate_before") if event is not None else None
    if not isinstance(before, dict):
        return {}
    kind, _, key = str(before["candidate"]).partition(":")
    candidate = session.exec(
        select(DuplicateCandidate)
        .where(col(DuplicateCandidate.submission_id) == submission.id)
        .where(col(DuplicateCandidate.other_kind) == ItemKind(kind))
        .where(col(DuplicateCandidate.other_key) == key)
    ).first()
    if candidate is None:
        return {}
    now = candidate.decision
    candidate.decision = Decision(before["decision"])
    candidate.decided_by = before.get("decided_by")
    decided_at = before.get("decided_at")
    candidate.decided_at = datetime.fromisoformat(decided_at) if decided_at else None
    session.add(candidate)
    return {"candidate": before["candidate"], "decision": [now.value, candidate.decision.value]}


def _kind_value(kind: ItemKind | None) -> str:
    return kind.value if kind is not None else "?"


def _clean(note: str | None) -> str | None:
    return (note or "").strip() or None
