"""Which submission a mail answers, if any: by our acknowledgement's Message-ID or the reference.

A reply found by In-Reply-To/References (our acknowledgement's Message-ID, or the original
mail's own) belongs to that submission whoever sends it: the thread proves it. A reference such
as IN-2026-00042 in the subject only counts when the reply comes from the submitter's own
address, so that a stranger who quotes a reference starts a submission of their own instead
of writing into someone else's.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from intake.mail.parse import ParsedMail
from intake.models import InboundMail, MailState, Submission
from retrieval.boilerplate import strip_boilerplate

_MAIL: sa.Table = InboundMail.__table__  # type: ignore[attr-defined]
_SUBMISSION: sa.Table = Submission.__table__  # type: ignore[attr-defined]


def reference_pattern(prefix: str) -> re.Pattern[str]:
    """Return the pattern of references made with `prefix` (see `domain.submission.format_reference`)."""
    return re.compile(rf"\b{re.escape(prefix)}-(\d{{4}})-(\d{{5,}})\b", re.IGNORECASE)


def find_thread(engine: Engine, mail: ParsedMail, prefix: str) -> int | None:
    """Return the id of the submission `mail` replies to, or None for a new submission."""
    ids = [i[:500] for i in (*mail.in_reply_to, *mail.references)][:100]
    with engine.connect() as connection:
        if ids:
            linked = sa.and_(
                _MAIL.c.submission_id.is_not(None),
                sa.or_(
                    _MAIL.c.ack_message_id.in_(ids),
                    sa.and_(
                        _MAIL.c.message_id.in_(ids),
                        _MAIL.c.state.in_([MailState.SUBMITTED.value, MailState.REPLY.value]),
                    ),
                ),
            )
            found = connection.execute(
                sa.select(_MAIL.c.submission_id).where(linked).order_by(_MAIL.c.id).limit(1)
            ).scalar()
            if found is not None:
                return int(found)
        match = reference_pattern(prefix).search(mail.subject or "")
        if match is None or mail.sender is None:
            return None
        reference = f"{prefix}-{match.group(1)}-{match.group(2)}".upper()
        row = connection.execute(
            sa.select(_SUBMISSION.c.id, _SUBMISSION.c.submitter_email).where(
                _SUBMISSION.c.reference == reference
            )
        ).first()
    if row is None or (row.submitter_email or "").lower() != mail.sender:
        return None
    return int(row.id)


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
