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

from intake.agenda import formats
from intake.agenda.model import Agenda, AgendaItem, DuplicateWarning, OpenGap
from intake.domain.process import DEFAULT_TIMEZONE
from intake.locale import N_, texts

DEFAULT_ZONE = ZoneInfo(DEFAULT_TIMEZONE)

KINDS = {"submission": N_("inskickad idé"), "portfolio": N_("portföljinitiativ")}
"""What a line calls the other side of a possible duplicate."""
DECISIONS = {"pending": N_("ej avgjord"), "confirmed": N_("bekräftad dubblett")}
"""The state of a possible duplicate, as a line names it."""
GAP_STATUSES = {"missing": N_("saknas"), "partly": N_("delvis")}
"""An open checklist item's status."""
ACTIONS = {
    "decide": N_("Klart att besluta"),
    "prepare": N_("Bered mer"),
    "merge": N_("Slå ihop med {other}"),
}
"""The recommendation's action."""
GROUNDS = {
    "complete": N_("alla obligatoriska punkter är besvarade och ingen dubblett väntar."),
    "confirmed": N_("bekräftad dubblett (likhet {score})."),
    "pending": N_("möjlig dubblett (likhet {score}) som ingen har avgjort."),
    "not_drafted": N_("inget utkast ännu, checklistan är inte kontrollerad."),
    "group": N_("tas upp med sina möjliga dubbletter, och någon av dem behöver beredas mer."),
}
"""The recommendation's grounds (open gaps are counted, see `recommendation_line`)."""


def zone(agenda: Agenda) -> tzinfo:
    """The meeting's time zone (the cadence's), Swedish time when the forum has no cadence."""
    start = agenda.meeting.start
    return start.tzinfo if start is not None and start.tzinfo is not None else DEFAULT_ZONE


def local(agenda: Agenda, moment: datetime) -> datetime:
    """Return `moment` in the meeting's time zone."""
    return moment.astimezone(zone(agenda))


def title(agenda: Agenda, lang: str) -> str:
    """The agenda's heading: "Dagordning: Lösningsforum, tisdag 1 december 2026"."""
    _ = texts(lang)
    day = formats.long_date(agenda.meeting.day, lang)
    return f"{_('Dagordning')}: {agenda.forum_name.get(lang)}, {day}"


def when(agenda: Agenda, lang: str) -> str:
    """The meeting's time as a span, "09:00–10:30", or "heldag" when the forum has no cadence."""
    start, end = agenda.meeting.start, agenda.meeting.end
    if start is None or end is None:
        return texts(lang).gettext("heldag")
    return f"{formats.clock(start)}–{formats.clock(end)}"


def overview(agenda: Agenda, lang: str) -> str:
    """One sentence with the counts, or that nothing waits."""
    _ = texts(lang)
    if not agenda.items:
        return _("Inga ärenden väntar på forumet till det här mötet.")
    return _("Ärenden: {n} (klara att ta ställning till: {ready}, behöver beredas mer: {rest}).").format(
        n=len(agenda.items), ready=len(agenda.ready), rest=len(agenda.not_ready)
    )


