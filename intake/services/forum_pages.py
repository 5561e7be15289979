"""What the forum pages (`/forums`) read: each forum's next meeting and item count, stored agendas,
and the decisions recorded for a meeting. Reads only; decisions are written by `workflow.decide`.
The pages get frozen records (`ForumRow`, `StoredAgenda`, `RecordedDecision`), never a row.

Which meeting a decision belongs to is not stored, so it is told by time: a meeting's decisions
are those its forum recorded after the meeting's agenda was built (the stored agenda's `built_at`)
or, while no agenda is stored, after the forum's previous meeting day, and before the end of the
meeting day for a stored past agenda.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.agenda import masked_title  # the agenda's masking rules, so a title reads the same in both
from intake.agenda.schedule import meeting_cutoff, meeting_on, next_meeting
from intake.domain.process import Forum, ProcessDefinition
from intake.models import AgendaDispatch, Draft, StepChange, Submission

EARLIER_AGENDAS = 5
"""How many stored agendas the forum list links to, newest first."""


@dataclass(frozen=True)
class ForumRow:
    """One forum in the list: its next meeting, the items due there, and its stored agendas."""

    forum: Forum
    day: date | None
    items: int
    earlier: list[date] = field(default_factory=list)


@dataclass(frozen=True)
class StoredAgenda:
    """An agenda the scheduled flow built for a forum's meeting, as it was built (`html`)."""

    forum_key: str
    meeting_day: date
    built_at: datetime | None
    html: str


@dataclass(frozen=True)
class RecordedDecision:
    """A decision a forum recorded: one `StepChange` row with its item's masked title."""

    reference: str
    title: str
    decision: str
    from_step: str
    to_step: str
    actor: str
    at: datetime
    reason: str | None
    merged_into: str | None


def meeting_day(forum: Forum, today: date, now: datetime | None = None) -> date:
    """The day of the forum's next meeting: today's until it has ended; today without a cadence."""
    day = next_meeting(forum, today)
    if day is None:
        return today
    end = meeting_on(forum, day).end
    if day == today and now is not None and end is not None and end <= now:
        return next_meeting(forum, today + timedelta(days=1)) or today
    return day


def forum_rows(engine: Engine, process: ProcessDefinition, today: date, now: datetime) -> list[ForumRow]:
    """Return every forum of the process with its next meeting, item count and stored agendas."""
    rows = []
    with Session(engine) as session:
        for forum in process.forums:
            day = meeting_day(forum, today, now) if forum.cadence else None
            steps = [s.key for s in process.steps if s.forum == forum.key]
            cutoff = meeting_cutoff(forum, day or today)
            # the same "due" as `build_agenda`: in the forum's step and in before the meeting starts
            count = session.exec(
                select(func.count())
                .select_from(Submission)
                .where(col(Submission.step).in_(steps))
                .where(col(Submission.received_at) < cutoff)
            ).one()
            earlier = session.exec(
                select(col(AgendaDispatch.meeting_day))
                .where(col(AgendaDispatch.forum_key) == forum.key)
                .where(col(AgendaDispatch.html).is_not(None))
                .where(col(AgendaDispatch.meeting_day) != (day or today))
                .order_by(col(AgendaDispatch.meeting_day).desc())
                .limit(EARLIER_AGENDAS)
            ).all()
            rows.append(ForumRow(forum=forum, day=day, items=int(count), earlier=list(earlier)))
    return rows


def stored_agenda(engine: Engine, forum_key: str, day: date) -> StoredAgenda | None:
    """Return the agenda the scheduled flow built for the forum's meeting on `day`, if it did."""
    with Session(engine) as session:
        row = session.exec(
            select(AgendaDispatch)
            .where(col(AgendaDispatch.forum_key) == forum_key)
            .where(col(AgendaDispatch.meeting_day) == day)
            .where(col(AgendaDispatch.html).is_not(None))
        ).first()
        if row is None or row.html is None:
            return None
        return StoredAgenda(
            forum_key=row.forum_key, meeting_day=row.meeting_day, built_at=row.built_at, html=row.html
        )


def decision_window(
    forum: Forum, day: date, stored: StoredAgenda | None, *, past: bool = False
) -> tuple[datetime, datetime | None]:
    """Return (from, until) of the decisions that belong to the meeting on `day`; see the module doc."""
    zone = forum.zone
    if stored is not None and stored.built_at is not None:
        start = _aware(stored.built_at)
    else:
        weeks = forum.cadence.every_weeks if forum.cadence else 0
        previous = day - timedelta(weeks=weeks)
        start = datetime.combine(previous + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    until = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC) if past else None
    return start, until


def recorded_decisions(
    engine: Engine, forum_key: str, start: datetime, until: datetime | None = None
) -> list[RecordedDecision]:
    """Return the decisions forum `forum_key` recorded from `start` (to `until`), oldest first."""
    query = (
        select(StepChange, Submission, Draft)
        .join(Submission, col(Submission.id) == col(StepChange.submission_id))
        .outerjoin(Draft, col(Draft.submission_id) == col(Submission.id))
        .where(col(StepChange.forum) == forum_key)
        .where(col(StepChange.decision).is_not(None))
        .where(col(StepChange.at) >= start)
        .order_by(col(StepChange.at), col(StepChange.id))
    )
    if until is not None:
        query = query.where(col(StepChange.at) < until)
    with Session(engine) as session:
        found = session.exec(query).all()
        return [
            RecordedDecision(
                reference=submission.reference,
                title=masked_title(submission, draft),
                decision=change.decision or "",
                from_step=change.from_step,
                to_step=change.to_step,
                actor=change.actor,
                at=_aware(change.at),
                reason=change.reason,
                merged_into=change.merged_into_key,
            )
            for change, submission, draft in found
        ]


def _aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; every timestamp is stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
