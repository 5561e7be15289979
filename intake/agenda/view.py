"""What the Markdown, HTML and PDF renderers and the forum pages share: local times, line texts, sections.

Every renderer gives an item the same shape, short enough to read in a minute: heading, meta line,
a summary of two or three sentences, at most three matches with the reason in a few words, the
recommendation with its grounds, at most three open questions, and the link to the item's page
where the full gap list is. The templates take this module as `view`; the forum pages on the web
(`intake.web.forums`) use it too, so that an agenda reads the same on screen as on paper.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from intake.agenda import texts
from intake.agenda.model import Agenda, AgendaItem, DuplicateWarning, OpenGap
from intake.domain.process import DEFAULT_TIMEZONE

DEFAULT_ZONE = ZoneInfo(DEFAULT_TIMEZONE)


def zone(agenda: Agenda) -> tzinfo:
    """The meeting's time zone (the cadence's), Swedish time when the forum has no cadence."""
    start = agenda.meeting.start
    return start.tzinfo if start is not None and start.tzinfo is not None else DEFAULT_ZONE


def local(agenda: Agenda, moment: datetime) -> datetime:
    """Return `moment` in the meeting's time zone."""
    return moment.astimezone(zone(agenda))


def title(agenda: Agenda, lang: str) -> str:
    """The agenda's heading: "Dagordning: Lösningsforum, tisdag 1 december 2026"."""
    day = texts.long_date(agenda.meeting.day, lang)
    return f"{texts.text('agenda', lang)}: {agenda.forum_name.get(lang)}, {day}"


def when(agenda: Agenda, lang: str) -> str:
    """The meeting's time as a span, "09:00–10:30", or "heldag" when the forum has no cadence."""
    start, end = agenda.meeting.start, agenda.meeting.end
    if start is None or end is None:
        return texts.text("all_day", lang)
    return f"{texts.clock(start)}–{texts.clock(end)}"


def overview(agenda: Agenda, lang: str) -> str:
    """One sentence with the counts, or that nothing waits."""
    if not agenda.items:
        return texts.text("overview_none", lang)
    return texts.text("overview", lang).format(
        n=len(agenda.items), ready=len(agenda.ready), rest=len(agenda.not_ready)
    )


def sections(agenda: Agenda) -> list[tuple[str, str, tuple[AgendaItem, ...]]]:
    """The non-empty sections as (heading key, intro key, items): ready first."""
    found = [
        ("ready_heading", "ready_intro", agenda.ready),
        ("not_ready_heading", "not_ready_intro", agenda.not_ready),
    ]
    return [s for s in found if s[2]]


def group_members(agenda: Agenda, item: AgendaItem) -> tuple[AgendaItem, ...]:
    """The items of `item`'s duplicate group when `item` leads it; () otherwise."""
    if item.group is None:
        return ()
    members = tuple(i for i in agenda.items if i.group == item.group)
    return members if members[0] is item else ()


def closes_group(agenda: Agenda, item: AgendaItem) -> bool:
    """Whether `item` is the last of a duplicate group (the HTML closes the group's box after it)."""
    if item.group is None:
        return False
    return [i for i in agenda.items if i.group == item.group][-1] is item


def group_line(members: tuple[AgendaItem, ...], lang: str) -> str:
    """ "Möjliga dubbletter: IN-1, IN-2 liknar varandra och tas upp tillsammans." """
    return texts.text("group", lang).format(refs=", ".join(m.reference for m in members))


def item_meta(agenda: Agenda, item: AgendaItem, lang: str) -> str:
    """The line under an item's heading: received, step (when the forum has several), facts."""
    parts = [f"{texts.text('received', lang)} {local(agenda, item.received_at):%Y-%m-%d}"]
    if len({i.step.sv for i in agenda.items}) > 1:
        parts.append(item.step.get(lang))
    parts += [f"{name.get(lang)}: {value.get(lang)}" for name, value in item.facts]
    return " · ".join(parts)


def item_title(item: AgendaItem, lang: str) -> str:
    """ "IN-2026-00003: Boka tid för bygglovsrådgivning", untitled when there is no title."""
    return f"{item.reference}: {item.title or texts.text('untitled', lang)}"


def duplicate_line(warning: DuplicateWarning, lang: str) -> str:
    """ "22-04 SBK Parkeringstillstånd (portföljinitiativ), likhet 0,82, ej avgjord: gemensamt parkering" """
    kind = texts.text(f"kind_{warning.other_kind}", lang)
    if warning.on_agenda:
        kind += ", " + texts.text("on_agenda", lang)
    name = f"{warning.other_key} {warning.other_title}".strip()
    state = texts.text(f"duplicate_{warning.decision}", lang)
    line = f"{name} ({kind}), {texts.text('score', lang)} {texts.score(warning.score, lang)}, {state}"
    if warning.common:
        line += f"; {texts.text('common', lang)}: {', '.join(warning.common)}"
    if warning.explanation:
        line += f". {warning.explanation.rstrip('.')}"
    return line + "."


def matches_heading(item: AgendaItem, lang: str) -> str:
    """ "Möjliga dubbletter" or, when more are known than an agenda names, "Möjliga dubbletter (3 av 5)"."""
    heading = texts.text("duplicates", lang)
    shown, known = len(item.top_matches), len(item.duplicates)
    if shown < known:
        heading += " (" + texts.text("of_shown", lang).format(shown=shown, n=known) + ")"
    return heading


def recommendation_line(item: AgendaItem, lang: str) -> str:
    """ "Slå ihop med 22-04: möjlig dubblett (likhet 0,82) som ingen har avgjort; ..." """
    advice = item.recommendation
    action = texts.text(f"action_{advice.action}", lang).format(other=advice.other)
    key = (
        "grounds_gaps_one" if advice.grounds == "gaps" and advice.count == 1 else f"grounds_{advice.grounds}"
    )
    score = texts.score(advice.score, lang) if advice.score is not None else ""
    return f"{action}: {texts.text(key, lang).format(score=score, count=advice.count)}"


def full_page_line(item: AgendaItem, lang: str) -> str:
    """Where the full gap list, the text and the history are: the item's page."""
    key = {0: "full_page_none", 1: "full_page_one"}.get(len(item.gaps), "full_page")
    return texts.text(key, lang).format(n=len(item.gaps), link=item.link or item.reference)


def gap_line(gap: OpenGap, lang: str) -> str:
    """ "Tidsplan (saknas): När behöver lösningen vara på plats?" """
    head = f"{gap.label.get(lang)} ({texts.text(f'status_{gap.status}', lang)})"
    question = gap.question_in(lang)
    return f"{head}: {question}" if question else head


def footer(agenda: Agenda, lang: str) -> str:
    """When the agenda was compiled, and that personal data is masked."""
    return texts.text("generated", lang).format(at=texts.timestamp(local(agenda, agenda.generated_at)))
