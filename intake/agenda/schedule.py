"""Meeting dates from a forum's cadence, and which agendas are due on a given day.

The cadence is data (`cadence:` under each forum in the process file): a weekday every N weeks,
counted from one known meeting (`first`). Dates before `first` have no meeting. A forum without a
cadence has no scheduled meetings; an agenda can still be built for any date by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from intake.agenda.model import Meeting
from intake.domain.process import WEEKDAYS, Cadence, Forum, ProcessDefinition


class UnknownForum(KeyError):
    """Raised for a forum key the process file does not define."""

    def __init__(self, key: str, known: list[str]) -> None:
        super().__init__(key)
        self.key = key
        self.known = known

    def __str__(self) -> str:
        return f"unknown forum {self.key!r}; known: {', '.join(self.known)}"


def find_forum(process: ProcessDefinition, key: str) -> Forum:
    """Return the forum with `key`; raise UnknownForum naming the known keys otherwise."""
    for forum in process.forums:
        if forum.key == key:
            return forum
    raise UnknownForum(key, [f.key for f in process.forums])


def is_meeting_day(cadence: Cadence, day: date) -> bool:
    """Whether the forum meets on `day` according to its cadence."""
    if WEEKDAYS[day.weekday()] != cadence.weekday:
        return False
    if cadence.first is None:
        return True
    weeks, rest = divmod((day - cadence.first).days, 7)
    return day >= cadence.first and rest == 0 and weeks % cadence.every_weeks == 0


def next_meeting(forum: Forum, on_or_after: date) -> date | None:
    """Return the forum's first meeting day on or after `on_or_after`; None without a cadence."""
    cadence = forum.cadence
    if cadence is None:
        return None
    day = max(on_or_after, cadence.first) if cadence.first else on_or_after
    day += timedelta(days=(WEEKDAYS.index(cadence.weekday) - day.weekday()) % 7)
    while not is_meeting_day(cadence, day):
        day += timedelta(weeks=1)
    return day


def next_open_meeting(forum: Forum, now: datetime) -> date | None:
    """Return the day of the forum's first meeting that has not started at `now`.

    "Today" is the day in the cadence's time zone, not the machine's: at 23:30 UTC it is already
    tomorrow in Stockholm. A meeting that started today is skipped, because its agenda is closed
    (`meeting_cutoff`): whatever arrives now goes to the one after. None without a cadence.
    """
    cadence = forum.cadence
    if cadence is None:
        return None
    day = next_meeting(forum, now.astimezone(ZoneInfo(cadence.timezone)).date())
    while day is not None and meeting_cutoff(forum, day) <= now:
        day = next_meeting(forum, day + timedelta(days=1))
    return day


def meeting_on(forum: Forum, day: date) -> Meeting:
    """Return the meeting on `day` with start, end and place from the cadence (when there is one).

    The day need not fit the cadence: an extra meeting gets the usual time and place.
    """
    cadence = forum.cadence
    if cadence is None:
        return Meeting(forum_key=forum.key, day=day)
    zone = ZoneInfo(cadence.timezone)
    start = datetime.combine(day, cadence.time.replace(tzinfo=None), tzinfo=zone)
    end = start + timedelta(minutes=cadence.duration_minutes)
    return Meeting(forum_key=forum.key, day=day, start=start, end=end, location=cadence.location)


def meeting_cutoff(forum: Forum, day: date) -> datetime:
    """Return the moment after which a submission is too new for the meeting on `day`.

    The meeting's start when the cadence says it, else the start of the day, in UTC.
    """
    meeting = meeting_on(forum, day)
    if meeting.start is not None:
        return meeting.start.astimezone(UTC)
    return datetime.combine(day, datetime.min.time(), tzinfo=forum.zone).astimezone(UTC)


def agendas_due(
    process: ProcessDefinition, today: date, *, since: date | None = None
) -> list[tuple[str, date]]:
    """Return (forum key, meeting day) for every agenda to build on `today`.

    An agenda is due `agenda_days_before` days before its meeting. With `since`, every agenda
    whose day falls after `since` and on or before `today` is returned, so that a scheduled run
    that missed days (the server was down) catches up; the default is `today` alone. Agendas of
    meetings already held are never returned. Sorted by meeting day, then forum order.
    """
    first_day = (since + timedelta(days=1)) if since is not None else today
    due: list[tuple[str, date]] = []
    for forum in process.forums:
        if forum.cadence is None:
            continue
        lead = timedelta(days=forum.agenda_days_before)
        meeting = next_meeting(forum, max(first_day + lead, today))
        while meeting is not None and meeting - lead <= today:
            due.append((forum.key, meeting))
            meeting = next_meeting(forum, meeting + timedelta(days=1))
    order = {f.key: n for n, f in enumerate(process.forums)}
    return sorted(due, key=lambda pair: (pair[1], order[pair[0]]))
