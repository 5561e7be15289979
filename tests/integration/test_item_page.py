"""The staff item page over HTTP, served on loopback, on SQLite and PostgreSQL.

Viewing, editing the draft (saved, refused as stale with 409, refused as invalid with 422),
asking a gap question, moving the item (allowed, and refused with its blockers), the audit trail
showing each change, and who may do any of it. Pages are read with an HTML parser, as a browser
would read the forms.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, col, select

from intake.db import create_db_engine
from intake.domain.drafts import DraftState
from intake.domain.process import load_process
from intake.domain.submission import Channel, NewSubmission
from intake.drafting import load_checklists
from intake.migrate import ensure_current
from intake.models import AuditEvent, Submission
from intake.models import Draft as DraftRow
from intake.services import draft_edits, submissions
from intake.services.drafting import drafting_from_settings
from intake.settings import Settings
from tests.browser import csrf_token, logged_in
from tests.server import app_env, running_server
from tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BOOKING = (
    "Skolan behöver ett bättre sätt att boka lokaler för föreningar på kvällarna. I dag ringer "
    "föreningarna till expeditionen. Målet är att spara tid för personalen. Mvh Karin Lund"
)
SIGNING = "Vi vill kunna signera avtal digitalt i stället för att skriva ut och skanna dem."
PAUSING = "Hemtjänsten saknar en app för att se dagens besök och ändringar i schemat."


def _settings(env: dict[str, str]) -> Settings:
    return Settings(
        data_dir=Path(env["BEREDNING_DATA_DIR"]), database={"url": env["BEREDNING_DATABASE__URL"]}
    )


def seed_item(env: dict[str, str], text: str, **submitter: str) -> str:
    """Accept a submission and draft it by the rules (no model), in-process; return its reference."""
    settings = _settings(env)
    engine = create_db_engine(settings)
    try:
        ensure_current(engine)
        new = NewSubmission(text=text, channel=Channel.WEB, **submitter)  # type: ignore[arg-type]
        accepted = submissions.accept(engine, new, settings.intake, actor="test")
        assert accepted.id is not None
        drafting_from_settings(settings, engine, load_process()).draft(accepted.id)
        return accepted.reference
    finally:
        engine.dispose()


class Forms(HTMLParser):
    """The values a browser would post from each form of a page, by the form's action."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: dict[str, list[dict[str, str]]] = {}
        self._form: dict[str, str] | None = None
        self._field: tuple[str, str] | None = None  # ("textarea"|"select", name)
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {}
            self.forms.setdefault(a.get("action", ""), []).append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name") and a.get("type") != "checkbox":
            self._form[a["name"]] = a.get("value", "")
        elif tag in ("textarea", "select"):
            self._field, self._text = (tag, a["name"]), []
            if tag == "select":
                self._form[a["name"]] = ""
        elif tag == "option" and self._field and "selected" in a:
            self._form[self._field[1]] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._field and self._field[0] == "textarea":
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag in ("textarea", "select") and self._field and self._form is not None:
            if tag == "textarea":
                self._form[self._field[1]] = "".join(self._text)
            self._field = None


def forms_of(html: str, action: str) -> list[dict[str, str]]:
    """The forms of `html` that post to `action`, in page order."""
    return Forms(html).forms.get(action, [])


def form_of(html: str, action: str) -> dict[str, str]:
    """The one form of `html` that posts to `action`."""
    (found,) = forms_of(html, action)
    return found


@pytest.fixture(scope="module")
def sink(module_database_url: str) -> Iterator[SmtpSink]:
    """Where the served app's mail goes: the questions staff send to submitters (one per database)."""
    with SmtpSink() as running:
        yield running


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, module_database_url: str, sink: SmtpSink) -> dict[str, str]:
    staff = [("anna.digit@kommun.se", "digit"), ("admin@kommun.se", "admin"), ("forum@kommun.se", "forum")]
    return app_env(
        tmp_path_factory.mktemp("data"),
        module_database_url,
        accounts=staff,
        BEREDNING_SMTP__HOST=sink.host,
        BEREDNING_SMTP__PORT=str(sink.port),
        BEREDNING_PUBLIC_BASE_URL="http://beredning.test",
        # no job runner: the items are drafted here, in-process, so no Prefect server is needed
        BEREDNING_INTAKE__RETRY_INTERVAL_SECONDS="0",
    )


