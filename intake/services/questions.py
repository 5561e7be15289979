"""Questions to a submitter about the gaps in their submission, and their answers.

DigIT asks about one open checklist gap (`ask`); the submitter's answer closes the question
(`answer`). Until then the submitter owes an answer, and the reminder digest lists the questions
owed longer than the configured days (`owed`). A gap is named by its key in the draft,
`checklist_id/item_id` (the item id alone is enough when it is unambiguous). Each change writes
an audit event in its own transaction. The review pages of a later issue use this same service.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.drafting.checklists import ChecklistConfig
from intake.models import Draft, GapQuestion, Submission, utcnow
from intake.services import audit

MAX_TEXT = 4000
"""Longest question or answer stored, in characters."""


class QuestionError(ValueError):
    """A question cannot be asked or answered as requested; the message says why."""


def ask(
    engine: Engine,
    reference: str,
    gap: str,
    actor: str,
    *,
    question: str | None = None,
    checklists: ChecklistConfig,
    lang: str = "sv",
    now: datetime | None = None,
    notify: Callable[[GapQuestion], object] | None = None,
) -> GapQuestion:
    """Ask the submitter of `reference` about gap `gap`; the question defaults to the draft's or checklist's.

    `notify` is called with the question once it is committed, to tell the submitter (see
    `intake.services.notify.question_by_mail`); it must not raise, so the question stands whatever
    becomes of the mail.

    Raises:
        QuestionError: no such submission, an unknown gap, an empty or too long question, or a
            question about this gap is open already.
    """
    with session_scope(engine) as session:
        submission = _submission(session, reference)
        draft = session.exec(select(Draft).where(col(Draft.submission_id) == submission.id)).first()
        key, status, drafted = _gap(checklists, draft, gap)
        text = " ".join((question or "").split()) or drafted
        if not text:
            checklist_id, item_id = key.split("/", 1)
            item = checklists.item(checklist_id, item_id)
            text = item.ask(status, lang) if item is not None else ""
        _check_length("question", text)
        if _open(session, submission, key) is not None:
            raise QuestionError(f"{submission.reference} already has an open question about {key}")
        asked = GapQuestion(
            submission_id=submission.id or 0,
            gap_key=key,
            question=text,
            asked_at=now or utcnow(),
            asked_by=actor,
        )
        session.add(asked)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.QUESTION_ASKED,
            entity_kind="submission",
            entity_key=submission.reference,
            changes={"gap": key, "question_id": asked.id},
            note=text,
        )
    if notify is not None:
        notify(asked)
    return asked


def answer(
    engine: Engine, reference: str, gap: str, text: str, actor: str, *, now: datetime | None = None
) -> GapQuestion:
    """Record the submitter's answer to the open question about `gap`.

    Raises:
        QuestionError: no such submission, no open question about that gap, or an empty answer.
    """
    text = text.strip()
    if not text:
        raise QuestionError("the answer is empty")
    _check_length("answer", text)
    with session_scope(engine) as session:
        submission = _submission(session, reference)
        asked = [q for q in _all_open(session, submission) if _matches(q.gap_key, gap)]
        if len(asked) != 1:
            known = ", ".join(q.gap_key for q in _all_open(session, submission)) or "none"
            what = "no open question" if not asked else "more than one open question"
            raise QuestionError(f"{submission.reference} has {what} about {gap!r}; open: {known}")
        (question,) = asked
        question.answer = text
        question.answered_at = now or utcnow()
        question.answered_by = actor
        session.add(question)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.QUESTION_ANSWERED,
            entity_kind="submission",
            entity_key=submission.reference,
            changes={"gap": question.gap_key, "question_id": question.id},
        )
    return question


def open_questions(engine: Engine, reference: str | None = None) -> list[GapQuestion]:
    """Return the unanswered questions (of one submission, if given), oldest first."""
    with Session(engine, expire_on_commit=False) as session:
        query = select(GapQuestion).where(col(GapQuestion.answered_at).is_(None))
        if reference is not None:
            submission = _submission(session, reference)
            query = query.where(col(GapQuestion.submission_id) == submission.id)
        return list(session.exec(query.order_by(col(GapQuestion.asked_at), col(GapQuestion.id))).all())


def owed(engine: Engine, longer_than: timedelta, now: datetime | None = None) -> list[GapQuestion]:
    """Return the questions unanswered for at least `longer_than`, oldest first."""
    with Session(engine, expire_on_commit=False) as session:
        return [q for q, _ in owed_in(session, longer_than, now or utcnow())]


def owed_in(session: Session, longer_than: timedelta, now: datetime) -> list[tuple[GapQuestion, Submission]]:
    """`owed` inside a caller's session, with each question's submission."""
    rows = session.exec(
        select(GapQuestion, Submission)
        .join(Submission, col(Submission.id) == col(GapQuestion.submission_id))
        .where(col(GapQuestion.answered_at).is_(None))
        .where(col(GapQuestion.asked_at) <= now - longer_than)
        .order_by(col(GapQuestion.asked_at), col(GapQuestion.id))
    ).all()
    return [(q, s) for q, s in rows]


def _submission(session: Session, reference: str) -> Submission:
    wanted = reference.strip().upper()
    found = session.exec(select(Submission).where(col(Submission.reference) == wanted)).first()
    if found is None:
        raise QuestionError(f"no submission {wanted}")
    return found


def _gap(checklists: ChecklistConfig, draft: Draft | None, gap: str) -> tuple[str, str, str | None]:
    """Resolve `gap` to (key, status, the draft's question) among the draft's gaps and the checklists."""
    wanted = gap.strip().casefold().replace(":", "/")
    drafted = {
        f"{g.get('checklist_id')}/{g.get('item_id')}": g for g in (draft.gaps if draft is not None else [])
    }
    known = [f"{c.id}/{i.id}" for c in checklists.checklists for i in c.items]
    candidates = [k for k in known if k == wanted] or [k for k in known if k.split("/", 1)[1] == wanted]
    if len(candidates) > 1:
        in_draft = [k for k in candidates if k in drafted]
        candidates = in_draft if len(in_draft) == 1 else candidates
    if len(candidates) != 1:
        reason = "is ambiguous, give checklist/item" if candidates else "is not a checklist item"
        shown = ", ".join(k for k, g in drafted.items() if g.get("status") in ("partly", "missing"))
        raise QuestionError(f"gap {gap!r} {reason}; open gaps in the draft: {shown or 'none'}")
    key = candidates[0]
    found = drafted.get(key, {})
    status = str(found.get("status") or "missing")
    question = found.get("question")
    return key, status if status in ("partly", "missing") else "missing", str(question) if question else None


def _matches(key: str, gap: str) -> bool:
    wanted = gap.strip().casefold().replace(":", "/")
    return key == wanted or key.split("/", 1)[1] == wanted


def _open(session: Session, submission: Submission, key: str) -> GapQuestion | None:
    return next((q for q in _all_open(session, submission) if q.gap_key == key), None)


def _all_open(session: Session, submission: Submission) -> list[GapQuestion]:
    return list(
        session.exec(
            select(GapQuestion)
            .where(col(GapQuestion.submission_id) == submission.id)
            .where(col(GapQuestion.answered_at).is_(None))
            .order_by(col(GapQuestion.asked_at))
        ).all()
    )


def _check_length(what: str, text: str) -> None:
    if not text:
        raise QuestionError(f"the {what} is empty")
    if len(text) > MAX_TEXT:
        raise QuestionError(f"the {what} is longer than {MAX_TEXT} characters")
