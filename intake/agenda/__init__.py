"""Forum agendas: which items a forum takes up at its next meeting, and the agenda in every form.

`build_agenda` reads the database once and decides everything (what is due, the order, the
duplicate groups, readiness); the renderers only write it out: `render_markdown`, `render_html`,
`render_ics`, and `agenda_message`/`send_agenda` for e-mail. `agendas_due` tells a scheduled
job which agendas to build today, from each forum's cadence in the process file.

Other packages show an item as the agenda does with `masked_title`, `masked_body` and
`first_sentences` (from masked text only; the reminders' digest and the forum pages use them, so a
title reads the same everywhere), and write an agenda's lines with the modules `view` (an item's
lines, the sections) and `texts` (the labels), as the forum pages do. The modules whose names
start with `_` are this package's own.
"""

from intake.agenda._text import first_sentences, masked_body, masked_title
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
    "first_sentences",
    "is_meeting_day",
    "masked_body",
    "masked_title",
    "meeting_on",
    "next_meeting",
    "next_open_meeting",
    "order_items",
    "render_html",
    "render_ics",
    "render_markdown",
    "send_agenda",
]