@pytest.fixture(scope="module")
def items(env: dict[str, str]) -> dict[str, str]:
    return {
        "booking": seed_item(
            env,
            BOOKING,
            submitter_name="Karin Lund",
            submitter_email="karin@example.se",
            submitter_unit="Skola",
        ),
        "signing": seed_item(env, SIGNING),
        "moving": seed_item(env, PAUSING),
    }


@pytest.fixture(scope="module")
def server(
    env: dict[str, str], items: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with running_server(env, tmp_path_factory.mktemp("log") / "server.log", wait_for_model=False) as base:
        yield base


@pytest.fixture
def staff(server: str) -> Iterator[httpx.Client]:
    with logged_in(server, "anna.digit@kommun.se") as client:
        yield client


def url(reference: str, action: str = "") -> str:
    return f"/review/items/{reference}" + (f"/{action}" if action else "")


def test_the_item_page_shows_text_masked_text_draft_gaps_moves_and_trail(
    staff: httpx.Client, items: dict[str, str]
) -> None:
    ref = items["booking"]
    page = staff.get(url(ref))
    assert page.status_code == 200
    html = page.text
    assert f'<h1><span class="ref">{ref}</span>' in html
    for shown in ("Karin Lund", "karin@example.se", "Skola", "föreningar på kvällarna", "Webbformulär"):
        assert shown in html
    masked = re.search(r'<div class="text masked">(.*?)</div>', html, re.S)
    assert masked is not None and "Karin Lund" not in masked.group(1), "the model never saw the name"
    assert "Det modellen fick se" in html
    assert "Angivet av inskickaren" in html and "Tomt: texten säger inget om det" in html
    assert "Inskickarens ord:" in html
    draft_form = form_of(html, url(ref, "draft"))
    assert set(draft_form) >= {"_csrf_token", "updated_at", "title", "initiative_type", "benefit_rows"}
    assert len(forms_of(html, url(ref, "questions"))) >= 2, "a form per open gap"
    targets = [f["to"] for f in forms_of(html, url(ref, "move"))]
    assert targets[0] == "steg-1" and "avslutad" in targets, "forward first, then pause and stop"
    assert "Ärendet togs emot" in html and "Utkastet sparades av systemet" in html
    english = staff.get(url(ref) + "?lang=en").text
    assert "What the model was shown" in english and "Initiative draft" in english


def test_an_unknown_reference_is_404_in_both_languages(staff: httpx.Client) -> None:
    missing = staff.get(url("IN-1999-99999"))
    assert missing.status_code == 404
    assert "Ärendet finns inte" in missing.text and "IN-1999-99999" in missing.text
    english = staff.get(url("IN-1999-99999") + "?lang=en")
    assert english.status_code == 404 and "No such item" in english.text
    posted = staff.post(
        url("IN-1999-99999", "move"), data={"_csrf_token": csrf_token(missing.text), "to": "steg-1"}
    )
    assert posted.status_code == 404


def test_edit_save_then_stale_then_invalid(staff: httpx.Client, items: dict[str, str]) -> None:
    ref = items["signing"]
    before = form_of(staff.get(url(ref)).text, url(ref, "draft"))
    edited = before | {"sponsor": "Kommundirektören", "risks": "Fler papper\nLångsammare avtal"}
    saved = staff.post(url(ref, "draft"), data=edited)
    assert saved.status_code == 303 and saved.headers["location"].startswith(url(ref) + "?done=saved")
    page = staff.get(saved.headers["location"]).text
    assert "Utkastet är sparat." in page
    assert "Ändrat av anna.digit@kommun.se" in page
    assert "ändrat av granskare" in page, "the draft's state is edited"
    assert "Utkastet ändrades" in page and "Beställare: – → Kommundirektören" in page
    after = form_of(page, url(ref, "draft"))
    assert after["sponsor"] == "Kommundirektören" and after["updated_at"] != before["updated_at"]

    # the first form, sent again: someone saved since it was rendered
    stale = staff.post(url(ref, "draft"), data=before | {"sponsor": "Min egen text"})
    assert stale.status_code == 409
    assert "Någon annan ändrade utkastet" in stale.text
    kept = form_of(stale.text, url(ref, "draft"))
    assert kept["sponsor"] == "Min egen text", "the reviewer's input is kept"
    assert form_of(staff.get(url(ref)).text, url(ref, "draft"))["sponsor"] == "Kommundirektören"

    invalid = staff.post(url(ref, "draft"), data=after | {"personal_data": "kanske", "title": "Ny rubrik"})
    assert invalid.status_code == 422
    assert "Behandlar personuppgifter: ska vara ja eller nej" in invalid.text, "the summary names the field"
    assert 'id="d-personal_data-error"' in invalid.text and 'aria-invalid="true"' in invalid.text
    assert form_of(invalid.text, url(ref, "draft"))["title"] == "Ny rubrik"
    unchanged = form_of(staff.get(url(ref)).text, url(ref, "draft"))
    assert unchanged["title"] == after["title"], "nothing of an invalid form is stored"

    swapped = staff.post(
        url(ref, "draft"), data=after | {"financing": "Egen budget"}, headers={"HX-Request": "true"}
    )
    assert swapped.status_code == 200
    assert swapped.text.lstrip().startswith('<section id="draft"'), "htmx gets the draft section"
    assert 'id="audit" aria-labelledby="audit-heading" hx-swap-oob="true"' in swapped.text
    assert "Finansiering: – → Egen budget" in swapped.text


def test_the_save_is_optimistic_and_audited_in_the_database(
    env: dict[str, str], items: dict[str, str]
) -> None:
    ref = items["moving"]  # drafted by the rules, never edited through the page
    engine = create_db_engine(_settings(env))
    process, checklists = load_process(), load_checklists()
    try:
        with Session(engine) as session:
            row = session.exec(
                select(DraftRow)
                .join(Submission, col(Submission.id) == col(DraftRow.submission_id))
                .where(col(Submission.reference) == ref)
            ).one()
            seen: datetime = row.updated_at

        def save(value: str) -> draft_edits.EditResult:
            return draft_edits.edit(
                engine,
                ref,
                {"time_plan": value},
                "test@kommun.se",
                seen_updated_at=seen,
                process=process,
                checklists=checklists,
            )

        first = save("Hösten 2027")
        assert first.changed == ["time_plan"] and first.draft.state == DraftState.EDITED
        assert first.draft.content["time_plan"]["edited_by"] == "test@kommun.se"
        with pytest.raises(draft_edits.DraftEditConflict):
            save("Våren 2028")  # rendered from the same version: refused, not overwritten
        with Session(engine) as session:
            events = session.exec(
                select(AuditEvent)
                .where(col(AuditEvent.entity_key) == ref)
                .where(col(AuditEvent.action) == "draft.edited")
                .where(col(AuditEvent.actor) == "test@kommun.se")
            ).all()
        assert [e.changes["time_plan"] for e in events] == [[None, "Hösten 2027"]]
        assert events[0].changes["state"] == ["rules_only", "edited"]
        again = draft_edits.edit(
            engine,
            ref,
            {"time_plan": "Hösten 2027"},
            "test@kommun.se",
            seen_updated_at=first.draft.updated_at,
            process=process,
            checklists=checklists,
        )
        assert again.changed == [] and again.draft.updated_at == first.draft.updated_at, "no change, no save"
    finally:
        engine.dispose()


def test_ask_a_gap_question(staff: httpx.Client, items: dict[str, str], sink: SmtpSink) -> None:
    ref = items["booking"]
    html = staff.get(url(ref)).text
    ask = forms_of(html, url(ref, "questions"))[0]
    assert ask["gap"] and ask["question"], "the suggested question is filled in"
    sent = staff.post(url(ref, "questions"), data=ask | {"question": "Vem betalar för bokningssystemet?"})
    assert sent.status_code == 303 and "done=asked" in sent.headers["location"]
    page = staff.get(sent.headers["location"]).text
    assert "Frågan är skickad till inskickaren." in page
    assert "Vem betalar för bokningssystemet?" in page and "Inget svar än." in page
    assert "Fråga ställd" in page, "the audit trail shows the question"
    (mail,) = [m for m in sink.messages if m.rcpt_to == ["karin@example.se"]]
    body = mail.message().get_content()
    assert "Vem betalar för bokningssystemet?" in body, "the submitter is mailed the question"
    assert re.search(r"http://beredning\.test/follow/[A-Za-z0-9_-]{20,}", body), "with their follow link"
    assert "Frågan mejlades till inskickaren" in page, "and the trail says so"
    again = staff.post(url(ref, "questions"), data=ask)
    assert again.status_code == 409 and "väntar redan på svar" in again.text
    unknown = staff.post(url(ref, "questions"), data=ask | {"gap": "uppstartsmote/finns-inte"})
    assert unknown.status_code == 422 and "Det finns ingen sådan lucka" in unknown.text
    english = staff.post(url(ref, "questions") + "?lang=en", data=ask | {"gap": "x/y"})
    assert english.status_code == 422 and "The draft has no such gap." in english.text
    other = forms_of(page, url(ref, "questions"))[0]
    assert other["gap"] != ask["gap"], "the asked gap has no form while its question waits"
    swapped = staff.post(url(ref, "questions"), data=other, headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and swapped.text.lstrip().startswith('<section id="gaps"')


def test_moves_allowed_and_refused(staff: httpx.Client, items: dict[str, str]) -> None:
    ref = items["moving"]
    token = csrf_token(staff.get(url(ref)).text)
    refused = staff.post(url(ref, "move"), data={"_csrf_token": token, "to": "steg-3"})
    assert refused.status_code == 409
    assert (
        "Flytten gjordes inte." in refused.text
        and "processen har ingen flytt från steg-0 till steg-3" in refused.text
    )
    moved = staff.post(url(ref, "move"), data={"_csrf_token": token, "to": "steg-1"})
    assert moved.status_code == 303 and "done=moved" in moved.headers["location"]
    page = staff.get(moved.headers["location"]).text
    assert "Ärendet är flyttat. Det är nu i: Lösningsforum." in page
    assert 'id="item-step">Lösningsforum (steg-1)' in page
    assert "Ärendet flyttades" in page, "the audit trail has the move"
    assert re.search(r"<td>Formulera och utforska behov</td>\s*<td>Lösningsforum</td>", page), "history"
    back = staff.post(url(ref, "move"), data={"_csrf_token": token, "to": "steg-0", "reason": ""})
    assert back.status_code == 409 and "flytten kräver en anledning" in back.text
    assert staff.post(url(ref, "move"), data={"_csrf_token": token, "to": ""}).status_code == 422
    english = staff.post(url(ref, "move") + "?lang=en", data={"_csrf_token": token, "to": "steg-3"})
    assert english.status_code == 409 and "the process has no move from steg-1 to steg-3" not in english.text
    assert "only a pre-study may take this way" in english.text, "the shortcut's blocker, in English"


def test_who_may_use_the_item_page(server: str, items: dict[str, str]) -> None:
    ref = items["booking"]
    with httpx.Client(base_url=server, timeout=60, follow_redirects=False) as anonymous:
        answer = anonymous.get(url(ref))
        assert answer.status_code == 303 and answer.headers["location"] == f"/login?next={url(ref)}"
    with logged_in(server, "forum@kommun.se") as forum:
        token = csrf_token(forum.get("/login").text)
        assert forum.get(url(ref), headers={"accept": "text/html"}).status_code == 403
        for action, data in (
            ("draft", {"title": "x"}),
            ("questions", {"gap": "x"}),
            ("move", {"to": "steg-1"}),
        ):
            posted = forum.post(url(ref, action), data={"_csrf_token": token, **data})
            assert posted.status_code == 403, action
    with logged_in(server, "admin@kommun.se") as admin:
        assert admin.get(url(ref)).status_code == 200
