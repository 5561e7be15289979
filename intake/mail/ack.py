"""The acknowledgement: the reference back to the person who wrote, through `intake.outbox`.

`From` can be forged, so the municipal mail server must not become a way to mail anyone: an
acknowledgement goes only to the configured domains (the municipality's own by default), at most
`acks_per_address_per_day` per normalised address (`a.b+x@gmail.com` counts as `ab@gmail.com`)
and `acks_per_day` in all, counted in the database so that every process shares the counts. It
never echoes the mail's subject or text, so it cannot carry a stranger's message either. Never
to a machine (automatic mails never become submissions). The Message-ID is stored before the
mail is sent: a reply to it then finds its submission. Reply-To is the shared mailbox. With
`public_base_url` set, it carries a new follow link.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from intake import outbox
from intake.mail import store
from intake.models import InboundMail
from intake.services import follow, sent
from intake.settings import Settings

log = logging.getLogger(__name__)

ALL_ADDRESSES = "*"
"""The counter row of all acknowledgements of a day (no address is `*`)."""


def in_domains(address: str, domains: list[str]) -> bool:
    """Tell whether `address` is in one of `domains` or a subdomain of one."""
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    return bool(domain) and any(domain == d or domain.endswith(f".{d}") for d in domains)


def normalise_address(address: str, dotless_domains: list[str]) -> str:
    """Return the mailbox `address` reaches: lower case, `+tag` cut, dots dropped where ignored."""
    local, _, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in dotless_domains:
        local = local.replace(".", "")
    return f"{local}@{domain}"


_TABLE: sa.Table = InboundMail.__table__  # type: ignore[attr-defined]


def _body(reference: str, link: str | None = None) -> str:
    follow_sv = follow_en = ""
    if link:
        follow_sv = f"Följ förslaget och svara på DigIT:s frågor här (länken är personlig):\n{link}\n\n"
        follow_en = f"Follow your idea and answer DigIT's questions here (the link is personal):\n{link}\n\n"
    return (
        f"Hej!\n\nTack för ditt förslag. Det har tagits emot och fått referensen {reference}.\n"
        "DigIT läser det och återkommer. Svara på det här mejlet om du vill lägga till något; "
        f"ange gärna referensen.\n\n{follow_sv}"
        f"Hello,\n\nThank you for your suggestion. It has been received with the reference {reference}.\n"
        "DigIT will read it and get back to you. Reply to this mail to add anything; please keep the "
        f"reference.\n\n{follow_en}Beredning (automatiskt meddelande / automatic message)\n"
    )


def _follow_link(engine: Engine, settings: Settings, submission_id: int) -> str | None:
    """A new follow link for the mail, or None: no public address configured, or the database failed."""
    if not settings.public_base_url:
        return None
    try:
        return follow.mail_url(settings, follow.issue(engine, submission_id))
    except SQLAlchemyError as exc:  # the acknowledgement goes without the link
        log.warning("no follow link for submission %d: %s", submission_id, exc)
        return None


def acknowledge(
    engine: Engine,
    settings: Settings,
    mail_id: int,
    *,
    to: str | None,
    submission_id: int,
    reference: str,
    in_reply_to: str,
) -> str:
    """Send the acknowledgement of a new submission; return the outcome stored as `ack_state`.

    Outcomes: `sent`, `failed`, `off`, `no_sender`, `foreign_domain` (not a configured domain),
    `limited` (the address's daily limit) and `capped` (the day's limit for everyone).
    """
    mailbox = settings.mailbox
    state: str
    if not mailbox.acknowledge:
        state = "off"
    elif not to:
        state = "no_sender"
    elif not in_domains(to, mailbox.ack_domains_or_own()):
        state = "foreign_domain"
        log.info("no acknowledgement for %s: the sender's domain is not configured", reference)
    elif not store.take_ack_slot(
        engine, normalise_address(to, mailbox.dotless_domains), mailbox.acks_per_address_per_day
    ):
        state = "limited"
        log.info("no acknowledgement for %s: the address's daily limit is reached", reference)
    elif not store.take_ack_slot(engine, ALL_ADDRESSES, mailbox.acks_per_day):
        state = "capped"
        log.warning(
            "no acknowledgement for %s: today's limit of %d is reached", reference, mailbox.acks_per_day
        )
    else:
        message = outbox.new_message(settings.smtp.sender, [to], f"Mottaget / Received: {reference}")
        if mailbox.address:
            message["Reply-To"] = mailbox.address
        if in_reply_to and not any(c.isspace() for c in in_reply_to):
            message["In-Reply-To"] = f"<{in_reply_to}>"
            message["References"] = f"<{in_reply_to}>"
        message.set_content(_body(reference, _follow_link(engine, settings, submission_id)))
        _update(engine, mail_id, ack_message_id=sent.message_id_of(message))
        sent.record(engine, message, submission_id, "ack")
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
