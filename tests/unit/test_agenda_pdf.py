"""The agenda as PDF, read back with pypdf: the forum, the items in order, Swedish and Nordic
letters as text, the masked texts only, and a fallback for letters the font lacks."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from pypdf import PdfReader

from intake.agenda import AgendaItem
from intake.agenda.pdf import render_pdf
from tests.unit.test_agenda_render import agenda_of, dup
from tests.unit.test_agenda_render import item as sample_item

PORTFOLIO_TITLE = "SBK Parkeringstillstånd"


def item(ref: str, hours: int, title: str, summary: str, *, ready: bool = True) -> AgendaItem:
    """An agenda item with a title and summary of its own; one not ready has an open gap and a
    possible duplicate in the portfolio."""
    if ready:
        return replace(sample_item(ref, hours), title=title, summary=summary)
    initiative = replace(
        dup("22-04", kind="portfolio", on_agenda=False, score=0.82), other_title=PORTFOLIO_TITLE
    )
    return replace(
        sample_item(ref, hours, ready=False, duplicates=(initiative,)), title=title, summary=summary
    )


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


SAMPLE = agenda_of(
    [
        item(
            "IN-2026-00006",
            1,
            "Felanmälan av gatubelysning",
            "Invånare felanmäler trasiga lampor i en karta.",
        ),
        item(
            "IN-2026-00001",
            2,
            "Parkeringstillstånd för rörelsehindrade",
            "[PERSON_1] på kontoret vill att ansökan blir digital; räksmörgås, æble, øl, Þórður.",
            ready=False,
        ),
    ]
)


def test_the_pdf_holds_the_forum_the_items_in_order_and_swedish_letters() -> None:
    pdf = render_pdf(SAMPLE, "sv", decisions=["Gå vidare", "Ändra", "Pausa", "Avsluta", "Slå ihop"])
    assert pdf.startswith(b"%PDF-")
    text = flat(text_of(pdf))
    assert "Dagordning: Lösningsforum, tisdag 1 december 2026" in text
    first = text.index("1. IN-2026-00006: Felanmälan av gatubelysning")
    second = text.index("2. IN-2026-00001: Parkeringstillstånd för rörelsehindrade")
    assert first < second, "the agenda's order"
    assert (
        text.index("Klara att ta ställning till (1)") < first < text.index("Behöver beredas mer (1)") < second
    )
    assert "räksmörgås, æble, øl, Þórður" in text, "Swedish and Nordic letters come out as text"
    assert "När behöver lösningen vara på plats?" in text
    assert f"22-04 {PORTFOLIO_TITLE}" in text
    assert "Gå vidare" in text and "Slå ihop" in text
    assert "Gå vidare eller inte?" in text, "the forum's questions"
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata is not None and reader.metadata.title == (
        "Dagordning: Lösningsforum, tisdag 1 december 2026"
    )
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842), "A4"


def test_the_pdf_shows_only_the_agendas_masked_text() -> None:
    text = flat(text_of(render_pdf(SAMPLE, "sv")))
    assert "[PERSON_1] på kontoret" in text
    # the page's footer says that personal data is masked
    assert "Personuppgifter är maskerade" in text


def test_english_and_the_default_decisions() -> None:
    text = flat(text_of(render_pdf(SAMPLE, "en")))
    assert "Agenda: Solution forum, Tuesday 1 December 2026" in text
    assert "Ready to decide on (1)" in text and "Go on" in text and "Merge into another item" in text


def test_letters_the_font_lacks_lose_their_accent_or_become_a_question_mark() -> None:
    odd = agenda_of([item("IN-2026-00009", 1, "Sámi: čđŋŧ ǩ 🙂", "Ok.")])
    text = flat(text_of(render_pdf(odd, "sv")))
    assert "Sámi: čđ??" in text, text
    assert "k ?" in text, "ǩ loses its caron; the emoji becomes ?"


def test_an_empty_agenda_still_makes_a_pdf() -> None:
    text = flat(text_of(render_pdf(agenda_of([]), "sv")))
    assert "Inga ärenden väntar på forumet till det här mötet." in text


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_same_agenda_gives_the_same_bytes(lang: str) -> None:
    assert render_pdf(SAMPLE, lang) == render_pdf(SAMPLE, lang)


def test_items_as_long_as_real_ones_print_two_to_a_page() -> None:
    """Three matches (portfolio titles are short) with their reasons, three open questions, a
    two-sentence summary: two such items share a page."""
    from tests.unit.test_agenda_render import MANY_GAPS

    questions = (
        "Vad tror ni att initiativet kostar, och hur ska det finansieras (egen budget, 2 %-medel, annat)?"
    )
    matches = tuple(
        replace(
            dup(f"22-0{n}", kind="portfolio", on_agenda=False, score=0.7 + n / 100),
            other_title="Bolagens övergång till Heroma",
            common=("heroma", "bolagen", "lönesystem"),
            explanation="Heroma är kommunens HR- och lönesystem." if n == 5 else None,
        )
        for n in range(1, 6)
    )
    full = [
        replace(
            sample_item(f"IN-2026-0000{n}", n, ready=False, duplicates=matches),
            title="Samma HR- och lönesystem i de kommunala bolagen",
            summary=(
                "Alla kommunala bolag ska byta till samma HR- och lönesystem som kommunen. I dag har "
                "bolagen tre olika system, och lönekontoret rättar för hand varje månad."
            ),
            gaps=tuple(replace(g, question=questions) for g in MANY_GAPS),
            link=f"https://beredning.example.se/forums/losningsforum/items/IN-2026-0000{n}",
        )
        for n in range(1, 6)
    ]
    pdf = render_pdf(agenda_of(full))
    headings = [
        re.findall(r"^\d\. IN-2026-\d{5}", page.extract_text(), re.MULTILINE)
        for page in PdfReader(io.BytesIO(pdf)).pages
    ]
    # the first page has the agenda's header and one item; then two items a page
    assert [len(h) for h in headings if h] == [1, 2, 2], headings
    assert flat(text_of(pdf)).count("Heroma är kommunens HR- och lönesystem.") == 5
