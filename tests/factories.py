"""Builders of the rows the tests start from, in one place and under mypy --strict.

Two ways in, on purpose: `accept` goes through the service, as a form or a mail does (the row, its
job and its audit event); `add_submission` writes a row as it would look later (in a step, received
weeks ago, already processed), for tests of what reads such rows (agendas, reminders).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.domain.submission import Channel, NewSubmission, ProcessingState
from intake.models import Submission
from intake.services import submissions
from intake.settings import Settings


def accept(engine: Engine, settings: Settings, text: str, **fields: Any) -> int:
    """Accept a web submission through the service (as the form does); return its id."""
    new = NewSubmission(text=text, channel=fields.pop("channel", Channel.WEB), **fields)
    row = submissions.accept(engine, new, settings.intake, actor="test")
    assert row.id is not None
    return row.id


def add_submission(
    session: Session, reference: str, step: str, received_at: datetime, text: str, **fields: Any
) -> int:
    """Add a processed web submission in `step`, received at `received_at`; return its id.

    The caller's session commits; `fields` sets any other column.
    """
    row = Submission(
        reference=reference,
        raw_text=text,
        channel=Channel.WEB,
        step=step,
        received_at=received_at,
        state=ProcessingState.PROCESSED,
        **fields,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def submission(engine: Engine, reference: str) -> Submission | None:
    """Return the submission `reference` as stored now, or None."""
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(Submission).where(col(Submission.reference) == reference)).first()
