"""A mail sent to the shared mailbox reaches the review queue with its draft and duplicates; its sender
gets the acknowledgement. The served app polls Dovecot itself (the periodic mailbox flow), runs the
triage flow, and sends through the SMTP sink. The upload endpoint is checked on the same app.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from intake.domain.mail import MailState
from intake.models import Draft, DuplicateCandidate, InboundMail, Submission
from tests.dovecot import Dovecot, running_dovecot
from tests.server import api_key_headers, cli, running_server
from tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEMO = Path(__file__).parents[2] / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"
CORPUS = Path(__file__).parents[1] / "mail"


@pytest.fixture(scope="module")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    with running_dovecot(tmp_path_factory.mktemp("dovecot")) as server:
        yield server


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Dovecot:
    """The server with empty folders for each test (SQLite, then PostgreSQL)."""
    dovecot.empty("INBOX", "Beredning-behandlad", "Beredning-karantan")
    return dovecot


def _idea() -> bytes:
    message = EmailMessage()
    message["From"] = "Göran Åström <goran.astrom@kommunen.se>"
    message["To"] = "ideer@kommunen.se"
    message["Subject"] = "Förslag: ansöka om parkeringstillstånd digitalt"
    message["Message-ID"] = "<e2e-idea-1@kommunen.se>"
    message.set_content(
        "Hej!\n\nInvånare med funktionsnedsättning ska kunna ansöka om parkeringstillstånd digitalt "
        "och följa sitt ärende, i stället för att skicka papper.\n\nMed vänliga hälsningar\nGöran Åström\n",
        charset="iso-8859-1",
        cte="quoted-printable",
    )
    return bytes(message)


def test_a_mail_reaches_review_with_draft_and_duplicates_and_is_acknowledged(
    mailbox: Dovecot, tmp_path: Path, database_url: str
) -> None:
    dovecot = mailbox
    with SmtpSink() as sink:
        env = {
            "BEREDNING_DATA_DIR": str(tmp_path / "data"),
            "BEREDNING_DATABASE__URL": database_url,
            "PREFECT_HOME": str(tmp_path / "prefect-home"),
            "PREFECT_API_URL": "",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "OMP_NUM_THREADS": "1",
            "BEREDNING_SIMILARITY__FLAG_THRESHOLD": "0.2",
            "BEREDNING_SMTP__HOST": sink.host,
            "BEREDNING_SMTP__PORT": str(sink.port),
            "BEREDNING_SMTP__SENDER": "beredning@kommunen.test",
            **dovecot.env(POLL_SECONDS="1", ADDRESS="ideer@kommunen.test"),
            "BEREDNING_MAILBOX__ACK_DOMAINS": "kommunen.se",
        }
        imported = cli(["portfolio", "import", str(DEMO)], env)
        assert imported.returncode == 0, imported.stderr
        keys = {scope: api_key_headers(env, scope, name=f"{scope} test") for scope in ("mail", "submit")}
        dovecot.append(_idea(), (CORPUS / "exchange_oof_sv.eml").read_bytes())
        engine = sa.create_engine(database_url)
        log = tmp_path / "app.log"
        try:
            with running_server(env, log) as base:
                submission = _wait_in_review(engine, log)
                assert submission.title == "Förslag: ansöka om parkeringstillstånd digitalt"
                assert submission.submitter_email == "goran.astrom@kommunen.se"
                with Session(engine) as session:
                    draft = session.exec(select(Draft).where(Draft.submission_id == submission.id)).one()
                    candidates = session.exec(
                        select(DuplicateCandidate).where(DuplicateCandidate.submission_id == submission.id)
                    ).all()
                    states = set(session.exec(select(InboundMail.state)))
                assert draft.content, "the draft is stored"
                assert "22-04" in {c.other_key for c in candidates}, "the portfolio's parking permit item"
                assert states == {MailState.SUBMITTED, MailState.AUTOMATIC}
                ack = _wait_for(lambda: [m for m in sink.messages if "goran.astrom@kommunen.se" in m.rcpt_to])
                assert len(ack) == 1 and len(sink.messages) == 1, "the auto-reply got no acknowledgement"
                message = ack[0].message()
                assert submission.reference in str(message["Subject"])
                assert message["Reply-To"] == "ideer@kommunen.test"
                assert dovecot.count("INBOX") == 0 and dovecot.count("Beredning-behandlad") == 2

                _check_upload(base, engine, keys)
        finally:
            engine.dispose()


def _wait_for(found: object, timeout: float = 60) -> list:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = found()  # type: ignore[operator]
        if result:
            return result  # type: ignore[no-any-return]
        time.sleep(0.5)
    return []


def _wait_in_review(engine: sa.Engine, log: Path) -> Submission:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        with Session(engine) as session:
            row = session.exec(select(Submission).where(col(Submission.step) == "steg-1")).first()
        if row is not None:
            return row
        time.sleep(1)
    raise AssertionError(f"no submission reached review:\n{log.read_text()[-5000:]}")


def _check_upload(base: str, engine: sa.Engine, keys: dict[str, dict[str, str]]) -> None:
    raw = (CORPUS / "swedish_utf8_split_words.eml").read_bytes()
    mail_type = {"content-type": "message/rfc822"}
    anonymous = httpx.post(f"{base}/api/mail", content=raw, headers=mail_type, timeout=60)
    assert anonymous.status_code == 401 and "mail" in anonymous.json()["detail"]
    wrong_scope = httpx.post(
        f"{base}/api/mail", content=raw, headers={**mail_type, **keys["submit"]}, timeout=60
    )
    assert wrong_scope.status_code == 403 and "mail" in wrong_scope.json()["detail"]
    forged = httpx.post(
        f"{base}/api/mail",
        content=raw,
        headers={**mail_type, "Authorization": "Bearer bk_0000_x"},
        timeout=60,
    )
    assert forged.status_code == 401
    key = keys["mail"]
    created = httpx.post(f"{base}/api/mail", content=raw, headers={**mail_type, **key}, timeout=60)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == "submission" and body["reference"] and not body["duplicate"]
    again = httpx.post(
        f"{base}/api/mail", headers=key, files={"file": ("idea.eml", raw, "message/rfc822")}, timeout=60
    )
    assert (
        again.status_code == 200
        and again.json()["duplicate"]
        and again.json()["reference"] == body["reference"]
    )
    auto = httpx.post(
        f"{base}/api/mail", content=(CORPUS / "bounce_dsn.eml").read_bytes(), headers=key, timeout=60
    )
    assert auto.status_code == 200 and auto.json()["kind"] == "automatic"
    junk = httpx.post(
        f"{base}/api/mail", content=(CORPUS / "binary_garbage.eml").read_bytes(), headers=key, timeout=60
    )
    assert junk.status_code == 422 and "not a mail" in junk.json()["note"]
    empty = httpx.post(f"{base}/api/mail", content=b"", headers=key, timeout=60)
    assert empty.status_code == 400 and "empty" in empty.json()["detail"]
    wrong = httpx.post(f"{base}/api/mail", json={"text": "x"}, headers=key, timeout=60)
    assert wrong.status_code == 415 and "message/rfc822" in wrong.json()["detail"]
    no_file = httpx.post(f"{base}/api/mail", headers=key, files={"other": ("a.txt", b"x")}, timeout=60)
    assert no_file.status_code == 400
