"""The agenda as an e-mail to the forum's members: Markdown text, HTML alternative, .ics invitation.

The SMTP server is given by the caller (the CLI reads `BEREDNING_SMTP__*`), not by the settings:
sending agendas is the only mail the service sends so far, and a relay inside the municipality's
network usually needs neither TLS nor login. Both can come later without changing the message.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from intake.agenda import texts
from intake.agenda.html import render_html
from intake.agenda.ics import render_ics
from intake.agenda.markdown import render_markdown
from intake.agenda.model import Agenda


class AgendaMailError(RuntimeError):
    """Raised when the agenda cannot be sent: no recipients, or the SMTP server refused or is down."""


def agenda_message(
    agenda: Agenda, *, sender: str, recipients: list[str] | None = None, lang: str = "sv"
) -> EmailMessage:
    """Build the e-mail: text/plain (Markdown) and text/html alternatives, and the invitation attached.

    The attachment is `text/calendar; method=REQUEST`, so calendar clients offer to accept it.
    """
    to = list(recipients if recipients is not None else agenda.members)
    if not to:
        raise AgendaMailError(f"forum {agenda.forum_key!r} has no members to send the agenda to")
    subject = texts.text("subject", lang).format(
        forum=agenda.forum_name.get(lang), day=agenda.meeting.day.isoformat()
    )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(f"{texts.text('mail_intro', lang)}\n\n{render_markdown(agenda, lang)}")
    message.add_alternative(render_html(agenda, lang), subtype="html")
    message.add_attachment(
        render_ics(agenda, organizer=sender, lang=lang).encode("utf-8"),
        maintype="text",
        subtype="calendar",
        filename=f"{agenda.forum_key}-{agenda.meeting.day.isoformat()}.ics",
        params={"method": "REQUEST", "charset": "utf-8"},
    )
    return message


def send_agenda(
    agenda: Agenda,
    *,
    host: str,
    port: int,
    sender: str,
    recipients: list[str] | None = None,
    lang: str = "sv",
    timeout: float = 30.0,
) -> list[str]:
    """Send the agenda to `recipients` (default: the forum's members); return who accepted it.

    Raises:
        AgendaMailError: no recipients, the server cannot be reached, or it refused everyone.
    """
    message = agenda_message(agenda, sender=sender, recipients=recipients, lang=lang)
    to = [a.strip() for a in str(message["To"]).split(",")]
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            refused = smtp.send_message(message, from_addr=sender, to_addrs=to)
    except (smtplib.SMTPException, OSError) as exc:
        raise AgendaMailError(f"could not send the agenda through {host}:{port}: {exc}") from exc
    return [a for a in to if a not in refused]
