"""The agenda as an e-mail to the forum's members: Markdown text, HTML alternative, .ics invitation.

The SMTP server comes from the settings (`BEREDNING_SMTP__*`) through `intake.outbox`, which
every mail the service sends goes through.
"""

from __future__ import annotations

from email.message import EmailMessage

from intake import outbox
from intake.agenda.html import render_html
from intake.agenda.ics import render_ics
from intake.agenda.markdown import render_markdown
from intake.agenda.model import Agenda
from intake.locale import texts
from intake.settings import SmtpSettings


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
    _ = texts(lang)
    subject = _("Dagordning {forum} {day}").format(
        forum=agenda.forum_name.get(lang), day=agenda.meeting.day.isoformat()
    )
    message = outbox.new_message(sender, to, subject)
    intro = _("Här är dagordningen till mötet. Kalenderinbjudan finns som bilaga.")
    message.set_content(f"{intro}\n\n{render_markdown(agenda, lang)}")
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
    smtp: SmtpSettings,
    *,
    recipients: list[str] | None = None,
    lang: str = "sv",
) -> list[str]:
    """Send the agenda to `recipients` (default: the forum's members); return who accepted it.

    Raises:
        AgendaMailError: no recipients, the server cannot be reached, or it refused everyone.
    """
    message = agenda_message(agenda, sender=smtp.sender, recipients=recipients, lang=lang)
    try:
        return outbox.send(smtp, message)
    except outbox.MailNotSent as exc:
        raise AgendaMailError(f"could not send the agenda through {exc.where}: {exc.reason}") from exc
