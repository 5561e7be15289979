"""The agenda as a PDF on A4: the same content as the HTML page, for those who print or file it.

Drawn with ReportLab (pure Python) in Bitstream Vera, the TrueType font ReportLab ships: it is
embedded, so the PDF looks the same everywhere, and it covers Swedish, the other Nordic national
languages and most of Latin Extended-A (å ä ö é æ ø ð þ š ž č đ). A character the font lacks is
written without its accent when that helps, else as "?", rather than as an empty box. The text
stays extractable (searchable, and readable by screen readers), and every text from a
submission is the agenda's masked text: the PDF holds no more personal data than the page.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.enums import TA_LEFT  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    Flowable,
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from intake.agenda import view
from intake.agenda.model import Agenda, AgendaItem
from intake.locale import texts

FONT = "BeredningSans"
BOLD = "BeredningSans-Bold"
ITALIC = "BeredningSans-Italic"
_FILES = {
    FONT: "Vera.ttf",
    BOLD: "VeraBd.ttf",
    ITALIC: "VeraIt.ttf",
    "BeredningSans-BoldItalic": "VeraBI.ttf",
}
MARGIN = 20 * mm
INK = colors.HexColor("#1b1b1b")
MUTED = colors.HexColor("#4a4a4a")
WARN = colors.HexColor("#8a4b00")


def render_pdf(agenda: Agenda, lang: str = "sv", *, decisions: Sequence[str] | None = None) -> bytes:
    """Return the agenda as a PDF document in `lang` ("sv" or "en").

    `decisions` are the names of the decisions the forum can make, in `lang`, printed with a box
    to tick under each item; without them the agenda's own list of decisions is used.
    """
    lang = "en" if lang == "en" else "sv"
    _ = texts(lang)
    cmap = _fonts()
    styles = _styles()
    choices = list(decisions) if decisions else _default_decisions(lang)

    def para(text: str, style: str) -> Paragraph:
        return Paragraph(_fit(text, cmap), styles[style])

    story: list[Any] = [para(view.title(agenda, lang), "h1")]
    story.append(_facts(agenda, lang, para))
    if agenda.questions and agenda.items:
        story.append(
            Paragraph(
                f"<b>{_fit(_('Frågor att ta ställning till för varje ärende'), cmap)}:</b>", styles["raw"]
            )
        )
        story.append(_bullets([para(q.get(lang), "body") for q in agenda.questions], numbered=True))
    story.append(para(view.overview(agenda, lang), "body"))
    for heading, intro, items in view.sections(agenda):
        # a section's heading and intro start the block of its first item, so they share a page
        block: list[Any] = [
            para(f"{_(heading)} ({len(items)})", "h2"),
            para(_(intro), "muted"),
        ]
        for item in items:
            members = view.group_members(agenda, item)
            if members:
                block.append(para(view.group_line(members, lang), "group"))
            block += _item(agenda, item, lang, para, choices, cmap)
            # an item is not split across pages unless it is longer than a page
            story.append(KeepTogether(block))
            block = []
    story += [Spacer(1, 6 * mm), para(view.footer(agenda, lang), "muted")]

    buffer = io.BytesIO()
    footer = f"{agenda.forum_name.get(lang)} · {agenda.meeting.day.isoformat()}"
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=view.title(agenda, lang),
        author="Beredning",
        subject=_("Dagordning"),
        creator="Beredning",
        lang="sv-SE" if lang == "sv" else "en",
        displayDocTitle=True,
        # a fixed ID and dates: the same agenda gives the same bytes (reproducible, easy to compare)
        invariant=True,
    )

    def page_footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 10 * mm, _fit(footer, cmap, markup=False))
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, str(doc.page))
        canvas.restoreState()

    document.build(story, onFirstPage=page_footer, onLaterPages=page_footer)
    return buffer.getvalue()


def _facts(agenda: Agenda, lang: str, para: Any) -> Table:
    _ = texts(lang)
    rows = [(_("Tid"), view.when(agenda, lang))]
    if agenda.meeting.location:
        rows.append((_("Plats"), agenda.meeting.location))
    if agenda.members:
        rows.append((_("Kallade"), ", ".join(agenda.members)))
    if agenda.purpose is not None:
        rows.append((_("Forumets uppgift"), agenda.purpose.get(lang)))
    table = Table(
        [[para(name, "label"), para(value, "body")] for name, value in rows],
        colWidths=[38 * mm, None],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _item(
    agenda: Agenda,
    item: AgendaItem,
    lang: str,
    para: Any,
    choices: list[str],
    cmap: frozenset[int],
) -> list[Any]:
    _ = texts(lang)
    parts: list[Any] = [
        para(f"{item.number}. {view.item_title(item, lang)}", "h3"),
        para(view.item_meta(agenda, item, lang), "muted"),
    ]
    summary = _fit(item.summary, cmap)
    if item.summary_source == "text":
        summary += f' <font color="#4a4a4a">{_fit(_("(ur den inskickade texten)"), cmap)}</font>'
    parts.append(Paragraph(summary, _styles()["body"]))
    if item.top_matches:
        parts.append(para(f"{view.matches_heading(item, lang)}:", "warn"))
        parts.append(_bullets([para(view.duplicate_line(d, lang), "line") for d in item.top_matches]))
    advice = _fit(view.recommendation_line(item, lang), cmap)
    parts.append(Paragraph(f"<b>{_fit(_('Förslag'), cmap)}:</b> {advice}", _styles()["raw"]))
    if item.key_questions:
        parts.append(para(f"{_('Viktigaste öppna frågorna')}:", "label"))
        parts.append(_bullets([para(view.gap_line(g, lang), "line") for g in item.key_questions]))
    parts.append(para(view.full_page_line(item, lang), "muted"))
    parts.append(
        Choices(
            [_fit(c, cmap, markup=False) for c in choices],
            lead=_fit(f"{_('Beslut')}:", cmap, markup=False),
        )
    )
    parts.append(Lines(2, label=_fit(f"{_('Anteckningar')}:", cmap, markup=False)))
    return parts


def _bullets(items: list[Paragraph], *, numbered: bool = False) -> ListFlowable:
    return ListFlowable(
        [ListItem(p, leftIndent=14) for p in items],
        bulletType="1" if numbered else "bullet",
        bulletFormat="%s." if numbered else None,
        start=None if numbered else "•",
        bulletFontName=FONT,
        bulletFontSize=9,
        leftIndent=14,
    )


class Choices(Flowable):  # type: ignore[misc]
    """`lead` in bold ("Beslut:"), then a box to tick before each decision name, over as many lines
    as needed."""

    BOX = 3.2 * mm
    GAP = 6 * mm
    LINE = 6 * mm

    def __init__(self, labels: list[str], lead: str = "") -> None:
        super().__init__()
        self.labels = labels
        self.lead = lead
        self._rows: list[list[tuple[float, str]]] = []

    def _lead_width(self) -> float:
        return pdfmetrics.stringWidth(self.lead, BOLD, 10) + 3 * mm if self.lead else 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self._rows = []
        row: list[tuple[float, str]] = []
        x = self._lead_width()
        for label in self.labels:
            width = self.BOX + 2 * mm + pdfmetrics.stringWidth(label, FONT, 10)
            if row and x + width > avail_width:
                self._rows.append(row)
                row, x = [], 0.0
            row.append((x, label))
            x += width + self.GAP
        if row:
            self._rows.append(row)
        return avail_width, len(self._rows) * self.LINE

    def draw(self) -> None:
        canvas = self.canv
        canvas.setFont(FONT, 10)
        canvas.setStrokeColor(INK)
        canvas.setLineWidth(0.8)
        top = len(self._rows) * self.LINE
        if self.lead:
            canvas.setFont(BOLD, 10)
            canvas.drawString(0, top - self.LINE + 1.5 * mm, self.lead)
            canvas.setFont(FONT, 10)
        for number, row in enumerate(self._rows):
            y = top - (number + 1) * self.LINE + 1.5 * mm
            for x, label in row:
                canvas.rect(x, y - 0.4 * mm, self.BOX, self.BOX, stroke=1, fill=0)
                canvas.drawString(x + self.BOX + 2 * mm, y, label)


class Lines(Flowable):  # type: ignore[misc]
    """Ruled lines to write notes on by hand, `label` in bold at the start of the first."""

    SPACING = 7 * mm

    def __init__(self, count: int, label: str = "") -> None:
        super().__init__()
        self.count = count
        self.label = label
        self._width = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self._width = avail_width
        return avail_width, self.count * self.SPACING

    def draw(self) -> None:
        canvas = self.canv
        start = 0.0
        if self.label:
            canvas.setFont(BOLD, 10)
            canvas.setFillColor(INK)
            canvas.drawString(0, (self.count - 1) * self.SPACING + 2.5, self.label)
            start = pdfmetrics.stringWidth(self.label, BOLD, 10) + 2 * mm
        canvas.setStrokeColor(colors.HexColor("#9a9a9a"))
        canvas.setLineWidth(0.5)
        for number in range(self.count):
            left = start if number == self.count - 1 else 0.0
            canvas.line(left, number * self.SPACING + 1, self._width, number * self.SPACING + 1)


def _default_decisions(lang: str) -> list[str]:
    """The decision names of the agenda's own text ("☐ Gå vidare  ☐ Ändra ...")."""
    options = texts(lang).gettext("☐ Gå vidare  ☐ Ändra  ☐ Pausa  ☐ Avsluta  ☐ Slå ihop med annat ärende")
    return [part.strip() for part in options.split("☐") if part.strip()]


