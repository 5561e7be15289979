"""The forum pages on a served app, on SQLite and PostgreSQL, with the demo data loaded as `make run` does.

A forum member lists the forums, reads the next agenda (masked text only), downloads it as PDF and
records decisions from it; refused decisions come back as 409 with the reason and the form kept.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlmodel import Session, col, select

from intake.db import create_db_engine
from intake.models import AgendaDispatch, AuditEvent, StepChange, Submission, utcnow
from intake.settings import Settings
from tests.browser import csrf_token, logged_in, login
from tests.server import app_env, cli, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.calendar]

ROOT = Path(__file__).parents[2]
DEMO_PORTFOLIO = ROOT / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"
DEMO_SUBMISSIONS = ROOT / "demo" / "submissions.yaml"
LAMPS = "Felanmälan av gatubelysning med karta"
PERSONAL = ("Karin Lindqvist", "070-123 45 67", "19850412-1230", "karin.lindqvist@")
PAST_DAY = date(2026, 1, 13)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> dict[str, str]:
    accounts = [
        ("forum@kommun.se", "forum"),
        ("submitter@kommun.se", "submitter"),
        ("digit@kommun.se", "digit"),
    ]
    env = app_env(tmp_path_factory.mktemp("data"), module_database_url, accounts=accounts)
    for args in (
        ["db", "upgrade"],
        ["portfolio", "import", str(DEMO_PORTFOLIO)],
        ["demo", "load", str(DEMO_SUBMISSIONS)],
    ):
        done = cli(args, env)
        assert done.returncode == 0, done.stdout + done.stderr
    with _session(env) as session:
        # the ideas came in a month ago: on a meeting day they are due whatever the hour
        session.execute(sa.update(Submission).values(received_at=utcnow() - timedelta(days=30)))
        # an agenda the scheduled flow built and sent for an earlier meeting
        session.add(
            AgendaDispatch(
                forum_key="losningsforum",
                meeting_day=PAST_DAY,
                item_count=1,
                html="<!doctype html><html lang='sv'><h1>Sparad dagordning januari</h1></html>",
                markdown="# Sparad dagordning januari",
                built_at=utcnow() - timedelta(days=300),
                sent_at=utcnow() - timedelta(days=300),
            )
        )
        session.commit()
    return env


def _session(env: dict[str, str]) -> Session:
    settings = Settings(
        data_dir=Path(env["BEREDNING_DATA_DIR"]), database={"url": env["BEREDNING_DATABASE__URL"]}
    )
    return Session(create_db_engine(settings))


@pytest.fixture(scope="module")
def server(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("log") / "server.log"
    with running_server(env, log, wait_for_model=False) as base:
        yield base


@pytest.fixture
def member(server: str) -> Iterator[httpx.Client]:
    with logged_in(server, "forum@kommun.se") as client:
        yield client


def reference_of(html: str, title: str) -> str:
    found = re.search(r'<h3 id="title-(IN-\d{4}-\d{5})">\d+\. IN-\d{4}-\d{5}: ' + re.escape(title), html)
    assert found, f"{title} is not on the agenda"
    return found.group(1)


def decide(client: httpx.Client, reference: str, decision: str, **fields: str) -> httpx.Response:
    page = client.get("/forums/losningsforum")
    return client.post(
        f"/forums/losningsforum/items/{reference}/decision",
        data={"decision": decision, "_csrf_token": csrf_token(page.text), **fields},
    )


def test_anonymous_visitors_are_sent_to_log_in_and_submitters_refused(server: str) -> None:
    with httpx.Client(base_url=server, timeout=60, follow_redirects=False) as client:
        for path in ("/forums", "/forums/losningsforum", "/forums/losningsforum/agenda.pdf"):
            answer = client.get(path)
            assert answer.status_code == 303 and answer.headers["location"] == f"/login?next={path}"
        assert login(client, "submitter@kommun.se").status_code == 303
        assert client.get("/forums", headers={"accept": "text/html"}).status_code == 403


def test_the_forum_list_has_every_forum_with_its_next_meeting_and_items(member: httpx.Client) -> None:
    page = member.get("/forums")
    assert page.status_code == 200
    rows = {
        m.group(1): int(m.group(2))
        for m in re.finditer(r'href="/forums/([a-z-]+)".*?<td class="num">(\d+)</td>', page.text, re.S)
    }
    assert rows == {"losningsforum": 6, "arkitektforum": 2, "slutberedning": 0, "it-direktor": 0}
    assert "tisdag" in page.text, "Lösningsforum meets on Tuesdays"
    assert f'href="/forums/losningsforum?day={PAST_DAY.isoformat()}"' in page.text


def test_the_agenda_page_shows_masked_items_to_print_and_decide_on(member: httpx.Client) -> None:
    page = member.get("/forums/losningsforum")
    assert page.status_code == 200
    html = page.text
    assert "Dagordning: Lösningsforum" in html and '<link rel="stylesheet" href="/static/print.css">' in html
    assert html.count('<article class="agenda-item"') == 6
    assert "Klara att ta ställning till (1)" in html and "Behöver beredas mer (5)" in html
    assert reference_of(html, LAMPS)
    assert "bekräftad dubblett" in html, "the grouped duplicates"
    assert not [p for p in PERSONAL if p in html], "forum members never see personal data"
    assert html.count('name="decision" value="go-on"') == 6 and "Slå ihop" in html
    assert "Skriv ut" in html and 'href="/forums/losningsforum/agenda.pdf"' in html
    english = member.get("/forums/losningsforum?lang=en").text
    assert "Agenda: Solution forum" in english and "Record the decision on" in english and "Merge" in english


def test_an_item_s_page_has_every_open_point_and_match_and_no_personal_data(
    member: httpx.Client, server: str
) -> None:
    agenda = member.get("/forums/losningsforum").text
    links = re.findall(r'href="(/forums/losningsforum/items/IN-\d{4}-\d{5})"', agenda)
    assert len(set(links)) == 6, "every item links its page"
    pages = [member.get(link) for link in sorted(set(links))]
    assert all(p.status_code == 200 for p in pages)
    longest = max(pages, key=lambda p: p.text.count("<li>"))
    found = re.search(r"Alla öppna punkter i checklistan \((\d+)\)", longest.text)
    assert found and int(found.group(1)) > 3, "more than the agenda's three questions"
    assert longest.text.count("(saknas)") + longest.text.count("(delvis)") == int(found.group(1))
    for page in pages:
        assert "Förslag:" in page.text and "/review/items/" not in page.text, "no staff link for members"
        assert not [p for p in PERSONAL if p in page.text], "forum members never see personal data"
    missing = member.get("/forums/losningsforum/items/IN-1999-99999")
    assert missing.status_code == 404 and "IN-1999-99999 står inte på nästa dagordning" in missing.text
    with logged_in(server, "digit@kommun.se") as staff:
        page = staff.get(links[0])
        assert page.status_code == 200 and f'href="/review/items/{links[0].rsplit("/", 1)[1]}"' in page.text


def test_a_member_records_go_on_and_the_item_moves(member: httpx.Client, env: dict[str, str]) -> None:
    reference = reference_of(member.get("/forums/losningsforum").text, LAMPS)
    done = decide(member, reference, "go-on", note="Bra underlag.")
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/forums/losningsforum?decided={reference}#item-{reference}"
    after = member.get(done.headers["location"]).text
    assert f"Beslutet Gå vidare för {reference} är registrerat. Ärendet är nu i Arkitektforum." in after
    assert after.count('<article class="agenda-item"') == 5, "the item has left the forum's step"
    row = re.search(rf'<tr id="item-{reference}">(.*?)</tr>', after, re.S)
    assert row and "Gå vidare" in row.group(1) and "Bra underlag." in row.group(1)
    assert "forum@kommun.se" in row.group(1)
    with _session(env) as session:
        item = session.exec(select(Submission).where(col(Submission.reference) == reference)).one()
        assert item.step == "steg-2"
        change = session.exec(select(StepChange).where(col(StepChange.submission_id) == item.id)).all()[-1]
        assert (change.forum, change.decision, change.actor) == ("losningsforum", "go-on", "forum@kommun.se")
        audit = session.exec(
            select(AuditEvent.action)
            .where(col(AuditEvent.entity_key) == reference)
            .where(col(AuditEvent.actor) == "forum@kommun.se")
        ).all()
        assert "submission.decided" in audit
    # the other forum's agenda has it now, and this forum's may not decide on it any more
    assert LAMPS in member.get("/forums/arkitektforum").text
    again = decide(member, reference, "go-on")
    assert again.status_code == 409
    assert "inte i forumets steg" in again.text and 'role="alert"' in again.text


def test_a_refused_decision_is_409_with_the_reason_and_the_form_kept(member: httpx.Client) -> None:
    html = member.get("/forums/losningsforum").text
    reference = re.findall(r'<h3 id="title-(IN-\d{4}-\d{5})">', html)[0]
    refused = decide(member, reference, "merge", merge_into=reference, note="Samma behov")
    assert refused.status_code == 409
    assert "ett ärende kan inte slås ihop med sig självt" in refused.text
    assert f'id="refused-{reference}"' in refused.text
    form = refused.text.split(f'id="item-{reference}"')[1].split("</form>")[0]
    assert f'value="{reference}"' in form and "Samma behov</textarea>" in form
    assert re.search(r'value="merge" required checked', form), "the chosen decision stays chosen"
    english = member.post(
        f"/forums/losningsforum/items/{reference}/decision?lang=en",
        data={"decision": "merge", "_csrf_token": csrf_token(html)},
    )
    assert english.status_code == 409 and "a merge needs the item it merges into" in english.text
    with_no_choice = decide(member, reference, "")
    assert with_no_choice.status_code == 400 and "Choose a decision." in with_no_choice.text, "still English"


def test_unknown_forums_items_and_days_are_explained(member: httpx.Client) -> None:
    unknown = member.get("/forums/nowhere")
    assert unknown.status_code == 404 and "Det finns inget forum med nyckeln nowhere" in unknown.text
    assert "losningsforum" in unknown.text
    token = csrf_token(member.get("/forums/losningsforum").text)
    missing = member.post(
        "/forums/losningsforum/items/IN-1999-99999/decision",
        data={"decision": "go-on", "_csrf_token": token},
    )
    assert missing.status_code == 404 and "IN-1999-99999" in missing.text
    assert member.get("/forums/losningsforum?day=första").status_code == 400
    no_agenda = member.get("/forums/losningsforum?day=2026-01-27")
    assert no_agenda.status_code == 404 and "Ingen sparad dagordning" in no_agenda.text


def test_a_stored_past_agenda_is_shown_read_only(member: httpx.Client) -> None:
    page = member.get(f"/forums/losningsforum?day={PAST_DAY.isoformat()}")
    assert page.status_code == 200
    assert "Sparad dagordning januari" in page.text and "<iframe" in page.text and " sandbox " in page.text
    assert 'name="decision"' not in page.text, "read-only"


def test_the_agenda_downloads_as_a_pdf_with_the_items(member: httpx.Client) -> None:
    answer = member.get("/forums/arkitektforum/agenda.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    disposition = answer.headers["content-disposition"]
    assert re.fullmatch(r'inline; filename="dagordning-arkitektforum-\d{4}-\d{2}-\d{2}\.pdf"', disposition)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.content)).pages).split())
    assert "Dagordning: Arkitektforum" in text
    assert "Schemaläggning av timvikarier i Heroma" in text and "e-arkiv" in text
    assert not [p for p in PERSONAL if p in text], "the PDF holds masked text only"
    english = member.get("/forums/arkitektforum/agenda.pdf?lang=en")
    assert 'filename="agenda-arkitektforum-' in english.headers["content-disposition"]
