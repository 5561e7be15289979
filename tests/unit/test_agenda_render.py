"""Agenda ordering and rendering without a database: order, groups, Markdown, HTML, iCalendar, e-mail."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest

from intake.agenda import (
    Agenda,
    AgendaItem,
    AgendaMailError,
    DuplicateWarning,
    OpenGap,
    agenda_message,
    meeting_on,
    order_items,
    render_html,
    render_ics,
    render_markdown,
)
from intake.agenda.ics import escape_text, fold, unfold
from intake.domain.process import Label, load_process
from tests.agenda_shape import MAX_ITEM_LINES, item_blocks

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
STEP = Label(sv="Lösningsforum", en="Solution forum")
TIDSPLAN = OpenGap(
    checklist_id="uppstartsmote",
    item_id="tidsplan",
    label=Label(sv="Tidsplan", en="Time plan"),
    status="missing",
    mandatory=True,
    question="När behöver lösningen vara på plats?",
)
SLUTMOTE = OpenGap(
    checklist_id="uppstartsmote",
    item_id="slutmote",
    label=Label(sv="Slutmöte", en="Closing meeting"),
    status="missing",
    mandatory=False,
    question="När kan ett slutmöte bokas?",
)


def item(
    ref: str, hours: int, *, ready: bool = True, duplicates: tuple[DuplicateWarning, ...] = ()
) -> AgendaItem:
    return AgendaItem(
        number=0,
        reference=ref,
        title=f"Titel {ref}",
        summary=f"Sammanfattning av {ref}.",
        summary_source="draft",
        step=STEP,
        received_at=T0 + timedelta(hours=hours),
        drafted=True,
        ready=ready,
        group=None,
        duplicates=duplicates,
        gaps=() if ready else (TIDSPLAN,),
    )


def dup(
    key: str, *, kind: str = "submission", on_agenda: bool = True, score: float = 0.8
) -> DuplicateWarning:
    return DuplicateWarning(
        other_kind="portfolio" if kind == "portfolio" else "submission",
        other_key=key,
        other_title=f"Titel {key}",
        score=score,
        decision="pending",
        on_agenda=on_agenda,
    )


def agenda_of(items: list[AgendaItem], **changes: object) -> Agenda:
    process = load_process()
    forum = next(f for f in process.forums if f.key == "losningsforum")
    agenda = Agenda(
        process_name=process.name,
        forum_key=forum.key,
        forum_name=forum.name,
        purpose=forum.purpose,
        questions=tuple(forum.questions),
        members=tuple(forum.members),
        meeting=meeting_on(forum, date(2026, 12, 1)),
        generated_at=datetime(2026, 11, 28, 5, 0, tzinfo=UTC),
        items=tuple(order_items(items)),
    )
    return replace(agenda, **changes)  # type: ignore[arg-type]


# --- order and groups ---------------------------------------------------------------------------


def test_ready_items_come_first_then_the_longest_waiting() -> None:
    ordered = order_items([item("C", 3, ready=False), item("B", 2), item("A", 1, ready=False), item("D", 4)])
    assert [(i.number, i.reference, i.ready) for i in ordered] == [
        (1, "B", True),
        (2, "D", True),
        (3, "A", False),
        (4, "C", False),
    ]
    assert all(i.group is None for i in ordered)


def test_duplicates_stay_together_and_go_where_their_least_prepared_member_goes() -> None:
    # B is ready on its own, but its duplicate E is not: the pair is discussed once, among the not ready
    items = [
        item("A", 1),
        item("B", 2, duplicates=(dup("E"),)),
        item("C", 3, ready=False),
        item("D", 4),
        item("E", 5, ready=False, duplicates=(dup("B"),)),
    ]
    ordered = order_items(items)
    assert [i.reference for i in ordered] == ["A", "D", "B", "E", "C"]
    assert [i.group for i in ordered] == [None, None, 1, 1, None]
    assert [i.ready for i in ordered] == [True, True, False, False, False]


def test_items_flagged_against_the_same_portfolio_initiative_form_one_group() -> None:
    items = [
        item("A", 1, ready=False, duplicates=(dup("22-04", kind="portfolio", on_agenda=False),)),
        item("B", 2, ready=False),
        item("C", 3, ready=False, duplicates=(dup("22-04", kind="portfolio", on_agenda=False),)),
        item("D", 4, ready=False, duplicates=(dup("IN-OTHER", on_agenda=False),)),
    ]
    ordered = order_items(items)
    assert [(i.reference, i.group) for i in ordered] == [("A", 1), ("C", 1), ("B", None), ("D", None)]


def test_a_chain_of_duplicates_is_one_group_and_groups_are_numbered_in_order() -> None:
    items = [
        item("A", 1, ready=False, duplicates=(dup("B"),)),
        item("B", 2, ready=False, duplicates=(dup("C"),)),
        item("C", 3, ready=False),
        item("X", 0, ready=False, duplicates=(dup("Y"),)),
        item("Y", 9, ready=False),
    ]
    ordered = order_items(items)
    assert [(i.reference, i.group) for i in ordered] == [("X", 1), ("Y", 1), ("A", 2), ("B", 2), ("C", 2)]


# --- Markdown -----------------------------------------------------------------------------------


def test_markdown_reads_as_an_agenda() -> None:
    items = [
        item("IN-2026-00002", 2, ready=False, duplicates=(dup("IN-2026-00003", score=0.7626),)),
        item("IN-2026-00003", 3, ready=False, duplicates=(dup("IN-2026-00002", score=0.7626),)),
        replace(item("IN-2026-00001", 1), gaps=(SLUTMOTE,)),
    ]
    text = render_markdown(agenda_of(items))
    assert text.startswith("# Dagordning: Lösningsforum, tisdag 1 december 2026\n")
    assert "- **Tid:** 09:00–10:30" in text
    assert "- **Plats:** Stadshuset, rum Alnö / Teams" in text
    assert "1. Gå vidare eller inte?\n2. Finns det en potentiell lösning?" in text
    assert "Ärenden: 3 (klara att ta ställning till: 1, behöver beredas mer: 2)." in text
    ready, rest = text.split("## Behöver beredas mer (2)")
    assert "## Klara att ta ställning till (1)" in ready
    assert "### 1. IN-2026-00001: Titel IN-2026-00001" in ready
    assert (
        "**Förslag:** Klart att besluta: alla obligatoriska punkter är besvarade och ingen dubblett väntar."
        in ready
    )
    assert "**Viktigaste öppna frågorna:**\n\n- Slutmöte (saknas): När kan ett slutmöte bokas?" in ready
    assert "> Möjliga dubbletter: IN-2026-00002, IN-2026-00003 liknar varandra" in rest
    assert rest.index("### 2. IN-2026-00002") < rest.index("### 3. IN-2026-00003")
    assert (
        "- IN-2026-00003 Titel IN-2026-00003 (inskickad idé, på denna dagordning), likhet 0,76, ej avgjord."
        in rest
    )
    assert (
        "**Förslag:** Slå ihop med IN-2026-00003: möjlig dubblett (likhet 0,76) som ingen har avgjort" in rest
    )
    assert (
        "**Viktigaste öppna frågorna:**\n\n- Tidsplan (saknas): När behöver lösningen vara på plats?" in rest
    )
    assert "/review/items/IN-2026-00002" not in rest
    assert "Den öppna punkten: IN-2026-00002" in rest
    assert text.count("**Beslut:** ☐ Gå vidare") == 3
    assert "_Sammanställd 2026-11-28 06:00 av Beredning." in text


def test_markdown_in_english_and_with_nothing_due() -> None:
    text = render_markdown(agenda_of([item("A", 1)]), "en")
    assert text.startswith("# Agenda: Solution forum, Tuesday 1 December 2026\n")
    assert "## Ready to decide on (1)" in text
    empty = render_markdown(agenda_of([]))
    assert "Inga ärenden väntar på forumet till det här mötet." in empty
    assert "##" not in empty
    assert "Frågor att ta ställning till" not in empty


def test_submitted_text_cannot_break_the_markdown_structure() -> None:
    hostile = replace(item("A", 1), title="Rubrik\n# Falsk rubrik", summary="Rad ett.\n\n## Falsk\n- lista")
    text = render_markdown(agenda_of([hostile]))
    assert "\n# Falsk" not in text and "\n## Falsk" not in text and "\n- lista" not in text
    assert "### 1. A: Rubrik # Falsk rubrik" in text
    assert "Rad ett. ## Falsk - lista" in text


def test_summary_from_the_text_and_an_undrafted_item_are_said_so() -> None:
    undrafted = replace(item("A", 1, ready=False), drafted=False, gaps=(), summary_source="text")
    text = render_markdown(agenda_of([undrafted]))
    assert "Sammanfattning av A. (ur den inskickade texten)" in text
    assert "**Förslag:** Bered mer: inget utkast ännu, checklistan är inte kontrollerad." in text


def gap(item_id: str, weight: int, *, status: str = "missing", mandatory: bool = True) -> OpenGap:
    return OpenGap(
        checklist_id="initiativmall",
        item_id=item_id,
        label=Label(sv=f"Punkt {item_id}", en=f"Item {item_id}"),
        status="partly" if status == "partly" else "missing",
        mandatory=mandatory,
        question=f"Fråga om {item_id}?",
        weight=weight,
    )


MANY_GAPS = tuple(gap(f"p{n}", n % 4, status="partly" if n % 2 else "missing") for n in range(12))


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_an_item_fits_in_fifteen_lines_however_much_is_open(lang: str) -> None:
    crowded = (
        *(dup(f"IN-2026-0001{n}", on_agenda=False, score=0.6 + n / 100) for n in range(5)),
        dup("22-04", kind="portfolio", on_agenda=False, score=0.7),
    )
    lead = replace(item("IN-2026-00001", 1, ready=False, duplicates=crowded), gaps=MANY_GAPS)
    other = replace(
        item("IN-2026-00002", 2, ready=False, duplicates=(dup("22-04", kind="portfolio"),)), gaps=MANY_GAPS
    )
    text = render_markdown(agenda_of([lead, other]), lang)
    blocks = item_blocks(text)
    assert len(blocks) == 2
    for lines in blocks.values():
        assert len(lines) <= MAX_ITEM_LINES, "\n".join(lines)
    first = blocks["### 1. IN-2026-00001"]
    assert first[0].startswith("> "), "the group's line is counted with the item that opens it"
    assert sum(1 for line in first if line.startswith("- ")) == 6, "three matches and three questions"
    heading = "Möjliga dubbletter (3 av 6)" if lang == "sv" else "Possible duplicates (3 of 6)"
    assert f"**{heading}:**" in first
    assert "- IN-2026-00014" in "\n".join(first) and "- IN-2026-00010" not in "\n".join(first)
    questions = [line for line in first if line.startswith("- Punkt") or line.startswith("- Item")]
    # weight 3 first (p3, p7, p11: partly), then nothing lighter makes the cut
    assert [q.split()[2] for q in questions] == ["p3", "p7", "p11"]


def test_the_recommendation_follows_the_agenda_s_rules() -> None:
    base = item("A", 1)
    confirmed = replace(dup("22-04", kind="portfolio", score=0.9), decision="confirmed")
    cases = {
        "Klart att besluta: alla obligatoriska punkter är besvarade": base,
        "Slå ihop med 22-04: bekräftad dubblett (likhet 0,90).": replace(
            base, duplicates=(dup("B", score=0.95), confirmed)
        ),
        "Slå ihop med B: möjlig dubblett (likhet 0,80)": replace(base, ready=False, duplicates=(dup("B"),)),
        "Bered mer: inget utkast ännu": replace(base, ready=False, drafted=False),
        "Bered mer: en obligatorisk punkt är öppen.": replace(base, ready=False, gaps=(TIDSPLAN, SLUTMOTE)),
        "Bered mer: 2 obligatoriska punkter är öppna.": replace(
            base, ready=False, gaps=(TIDSPLAN, gap("x", 1))
        ),
    }
    for expected, case in cases.items():
        assert expected in render_markdown(agenda_of([case])), expected
    # two items flagged against one initiative: each is put to the forum as a merge with it
    flagged = dup("22-04", kind="portfolio", on_agenda=False)
    grouped = [
        item("C", 1, ready=False, duplicates=(flagged,)),
        item("D", 2, ready=False, duplicates=(flagged,)),
    ]
    assert render_markdown(agenda_of(grouped)).count("**Förslag:** Slå ihop med 22-04") == 2
    english = render_markdown(agenda_of([replace(base, ready=False, gaps=(TIDSPLAN,))]), "en")
    assert "**Recommendation:** Prepare more: one mandatory item is open." in english


def test_a_match_is_named_with_its_reason_and_the_item_links_its_page() -> None:
    reasoned = replace(
        dup("21-11", kind="portfolio", on_agenda=False),
        other_title="Bolagens övergång till Heroma",
        common=("heroma", "bolag"),
        explanation="Heroma är kommunens HR- och lönesystem.",
    )
    linked = replace(
        item("A", 1, duplicates=(reasoned,)), link="https://beredning.example.se/forums/losningsforum/items/A"
    )
    text = render_markdown(agenda_of([linked]))
    assert (
        "- 21-11 Bolagens övergång till Heroma (portföljinitiativ), likhet 0,80, ej avgjord; "
        "gemensamt: heroma, bolag. Heroma är kommunens HR- och lönesystem." in text
    )
    assert "Ärendets sida: https://beredning.example.se/forums/losningsforum/items/A" in text
    page = render_html(agenda_of([linked]))
    assert '<a href="https://beredning.example.se/forums/losningsforum/items/A">' in page
    assert "gemensamt: heroma, bolag" in page


# --- HTML ---------------------------------------------------------------------------------------


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("div", "article", "section"):
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("div", "article", "section"):
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_a_standalone_page_that_escapes_submitted_text() -> None:
    items = [
        replace(item("A", 1, ready=False, duplicates=(dup("B"),)), title="<script>alert(1)</script>"),
        item("B", 2, ready=False, duplicates=(dup("A"),)),
    ]
    page = render_html(agenda_of(items))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert 'href="/static' not in page and "<style>" in page and "@media print" in page
    outline = _Outline()
    outline.feed(page)
    assert outline.tags[0] == ("html", {"lang": "sv"})
    assert outline.depth == 0, "every group, article and section is closed"
    assert [a["id"] for t, a in outline.tags if t == "article"] == ["A", "B"]
    assert sum(1 for t, a in outline.tags if t == "div" and a.get("class") == "group") == 1
    text = " ".join(" ".join(outline.text).split())
    assert "Dagordning: Lösningsforum, tisdag 1 december 2026" in text
    assert "Möjliga dubbletter: A, B liknar varandra och tas upp tillsammans." in text
    assert 'lang="en"' in render_html(agenda_of(items), "en")


# --- iCalendar ----------------------------------------------------------------------------------


def test_escape_text_follows_rfc_5545() -> None:
    assert escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"


def test_fold_keeps_lines_within_75_octets_and_never_splits_a_character() -> None:
    line = "DESCRIPTION:" + "åäö€ " * 60 + "slut"
    folded = fold(line)
    physical = folded.split("\r\n")
    assert len(physical) > 4
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert unfold(folded) == [line]
    assert fold("SHORT:x") == "SHORT:x"


def test_ics_invites_the_members_at_the_cadence_time_in_utc() -> None:
    agenda = agenda_of(
        [item("IN-1", 1, ready=False, duplicates=(dup("IN-2"),)), item("IN-2", 2, ready=False)]
    )
    ics = render_ics(agenda, organizer="beredning@example.org")
    assert ics.endswith("\r\n") and "\n" not in ics.replace("\r\n", "")
    assert all(len(p.encode()) <= 75 for p in ics.split("\r\n"))
    lines = unfold(ics)
    assert lines[:5] == ["BEGIN:VCALENDAR", "VERSION:2.0", lines[2], "CALSCALE:GREGORIAN", "METHOD:REQUEST"]
    assert "UID:losningsforum-20261201@beredning" in lines
    # 09:00 in Stockholm on 1 December (winter time, UTC+1) is 08:00 UTC; 90 minutes
    assert "DTSTART:20261201T080000Z" in lines and "DTEND:20261201T093000Z" in lines
    assert "DTSTAMP:20261128T050000Z" in lines
    assert "LOCATION:Stadshuset\\, rum Alnö / Teams" in lines
    assert "ORGANIZER;CN=Beredning:mailto:beredning@example.org" in lines
    attendees = [line.rsplit("mailto:", 1)[1] for line in lines if line.startswith("ATTENDEE")]
    assert attendees == list(agenda.members)
    (description,) = [line for line in lines if line.startswith("DESCRIPTION:")]
    assert description == "DESCRIPTION:" + escape_text(render_markdown(agenda))
    assert "\\n## Behöver beredas mer (2)\\n" in description


def test_ics_summer_time_and_a_forum_without_cadence() -> None:
    process = load_process()
    forum = next(f for f in process.forums if f.key == "losningsforum")
    summer = agenda_of([], meeting=meeting_on(forum, date(2026, 6, 16)))
    assert "DTSTART:20260616T070000Z" in unfold(render_ics(summer, organizer="a@b.se"))
    no_cadence = forum.model_copy(update={"cadence": None})
    all_day = agenda_of([], meeting=meeting_on(no_cadence, date(2026, 12, 1)))
    lines = unfold(render_ics(all_day, organizer="a@b.se"))
    assert "DTSTART;VALUE=DATE:20261201" in lines and "DTEND;VALUE=DATE:20261202" in lines
    assert "heldag" in render_markdown(all_day)


def test_ics_sequence_grows_with_the_time_of_building() -> None:
    first = agenda_of([])
    later = replace(first, generated_at=first.generated_at + timedelta(hours=2))

    def sequence(agenda: Agenda) -> int:
        (line,) = [x for x in unfold(render_ics(agenda, organizer="a@b.se")) if x.startswith("SEQUENCE:")]
        return int(line.split(":")[1])

    assert sequence(later) > sequence(first) >= 0


# --- e-mail -------------------------------------------------------------------------------------


def test_mail_has_text_html_and_the_invitation() -> None:
    agenda = agenda_of([item("IN-1", 1)])
    message = agenda_message(agenda, sender="beredning@example.org")
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "Dagordning Lösningsforum 2026-12-01"
    assert parsed["To"] == ", ".join(agenda.members)
    assert parsed.get_content_type() == "multipart/mixed"
    plain = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert plain is not None and "# Dagordning: Lösningsforum" in plain.get_content()
    assert html is not None and "<h1>Dagordning: Lösningsforum" in html.get_content()
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_filename() == "losningsforum-2026-12-01.ics"
    assert attachment.get_content() == render_ics(agenda, organizer="beredning@example.org")


def test_mail_without_recipients_is_refused() -> None:
    with pytest.raises(AgendaMailError, match="no members"):
        agenda_message(agenda_of([], members=()), sender="a@b.se")


def test_the_checklist_s_own_question_follows_the_agenda_s_language_a_reviewer_s_stays() -> None:
    asked = Label(sv="När behöver lösningen vara på plats?", en="When must the solution be in place?")
    own = replace(TIDSPLAN, asked=asked)
    reworded = replace(own, question="Hinner ni till skolstarten i augusti?")
    for gap_, english in (
        (own, "When must the solution be in place?"),
        (reworded, "Hinner ni till skolstarten"),
    ):
        text = render_markdown(agenda_of([replace(item("A", 1, ready=False), gaps=(gap_,))]), "en")
        assert english in text
    swedish = render_markdown(agenda_of([replace(item("A", 1, ready=False), gaps=(own,))]))
    assert "Tidsplan (saknas): När behöver lösningen vara på plats?" in swedish
