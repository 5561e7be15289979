"""Forum cadence as data: validated on load, meeting days, and which agendas are due when."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from intake.agenda import (
    UnknownForum,
    agendas_due,
    find_forum,
    is_meeting_day,
    meeting_on,
    next_meeting,
    next_open_meeting,
)
from intake.domain.process import ProcessFileError, load_process

HEAD = """
name: {sv: P, en: P}
steps: [{key: s, number: 0, name: {sv: a, en: a}, board_column: {sv: a, en: a}, forum: f}]
focus_areas: [{key: a, name: {sv: a, en: a}}]
"""


def write(tmp_path: Path, forums: str) -> Path:
    path = tmp_path / "process.yaml"
    path.write_text(HEAD + forums, encoding="utf-8")
    return path


def test_the_shipped_forums_meet_and_have_members() -> None:
    process = load_process()
    forum = find_forum(process, "losningsforum")
    assert forum.cadence is not None
    assert forum.cadence.weekday == "tuesday" and forum.cadence.every_weeks == 2
    assert forum.cadence.time == time(9, 0) and forum.cadence.duration_minutes == 90
    assert forum.agenda_days_before == 3 and len(forum.members) >= 2
    assert forum.questions[0].sv == "Gå vidare eller inte?"
    assert all(f.cadence is not None and f.members for f in process.forums)


def test_the_new_keys_are_optional(tmp_path: Path) -> None:
    process = load_process(write(tmp_path, "forums: [{key: f, name: {sv: F, en: F}}]"))
    forum = process.forums[0]
    assert forum.cadence is None and forum.members == [] and forum.questions == []
    assert forum.agenda_days_before == 3
    assert next_meeting(forum, date(2026, 1, 1)) is None
    assert agendas_due(process, date(2026, 1, 1)) == []


@pytest.mark.parametrize(
    ("cadence", "message"),
    [
        ("{weekday: tuesday, time: 13:00}", 'write the time in quotes, such as "09:00"'),
        ('{weekday: tisdag, time: "09:00"}', "weekday"),
        ('{weekday: tuesday, every_weeks: 2, time: "09:00"}', "needs `first`"),
        ('{weekday: tuesday, first: 2026-01-14, time: "09:00"}', "2026-01-14 is a wednesday, not a tuesday"),
        ('{weekday: tuesday, time: "09:00", timezone: Europe/Sundsvall}', "unknown time zone"),
        ('{weekday: tuesday, time: "09:00", lenght: 60}', "lenght"),
        ('{weekday: tuesday, time: "25:00"}', "time"),
    ],
)
def test_a_bad_cadence_is_refused_clearly(tmp_path: Path, cadence: str, message: str) -> None:
    path = write(tmp_path, f"forums: [{{key: f, name: {{sv: F, en: F}}, cadence: {cadence}}}]")
    with pytest.raises(ProcessFileError, match="invalid process file") as caught:
        load_process(path)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ("[anna.andersson]", "not e-mail addresses: 'anna.andersson'"),
        ("[a@b.se, A@b.se]", "members listed twice: a@b.se"),
    ],
)
def test_bad_members_are_refused(tmp_path: Path, members: str, message: str) -> None:
    with pytest.raises(ProcessFileError, match=message):
        load_process(write(tmp_path, f"forums: [{{key: f, name: {{sv: F, en: F}}, members: {members}}}]"))


def test_meetings_every_other_tuesday_counted_from_the_first() -> None:
    forum = find_forum(load_process(), "losningsforum")
    assert forum.cadence is not None
    assert is_meeting_day(forum.cadence, date(2026, 12, 1))
    assert not is_meeting_day(forum.cadence, date(2026, 11, 24))  # a Tuesday in between
    assert not is_meeting_day(forum.cadence, date(2026, 12, 2))
    assert not is_meeting_day(forum.cadence, date(2025, 12, 30))  # before the first meeting
    assert next_meeting(forum, date(2026, 11, 25)) == date(2026, 12, 1)
    assert next_meeting(forum, date(2026, 12, 1)) == date(2026, 12, 1)
    assert next_meeting(forum, date(2026, 12, 2)) == date(2026, 12, 15)
    assert next_meeting(forum, date(2020, 1, 1)) == date(2026, 1, 13)


def test_weekly_cadence_without_a_first_meeting(tmp_path: Path) -> None:
    process = load_process(
        write(tmp_path, 'forums: [{key: f, name: {sv: F, en: F}, cadence: {weekday: friday, time: "14:30"}}]')
    )
    forum = process.forums[0]
    assert next_meeting(forum, date(2026, 12, 1)) == date(2026, 12, 4)
    meeting = meeting_on(forum, date(2026, 12, 4))
    assert meeting.start is not None and meeting.end is not None
    assert meeting.start.isoformat() == "2026-12-04T14:30:00+01:00"
    assert (meeting.end - meeting.start).total_seconds() == 3600


def test_agendas_are_due_days_before_the_meeting() -> None:
    process = load_process()
    # Lösningsforum meets Tuesday 1 December, 3 days before is Saturday 28 November
    assert ("losningsforum", date(2026, 12, 1)) in agendas_due(process, date(2026, 11, 28))
    assert all(key != "losningsforum" for key, _ in agendas_due(process, date(2026, 11, 27)))
    assert all(key != "losningsforum" for key, _ in agendas_due(process, date(2026, 11, 29)))


def test_a_missed_day_is_caught_up_but_meetings_already_held_are_not() -> None:
    process = load_process()
    caught_up = agendas_due(process, date(2026, 11, 30), since=date(2026, 11, 20))
    assert ("losningsforum", date(2026, 12, 1)) in caught_up
    assert ("losningsforum", date(2026, 11, 17)) not in caught_up  # held before today
    assert caught_up == sorted(caught_up, key=lambda pair: pair[1])
    assert len(set(caught_up)) == len(caught_up)
    # every due meeting is in the future and its agenda day lies in the window
    for key, day in caught_up:
        forum = find_forum(process, key)
        assert day >= date(2026, 11, 30)
        assert (
            date(2026, 11, 21).toordinal()
            <= day.toordinal() - forum.agenda_days_before
            <= date(2026, 11, 30).toordinal()
        )


def test_agendas_due_over_a_year_matches_the_meetings() -> None:
    process = load_process()
    start = date(2026, 1, 1)
    found = agendas_due(process, date(2026, 12, 31), since=start)
    # only meetings from 31 December on count, so check day by day instead
    by_day = [
        pair for n in range(365) for pair in agendas_due(process, date.fromordinal(start.toordinal() + n))
    ]
    slut = [d for k, d in by_day if k == "slutberedning"]
    assert len(slut) == len(set(slut)) == 26  # every other Wednesday from 14 January 2026
    assert all(d.weekday() == 2 for d in slut)
    assert all(d >= date(2026, 12, 31) for _, d in found)


def test_unknown_forum_names_the_known_ones() -> None:
    with pytest.raises(UnknownForum, match="unknown forum 'nope'; known: losningsforum, arkitektforum"):
        find_forum(load_process(), "nope")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 08:59 in Stockholm on a meeting Tuesday: that meeting's agenda is still open
        (datetime(2026, 12, 1, 7, 59, tzinfo=UTC), date(2026, 12, 1)),
        # 09:00: it has started, so whatever arrives now goes to the one after
        (datetime(2026, 12, 1, 8, 0, tzinfo=UTC), date(2026, 12, 15)),
        # 23:30 UTC on Monday 14 December is already Tuesday in Stockholm, before the meeting
        (datetime(2026, 12, 14, 23, 30, tzinfo=UTC), date(2026, 12, 15)),
        # over the turn of the year and on a leap day
        (datetime(2026, 12, 31, 22, 59, tzinfo=UTC), date(2027, 1, 12)),
        (datetime(2028, 2, 29, 12, 0, tzinfo=UTC), date(2028, 3, 7)),
    ],
)
def test_the_next_open_meeting_is_counted_in_the_forums_time_zone(now: datetime, expected: date) -> None:
    forum = find_forum(load_process(), "losningsforum")
    found = next_open_meeting(forum, now)
    assert found == expected
    assert found is not None and is_meeting_day(forum.cadence, found)  # type: ignore[arg-type]


def test_without_a_cadence_there_is_no_next_open_meeting(tmp_path: Path) -> None:
    process = load_process(write(tmp_path, "forums: [{key: f, name: {sv: F, en: F}}]"))
    assert next_open_meeting(process.forums[0], datetime(2026, 12, 7, tzinfo=UTC)) is None
