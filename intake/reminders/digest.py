"""The reminder digest: items waiting too long in their step, and answers submitters owe DigIT.

How long an item has waited is read from the audit trail of moves (`StepChange`): since its last
move into the step it is in now, or since it arrived when it never moved (an imported item). A
step's `remind_after_days` in the process file sets its limit (0: never listed), else the setting
`reminders.stale_after_days`. Only items in a step are listed: paused, closed and merged ones are
not waiting for anyone. Owed answers are open gap questions (`intake.services.questions`) asked
at least `reminders.answer_after_days` ago.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.agenda import first_sentences, masked_body, masked_title
from intake.domain.process import Label, ProcessDefinition, Step
from intake.models import Draft, StepChange, Submission
from intake.services import questions
from intake.settings import ReminderSettings


@dataclass(frozen=True)
class StaleItem:
    """An item that has waited in its step at least as long as the step's limit."""

    reference: str
    title: str
    step: str
    step_name: Label
    since: datetime
    days: int
    limit_days: int


@dataclass(frozen=True)
class OwedAnswer:
    """A gap question the submitter has not answered."""

    reference: str
    title: str
    step: str
    gap_key: str
    question: str
    asked_at: datetime
    asked_by: str
    days: int


@dataclass(frozen=True)
class Digest:
    """One day's digest, as of one moment: what DigIT should chase."""

    day: date
    as_of: datetime
    stale: tuple[StaleItem, ...] = ()
    owed: tuple[OwedAnswer, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether there is nothing to remind of (an empty digest is not sent)."""
        return not self.stale and not self.owed


def limit_days(step: Step, default: int) -> int | None:
    """Return the days an item may wait in `step` before it is listed; None when never."""
    if step.remind_after_days is None:
        return default
    return step.remind_after_days or None


def local_day(process: ProcessDefinition, moment: datetime) -> date:
    """Return the day `moment` falls on where the process runs."""
    return moment.astimezone(ZoneInfo(process.timezone)).date()


def send_moment(process: ProcessDefinition, settings: ReminderSettings, day: date) -> datetime:
    """Return when the digest of `day` is due: the configured hour in the process's time zone."""
    zone = ZoneInfo(process.timezone)
    return datetime(day.year, day.month, day.day, settings.hour, tzinfo=zone)


def build_digest(
    engine: Engine, process: ProcessDefinition, settings: ReminderSettings, day: date, as_of: datetime
) -> Digest:
    """Read the database once and return the digest of `day` as it stands at `as_of`."""
    steps = {s.key: s for s in process.steps}
    with Session(engine) as session:
        stale = _stale(session, steps, settings.stale_after_days, as_of)
        owed = [
            (q, s)
            for q, s in questions.owed_in(session, timedelta(days=settings.answer_after_days), as_of)
            if s.step in steps
        ]
        titles = _titles(session, [s for _, s, _ in stale] + [s for _, s in owed])
    stale_items = [
        StaleItem(
            reference=s.reference,
            title=titles[s.id or 0],
            step=s.step,
            step_name=steps[s.step].name,
            since=since,
            days=(as_of - since).days,
            limit_days=limit,
        )
        for limit, s, since in stale
    ]
    stale_items.sort(key=lambda i: (i.since, i.reference))
    owed_items = [
        OwedAnswer(
            reference=s.reference,
            title=titles[s.id or 0],
            step=s.step,
            gap_key=q.gap_key,
            question=q.question,
            asked_at=q.asked_at,
            asked_by=q.asked_by,
            days=(as_of - q.asked_at).days,
        )
        for q, s in owed
    ]
    owed_items.sort(key=lambda i: (i.asked_at, i.reference, i.gap_key))
    return Digest(day=day, as_of=as_of, stale=tuple(stale_items), owed=tuple(owed_items))


def _stale(
    session: Session, steps: dict[str, Step], default: int, as_of: datetime
) -> list[tuple[int, Submission, datetime]]:
    """Return (limit, submission, waiting since) for every item past its step's limit."""
    last_move = (
        select(StepChange.submission_id, func.max(StepChange.at).label("since"))
        .join(Submission, col(Submission.id) == col(StepChange.submission_id))
        .where(col(StepChange.to_step) == col(Submission.step))
        .group_by(col(StepChange.submission_id))
        .subquery()
    )
    rows = session.exec(
        select(Submission, last_move.c.since)
        .outerjoin(last_move, last_move.c.submission_id == col(Submission.id))
        .where(col(Submission.step).in_(list(steps)))
    ).all()
    found: list[tuple[int, Submission, datetime]] = []
    for submission, moved_at in rows:
        limit = limit_days(steps[submission.step], default)
        since = moved_at or submission.received_at
        if limit is not None and as_of - since >= timedelta(days=limit):
            found.append((limit, submission, since))
    return found


def _titles(session: Session, rows: list[Submission]) -> dict[int, str]:
    """Masked titles (the draft's, else the first words of the masked text): a mail may be forwarded."""
    ids = [r.id for r in rows if r.id is not None]
    drafts = {
        d.submission_id: d for d in session.exec(select(Draft).where(col(Draft.submission_id).in_(ids)))
    }
    titles: dict[int, str] = {}
    for row in rows:
        draft = drafts.get(row.id or 0)
        title = masked_title(row, draft)
        if not title:
            title = first_sentences(masked_body(row, draft), sentences=1, max_chars=80)
        titles[row.id or 0] = title
    return titles
