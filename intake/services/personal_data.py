"""What deleting or anonymising a submission means, in every table that holds part of it.

One place for it, used by the retention schedule (`intake.services.retention`) and by erasure on
request (`intake.services.erasure`), so that the two can never disagree about which tables a
submission reaches: its mails, draft and masking map, questions and answers, follow links, sent
Message-IDs, duplicate candidates (its own and those of others that point at it, whose reasons
and shared words come from its text), step reasons, audit events and the agendas that listed it.

Anonymising keeps the record (an allmän handling) with the personal data replaced: the texts
are masked (`intake.privacy.mask`, plus every name and address the service knows for the
person, word by word), the submitter fields emptied, the links to the person (follow links,
mails' senders) removed. The index follows from `updated_at` (every process re-indexes the
anonymised text) or from `index_removal` (a deleted submission leaves every process's index).

Nothing here commits: the caller's transaction holds the change and its audit record together.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, select, update

from intake.domain.duplicates import ItemKind
from intake.models import (
    AgendaDispatch,
    AuditEvent,
    Draft,
    DuplicateCandidate,
    FollowLink,
    GapQuestion,
    InboundMail,
    IndexRemoval,
    ReminderDigest,
    SentMessage,
    StepChange,
    Submission,
)
from intake.privacy import mask
from intake.services.similarity import submission_key

ANONYMISED_AT = "anonymised_at"
"""The key an anonymised draft keeps in place of its masking map, so that it is anonymised once."""
ANONYMISED = "anonymiserad"
"""What replaces a person's name or address where a value must stay (an audit actor, a mail sender)."""


class SubmissionErased(LookupError):
    """Raised when a submission was deleted or anonymised while work on its old text was under way."""


def lock_unchanged(session: Session, submission: Submission) -> Submission:
    """Hold the submission's row for this write, and check nobody erased it since it was read.

    The no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite before the
    row is read again, so an erasure either committed before (and is seen here) or waits until
    this transaction ends (and then cleans what it wrote).

    Raises:
        SubmissionErased: the row is gone, or was anonymised after `submission` was read.
    """
    touched = session.exec(
        update(Submission).where(col(Submission.id) == submission.id).values(id=submission.id)
    )
    row = session.get(Submission, submission.id, populate_existing=True)
    if touched.rowcount == 0 or row is None:
        raise SubmissionErased(f"{submission.reference} was erased while it was being triaged")
    if row.anonymised_at != submission.anonymised_at:
        raise SubmissionErased(f"{submission.reference} was anonymised while it was being triaged")
    return row


def identifiers(*values: str | None) -> list[str]:
    """Return the words and addresses that name a person: whole values, their e-mail's local part, words."""
    found: set[str] = set()
    for value in values:
        if not value or not value.strip():
            continue
        value = value.strip()
        found.add(value)
        local = value.split("@", 1)[0] if "@" in value else None
        if local:
            found.add(local)
            found.update(p for p in re.split(r"[._+-]+", local) if len(p) >= 3)
        else:
            found.update(w for w in re.split(r"\s+", value) if len(w) >= 2)
    return sorted(found, key=len, reverse=True)


def scrub(text: str | None, names: Sequence[str]) -> str | None:
    """Mask the personal data in `text`, then every known name or address of the person literally."""
    if not text:
        return text
    person = [n for n in names if "@" not in n and " " in n]
    masked = mask(text, names=person or [n for n in names if "@" not in n]).text
    for value in names:
        masked = re.sub(
            rf"(?<!\w){re.escape(value)}(?!\w)", f"[{ANONYMISED.upper()}]", masked, flags=re.IGNORECASE
        )
    return masked


def scrub_json(value: Any, names: Sequence[str]) -> Any:
    """Scrub every string inside a JSON value (a draft's content and gaps)."""
    if isinstance(value, str):
        return scrub(value, names)
    if isinstance(value, list):
        return [scrub_json(v, names) for v in value]
    if isinstance(value, dict):
        return {k: scrub_json(v, names) for k, v in value.items()}
    return value


