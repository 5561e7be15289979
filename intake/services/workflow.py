"""Move submissions through the process and record forum decisions: the one place `Submission.step` changes.

`move` checks the move against the process file and its guards (`intake.domain.workflow`), then
changes the step, writes a `StepChange` row and an audit event, all in one transaction. `decide`
records a forum's decision as such a move, chosen by the process file's `decisions`. The guards read
the facts in the same transaction as the change, and the step is changed only if it is still the
one the check saw, so two people moving one item at once cannot both succeed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select, update

from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.domain.duplicates import Decision, ItemKind
from intake.domain.process import ProcessDefinition
from intake.domain.workflow import (
    Blocker,
    Check,
    Facts,
    GapFact,
    TransitionRefused,
    check,
    decision_reason,
    decision_rule,
    decision_targets,
    options,
    refuse_unless_allowed,
)
from intake.drafting.checklists import ChecklistConfig
from intake.models import Draft, DuplicateCandidate, PortfolioItem, StepChange, Submission, utcnow
from intake.services import audit

__all__ = [
    "SubmissionNotFound",
    "TransitionRefused",
    "allowed_moves",
    "decide",
    "history",
    "move",
    "resolve_duplicate",
]

_DECISION_ACTIONS = {
    Decision.CONFIRMED: AuditAction.DUPLICATE_CONFIRMED,
    Decision.DISMISSED: AuditAction.DUPLICATE_DISMISSED,
    Decision.LINKED: AuditAction.DUPLICATE_LINKED,
}
"""The audit action of each decision a reviewer can make; `pending` is where a candidate starts."""


class SubmissionNotFound(LookupError):
    """Raised when no submission has the reference asked for."""


def move(
    engine: Engine,
    reference: str,
    to_step: str,
    actor: str,
    *,
    reason: str | None = None,
    override: bool = False,
    process: ProcessDefinition,
    checklists: ChecklistConfig,
) -> Submission:
    """Move submission `reference` to `to_step` (a step or state key) if the process allows it now.

    `process` and `checklists` are the configured ones (`BEREDNING_PROCESS_FILE`,
    `BEREDNING_CHECKLISTS_FILE`): there is no default, so that a caller cannot fall back to the
    shipped files by forgetting them.

    Raises:
        SubmissionNotFound: no submission has that reference.
        TransitionRefused: the move is not in the process, or a guard or a missing reason blocks it.
    """
    with session_scope(engine) as session:
        submission = _get(session, reference)
        facts = _facts(session, process, checklists, submission)
        result = check(process, facts, to_step, reason=reason, override=override)
        refuse_unless_allowed(process, facts, [result])
        _apply(session, submission, result, actor, reason=reason, override=override)
    return submission


def allowed_moves(
    engine: Engine,
    reference: str,
    *,
    process: ProcessDefinition,
    checklists: ChecklistConfig,
) -> list[Check]:
    """Return every move the process has from where the item is, each with what blocks it now.

    An empty `blockers` means the move is open; `move.reason` says whether it needs a reason and
    `Blocker.overridable` whether a person may override a blocker with one.
    """
    with Session(engine) as session:
        submission = _get(session, reference)
        return options(process, _facts(session, process, checklists, submission))


def decide(
    engine: Engine,
    reference: str,
    forum_key: str,
    decision: str,
    actor: str,
    *,
    note: str | None = None,
    merge_into: str | None = None,
    process: ProcessDefinition,
    checklists: ChecklistConfig,
) -> Submission:
    """Record that forum `forum_key` decided `decision` on the item, and move it as the process says.

    The targets of the decision are tried in order and the first open move is taken. A merge keeps
    both items and their submitters; it records the item merged into (a submission reference or a
    portfolio Nr) and confirms the duplicate candidate for that pair, if there is one.

    Raises:
        SubmissionNotFound: no submission has that reference.
        TransitionRefused: the item is not in the forum's step, the decision is unknown, or every
            move the decision could make is blocked (each with its blockers).
    """
    with session_scope(engine) as session:
        submission = _get(session, reference)
        rule = decision_rule(process, submission.reference, forum_key, decision)
        facts = _facts(session, process, checklists, submission)
        merge = _merge_target(session, process, submission, merge_into) if merge_into else None
        merge_key = f"{merge[0].value}:{merge[1]}" if merge else None
        reason = decision_reason(process, forum_key, rule, note)
        tried = [
            check(process, facts, target, reason=reason, merge_into=merge_key)
            for target in decision_targets(process, facts, forum_key, rule)
        ]
        chosen = next((c for c in tried if c.allowed), None)
        if chosen is None:
            refuse_unless_allowed(process, facts, tried)
        assert chosen is not None
        audit.record(
            session,
            actor=actor,
            action=AuditAction.SUBMISSION_DECIDED,
            entity_kind="submission",
            entity_key=submission.reference,
            changes={"forum": forum_key, "decision": rule.key, "step": [chosen.source, chosen.target]}
            | ({"merged_into": merge_key} if merge_key else {}),
            note=note,
        )
        if merge is not None:
            _confirm_candidate(session, submission, merge, actor)
        _apply(
            session,
            submission,
            chosen,
            actor,
            reason=reason,
            forum=forum_key,
            decision=rule.key,
            merge=merge,
        )
    return submission


def history(engine: Engine, reference: str) -> list[StepChange]:
    """Return the step changes of the item, oldest first."""
    with Session(engine, expire_on_commit=False) as session:
        submission = _get(session, reference)
        return list(
            session.exec(
                select(StepChange)
                .where(col(StepChange.submission_id) == submission.id)
                .order_by(col(StepChange.at), col(StepChange.id))
            ).all()
        )


def resolve_duplicate(
    engine: Engine, reference: str, other_key: str, decision: Decision, actor: str
) -> DuplicateCandidate:
    """Confirm or dismiss the duplicate candidate `other_key` (a reference or Nr) of the item.

    Raises:
        SubmissionNotFound: no submission has that reference, or it has no such candidate.
    """
    if decision == Decision.PENDING:
        raise ValueError("a candidate is resolved by confirming or dismissing it")
    with session_scope(engine) as session:
        submission = _get(session, reference)
        candidate = find_candidate(session, submission, other_key)
        set_candidate_decision(session, submission, candidate, decision, actor)
    return candidate


def _get(session: Session, reference: str) -> Submission:
    found = session.exec(
        select(Submission).where(col(Submission.reference) == reference.strip().upper())
    ).first()
    if found is None:
        raise SubmissionNotFound(f"no submission {reference.strip().upper()}")
    return found


def _facts(
    session: Session, process: ProcessDefinition, checklists: ChecklistConfig, submission: Submission
) -> Facts:
    """Read what the guards may know about `submission`, in the transaction that will change it."""
    draft = session.exec(select(Draft).where(col(Draft.submission_id) == submission.id)).first()
    pending = session.exec(
        select(DuplicateCandidate.other_key)
        .where(col(DuplicateCandidate.submission_id) == submission.id)
        .where(col(DuplicateCandidate.decision) == Decision.PENDING)
        .order_by(col(DuplicateCandidate.score).desc())
    ).all()
    return_step = None
    if submission.step not in {s.key for s in process.steps}:
        return_step = session.exec(
            select(StepChange.from_step)
            .where(col(StepChange.submission_id) == submission.id)
            .where(col(StepChange.to_step) == submission.step)
            .order_by(col(StepChange.at).desc(), col(StepChange.id).desc())
        ).first()
    content: dict[str, Any] = draft.content if draft else {}
    gaps = tuple(
        GapFact(
            checklist_id=str(g.get("checklist_id")),
            item_id=str(g.get("item_id")),
            status=str(g.get("status")),
            mandatory=_mandatory(checklists, g),
        )
        for g in (draft.gaps if draft else [])
    )
    return Facts(
        reference=submission.reference,
        step=submission.step,
        has_draft=draft is not None,
        initiative_type=_draft_value(content, "initiative_type"),
        shared_infrastructure=_draft_value(content, "shared_infrastructure"),
        gaps=gaps,
        pending_duplicates=tuple(pending),
        return_step=return_step,
    )


def _draft_value(content: dict[str, Any], name: str) -> str | None:
    field = content.get(name)
    value = field.get("value") if isinstance(field, dict) else None
    return value if isinstance(value, str) else None


def _mandatory(checklists: ChecklistConfig, gap: dict[str, Any]) -> bool:
    # An item no longer in the checklists file cannot be required any more.
    item = checklists.item(str(gap.get("checklist_id")), str(gap.get("item_id")))
    return item is not None and item.mandatory


def _merge_target(
    session: Session, process: ProcessDefinition, submission: Submission, text: str
) -> tuple[ItemKind, str]:
    """Find the submission or portfolio item `text` names; refuse itself and items already merged."""
    key = text.strip()
    merged_states = {m.to for m in process.transitions.moves if m.kind == "merge"}

    def refuse(sv: str, en: str) -> TransitionRefused:
        heading = (f"sammanslagningen med {key}", f"the merge into {key}")
        return TransitionRefused(submission.reference, *heading, [Blocker("merge_target", sv, en)])

    other = session.exec(select(Submission).where(col(Submission.reference) == key.upper())).first()
    if other is not None:
        if other.id == submission.id:
            raise refuse("ett ärende kan inte slås ihop med sig självt", "an item cannot merge into itself")
        if other.step in merged_states:
            raise refuse(f"{other.reference} är redan sammanslaget", f"{other.reference} is already merged")
        return ItemKind.SUBMISSION, other.reference
    item = session.exec(select(PortfolioItem).where(col(PortfolioItem.nr) == key)).first()
    if item is not None:
        return ItemKind.PORTFOLIO, item.nr
    raise refuse(
        "inget inskickat ärende eller portföljinitiativ har den referensen",
        "no submission or portfolio initiative has that reference",
    )


def _confirm_candidate(
    session: Session, submission: Submission, merge: tuple[ItemKind, str], actor: str
) -> None:
    candidate = session.exec(
        select(DuplicateCandidate)
        .where(col(DuplicateCandidate.submission_id) == submission.id)
        .where(col(DuplicateCandidate.other_kind) == merge[0])
        .where(col(DuplicateCandidate.other_key) == merge[1])
    ).first()
    if candidate is not None and candidate.decision == Decision.PENDING:
        set_candidate_decision(session, submission, candidate, Decision.CONFIRMED, actor)


def set_candidate_decision(
    session: Session,
    submission: Submission,
    candidate: DuplicateCandidate,
    decision: Decision,
    actor: str,
    *,
    note: str | None = None,
) -> None:
    """Record a decision on `candidate` with its audit event, and the reviewer's note on it.

    Public for `intake.services.merging`, which decides candidates inside its own transaction.

    Raises:
        ValueError: the decision is `pending`, which is where a candidate starts, not a decision.
    """
    if decision not in _DECISION_ACTIONS:
        raise ValueError(f"a candidate is decided by confirming, dismissing or linking it, not {decision}")
    before = candidate.decision
    candidate.decision = decision
    candidate.decided_by = actor
    candidate.decided_at = utcnow()
    session.add(candidate)
    audit.record(
        session,
        actor=actor,
        action=_DECISION_ACTIONS[decision],
        entity_kind="submission",
        entity_key=submission.reference,
        changes={
            "candidate": f"{candidate.other_kind.value}:{candidate.other_key}",
            "decision": [before, decision],
        },
        note=note,
    )


def _guarded_step_update(
    session: Session, submission: Submission, source: str, target: str, *, what_sv: str, what_en: str
) -> datetime:
    """Move `submission` from step `source` to `target` only if it is still at `source`; return the time.

    The `WHERE step = source` guard makes two concurrent moves of one item fail instead of both
    succeeding; `what_sv`/`what_en` name the refused move in the error.

    Raises:
        TransitionRefused: someone else moved the item meanwhile.
    """
    now = utcnow()
    changed = session.exec(
        update(Submission)
        .where(col(Submission.id) == submission.id)
        .where(col(Submission.step) == source)
        .values(step=target, updated_at=now)
    )
    if changed.rowcount != 1:
        raise TransitionRefused(
            submission.reference,
            what_sv,
            what_en,
            [Blocker("moved_meanwhile", "någon annan flyttade nyss ärendet", "someone else just moved it")],
        )
    set_committed_value(submission, "step", target)
    set_committed_value(submission, "updated_at", now)
    return now


def _apply(
    session: Session,
    submission: Submission,
    result: Check,
    actor: str,
    *,
    reason: str | None,
    override: bool = False,
    forum: str | None = None,
    decision: str | None = None,
    merge: tuple[ItemKind, str] | None = None,
) -> StepChange:
    """Change the step if it is still the one checked, and write the history row and the audit event."""
    assert result.move is not None and submission.id is not None
    now = _guarded_step_update(
        session,
        submission,
        result.source,
        result.target,
        what_sv=f"flytten till {result.target}",
        what_en=f"the move to {result.target}",
    )
    reason = (reason or "").strip() or None
    change = StepChange(
        submission_id=submission.id,
        from_step=result.source,
        to_step=result.target,
        kind=result.move.kind,
        actor=actor,
        reason=reason,
        override=override,
        overridden=list(result.overridden),
        forum=forum,
        decision=decision,
        merged_into_kind=merge[0] if merge else None,
        merged_into_key=merge[1] if merge else None,
        at=now,
    )
    session.add(change)
    extra: dict[str, Any] = {
        "forum": forum,
        "decision": decision,
        "merged_into": merge and f"{merge[0].value}:{merge[1]}",
    }
    audit.record(
        session,
        actor=actor,
        action=AuditAction.SUBMISSION_MOVED,
        entity_kind="submission",
        entity_key=submission.reference,
        changes={
            "step": [result.source, result.target],
            "kind": result.move.kind,
            "override": override,
            "overridden": list(result.overridden),
        }
        | {k: v for k, v in extra.items() if v},
        note=reason,
    )
    return change


# --- merging ---
# Public building blocks for `intake.services.merging` (the review page's merge and undo), so that
# it reuses this module's checks, merge-target rules and guarded update instead of copying them.


def load_submission(session: Session, reference: str) -> Submission:
    """Return the submission `reference` names, in `session` (raises SubmissionNotFound)."""
    return _get(session, reference)


def find_candidate(session: Session, submission: Submission, other_key: str) -> DuplicateCandidate:
    """Return the duplicate candidate `other_key` (a reference or Nr, any case) of `submission`.

    Raises:
        SubmissionNotFound: the submission has no such candidate.
    """
    wanted = other_key.strip().casefold()
    candidates = session.exec(
        select(DuplicateCandidate).where(col(DuplicateCandidate.submission_id) == submission.id)
    ).all()
    found = next((c for c in candidates if c.other_key.casefold() == wanted), None)
    if found is None:
        raise SubmissionNotFound(f"{submission.reference} has no duplicate candidate {other_key}")
    return found


def apply_merge(
    session: Session,
    process: ProcessDefinition,
    checklists: ChecklistConfig,
    submission: Submission,
    into: str,
    actor: str,
    *,
    reason: str | None = None,
) -> tuple[StepChange, tuple[ItemKind, str]]:
    """Make the process's merge move for `submission` into `into`, checked and guarded like `move`.

    Returns the step change (flushed, so it has its id) and the merge target (kind, key).

    Raises:
        TransitionRefused: the target is unknown, itself or merged already; the process has no merge
            from where the item is; or someone else moved the item meanwhile.
    """
    facts = _facts(session, process, checklists, submission)
    merge = _merge_target(session, process, submission, into)
    merge_key = f"{merge[0].value}:{merge[1]}"
    targets = [c.target for c in options(process, facts) if c.move is not None and c.move.kind == "merge"]
    if not targets:
        raise TransitionRefused(
            submission.reference,
            f"sammanslagningen med {merge[1]}",
            f"the merge into {merge[1]}",
            [
                Blocker(
                    "no_move",
                    f"processen har ingen sammanslagning från {facts.step}",
                    f"the process has no merge from {facts.step}",
                )
            ],
        )
    result = check(process, facts, targets[0], reason=reason, merge_into=merge_key)
    refuse_unless_allowed(process, facts, [result])
    change = _apply(session, submission, result, actor, reason=reason, merge=merge)
    session.flush()
    return change, merge


def step_back(
    session: Session, submission: Submission, change: StepChange, actor: str, *, kind: str, reason: str
) -> StepChange:
    """Undo `change`, the item's latest move: back from where it went to where it came from.

    Not a move of the process (an undo is not a decision), so no guard applies; the update is
    guarded like `_apply`, so two people undoing at once cannot both succeed.

    Raises:
        TransitionRefused: someone else moved the item meanwhile.
    """
    assert submission.id is not None
    now = _guarded_step_update(
        session,
        submission,
        change.to_step,
        change.from_step,
        what_sv=f"flytten tillbaka till {change.from_step}",
        what_en=f"the move back to {change.from_step}",
    )
    back = StepChange(
        submission_id=submission.id,
        from_step=change.to_step,
        to_step=change.from_step,
        kind=kind,
        actor=actor,
        reason=reason,
        at=now,
    )
    session.add(back)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.SUBMISSION_MOVED,
        entity_kind="submission",
        entity_key=submission.reference,
        changes={"step": [change.to_step, change.from_step], "kind": kind, "undoes": change.id},
        note=reason,
    )
    return back


# --- end merging ---