def sections(agenda: Agenda) -> list[tuple[str, str, tuple[AgendaItem, ...]]]:
    """The non-empty sections as (heading, intro, items), texts still in Swedish (msgids): ready first."""
    found = [
        (
            N_("Klara att ta ställning till"),
            N_("Inga öppna obligatoriska punkter i checklistan och inga oavgjorda dubbletter."),
            agenda.ready,
        ),
        (
            N_("Behöver beredas mer"),
            N_(
                "Obligatoriska punkter saknas eller möjliga dubbletter är inte avgjorda. "
                "Forumet kan hjälpa ärendet vidare eller bordlägga det."
            ),
            agenda.not_ready,
        ),
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
    return (
        texts(lang)
        .gettext("Möjliga dubbletter: {refs} liknar varandra och tas upp tillsammans.")
        .format(refs=", ".join(m.reference for m in members))
    )


def item_meta(agenda: Agenda, item: AgendaItem, lang: str) -> str:
    """The line under an item's heading: received, step (when the forum has several), facts."""
    _ = texts(lang)
    parts = [f"{_('Inkom')} {local(agenda, item.received_at):%Y-%m-%d}"]
    if len({i.step.sv for i in agenda.items}) > 1:
        parts.append(item.step.get(lang))
    parts += [f"{name.get(lang)}: {value.get(lang)}" for name, value in item.facts]
    return " · ".join(parts)


def item_title(item: AgendaItem, lang: str) -> str:
    """ "IN-2026-00003: Boka tid för bygglovsrådgivning", untitled when there is no title."""
    return f"{item.reference}: {item.title or texts(lang).gettext('(utan rubrik)')}"


def duplicate_line(warning: DuplicateWarning, lang: str) -> str:
    """ "22-04 SBK Parkeringstillstånd (portföljinitiativ), likhet 0,82, ej avgjord: gemensamt parkering" """
    _ = texts(lang)
    kind = _(KINDS[warning.other_kind])
    if warning.on_agenda:
        kind += ", " + _("på denna dagordning")
    name = f"{warning.other_key} {warning.other_title}".strip()
    state = _(DECISIONS[warning.decision])
    line = f"{name} ({kind}), {_('likhet')} {formats.score(warning.score, lang)}, {state}"
    if warning.common:
        line += f"; {_('gemensamt')}: {', '.join(warning.common)}"
    if warning.explanation:
        line += f". {warning.explanation.rstrip('.')}"
    return line + "."


def matches_heading(item: AgendaItem, lang: str) -> str:
    """ "Möjliga dubbletter" or, when more are known than an agenda names, "Möjliga dubbletter (3 av 5)"."""
    _ = texts(lang)
    heading = _("Möjliga dubbletter")
    shown, known = len(item.top_matches), len(item.duplicates)
    if shown < known:
        heading += " (" + _("{shown} av {n}").format(shown=shown, n=known) + ")"
    return heading


def recommendation_line(item: AgendaItem, lang: str) -> str:
    """ "Slå ihop med 22-04: möjlig dubblett (likhet 0,82) som ingen har avgjort; ..." """
    _ = texts(lang)
    advice = item.recommendation
    action = _(ACTIONS[advice.action]).format(other=advice.other)
    if advice.grounds == "gaps":
        grounds = _.ngettext(
            "en obligatorisk punkt är öppen.", "{count} obligatoriska punkter är öppna.", advice.count
        )
    else:
        grounds = _(GROUNDS[advice.grounds])
    score = formats.score(advice.score, lang) if advice.score is not None else ""
    return f"{action}: {grounds.format(score=score, count=advice.count)}"


def full_page_line(item: AgendaItem, lang: str) -> str:
    """Where the full gap list, the text and the history are: the item's page."""
    _ = texts(lang)
    n = len(item.gaps)
    line = (
        _("Ärendets sida: {link}")
        if n == 0
        else _.ngettext("Den öppna punkten: {link}", "Alla {n} öppna punkter: {link}", n)
    )
    return line.format(n=n, link=item.link or item.reference)


def gap_line(gap: OpenGap, lang: str) -> str:
    """ "Tidsplan (saknas): När behöver lösningen vara på plats?" """
    head = f"{gap.label.get(lang)} ({texts(lang)(GAP_STATUSES[gap.status])})"
    question = gap.question_in(lang)
    return f"{head}: {question}" if question else head


def footer(agenda: Agenda, lang: str) -> str:
    """When the agenda was compiled, and that personal data is masked."""
    return (
        texts(lang)
        .gettext("Sammanställd {at} av Beredning. Personuppgifter är maskerade ([PERSON_1] m.fl.).")
        .format(at=formats.timestamp(local(agenda, agenda.generated_at)))
    )
