"""Tell a submitter by mail that DigIT has asked them a question, with their follow link.

Called after the question is committed (`questions.ask(..., notify=...)`), so the question stands
whatever happens here: a mail that cannot be sent is recorded in the audit trail and logged,
never raised to the staff member who asked. A mail sent is audited too, so staff can see whether
the submitter was told, and reach them another way when not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from intake import outbox
from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.models import GapQuestion, Submission
from intake.services import audit, follow, sent
from intake.settings import Settings

log = logging.getLogger(__name__)

Notify = Callable[[GapQuestion], str]
"""Called with a question just asked; returns what became of the mail (for the caller to show)."""


def question_by_mail(engine: Engine, settings: Settings) -> Notify:
    """Return the hook `questions.ask` calls to mail the submitter their question."""

    def notify(question: GapQuestion) -> str:
        return mail_question(engine, settings, question)

    return notify


def mail_question(engine: Engine, settings: Settings, question: GapQuestion) -> str:
    """Mail `question` and a new follow link to its submitter; return `sent`, `failed` or why not sent.

    Outcomes: `sent`; `no_address` (the submission has no e-mail address); `no_smtp` (no SMTP
    server configured); `failed` (the server refused, or the database failed while making the link).
    """
    try:
        with session_scope(engine) as session:
            submission = session.get(Submission, question.submission_id)
            if submission is None:
                return "no_submission"
            reference, to = submission.reference, submission.submitter_email
        # Nothing is tried, so nothing is recorded (a missing address is plain to staff already).
        if not to:
            return "no_address"
        if not settings.smtp.host:
            return "no_smtp"
        token = follow.issue(engine, question.submission_id)
        message = outbox.new_message(
            settings.smtp.sender, [to], f"Fråga om ditt förslag / A question about your idea: {reference}"
        )
        if settings.mailbox.address:
            message["Reply-To"] = settings.mailbox.address
        message.set_content(body(reference, question.question, follow.mail_url(settings, token)))
        sent.record(engine, message, question.submission_id, "question")  # a reply to it then links
        outbox.send(settings.smtp, message)
    except outbox.MailNotSent as exc:
        log.warning("question %s to the submitter of %s not mailed: %s", question.id, reference, exc)
        return _record(engine, reference, question, "failed", str(exc))
    except SQLAlchemyError as exc:
        log.warning("question %s not mailed, the database failed: %s", question.id, exc)
        return "failed"
    return _record(engine, reference, question, "sent")


def body(reference: str, question: str, link: str | None) -> str:
    """The mail's text, Swedish first; without a link it asks for a reply instead."""
    if link:
        how_sv = f"Svara här (länken är personlig, dela den inte):\n{link}\n"
        how_en = f"Answer here (the link is personal, do not share it):\n{link}\n"
    else:
        how_sv = "Svara på det här mejlet, och behåll referensen i ämnesraden.\n"
        how_en = "Reply to this mail, keeping the reference in the subject.\n"
    return (
        f"Hej!\n\nDigIT har en fråga om ditt förslag {reference}:\n\n{question}\n\n{how_sv}\n"
        f"Hello,\n\nDigIT has a question about your idea {reference}:\n\n{question}\n\n{how_en}\n"
        "Beredning (automatiskt meddelande / automatic message)\n"
    )


def _record(
    engine: Engine, reference: str, question: GapQuestion, outcome: str, error: str | None = None
) -> str:
    try:
        with session_scope(engine) as session:
            audit.record(
                session,
                actor=audit.SYSTEM_ACTOR,
                action=AuditAction.QUESTION_MAILED if outcome == "sent" else AuditAction.QUESTION_MAIL_FAILED,
                entity_kind="submission",
                entity_key=reference,
                changes={"question_id": question.id, "outcome": outcome},
                note=error[:2000] if error else None,
            )
    except SQLAlchemyError as exc:
        log.warning("could not record that question %s was %s: %s", question.id, outcome, exc)
    return outcome
