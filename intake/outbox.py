"""Outgoing mail through the configured SMTP server: the one place the service talks SMTP.

Agendas, reminders to DigIT and acknowledgements to submitters all build an `EmailMessage` and
hand it here, so that TLS, login and timeouts are configured once (`BEREDNING_SMTP__*`).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from intake.settings import SmtpSettings


class MailNotSent(RuntimeError):
    """The SMTP server could not be reached, or it refused every recipient."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"could not send through {where}: {reason}")
        self.where = where
        self.reason = reason


def new_message(sender: str, to: Sequence[str], subject: str) -> EmailMessage:
    """Return a message with the headers every outgoing mail carries (Date, Message-ID)."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    return message


def send(smtp: SmtpSettings, message: EmailMessage, to: Sequence[str] | None = None) -> list[str]:
    """Send `message` to `to` (default: its To header); return the addresses the server accepted.

    The envelope sender is `smtp.sender`, so bounces come back to the service's own address.
    Automatic mails we send are marked `Auto-Submitted: auto-generated`, so that well-behaved
    auto-responders do not answer them (RFC 3834); callers that send on a person's behalf set
    the header themselves.

    Raises:
        MailNotSent: no recipients, the server is down or refused every recipient.
    """
    if not smtp.host:
        raise MailNotSent("no SMTP server", "none is configured (set BEREDNING_SMTP__HOST)")
    recipients = list(to) if to is not None else [a.strip() for a in str(message.get("To", "")).split(",")]
    recipients = [a for a in recipients if a]
    if not recipients:
        raise MailNotSent(f"{smtp.host}:{smtp.port}", "no recipients")
    if "Auto-Submitted" not in message:
        message["Auto-Submitted"] = "auto-generated"
    where = f"{smtp.host}:{smtp.port}"
    try:
        if smtp.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.username:
                password = smtp.password.get_secret_value() if smtp.password else ""
                client.login(smtp.username, password)
            refused = client.send_message(message, from_addr=smtp.sender, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailNotSent(where, f"every recipient refused: {', '.join(exc.recipients)}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise MailNotSent(where, str(exc)) from exc
    return [a for a in recipients if a not in refused]
