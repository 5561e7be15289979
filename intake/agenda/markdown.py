"""The agenda as Markdown: the text of the e-mail and of the calendar invitation.

Written to read well as plain text too (many mail clients show it as is): no tables, no HTML, and
every text from a submission flattened to one line so that it cannot start a heading or a list.
"""

from __future__ import annotations

from intake.agenda import texts, view
from intake.agenda.model import Agenda, AgendaItem


def render_markdown(agenda: Agenda, lang: str = "sv") -> str:
    """Return the agenda as Markdown in `lang` ("sv" or "en")."""
    t = texts.text
    lines = [f"# {view.title(agenda, lang)}", ""]
    lines.append(f"- **{t('time', lang)}:** {view.when(agenda, lang)}")
    if agenda.meeting.location:
        lines.append(f"- **{t('place', lang)}:** {_flat(agenda.meeting.location)}")
    if agenda.members:
        lines.append(f"- **{t('invited', lang)}:** {', '.join(agenda.members)}")
    lines.append("")
    if agenda.purpose is not None:
        lines += [f"**{t('purpose', lang)}:** {_flat(agenda.purpose.get(lang))}", ""]
    if agenda.questions and agenda.items:
        lines += [f"**{t('questions', lang)}:**", ""]
        lines += [f"{n}. {_flat(q.get(lang))}" for n, q in enumerate(agenda.questions, 1)]
        lines.append("")
    lines += [view.overview(agenda, lang), ""]
    for heading, intro, items in view.sections(agenda):
        lines += [f"## {t(heading, lang)} ({len(items)})", "", f"_{t(intro, lang)}_", ""]
        for item in items:
            members = view.group_members(agenda, item)
            if members:
                lines += [f"> {view.group_line(members, lang)}", ""]
            lines += _item(agenda, item, lang)
    lines += ["---", "", f"_{view.footer(agenda, lang)}_", ""]
    return "\n".join(lines)


def _item(agenda: Agenda, item: AgendaItem, lang: str) -> list[str]:
    """An item in at most 14 non-blank lines (15 with its group's line): see `view`'s shape."""
    t = texts.text
    lines = [f"### {item.number}. {_flat(view.item_title(item, lang))}", ""]
    lines += [f"_{view.item_meta(agenda, item, lang)}_", ""]
    summary = _flat(item.summary)
    if item.summary_source == "text":
        summary = f"{summary} {t('summary_from_text', lang)}".strip()
    lines += [summary, ""]
    if item.top_matches:
        lines += [f"**{view.matches_heading(item, lang)}:**", ""]
        lines += [f"- {_flat(view.duplicate_line(d, lang))}" for d in item.top_matches]
        lines.append("")
    lines += [f"**{t('recommendation', lang)}:** {_flat(view.recommendation_line(item, lang))}", ""]
    if item.key_questions:
        lines += [f"**{t('key_questions', lang)}:**", ""]
        lines += [f"- {_flat(view.gap_line(g, lang))}" for g in item.key_questions]
        lines.append("")
    lines += [_flat(view.full_page_line(item, lang)), ""]
    lines += [f"**{t('decision', lang)}:** {t('decision_options', lang)}", ""]
    return lines


def _flat(text: str) -> str:
    """One line, single spaces: a submitted text cannot open a heading, list or code block."""
    return " ".join(text.split())
