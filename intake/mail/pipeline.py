"""One mail from raw bytes to its outcome: store, parse, classify, then submit, link, record or quarantine.

Each step is safe to repeat. The raw bytes are committed first (`store.store_raw`); the handler
that wins the claim turns them into exactly one submission. The submission is created by
`submissions.accept` (so it gets its reference and triage job like any other) with the actor
`mail:<id>`, which lands in the same transaction as the submission in its audit event: a handler
that died after that commit but before it linked the mail is followed by one that finds the
event and links the existing submission instead of creating a second.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, replace
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.domain.duplicates import ItemKind
from intake.domain.mail import MailState
from intake.domain.submission import Channel, NewSubmission, SubmissionInvalid
from intake.mail import ack, replies, store
from intake.mail.classify import classify
from intake.mail.limits import MailLimits
from intake.mail.parse import ParsedMail, parse_mail, peek_message_id
from intake.models import AuditEvent, DuplicateCandidate, InboundMail, Submission, utcnow
from intake.services import audit, submissions
from intake.settings import Settings

log = logging.getLogger(__name__)

Outcome = Literal["submission", "reply", "automatic", "quarantine", "pending"]

_OUTCOMES: dict[MailState, Outcome] = {
    MailState.SUBMITTED: "submission",
    MailState.REPLY: "reply",
    MailState.AUTOMATIC: "automatic",
    MailState.QUARANTINED: "quarantine",
}


@dataclass(frozen=True)
class MailOutcome:
    """What became of one mail; `duplicate` when it had been stored before (a second fetch)."""

    mail_id: int
    kind: Outcome
    reference: str | None = None
    duplicate: bool = False
    note: str | None = None
    ack: str | None = None


def actor(mail_id: int) -> str:
    """Return the audit actor of everything done on behalf of mail `mail_id`."""
    return f"mail:{mail_id}"


def ingest(
    engine: Engine, raw: bytes, settings: Settings, *, source: str, size: int | None = None
) -> MailOutcome:
    """Store `raw` (committed first), then handle it; the same bytes twice give the first outcome.

    `size`: the real size of a mail of which only the header section was fetched (it is too
    large); such a mail is stored as it is and quarantined.
    """
    limits = MailLimits.from_settings(settings.mailbox)
    message_id = peek_message_id(raw, limits)
    keep = limits.max_mail_bytes
    stored = store.store_raw(
        engine, raw, message_id, source=source, keep_bytes=keep, size=size, claim_for=store.DEFAULT_LEASE
    )
    if stored.created:  # stored claimed: no poll can take it before this call handles it
        return _handle_held(engine, stored.mail_id, settings)
    return replace(handle(engine, stored.mail_id, settings), duplicate=True)


def handle(engine: Engine, mail_id: int, settings: Settings) -> MailOutcome:
    """Handle a stored mail once; when it is done or another process has it, report its state."""
    if not store.claim(engine, mail_id):
        return outcome_of(engine, mail_id)
    return _handle_held(engine, mail_id, settings)


def _handle_held(engine: Engine, mail_id: int, settings: Settings) -> MailOutcome:
    """Handle a mail this call holds the claim on; a failure gives it back or quarantines it."""
    try:
        return _handle_claimed(engine, mail_id, settings)
    except sa.exc.SQLAlchemyError as exc:
        # The database is the problem, not the mail: give it back for the next poll.
        with contextlib.suppress(sa.exc.SQLAlchemyError):  # else the lease runs out instead
            store.release(engine, mail_id, f"handling failed, retried later: {exc}")
        raise
    except Exception as exc:  # a mail that breaks the handler goes to a human, not round again
        log.exception("mail %d could not be handled", mail_id)
        note = f"handling failed: {type(exc).__name__}: {str(exc)[:500]}"
        _finish(engine, mail_id, MailState.QUARANTINED, note=note)
        return MailOutcome(mail_id, "quarantine", note=note)


def outcome_of(engine: Engine, mail_id: int) -> MailOutcome:
    """Return the outcome recorded for a mail ('pending' while it is not handled yet)."""
    row = store.get(engine, mail_id)
    reference = _reference(engine, row.submission_id)
    kind = _OUTCOMES.get(row.state, "pending")
    return MailOutcome(mail_id, kind, reference, note=row.automatic_reason or row.note, ack=row.ack_state)


def _reference(engine: Engine, submission_id: int | None) -> str | None:
    if submission_id is None:
        return None
    table: sa.Table = Submission.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        found = connection.execute(sa.select(table.c.reference).where(table.c.id == submission_id)).scalar()
    return str(found) if found is not None else None


def _described(parsed: ParsedMail) -> dict[str, object]:
    return {
        "sender": parsed.sender,
        "sender_name": (parsed.sender_name or "")[:200] or None,
        "subject": (parsed.subject or "")[:1000] or None,
        "text": parsed.text,
        "degraded": parsed.degraded,
        "attachments": [a.as_dict() for a in parsed.attachments],
    }


def _handle_claimed(engine: Engine, mail_id: int, settings: Settings) -> MailOutcome:
    row = store.get(engine, mail_id)
    limits = MailLimits.from_settings(settings.mailbox)
    parsed = parse_mail(row.raw, limits)
    if row.size > len(row.raw):
        parsed.quarantine = parsed.quarantine or f"the mail is larger than {limits.max_mail_bytes} bytes"
    own = tuple(a.lower() for a in (settings.smtp.sender, settings.mailbox.address) if a)
    kind, reason = classify(parsed, own)
    described = _described(parsed)
    if kind == "quarantine":
        _finish(engine, mail_id, MailState.QUARANTINED, note=reason, **described)
        log.warning("mail %d quarantined: %s", mail_id, reason)
        return MailOutcome(mail_id, "quarantine", note=reason)
    if kind == "automatic":
        _finish(engine, mail_id, MailState.AUTOMATIC, automatic_reason=reason, **described)
        return MailOutcome(mail_id, "automatic", note=reason)
    thread = replies.find_thread(engine, parsed)
    if thread is not None:
        described["text"] = replies.reply_text(parsed.text)
        _finish_reply(engine, mail_id, thread, described)
        return MailOutcome(mail_id, "reply", _reference(engine, thread))
    return _submit(engine, mail_id, parsed, described, settings)


_FINISHED = {
    MailState.QUARANTINED: AuditAction.MAIL_QUARANTINED,
    MailState.AUTOMATIC: AuditAction.MAIL_AUTOMATIC,
}
"""The audit action of each state a mail that becomes no submission ends in."""


def _finish(engine: Engine, mail_id: int, state: MailState, **values: object) -> None:
    with session_scope(engine) as session:
        if store.finish(session, mail_id, state, **values):
            audit.record(
                session,
                actor=actor(mail_id),
                action=_FINISHED[state],
                entity_kind="mail",
                entity_key=str(mail_id),
                changes={"reason": values.get("note") or values.get("automatic_reason")},
            )


def _finish_reply(engine: Engine, mail_id: int, submission_id: int, described: dict[str, object]) -> None:
    with session_scope(engine) as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        if store.finish(session, mail_id, MailState.REPLY, submission_id=submission_id, **described):
            # The reply joins the text the submission is compared and indexed by; the index
            # picks it up by `updated_at`. The original text is never altered.
            added = str(described.get("text") or "").strip()
            if added:
                earlier = submission.follow_up_text
                submission.follow_up_text = f"{earlier}\n\n{added}" if earlier else added
                submission.updated_at = utcnow()
                session.add(submission)
            audit.record(
                session,
                actor=actor(mail_id),
                action=AuditAction.SUBMISSION_REPLY_RECEIVED,
                entity_kind="submission",
                entity_key=submission.reference,
                changes={"mail_id": mail_id, "sender": described["sender"]},
            )


def _existing_submission(engine: Engine, mail_id: int) -> int | None:
    """Return the submission a previous handler of this mail created before it died, if any."""
    events: sa.Table = AuditEvent.__table__  # type: ignore[attr-defined]
    table: sa.Table = Submission.__table__  # type: ignore[attr-defined]
    query = (
        sa.select(table.c.id)
        .join(events, events.c.entity_key == table.c.reference)
        .where(events.c.action == AuditAction.SUBMISSION_RECEIVED, events.c.actor == actor(mail_id))
        .limit(1)
    )
    with engine.connect() as connection:
        found = connection.execute(query).scalar()
    return int(found) if found is not None else None


def _new_submission(parsed: ParsedMail, settings: Settings) -> NewSubmission:
    limit = settings.intake.max_text_chars
    text = parsed.text
    if len(text.strip()) < settings.intake.min_text_chars and parsed.subject:
        text = f"{parsed.subject}\n\n{text}".strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return NewSubmission(
        text=text,
        channel=Channel.EMAIL,
        title=(parsed.subject or "")[:300] or None,
        submitter_name=(parsed.sender_name or "")[:200] or None,
        submitter_email=parsed.sender,
    )


def _submit(
    engine: Engine, mail_id: int, parsed: ParsedMail, described: dict[str, object], settings: Settings
) -> MailOutcome:
    submission_id = _existing_submission(engine, mail_id)
    if submission_id is None:
        new = _new_submission(parsed, settings)
        try:
            submission = submissions.accept(engine, new, settings.intake, actor=actor(mail_id))
        except SubmissionInvalid as exc:
            if {p.field for p in exc.problems} - {"submitter_email", "submitter_name"}:
                note = f"not a valid submission: {exc}"
                _finish(engine, mail_id, MailState.QUARANTINED, note=note, **described)
                return MailOutcome(mail_id, "quarantine", note=note)
            # A sender the intake rules refuse (an odd address) still leaves the idea: keep it anonymous.
            new = replace(new, submitter_email=None, submitter_name=None)
            submission = submissions.accept(engine, new, settings.intake, actor=actor(mail_id))
        assert submission.id is not None
        submission_id = submission.id
    named = replies.subject_reference(engine, parsed, settings.intake.reference_prefix)
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None
        reference, to = row.reference, row.submitter_email
        if named is not None and named != reference and row.possible_reply_to is None:
            _mark_possible_reply(session, row, named, sender=parsed.sender)
        store.finish(session, mail_id, MailState.SUBMITTED, submission_id=submission_id, **described)
    try:
        state = ack.acknowledge(
            engine,
            settings,
            mail_id,
            to=to,
            submission_id=submission_id,
            reference=reference,
            in_reply_to=parsed.message_id,
        )
    except Exception:  # the submission stands whatever happens to its acknowledgement
        log.exception("acknowledgement of %s failed", reference)
        state = "failed"
    return MailOutcome(mail_id, "submission", reference, ack=state)


def _mark_possible_reply(session: Session, row: Submission, named: str, *, sender: str | None) -> None:
    """Mark `row` as perhaps answering `named`, and offer the pair to staff as a merge candidate.

    Nothing is added to `named`: the subject and `From` are the sender's word, so only staff,
    who can read both, link them (by merging the candidate on the review page).
    """
    assert row.id is not None
    row.possible_reply_to = named
    session.add(row)
    original = session.exec(select(Submission).where(Submission.reference == named)).first()
    same_sender = bool(original and sender and (original.submitter_email or "").lower() == sender.lower())
    reason = (
        f"Ämnesraden nämner {named}; kanske ett svar på det förslaget (avsändaren "
        f"{'är' if same_sender else 'är inte'} samma adress som förslagets). Slå ihop om det stämmer."
    )
    session.add(
        DuplicateCandidate(
            submission_id=row.id,
            other_kind=ItemKind.SUBMISSION,
            other_key=named,
            score=0.0,
            parts={"subject_reference": 1.0},
            reason=reason,
        )
    )
    audit.record(
        session,
        actor=audit.SYSTEM_ACTOR,
        action=AuditAction.SUBMISSION_POSSIBLE_REPLY,
        entity_kind="submission",
        entity_key=row.reference,
        changes={"possible_reply_to": named, "same_sender": same_sender},
    )


def handle_pending(engine: Engine, settings: Settings, limit: int = 100) -> list[MailOutcome]:
    """Handle stored mails left unhandled (a crash, a database outage); one failure never stops the rest."""
    outcomes = []
    for mail_id in store.pending(engine, limit):
        try:
            outcomes.append(handle(engine, mail_id, settings))
        except sa.exc.SQLAlchemyError as exc:
            log.error("stored mail %d not handled, database unavailable: %s", mail_id, exc)
            break
    return outcomes


__all__ = ["InboundMail", "MailOutcome", "actor", "handle", "handle_pending", "ingest", "outcome_of"]
