"""E-mail intake: a shared mailbox whose mails become submissions, safely and exactly once.

`parse` reads raw bytes into a `ParsedMail` without ever raising, `classify` tells people from
machines, `pipeline` stores the raw bytes first and turns each mail into one submission, reply,
automatic record or quarantine entry, `ack` answers the sender, `imap` and `poll` fetch and
move mails. The Prefect flow is `flows.mailbox`; the CLI `beredning mail`.
"""

from __future__ import annotations

from intake.mail.classify import Kind, automatic_reason, classify
from intake.mail.imap import FetchedMail, ImapMailbox, MailboxError, MailSource
from intake.mail.limits import MailLimits
from intake.mail.parse import Attachment, ParsedMail, parse_mail
from intake.mail.pipeline import MailOutcome, handle, handle_pending, ingest
from intake.mail.poll import PollReport, poll

__all__ = [
    "Attachment",
    "FetchedMail",
    "ImapMailbox",
    "Kind",
    "MailLimits",
    "MailOutcome",
    "MailSource",
    "MailboxError",
    "ParsedMail",
    "PollReport",
    "automatic_reason",
    "classify",
    "handle",
    "handle_pending",
    "ingest",
    "parse_mail",
    "poll",
]
