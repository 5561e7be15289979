"""Which submission a mail answers, if any: only a mail the service itself sent proves it.

A reply whose In-Reply-To/References names the Message-ID of a mail the service sent about a
submission (its acknowledgement, a question) belongs to that submission: the service made that
id, so the thread proves it. Anything else is a new submission, whoever sends it. `From` can be
forged, so a reference such as IN-2026-00042 in the subject, even from the submitter's address,
only marks the new submission as a possible reply (`subject_reference`) for staff to link.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from intake.domain.mail import MailState
from intake.mail.parse import ParsedMail
from intake.models import InboundMail, SentMessage, Submission
from retrieval.boilerplate import strip_boilerplate

_MAIL: sa.Table = InboundMail.__table__  # type: ignore[attr-defined]
_SUBMISSION: sa.Table = Submission.__table__  # type: ignore[attr-defined]
_SENT: sa.Table = SentMessage.__table__  # type: ignore[attr-defined]


def reference_pattern(prefix: str) -> re.Pattern[str]:
    """Return the pattern of references made with `prefix` (see `domain.submission.format_reference`)."""
    return re.compile(rf"\b{re.escape(prefix)}-(\d{{4}})-(\d{{5,}})\b", re.IGNORECASE)


def find_thread(engine: Engine, mail: ParsedMail) -> int | None:
    """Return the id of the submission `mail` replies to (a mail the service sent), or None."""
    ids = [i[:500] for i in (*mail.in_reply_to, *mail.references)][:100]
    if not ids:
        return None
    with engine.connect() as connection:
        found = connection.execute(
            sa.select(_SENT.c.submission_id).where(_SENT.c.message_id.in_(ids)).order_by(_SENT.c.id).limit(1)
        ).scalar()
    return int(found) if found is not None else None


def subject_reference(engine: Engine, mail: ParsedMail, prefix: str) -> str | None:
    """Return the reference of an existing submission named in the subject, or None."""
    match = reference_pattern(prefix).search(mail.subject or "")
    if match is None:
        return None
    reference = f"{prefix}-{match.group(1)}-{match.group(2)}".upper()
    with engine.connect() as connection:
        found = connection.execute(
            sa.select(_SUBMISSION.c.reference).where(_SUBMISSION.c.reference == reference)
        ).scalar()
    return str(found) if found is not None else None


def reply_text(text: str) -> str:
    """Return what a reply adds: without the quoted earlier mail, the greeting and the signature."""
    return strip_boilerplate(text)


def conversation(engine: Engine, submission_id: int) -> list[tuple[str | None, str]]:
    """Return the replies added to a submission by mail, oldest first: (sender, text without quotes)."""
    query = (
        sa.select(_MAIL.c.sender, _MAIL.c.text)
        .where(_MAIL.c.submission_id == submission_id, _MAIL.c.state == MailState.REPLY.value)
        .order_by(_MAIL.c.id)
    )
    with engine.connect() as connection:
        return [(row.sender, row.text or "") for row in connection.execute(query)]
