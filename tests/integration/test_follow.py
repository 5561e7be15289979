"""Following a submission by link, on the served app with SQLite and with PostgreSQL.

The receipt shows the link; the link shows that one submission and nothing of another; DigIT's
question reaches the submitter by mail (a real SMTP server on loopback) with a link, the answer
through the page closes the question; unknown and revoked links get the same 404; the mail
acknowledgement carries a link too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.db import create_db_engine
from intake.mail import ingest
from intake.models import AuditEvent
from intake.services import follow, questions, submissions
from intake.settings import Settings
from tests.browser import csrf_token, send_intake_form
from tests.server import app_env, cli, running_server
from tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.calendar]

PUBLIC = "http://beredning.test"
"""The configured public address: links in mails and on the receipt start with it."""

ARKIV = ("E-arkiv för skolans betyg", "Skolan behöver ett e-arkiv där betyg och elevakter bevaras digitalt.")
PARKING = ("Parkeringstillstånd i appen", "Invånare ska kunna söka parkeringstillstånd digitalt i en app.")
PRIVATE = {"referrer-policy": "no-referrer", "cache-control": "no-store"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> dict[str, str]:
    return app_env(tmp_path_factory.mktemp("data"), module_database_url, BEREDNING_PUBLIC_BASE_URL=PUBLIC)


@pytest.fixture(scope="module")
def server(env: dict[str, str]) -> Iterator[str]:
    with running_server(env, Path(env["BEREDNING_DATA_DIR"]) / "server.log", wait_for_model=False) as base:
        yield base


@pytest.fixture(scope="module")
def engine(env: dict[str, str], server: str) -> Iterator[Engine]:
    made = create_db_engine(_settings(env))
    yield made
    made.dispose()


def _settings(env: dict[str, str], **more: object) -> Settings:
    return Settings(
        data_dir=Path(env["BEREDNING_DATA_DIR"]),
        database={"url": env["BEREDNING_DATABASE__URL"]},
        public_base_url=PUBLIC,
        **more,  # type: ignore[arg-type]
    )


def _audit_event(engine: Engine, action: str, reference: str) -> AuditEvent:
    """The one audit event `action` on the submission `reference` (none or two fail the test)."""
    with Session(engine) as session:
        return session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.action) == action)
            .where(col(AuditEvent.entity_key) == reference)
        ).one()


def _local(server: str, link: str) -> str:
    """The served app's address for a link made under the public address."""
    assert link.startswith(PUBLIC + "/follow/"), link
    return server + link.removeprefix(PUBLIC)


def _send_form(client: httpx.Client, title: str, text: str, name: str, email: str) -> tuple[str, str]:
    """Send the intake form as a browser does; return (reference, follow link) from the receipt."""
    receipt = send_intake_form(client, title=title, text=text, submitter_name=name, submitter_email=email)
    headers = receipt.response.headers
    assert {k: headers.get(k) for k in PRIVATE} == PRIVATE, "the receipt holds the token"
    assert receipt.follow_link, receipt.response.text
    return receipt.reference, receipt.follow_link


def test_the_receipt_links_to_a_page_of_that_submission_only(server: str) -> None:
    with httpx.Client(base_url=server, timeout=120) as client:
        mine, my_link = _send_form(client, *ARKIV, "Åsa Arkivarie", "asa@kommun.se")
        theirs, their_link = _send_form(client, *PARKING, "Per Parkering", "per@kommun.se")
    assert my_link != their_link
    page = httpx.get(_local(server, my_link), timeout=30)
    assert page.status_code == 200
    assert {k: page.headers.get(k) for k in PRIVATE} == PRIVATE
    assert '<meta name="robots" content="noindex">' in page.text
    assert mine in page.text and ARKIV[0] in page.text
    assert "Formulera och utforska behov" in page.text, "the current step by name"
    assert "DigIT läser din idé" in page.text, "and what it means, from process.yaml"
    for foreign in (theirs, PARKING[0], "Per Parkering", "per@kommun.se", PARKING[1]):
        assert foreign not in page.text, f"another submission's {foreign!r} on the page"
    assert "asa@kommun.se" not in page.text and ARKIV[1] not in page.text, "nothing beyond the status"
    english = httpx.get(_local(server, their_link) + "?lang=en", timeout=30)
    assert english.status_code == 200 and theirs in english.text and "Where the idea is now" in english.text
    assert mine not in english.text


