"""Forum agendas: which items a forum takes up at its next meeting, and the agenda in every form.

`build_agenda` reads the database once and decides everything (what is due, the order, the
duplicate groups, readiness); the renderers only write it out: `render_markdown`, `render_html`,
`render_ics`, and `agenda_message`/`send_agenda` for e-mail. `agendas_due` tells a scheduled
job which agendas to build today, from each forum's cadence in the process file.
"""

from intake.agenda.build import build_agenda, order_items
from intake.agenda.html import render_html
from intake.agenda.ics import render_ics
from intake.agenda.mail import AgendaMailError, agenda_message, send_agenda
from intake.agenda.markdown import render_markdown
from intake.agenda.model import Agenda, AgendaItem, DuplicateWarning, Meeting, OpenGap
from intake.agenda.schedule import (
    UnknownForum,
    agendas_due,
    find_forum,
    is_meeting_day,
    meeting_on,
    next_meeting,
    next_open_meeting,
)

__all__ = [
    "Agenda",
    "AgendaItem",
    "AgendaMailError",
    "DuplicateWarning",
    "Meeting",
    "OpenGap",
    "UnknownForum",
    "agenda_message",
    "agendas_due",
    "build_agenda",
    "find_forum",
    "is_meeting_day",
    "meeting_on",
    "next_meeting",
    "next_open_meeting",
    "order_items",
    "render_html",
    "render_ics",
    "render_markdown",
    "send_agenda",
]
