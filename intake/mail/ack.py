"""The acknowledgement: the reference back to the person who wrote, through `intake.outbox`.

Never to a machine (only submissions are acknowledged, and automatic mails never become
submissions), at most `acks_per_address_per_day` per address and UTC day, counted in the
database so that every process shares the count. The Message-ID of the acknowledgement is stored
before it is sent: a reply to it then finds its submission. Reply-To is the shared mailbox, so
the reply comes back through intake. With `public_base_url` set, it carries a new follow link, so
the submitter can see the status and answer questions without an account.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from intake import outbox
from intake.mail import store
from intake.models import InboundMail
from intake.services import follow, submissions
from intake.settings import Settings

log = logging.getLogger(__name__)

_TABLE: sa.Table = InboundMail.__table__  # type: ignore[attr-defined]


def _body(reference: str, title: str | None, link: str | None = None) -> str:
    about = f" ({title})" if title else ""
    follow_sv = follow_en = ""
    if link:
        follow_sv = f"Följ förslaget och svara på DigIT:s frågor här (länken är personlig):\n{link}\n\n"
        follow_en = f"Follow your idea and answer DigIT's questions here (the link is personal):\n{link}\n\n"
    return (
        f"Hej!\n\nTack för ditt förslag{about}. Det har tagits emot och fått referensen {reference}.\n"
        "DigIT läser det och återkommer. Svara på det här mejlet om du vill lägga till något; "
        f"ange gärna referensen.\n\n{follow_sv}"
        f"Hello,\n\nThank you for your suggestion. It has been received with the reference {reference}.\n"
        "DigIT will read it and get back to you. Reply to this mail to add anything; please keep the "
        f"reference.\n\n{follow_en}Beredning (automatiskt meddelande / automatic message)\n"
    )


def _follow_link(engine: Engine, settings: Settings, reference: str) -> str | None:
    """A new follow link for the mail, or None: no public address configured, or the database failed."""
    if not settings.public_base_url:
        return None
    try:
        submission = submissions.get_by_reference(engine, reference)
        if submission is None or submission.id is None:
            return None
        return follow.mail_url(settings, follow.issue(engine, submission.id))
    except SQLAlchemyError as exc:  # the acknowledgement goes without the link
        log.warning("no follow link for %s: %s", reference, exc)
        return None


def acknowledge(
    engine: Engine,
    settings: Settings,
    mail_id: int,
    *,
    to: str | None,
    reference: str,
    title: str | None,
    in_reply_to: str,
) -> str:
    """Send the acknowledgement of a new submission; return the outcome stored as `ack_state`."""
    mailbox = settings.mailbox
    state: str
    if not mailbox.acknowledge:
        state = "off"
    elif not to:
        state = "no_sender"
    elif not store.take_ack_slot(engine, to, mailbox.acks_per_address_per_day):
        state = "limited"
        log.info("no acknowledgement to %s for %s: daily limit reached", to, reference)
    else:
        message = outbox.new_message(settings.smtp.sender, [to], f"Mottaget / Received: {reference}")
        if mailbox.address:
            message["Reply-To"] = mailbox.address
        if in_reply_to and not any(c.isspace() for c in in_reply_to):
            message["In-Reply-To"] = f"<{in_reply_to}>"
            message["References"] = f"<{in_reply_to}>"
        message.set_content(_body(reference, title, _follow_link(engine, settings, reference)))
        ack_id = str(message["Message-ID"]).strip().strip("<>")
        _update(engine, mail_id, ack_message_id=ack_id[:500])
        try:
            outbox.send(settings.smtp, message)
            state = "sent"
        except outbox.MailNotSent as exc:
            log.warning("acknowledgement of %s to %s not sent: %s", reference, to, exc)
            _update(engine, mail_id, note=f"acknowledgement not sent: {exc}"[:2000])
            state = "failed"
    _update(engine, mail_id, ack_state=state)
    return state


def _update(engine: Engine, mail_id: int, **values: object) -> None:
    with engine.begin() as connection:
        connection.execute(sa.update(_TABLE).where(_TABLE.c.id == mail_id).values(**values))