def person_names(submission: Submission, mails: Iterable[InboundMail] = ()) -> list[str]:
    """Return what the service knows names the submitter: contact fields and mail senders."""
    values: list[str | None] = [submission.submitter_name, submission.submitter_email]
    for mail in mails:
        values += [mail.sender, mail.sender_name]
    return identifiers(*values)


def mails_of(session: Session, submission_id: int) -> list[InboundMail]:
    """Return the mails that made or added to a submission."""
    return list(session.exec(select(InboundMail).where(col(InboundMail.submission_id) == submission_id)))


def anonymise_submission(
    session: Session, submission: Submission, now: datetime, extra: Sequence[str] = ()
) -> dict[str, int]:
    """Replace the personal data of a submission and everything drawn from it; keep the records.

    Returns the number of rows changed per table.
    """
    assert submission.id is not None
    mails = mails_of(session, submission.id)
    names = identifiers(*person_names(submission, mails), *extra)
    counts: dict[str, int] = {}
    submission.title = scrub(submission.title, names)
    submission.raw_text = scrub(submission.raw_text, names) or ""
    submission.follow_up_text = scrub(submission.follow_up_text, names)
    submission.submitter_name = submission.submitter_email = submission.submitter_unit = None
    submission.possible_reply_to = None
    submission.last_error = None
    submission.anonymised_at = submission.updated_at = now
    session.add(submission)
    counts["submission_anonymised"] = 1
    for mail in mails:
        _blank_mail(mail)
        mail.sender = mail.sender_name = None
        mail.message_id = _hashed(mail.message_id)
        mail.ack_message_id = None
        mail.note = None
        session.add(mail)
    counts["inbound_mail_anonymised"] = len(mails)
    draft = session.exec(select(Draft).where(col(Draft.submission_id) == submission.id)).first()
    if draft is not None:
        anonymise_draft(draft, names, now)
        session.add(draft)
        counts["draft_anonymised"] = 1
    counts["gap_question_anonymised"] = anonymise_questions(session, submission.id, names)
    counts["follow_link_deleted"] = _count(
        session, delete(FollowLink).where(col(FollowLink.submission_id) == submission.id)
    )
    counts["sent_message_deleted"] = _count(
        session, delete(SentMessage).where(col(SentMessage.submission_id) == submission.id)
    )
    counts["duplicate_candidate_anonymised"] = _scrub_candidates(session, submission, names)
    counts["step_change_anonymised"] = _scrub_steps(session, submission.id, names)
    counts["audit_event_anonymised"] = anonymise_audit(session, [submission.reference])
    counts["agenda_anonymised"] = _scrub_agendas(session, [submission.reference], names)
    return {k: v for k, v in counts.items() if v}


def delete_submission(session: Session, submission: Submission, now: datetime) -> dict[str, int]:
    """Delete a submission with everything that holds its words; keep an anonymous audit trail.

    The database cascades to its draft, candidates, jobs, questions, links, sent Message-IDs and
    step changes; its mails are deleted here (they only lose the link by the schema). Other
    submissions' candidates that point at it are deleted (their reasons quote its text), and
    `index_removal` tells every process to drop it from its index.
    """
    assert submission.id is not None
    mails = mails_of(session, submission.id)
    names = identifiers(*person_names(submission, mails))
    counts = {"submission_deleted": 1, "inbound_mail_deleted": len(mails)}
    for mail in mails:
        session.delete(mail)
    pointing = delete(DuplicateCandidate).where(
        col(DuplicateCandidate.other_kind) == ItemKind.SUBMISSION,
        col(DuplicateCandidate.other_key) == submission.reference,
    )
    counts["duplicate_candidate_deleted"] = _count(session, pointing)
    counts["audit_event_anonymised"] = anonymise_audit(session, [submission.reference])
    counts["agenda_anonymised"] = _scrub_agendas(session, [submission.reference], names)
    remove_from_index(session, [submission.reference], now)
    session.delete(submission)
    return {k: v for k, v in counts.items() if v}


def remove_from_index(session: Session, references: Iterable[str], now: datetime) -> None:
    """Record that these submissions leave the index, for every process's next sync."""
    for reference in references:
        key = submission_key(reference)
        row = session.get(IndexRemoval, key) or IndexRemoval(key=key)
        row.at = now
        session.add(row)