def test_unknown_and_revoked_links_get_the_same_404(server: str, engine: Engine) -> None:
    never = httpx.get(f"{server}/follow/{'x' * 43}", timeout=30)
    odd = httpx.get(f"{server}/follow/IN-2026-00001", timeout=30)
    assert never.status_code == odd.status_code == 404
    assert "Sidan finns inte" in never.text and "noindex" in never.text
    assert {k: never.headers.get(k) for k in PRIVATE} == PRIVATE
    english = httpx.get(f"{server}/follow/{'x' * 43}?lang=en", timeout=30)
    assert english.status_code == 404 and "The page does not exist" in english.text
    row = submissions.get_by_reference(engine, _any_reference(engine))
    assert row is not None and row.id is not None
    token = follow.issue(engine, row.id)
    assert httpx.get(f"{server}/follow/{token}", timeout=30).status_code == 200
    assert follow.revoke(engine, token, actor="test")
    revoked = httpx.get(f"{server}/follow/{token}", timeout=30)
    assert revoked.status_code == 404 and row.reference not in revoked.text
    assert revoked.text == never.text, "a revoked link tells nothing that an unknown one does not"
    with httpx.Client(base_url=server, timeout=30) as client:
        form = client.get("/")
        posted = client.post(
            f"/follow/{token}/answers",
            data={"gap": "uppstartsmote/tidsplan", "answer": "Nu", "_csrf_token": csrf_token(form.text)},
        )
    assert posted.status_code == 404


def _any_reference(engine: Engine) -> str:
    with Session(engine) as session:
        found = session.exec(
            select(AuditEvent.entity_key).where(AuditEvent.action == "submission.received")
        ).first()
    assert found, "the first test sent submissions"
    return found


def test_a_question_reaches_the_submitter_and_the_answer_closes_it(
    server: str, env: dict[str, str], engine: Engine
) -> None:
    with httpx.Client(base_url=server, timeout=120) as client:
        reference, _ = _send_form(client, *ARKIV, "Åsa Arkivarie", "asa.fraga@kommun.se")
        other, other_link = _send_form(client, *PARKING, "Per Parkering", "per.fraga@kommun.se")
    with SmtpSink() as sink:
        smtp = {"BEREDNING_SMTP__HOST": sink.host, "BEREDNING_SMTP__PORT": str(sink.port)}
        asked = cli(
            ["ask", reference, "--gap", "tidsplan", "--question", "När behövs e-arkivet?"], env | smtp
        )
        assert asked.returncode == 0, asked.stdout + asked.stderr
        assert "mail to the submitter: sent" in asked.stderr
        (mail,) = sink.messages
    assert mail.rcpt_to == ["asa.fraga@kommun.se"]
    message = mail.message()
    assert reference in str(message["Subject"])
    body = message.get_content()
    assert "När behövs e-arkivet?" in body
    found = re.search(re.escape(PUBLIC) + r"/follow/[A-Za-z0-9_-]+", body)
    assert found, body
    link = _local(server, found.group(0))

    with httpx.Client(base_url=server, timeout=60, follow_redirects=False) as client:
        page = client.get(link)
        assert page.status_code == 200 and "När behövs e-arkivet?" in page.text
        token = csrf_token(page.text)
        gap = re.search(r'name="gap" value="([^"]+)"', page.text)
        assert gap and gap.group(1) == "uppstartsmote/tidsplan"
        answers = link.removeprefix(server) + "/answers"

        # Someone else's link cannot answer this question: it opens only their submission.
        other_answers = _local(server, other_link).removeprefix(server) + "/answers"
        wrong = client.post(other_answers, data={"gap": gap.group(1), "answer": "Nu", "_csrf_token": token})
        assert wrong.status_code == 409 and reference not in wrong.text
        assert len(questions.open_questions(engine, reference)) == 1

        empty = client.post(answers, data={"gap": gap.group(1), "answer": "   ", "_csrf_token": token})
        assert empty.status_code == 422 and "Skriv ett svar innan du skickar." in empty.text
        assert 'aria-invalid="true"' in empty.text
        long_text = "Till hösten. " + "x" * questions.MAX_TEXT
        too_long = client.post(answers, data={"gap": gap.group(1), "answer": long_text, "_csrf_token": token})
        assert too_long.status_code == 422 and "för långt" in too_long.text
        assert long_text in too_long.text, "the text is kept in the form"
        switched = client.get(answers + "?lang=en")  # the language link on the refused answer's page
        assert (
            switched.status_code == 303
            and switched.headers["location"] == link.removeprefix(server) + "?lang=en"
        )
        assert len(questions.open_questions(engine, reference)) == 1

        done = client.post(
            answers, data={"gap": gap.group(1), "answer": "Till hösten.", "_csrf_token": token}
        )
        assert done.status_code == 303
        assert (
            done.headers["location"].endswith("?answered=1")
            and done.headers["referrer-policy"] == "no-referrer"
        )
        after = client.get(done.headers["location"])
        assert after.status_code == 200
        assert "Tack för ditt svar!" in after.text and "Till hösten." in after.text
        assert 'name="answer"' not in after.text, "no open question left"
        again = client.post(answers, data={"gap": gap.group(1), "answer": "Igen", "_csrf_token": token})
        assert again.status_code == 409
    assert questions.open_questions(engine, reference) == []
    answered = _audit_event(engine, "question.answered", reference)
    mailed = _audit_event(engine, "question.mailed", reference)
    assert answered.actor == "submitter" and mailed.changes["outcome"] == "sent"
    assert other not in after.text


