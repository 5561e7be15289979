"""The agenda as Markdown: the text of the e-mail and of the calendar invitation.

Written to read well as plain text too (many mail clients show it as is): no tables, no HTML, and
every text from a submission flattened to one line so that it cannot start a heading or a list.
"""

from __future__ import annotations

from intake.agenda import view
from intake.agenda.model import Agenda, AgendaItem
from intake.locale import texts


def render_markdown(agenda: Agenda, lang: str = "sv") -> str:
    """Return the agenda as Markdown in `lang` ("sv" or "en")."""
    _ = texts(lang)
    lines = [f"# {view.title(agenda, lang)}", ""]
    lines.append(f"- **{_('Tid')}:** {view.when(agenda, lang)}")
    if agenda.meeting.location:
        lines.append(f"- **{_('Plats')}:** {_flat(agenda.meeting.location)}")
    if agenda.members:
        lines.append(f"- **{_('Kallade')}:** {', '.join(agenda.members)}")
    lines.append("")
    if agenda.purpose is not None:
        lines += [f"**{_('Forumets uppgift')}:** {_flat(agenda.purpose.get(lang))}", ""]
    if agenda.questions and agenda.items:
        lines += [f"**{_('Frågor att ta ställning till för varje ärende')}:**", ""]
        lines += [f"{n}. {_flat(q.get(lang))}" for n, q in enumerate(agenda.questions, 1)]
        lines.append("")
    lines += [view.overview(agenda, lang), ""]
    for heading, intro, items in view.sections(agenda):
        lines += [f"## {_(heading)} ({len(items)})", "", f"_{_(intro)}_", ""]
        for item in items:
            members = view.group_members(agenda, item)
            if members:
                lines += [f"> {view.group_line(members, lang)}", ""]
            lines += _item(agenda, item, lang)
    lines += ["---", "", f"_{view.footer(agenda, lang)}_", ""]
    return "\n".join(lines)


def _item(agenda: Agenda, item: AgendaItem, lang: str) -> list[str]:
    """An item in at most 14 non-blank lines (15 with its group's line): see `view`'s shape."""
    _ = texts(lang)
    lines = [f"### {item.number}. {_flat(view.item_title(item, lang))}", ""]
    lines += [f"_{view.item_meta(agenda, item, lang)}_", ""]
    summary = _flat(item.summary)
    if item.summary_source == "text":
        summary = f"{summary} {_('(ur den inskickade texten)')}".strip()
    lines += [summary, ""]
    if item.top_matches:
        lines += [f"**{view.matches_heading(item, lang)}:**", ""]
        lines += [f"- {_flat(view.duplicate_line(d, lang))}" for d in item.top_matches]
        lines.append("")
    lines += [f"**{_('Förslag')}:** {_flat(view.recommendation_line(item, lang))}", ""]
    if item.key_questions:
        lines += [f"**{_('Viktigaste öppna frågorna')}:**", ""]
        lines += [f"- {_flat(view.gap_line(g, lang))}" for g in item.key_questions]
        lines.append("")
    lines += [_flat(view.full_page_line(item, lang)), ""]
    lines += [
        f"**{_('Beslut')}:** {_('☐ Gå vidare  ☐ Ändra  ☐ Pausa  ☐ Avsluta  ☐ Slå ihop med annat ärende')}",
        "",
    ]
    return lines


def _flat(text: str) -> str:
    """One line, single spaces: a submitted text cannot open a heading, list or code block."""
    return " ".join(text.split())
