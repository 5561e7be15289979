"""The meeting as an iCalendar invitation (RFC 5545 VEVENT, RFC 5546 METHOD:REQUEST).

Times are written in UTC (`...Z`), which every client reads without a VTIMEZONE block; the
cadence's own zone decides which UTC instant that is, summer time included. The UID is stable per
forum and day, and SEQUENCE grows with the time of building, so a re-sent agenda updates the
invitation already in people's calendars instead of adding a second one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from intake.agenda.markdown import render_markdown
from intake.agenda.model import Agenda

PRODID = "-//Beredning//Dagordning//SV"
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_LIMIT = 75  # octets per line, CRLF not counted (RFC 5545, 3.1)


def render_ics(agenda: Agenda, *, organizer: str, lang: str = "sv") -> str:
    """Return a VCALENDAR with one VEVENT: the meeting, its members invited, the agenda as description.

    Lines end with CRLF and are folded at 75 octets without splitting a UTF-8 character.
    """
    meeting = agenda.meeting
    name = agenda.forum_name.get(lang)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{agenda.forum_key}-{meeting.day:%Y%m%d}@beredning",
        f"DTSTAMP:{_utc(agenda.generated_at)}",
        f"SEQUENCE:{max(0, int((agenda.generated_at - _EPOCH).total_seconds() // 60))}",
    ]
    if meeting.start is not None and meeting.end is not None:
        lines += [f"DTSTART:{_utc(meeting.start)}", f"DTEND:{_utc(meeting.end)}"]
    else:
        lines += [
            f"DTSTART;VALUE=DATE:{_day(meeting.day)}",
            f"DTEND;VALUE=DATE:{_day(meeting.day + timedelta(1))}",
        ]
    lines.append(f"SUMMARY:{escape_text(name)}")
    if meeting.location:
        lines.append(f"LOCATION:{escape_text(meeting.location)}")
    lines.append(f"DESCRIPTION:{escape_text(render_markdown(agenda, lang))}")
    lines.append(f"ORGANIZER;CN={param_value('Beredning')}:mailto:{organizer}")
    lines += [
        f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{member}"
        for member in agenda.members
    ]
    lines += ["STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545, 3.3.11): backslash, semicolon, comma and line breaks."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def param_value(value: str) -> str:
    """Quote a parameter value when it holds `:`, `;` or `,` (RFC 5545, 3.2); DQUOTE cannot occur."""
    value = value.replace('"', "'")
    return f'"{value}"' if any(c in value for c in ":;,") else value


def fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets joined by CRLF and a space."""
    pieces: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > _LIMIT:
            pieces.append(current)
            current, size = " ", 1  # the leading space of a continuation line counts
        current += char
        size += width
    pieces.append(current)
    return "\r\n".join(pieces)


def unfold(text: str) -> list[str]:
    """Undo `fold` on a whole calendar: the content lines, for tests and for reading invitations."""
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _day(day: date) -> str:
    return day.strftime("%Y%m%d")