def test_a_question_mail_that_fails_leaves_the_question_and_an_audit_event(
    env: dict[str, str], engine: Engine, server: str
) -> None:
    with httpx.Client(base_url=server, timeout=120) as client:
        reference, _ = _send_form(client, *ARKIV, "Åsa Arkivarie", "asa.nere@kommun.se")
    down = {
        "BEREDNING_SMTP__HOST": "127.0.0.1",
        "BEREDNING_SMTP__PORT": "1",
        "BEREDNING_SMTP__TIMEOUT_SECONDS": "2",
    }
    asked = cli(["ask", reference, "--gap", "tidsplan"], env | down)
    assert asked.returncode == 0, asked.stdout + asked.stderr
    assert "mail to the submitter: failed" in asked.stderr
    assert len(questions.open_questions(engine, reference)) == 1
    event = _audit_event(engine, "question.mail_failed", reference)
    assert event.changes["outcome"] == "failed" and event.note


def test_the_mail_acknowledgement_carries_a_follow_link(
    server: str, env: dict[str, str], engine: Engine
) -> None:
    mail = EmailMessage()
    mail["From"] = "Greta Gata <greta@kommun.se>"
    mail["To"] = "ideer@kommun.se"
    mail["Subject"] = "Belysning på gång- och cykelvägar"
    mail["Message-ID"] = "<follow-ack-1@kommun.se>"
    mail.set_content("Vi behöver bättre belysning längs gång- och cykelvägen vid Sidsjön på vintern.")
    with SmtpSink() as sink:
        settings = _settings(
            env,
            smtp={"host": sink.host, "port": sink.port, "sender": "beredning@kommun.se"},
            mailbox={"address": "ideer@kommun.se", "acknowledge": True},
        )
        outcome = ingest(engine, mail.as_bytes(), settings, source="test")
        assert (outcome.kind, outcome.ack) == ("submission", "sent")
        (ack,) = sink.messages
    body = ack.message().get_content()
    found = re.search(re.escape(PUBLIC) + r"/follow/[A-Za-z0-9_-]+", body)
    assert found, body
    page = httpx.get(_local(server, found.group(0)), timeout=30)
    assert page.status_code == 200
    assert outcome.reference and outcome.reference in page.text
    assert "Belysning på gång- och cykelvägar" in page.text