def anonymise_draft(draft: Draft, names: Sequence[str], now: datetime) -> None:
    """Drop the masking map (the originals) and scrub the draft's words; mark it done."""
    draft.redaction = {ANONYMISED_AT: now.isoformat()}
    draft.content = scrub_json(draft.content, names)
    draft.gaps = scrub_json(draft.gaps, names)
    draft.masked_text = scrub(draft.masked_text, names) or ""
    draft.error = None


def anonymise_questions(session: Session, submission_id: int, names: Sequence[str]) -> int:
    """Scrub the questions to the submitter and their answers; return how many changed."""
    changed = 0
    for question in session.exec(select(GapQuestion).where(col(GapQuestion.submission_id) == submission_id)):
        before = (question.question, question.answer, question.answered_by)
        question.question = scrub(question.question, names) or ""
        question.answer = scrub(question.answer, names)
        if question.answered_by and "@" in question.answered_by:
            question.answered_by = ANONYMISED
        if (question.question, question.answer, question.answered_by) != before:
            session.add(question)
            changed += 1
    return changed


def anonymise_audit(session: Session, references: Sequence[str]) -> int:
    """Keep that things happened to these submissions, not the values: empty changes and notes."""
    if not references:
        return 0
    events = session.exec(
        select(AuditEvent).where(
            col(AuditEvent.entity_key).in_(list(references)), col(AuditEvent.entity_kind) == "submission"
        )
    )
    changed = 0
    for event in events:
        if event.changes or event.note:
            event.changes, event.note = {}, None
            session.add(event)
            changed += 1
    return changed


def blank_mail(mail: InboundMail) -> bool:
    """Drop a mail's bytes, text, subject and attachments (the row stays for exactly-once intake)."""
    if not mail.raw and mail.text is None and mail.subject is None and not mail.attachments:
        return False
    _blank_mail(mail)
    return True


def _blank_mail(mail: InboundMail) -> None:
    mail.raw, mail.text, mail.subject, mail.attachments = b"", None, None, []


def _hashed(message_id: str) -> str:
    if not message_id or message_id.startswith("sha256:"):
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode("utf-8")).hexdigest()


def _count(session: Session, statement: Any) -> int:
    return int(session.exec(statement).rowcount)


def _scrub_candidates(session: Session, submission: Submission, names: Sequence[str]) -> int:
    own = col(DuplicateCandidate.submission_id) == submission.id
    pointing = (col(DuplicateCandidate.other_kind) == ItemKind.SUBMISSION) & (
        col(DuplicateCandidate.other_key) == submission.reference
    )
    changed = 0
    for candidate in session.exec(select(DuplicateCandidate).where(own | pointing)):
        # The shared words and the judge's reason come from both texts; what stays is the score.
        candidate.shared_terms = []
        candidate.reason = scrub(candidate.reason, names) or ""
        candidate.judge_reason = scrub(candidate.judge_reason, names)
        session.add(candidate)
        changed += 1
    return changed


def _scrub_steps(session: Session, submission_id: int, names: Sequence[str]) -> int:
    changed = 0
    for step in session.exec(select(StepChange).where(col(StepChange.submission_id) == submission_id)):
        reason = scrub(step.reason, names)
        if reason != step.reason:
            step.reason = reason
            session.add(step)
            changed += 1
    return changed


def _scrub_agendas(session: Session, references: Sequence[str], names: Sequence[str]) -> int:
    """Scrub the sent agendas and digests that listed these submissions (titles, summaries)."""
    changed = 0
    sent: list[AgendaDispatch | ReminderDigest] = [
        *session.exec(select(AgendaDispatch).where(col(AgendaDispatch.markdown).is_not(None))),
        *session.exec(select(ReminderDigest).where(col(ReminderDigest.markdown).is_not(None))),
    ]
    for row in sent:
        text = row.markdown or ""
        if not any(ref in text for ref in references):
            continue
        row.markdown = scrub(row.markdown, names)
        if isinstance(row, AgendaDispatch):
            row.html = scrub(row.html, names)
        session.add(row)
        changed += 1
    return changed