def _fit(text: str, cmap: frozenset[int], *, markup: bool = True) -> str:
    """Keep what the font can draw; drop accents it lacks, else write "?"; escape for Paragraph markup."""
    out = []
    for char in text:
        if ord(char) in cmap or char in "\n\t":
            out.append(char)
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(plain if plain and all(ord(c) in cmap for c in plain) else "?")
    fitted = "".join(out)
    return escape(fitted) if markup else fitted


@lru_cache(maxsize=1)
def _fonts() -> frozenset[int]:
    """Register the embedded font family once (not at import) and return the characters it has."""
    folder = Path(reportlab.__file__).parent / "fonts"
    for name, file in _FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=BOLD, italic=ITALIC, boldItalic="BeredningSans-BoldItalic"
    )
    regular = pdfmetrics.getFont(FONT)
    return frozenset(regular.face.charToGlyph)


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13.5, textColor=INK, alignment=TA_LEFT)

    def style(name: str, **changes: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **changes)

    return {
        "body": style("body", spaceAfter=2),
        # a list line under an item (a match, a question): a little tighter, so an item fits half a page
        "line": style("line", fontSize=9.5, leading=12, spaceAfter=1),
        "raw": style("raw", spaceBefore=4, spaceAfter=2),
        "muted": style("muted", textColor=MUTED, fontSize=9, leading=12, spaceAfter=3),
        "label": style("label", fontName=BOLD, spaceBefore=2, spaceAfter=1),
        "warn": style("warn", fontName=BOLD, textColor=WARN, spaceBefore=3, spaceAfter=1),
        "group": style("group", fontName=BOLD, textColor=WARN, spaceBefore=6, spaceAfter=2),
        "h1": style("h1", fontName=BOLD, fontSize=17, leading=21, spaceAfter=8),
        "h2": style("h2", fontName=BOLD, fontSize=13.5, leading=17, spaceBefore=12, spaceAfter=4),
        "h3": style("h3", fontName=BOLD, fontSize=11, leading=14, spaceBefore=9, spaceAfter=2),
    }
