"""The portfolio pages through a real uvicorn process, on SQLite and on PostgreSQL.

Browse, search (Swedish letters, case, literal `%` and `_`), filter, page, open an item (the
public call to action, and for staff the submissions that flagged it), export CSV and XLSX and
read them back through the import's dry run, import a changed file, and refuse broken ones
without changing anything. The staff-only routes refuse anonymous visitors and forum members.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.db import create_db_engine
from intake.domain.duplicates import Decision, ItemKind
from intake.domain.submission import Channel
from intake.models import AuditEvent, DuplicateCandidate, Submission
from intake.settings import Settings
from tests.browser import csrf_token, logged_in
from tests.server import app_env, cli, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.calendar]

DEMO = Path(__file__).parents[2] / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"
EXTRA = 30  # generated items 24-01..24-30 on top of the demo's 15: two pages of 25
TOTAL = 15 + EXTRA
STAFF = "digit@kommun.se"
FORUM = "forum@kommun.se"


def _extra_portfolio() -> str:
    lines = ["Nr;År;Utvecklingsärende;Projektnr;Kostnad (totalt);2%-aren;Fokusområde;Steg;Beskrivning"]
    for i in range(1, EXTRA + 1):
        lines.append(
            f"24-{i:02d};2024;Testinitiativ {i} för e-tjänster;;{i * 1000} kr;;Effektiv kommun;"
            f"Steg 1 – Behov och lösning;Välfärdsteknik i hemtjänsten, del {i}"
        )
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> dict[str, str]:
    data_dir = tmp_path_factory.mktemp("data")
    env = app_env(data_dir, module_database_url, accounts=[(STAFF, "digit"), (FORUM, "forum")])
    extra = data_dir / "extra.csv"
    extra.write_text(_extra_portfolio(), encoding="utf-8")
    for path in (DEMO, extra):
        done = cli(["portfolio", "import", str(path), "--no-index"], env)
        assert done.returncode == 0, done.stdout + done.stderr
    _flag_submissions(env)
    return env


def _engine(env: dict[str, str]) -> Engine:
    settings = Settings(
        data_dir=Path(env["BEREDNING_DATA_DIR"]), database={"url": env["BEREDNING_DATABASE__URL"]}
    )
    return create_db_engine(settings)


def _flag_submissions(env: dict[str, str]) -> None:
    """Three submissions name 22-04 as a candidate: one open, one dismissed, one closed."""
    engine = _engine(env)
    with Session(engine) as session:
        rows = [
            ("IN-2026-09001", "steg-1", Decision.PENDING, "Digitala parkeringstillstånd"),
            ("IN-2026-09002", "steg-0", Decision.DISMISSED, "Avfärdad dubblett"),
            ("IN-2026-09003", "avslutad", Decision.PENDING, "Avslutat ärende"),
        ]
        for reference, step, decision, title in rows:
            submission = Submission(
                reference=reference, raw_text=title, title=title, channel=Channel.WEB, step=step
            )
            session.add(submission)
            session.flush()
            assert submission.id is not None
            session.add(
                DuplicateCandidate(
                    submission_id=submission.id,
                    other_kind=ItemKind.PORTFOLIO,
                    other_key="22-04",
                    score=0.87,
                    reason="delade ord: parkeringstillstånd",
                    decision=decision,
                )
            )
        session.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def server(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(env, tmp_path_factory.mktemp("log") / "server.log", wait_for_model=False) as base:
        yield base


@pytest.fixture
def staff(server: str) -> Iterator[httpx.Client]:
    with logged_in(server, STAFF) as client:
        yield client


def _nrs(html: str) -> list[str]:
    """The Nr column of the results table, in order."""
    return re.findall(r"<tr>\s*<td>([\w-]+)</td>", html)


def _count(html: str) -> str:
    found = re.search(r'id="result-count"[^>]*>([^<]*)<', html)
    assert found, "no result count"
    return found.group(1).strip()


def test_browse_has_a_captioned_table_and_pages_with_counts(server: str) -> None:
    first = httpx.get(f"{server}/portfolio", timeout=30)
    assert first.status_code == 200
    html = first.text
    assert "<caption" in html and "Initiativ i portföljen" in html
    for header in ("Nr", "Utvecklingsärende", "År", "Fokusområde", "Steg", "Kostnad (totalt)"):
        assert f">{header}</th>" in html
    assert _count(html) == f"Visar 1–25 av {TOTAL} initiativ."
    assert _nrs(html)[:3] == ["21-11", "21-14", "21-32"] and len(_nrs(html)) == 25
    assert "Sida 1 av 2" in html and 'href="/portfolio?page=2&amp;lang=sv"' in html
    assert "2\u00a0114\u00a0575\u00a0kr" in html, "amounts the Swedish way, kept on one line"
    assert "Effektiv kommun" in html and "Steg 1 – Behov och lösning" in html, "names, not keys"
    second = httpx.get(f"{server}/portfolio?page=2", timeout=30).text
    assert _count(second) == f"Visar 26–{TOTAL} av {TOTAL} initiativ."
    assert _nrs(second)[-1] == "24-30" and not set(_nrs(second)) & set(_nrs(html))
    beyond = httpx.get(f"{server}/portfolio?page=40", timeout=30)
    assert beyond.status_code == 200 and _nrs(beyond.text) == _nrs(second), "past the end: the last page"
    english = httpx.get(f"{server}/portfolio?lang=en", timeout=30).text
    assert f"Showing 1–25 of {TOTAL} initiatives." in english and "SEK\u00a02,114,575" in english
    assert "Efficient municipality" in english


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ÖKA takten", ["22-07"]),  # upper-case Ö finds "Öka"
        ("årlig", ["22-45"]),  # lower-case å finds "Årlig"
        ("BOLAGENS övergång", ["21-11"]),  # every word must match
        ("heroma", ["21-11", "22-09", "22-15"]),
        ("11773", ["22-04"]),  # project number
        ("22-45", ["22-45"]),
        ("VÄLFÄRDSTEKNIK del 7", ["24-07", "24-17", "24-27"]),  # the description; "7" anywhere
        ("%", ["21-14"]),  # a literal percent sign: "Beslut inom 2 % 2021"
        ("_", []),  # a literal underscore, not "any character"
        ("heroma parkering", []),
    ],
)
def test_search_finds_swedish_words_whatever_the_case(server: str, q: str, expected: list[str]) -> None:
    response = httpx.get(f"{server}/portfolio", params={"q": q}, timeout=30)
    assert response.status_code == 200
    assert _nrs(response.text) == expected
    assert _count(response.text) == (f"{len(expected)} initiativ." if expected else "Inga initiativ matchar.")


def test_filters_sort_and_the_htmx_fragment(server: str) -> None:
    by_focus = httpx.get(f"{server}/portfolio?focus=effektiv-kommun&page=2", timeout=30).text
    assert _count(by_focus) == f"Visar 26–{EXTRA} av {EXTRA} initiativ."
    no_focus = httpx.get(f"{server}/portfolio?focus=none&year=2023", timeout=30).text
    assert _nrs(no_focus) == ["23-01"]
    assert '<option value="2023" selected>2023</option>' in no_focus
    costly = httpx.get(f"{server}/portfolio?sort=cost", timeout=30).text
    assert _nrs(costly)[:2] == ["22-04", "21-11"], "highest cost first"
    newest = httpx.get(f"{server}/portfolio?sort=newest&q=e-arkiv", timeout=30).text
    assert _nrs(newest) == ["22-07"]
    unknown = httpx.get(f"{server}/portfolio?focus=nope&year=abc&sort=x&page=x", timeout=30)
    assert unknown.status_code == 200 and _count(unknown.text) == f"Visar 1–25 av {TOTAL} initiativ."
    long_search = httpx.get(f"{server}/portfolio", params={"q": "heroma " + "x" * 500}, timeout=30)
    assert long_search.status_code == 200 and _count(long_search.text) == "Inga initiativ matchar."
    headers = {"HX-Request": "true", "HX-Target": "results"}
    fragment = httpx.get(f"{server}/portfolio", params={"q": "heroma"}, headers=headers, timeout=30)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'hx-swap-oob="innerHTML">3 initiativ.' in fragment.text
    assert _nrs(fragment.text) == ["21-11", "22-09", "22-15"]
    assert "HX-Request" in fragment.headers.get("vary", "")
    page = httpx.get(f"{server}/portfolio", timeout=30).text
    assert 'hx-trigger="keyup changed delay:300ms, search"' in page, "live search, debounced"
    assert '<form method="get" action="/portfolio"' in page, "and a plain form without JavaScript"


def test_an_item_page_shows_every_field_and_invites_to_join(server: str) -> None:
    response = httpx.get(f"{server}/portfolio/22-04", timeout=30)
    assert response.status_code == 200
    html = response.text
    assert '<h1><span class="nr">22-04</span> SBK Parkeringsstillstånd</h1>' in html
    for text in ("11773", "2\u00a0114\u00a0575\u00a0kr", "2022", "sundsvall-utvecklingsportfolj-utdrag.csv"):
        assert text in html
    assert '<dd id="funded">Nej</dd>' in html
    assert "Vill du ansluta dig till detta initiativ? Beskriv ditt behov och nämn 22-04." in html
    assert 'href="/?about=22-04&amp;lang=sv"' in html
    assert "IN-2026-09001" not in html, "who flagged it is not public"
    funded = httpx.get(f"{server}/portfolio/22-07", timeout=30).text
    assert '<dd id="funded">Ja</dd>' in funded
    assert "1 600 00 (står så i portföljen; kunde inte läsas som ett belopp)" in funded
    described = httpx.get(f"{server}/portfolio/24-03?lang=en", timeout=30).text
    assert "Välfärdsteknik i hemtjänsten, del 3" in described and "Efficient municipality" in described
    assert "Step 1 – Need and solution" in described and "SEK\u00a03,000" in described
    form = httpx.get(f"{server}/?about=22-04", timeout=30).text
    assert "Jag vill ansluta mig till initiativ 22-04 i portföljen." in form


def test_staff_see_the_open_submissions_that_flagged_the_item(server: str, staff: httpx.Client) -> None:
    html = staff.get("/portfolio/22-04").text
    assert '<a href="/review/items/IN-2026-09001">IN-2026-09001</a>' in html
    assert "Digitala parkeringstillstånd" in html and "0.87" in html and "Ej bedömd" in html
    assert "IN-2026-09002" not in html, "a dismissed candidate is no duplicate"
    assert "IN-2026-09003" not in html, "a closed submission is not open"
    assert "Vill du ansluta dig" not in html
    quiet = staff.get("/portfolio/21-11").text
    assert "Inget öppet ärende har flaggat initiativet som möjlig dubblett." in quiet
    with logged_in(server, FORUM) as forum:
        seen = forum.get("/portfolio/22-04")
        assert seen.status_code == 200 and "IN-2026-09001" not in seen.text


@pytest.mark.parametrize(
    ("lang", "heading", "text"),
    [
        ("sv", "Initiativet finns inte", "Det finns inget initiativ med Nr 99-99 i portföljen."),
        ("en", "No such initiative", "The portfolio has no initiative with Nr 99-99."),
    ],
)
def test_an_unknown_nr_is_a_404_page(server: str, lang: str, heading: str, text: str) -> None:
    response = httpx.get(f"{server}/portfolio/99-99?lang={lang}", timeout=30)
    assert response.status_code == 404
    assert f"<h1>{heading}</h1>" in response.text and text in response.text
    hostile = httpx.get(f"{server}/portfolio/%3Cb%3Ex", timeout=30)
    assert hostile.status_code == 404 and "<b>x" not in hostile.text


def _upload(
    client: httpx.Client, name: str, data: bytes, *, dry_run: bool, lang: str = "sv"
) -> httpx.Response:
    token = csrf_token(client.get(f"/portfolio/import?lang={lang}").text)
    form = {"_csrf_token": token} | ({"dry_run": "1"} if dry_run else {})
    return client.post("/portfolio/import", data=form, files={"file": (name, data)})


def _report(html: str) -> dict[str, int]:
    found = dict(re.findall(r'id="count-(\w+)">(\d+)<', html))
    return {k: int(v) for k, v in found.items()}


def _export(client: httpx.Client, fmt: str) -> httpx.Response:
    response = client.get(f"/portfolio/export?format={fmt}")
    assert response.status_code == 200, response.text
    return response


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_reads_back_through_a_dry_run_as_no_change(staff: httpx.Client, fmt: str) -> None:
    response = _export(staff, fmt)
    disposition = response.headers["content-disposition"]
    named = re.fullmatch(r'attachment; filename="portfolj-(\d{4}-\d{2}-\d{2})\.' + fmt + '"', disposition)
    assert named, disposition
    shown = date.fromisoformat(named.group(1))
    assert abs(shown - date.today()) <= timedelta(days=1), "the date of the export (Stockholm time)"
    if fmt == "csv":
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        assert rows[0][:3] == ["Nr", "År", "Utvecklingsärende"] and len(rows) == TOTAL + 1
    else:
        sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
        assert sum(1 for _ in sheet.iter_rows()) == TOTAL + 1
    wrong = staff.get("/portfolio/export?format=pdf")
    assert wrong.status_code == 400 and "Portföljen kan laddas ned som CSV eller Excel" in wrong.text
    checked = _upload(staff, f"export.{fmt}", response.content, dry_run=True)
    assert checked.status_code == 200, checked.text
    assert _report(checked.text) == {
        "created": 0,
        "updated": 0,
        "unchanged": TOTAL,
        "rejected": 0,
        "warnings": 7,  # the demo's cut-off 2%-aren cells, kept as text
    }
    assert "Provkörning av export." + fmt + ": inget har sparats" in checked.text


def test_a_changed_file_updates_one_item_with_an_audit_event(
    staff: httpx.Client, env: dict[str, str]
) -> None:
    text = _export(staff, "csv").content.decode("utf-8-sig")
    changed = text.replace("Testinitiativ 30 för e-tjänster", "Testinitiativ 30 för e-tjänster i Ånge")
    assert changed != text
    dry = _upload(staff, "ändrad.csv", changed.encode("utf-8-sig"), dry_run=True)
    assert _report(dry.text)["updated"] == 1 and "24-30" in dry.text
    assert "Ånge" not in staff.get("/portfolio/24-30").text, "a dry run saves nothing"
    done = _upload(staff, "ändrad.csv", changed.encode("utf-8-sig"), dry_run=False, lang="en")
    assert done.status_code == 200, done.text
    assert _report(done.text) == {
        "created": 0,
        "updated": 1,
        "unchanged": TOTAL - 1,
        "rejected": 0,
        "warnings": 7,
    }
    assert "ndrad.csv is imported" in done.text and 'href="/portfolio/24-30"' in done.text
    assert "Testinitiativ 30 för e-tjänster i Ånge" in staff.get("/portfolio/24-30").text
    engine = _engine(env)
    with Session(engine) as session:
        events = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.entity_key) == "24-30")
            .where(col(AuditEvent.action) == "portfolio.updated")
        ).all()
    engine.dispose()
    assert len(events) == 1 and events[0].actor == STAFF
    assert events[0].changes["title"][1] == "Testinitiativ 30 för e-tjänster i Ånge"


def test_broken_files_are_refused_and_change_nothing(staff: httpx.Client) -> None:
    before = _export(staff, "csv").content
    header = "Nr;År;Utvecklingsärende\n"
    cases: list[tuple[str, bytes, int, str]] = [
        ("tom.csv", b"", 400, "Filen är tom eller har inga rader med initiativ."),
        ("bara-rubriker.csv", header.encode(), 400, "Filen är tom eller har inga rader med initiativ."),
        ("bild.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, 415, "Filen är varken CSV eller Excel"),
        ("trasig.xlsx", b"PK\x03\x04 not really a workbook", 422, "Filen gick inte att läsa som en portfölj"),
        ("gammal.xls.csv", b"\xd0\xcf\x11\xe0" + b"\0" * 100, 422, "old Excel (.xls) file"),
        ("utan-titel.csv", b"Nr;Kostnad\n22-04;5 kr\n", 422, "no title column"),
    ]
    for name, data, status, reason in cases:
        response = _upload(staff, name, data, dry_run=False)
        assert response.status_code == status, (name, response.status_code, response.text[-500:])
        assert reason in response.text and 'role="alert"' in response.text, name
        assert "Traceback" not in response.text
    # one bad row in a good file: the real import is refused whole, the rows to fix listed by line
    mixed = (header + "22-04;2022;Ändrad titel som inte får sparas\n;2022;Utan Nr\n").encode()
    refused = _upload(staff, "blandad.csv", mixed, dry_run=False)
    assert refused.status_code == 422
    assert "blandad.csv importerades inte" in refused.text and "Rad 3:" in refused.text
    assert "Nr is missing" in refused.text and _report(refused.text)["rejected"] == 1
    too_large = _upload(staff, "stor.csv", header.encode() + b"x" * (6 * 1024 * 1024), dry_run=False)
    assert too_large.status_code == 413 and "Filen är för stor. Den får vara högst 5 MB." in too_large.text
    no_file = staff.post(
        "/portfolio/import", data={"_csrf_token": csrf_token(staff.get("/portfolio/import").text)}
    )
    assert no_file.status_code == 400 and "Välj en fil att importera." in no_file.text
    english = _upload(staff, "tom.csv", b"", dry_run=True, lang="en")
    assert english.status_code == 400 and "The file is empty or has no rows of initiatives." in english.text
    assert _export(staff, "csv").content == before, "nothing was saved"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/portfolio/export?format=csv"), ("GET", "/portfolio/import"), ("POST", "/portfolio/import")],
)
def test_staff_routes_refuse_anonymous_visitors_and_forum_members(
    server: str, method: str, path: str
) -> None:
    with httpx.Client(base_url=server, timeout=60, follow_redirects=False) as anonymous:
        token = csrf_token(anonymous.get("/login").text)
        response = anonymous.request(method, path, data={"_csrf_token": token} if method == "POST" else None)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    with logged_in(server, FORUM) as forum:
        token = csrf_token(forum.get("/login").text)
        headers = {"accept": "text/html"}
        data = {"_csrf_token": token} if method == "POST" else None
        response = forum.request(method, path, data=data, headers=headers)
        assert response.status_code == 403 and "Du har inte behörighet" in response.text
    assert httpx.get(f"{server}/portfolio/export?format=pdf", timeout=30).status_code == 303
