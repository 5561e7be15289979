"""The Message-IDs of the mails the service sends about a submission (acknowledgements, questions).

Only a reply naming one of these in `In-Reply-To`/`References` joins its submission
(`intake.mail.replies.find_thread`): the service made the id, so nobody can claim a thread with it.
"""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy.engine import Engine

from intake.db import session_scope
from intake.models import SentMessage


def message_id_of(message: EmailMessage) -> str:
    """The Message-ID of an outgoing mail, without angle brackets (as stored and looked up)."""
    return str(message["Message-ID"]).strip().strip("<>")[:500]


def record(engine: Engine, message: EmailMessage, submission_id: int, kind: str) -> None:
    """Remember `message` (before it is sent) as a mail about `submission_id` of `kind` (ack, question)."""
    with session_scope(engine) as session:
        session.add(SentMessage(message_id=message_id_of(message), submission_id=submission_id, kind=kind))
