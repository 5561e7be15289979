"""`beredning ask|answer|remind|agenda due` end to end: real processes, the demo portfolio, SMTP sink.

Runs on SQLite and PostgreSQL. The flows report to a Prefect test harness server, whose URL the
command processes get in PREFECT_API_URL, as workers do in the scaled-out setup.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from intake.agenda import find_forum, next_meeting
from intake.db import create_db_engine
from intake.domain.drafts import DraftState
from intake.domain.process import load_process
from intake.domain.submission import Channel, ProcessingState
from intake.models import AuditEvent, Submission
from intake.models import Draft as DraftRow
from intake.reminders import local_day
from intake.settings import Settings
from tests.server import cli
from tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.calendar]

DEMO = Path(__file__).parents[2] / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"
STALE = "IN-2026-09001"
FRESH = "IN-2026-09002"


def _seed(url: str, data_dir: Path) -> None:
    """Two items in Lösningsforum's step: one waiting 40 days with an open gap, one from yesterday."""
    engine = create_db_engine(Settings(data_dir=data_dir, database={"url": url}))
    now = datetime.now(UTC)
    with Session(engine) as session:
        stale = Submission(
            reference=STALE,
            title="Digital ansökan om parkeringstillstånd",
            raw_text="Ansökan om parkeringstillstånd ska bli digital.",
            channel=Channel.WEB,
            step="steg-1",
            received_at=now - timedelta(days=40),
            state=ProcessingState.PROCESSED,
        )
        fresh = Submission(
            reference=FRESH,
            title="E-arkiv",
            raw_text="Öka takten i e-arkivet.",
            channel=Channel.WEB,
            step="steg-1",
            received_at=now - timedelta(days=1),
            state=ProcessingState.PROCESSED,
        )
        session.add_all([stale, fresh])
        session.flush()
        gap = {"checklist_id": "uppstartsmote", "item_id": "tidsplan", "status": "missing", "question": None}
        gap["question"] = "När behöver lösningen vara på plats?"
        session.add(
            DraftRow(
                submission_id=stale.id or 0,
                state=DraftState.RULES_ONLY,
                content={},
                gaps=[gap],
                masked_text=f"{stale.title}\n{stale.raw_text}",
            )
        )
        session.commit()
    engine.dispose()


def test_questions_digest_and_due_agendas_from_the_command_line(
    tmp_path: Path, database_url: str, prefect_api: str
) -> None:
    data_dir = tmp_path / "data"
    with SmtpSink() as sink:
        env = {
            "BEREDNING_DATA_DIR": str(data_dir),
            "BEREDNING_DATABASE__URL": database_url,
            "BEREDNING_SMTP__HOST": sink.host,
            "BEREDNING_SMTP__PORT": str(sink.port),
            "BEREDNING_SMTP__SENDER": "beredning@example.org",
            "BEREDNING_REMINDERS__RECIPIENTS": "digit@example.org",
            "PREFECT_API_URL": prefect_api,
        }
        imported = cli(["portfolio", "import", str(DEMO), "--no-index"], env)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        _seed(database_url, data_dir)

        # questions: the draft's question by default, one open question per gap, clear errors
        asked = cli(["ask", STALE.lower(), "--gap", "tidsplan", "--by", "Digit Handläggare"], env)
        assert asked.returncode == 0, asked.stderr
        assert asked.stdout == (
            f"{STALE}: frågat / asked about uppstartsmote/tidsplan: När behöver lösningen vara på plats?\n"
        )
        again = cli(["ask", STALE, "--gap", "uppstartsmote/tidsplan"], env)
        assert (
            again.returncode == 1
            and "already has an open question about uppstartsmote/tidsplan" in again.stderr
        )
        unknown = cli(["ask", STALE, "--gap", "nope"], env)
        assert unknown.returncode == 1 and "gap 'nope' is not a checklist item" in unknown.stderr
        assert "open gaps in the draft: uppstartsmote/tidsplan" in unknown.stderr
        missing = cli(["ask", "IN-2026-99999", "--gap", "tidsplan"], env)
        assert missing.returncode == 1 and "no submission IN-2026-99999" in missing.stderr
        own = [
            "ask",
            FRESH,
            "--gap",
            "initiativmall/kostnad",
            "--question",
            "Vad kostar det?",
            "--by",
            "digit",
        ]
        assert cli(own, env).returncode == 0
        answered = cli(
            ["answer", FRESH, "--gap", "kostnad", "--text", "Ungefär 100 000 kr.", "--by", "inskickare"], env
        )
        assert answered.returncode == 0, answered.stderr
        assert answered.stdout.startswith(f"{FRESH}: besvarat / answered initiativmall/kostnad (asked ")
        twice = cli(["answer", FRESH, "--gap", "kostnad", "--text", "Igen."], env)
        assert twice.returncode == 1 and "has no open question about 'kostnad'; open: none" in twice.stderr
        empty = cli(["answer", STALE, "--gap", "tidsplan", "--text", "  "], env)
        assert empty.returncode == 1 and "the answer is empty" in empty.stderr
        for result in (again, unknown, missing, twice, empty):
            assert "Traceback" not in result.stderr

        # the digest ten days ahead: the old item and the owed question, not the fresh or answered ones
        process = load_process()
        ahead = local_day(process, datetime.now(UTC)) + timedelta(days=10)
        dry = cli(["remind", "--date", ahead.isoformat(), "--dry-run"], env)
        assert dry.returncode == 0, dry.stderr
        stale_part, owed_part = dry.stdout.split("## Inskickaren är skyldig ett svar")
        # 40 days old now, 49 or 50 at 07:00 ten days ahead (depending on the time of day now)
        row = rf"\| {STALE} \| Digital ansökan om parkeringstillstånd \| Lösningsforum \(steg-1\) "
        row += r"\| (49|50) \| 21 \|"
        assert re.search(row, stale_part), dry.stdout
        assert FRESH not in stale_part
        assert f"| {STALE} | Digital ansökan om parkeringstillstånd | uppstartsmote/tidsplan |" in owed_part
        assert re.search(r"Digit Handläggare \| (9|10) \|", owed_part), dry.stdout
        assert FRESH not in owed_part and "Vad kostar det?" not in owed_part
        assert sink.messages == [], "a dry run sends nothing"

        sent = cli(["remind", "--date", ahead.isoformat()], env)
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout == dry.stdout.replace(dry.stdout.splitlines()[2], sent.stdout.splitlines()[2])
        assert f"sent the digest of {ahead} to 1: digit@example.org" in sent.stderr
        (digest,) = sink.messages
        assert digest.rcpt_to == ["digit@example.org"]
        assert (
            str(digest.message()["Subject"])
            == f"Påminnelser beredning {ahead}: 1 väntar länge, 1 obesvarade frågor"
        )
        repeat = cli(["remind", "--date", ahead.isoformat()], env)
        assert repeat.returncode == 0 and f"the digest of {ahead} was sent already" in repeat.stderr
        assert len(sink.messages) == 1, "once per day"
        nobody = cli(["remind"], {**env, "BEREDNING_REMINDERS__RECIPIENTS": ""})
        assert (
            nobody.returncode == 1 and "no recipients: set BEREDNING_REMINDERS__RECIPIENTS" in nobody.stderr
        )

        # the agendas due three days before Lösningsforum's next meeting, then sent once each
        meeting = next_meeting(
            find_forum(process, "losningsforum"), local_day(process, datetime.now(UTC)) + timedelta(days=4)
        )
        assert meeting is not None
        day = (meeting - timedelta(days=3)).isoformat()
        shown = cli(["agenda", "due", "--date", day], env)
        assert shown.returncode == 0, shown.stderr
        assert f"losningsforum {meeting}: inte skickad ännu / not sent yet\n" in shown.stdout
        due_lines = shown.stdout.splitlines()
        sent_agendas = cli(["agenda", "due", "--date", day, "--send"], env)
        assert sent_agendas.returncode == 0, sent_agendas.stderr
        lines = sent_agendas.stdout.splitlines()
        assert len(lines) == len(due_lines), (shown.stdout, sent_agendas.stdout)
        assert all(": skickad / sent " in line for line in lines), sent_agendas.stdout
        agendas = [m for m in sink.messages if str(m.message()["Subject"]).startswith("Dagordning ")]
        assert len(agendas) == len(due_lines), [m.message()["Subject"] for m in agendas]
        ours = next(m for m in agendas if m.message()["Subject"] == f"Dagordning Lösningsforum {meeting}")
        assert ours.rcpt_to == find_forum(process, "losningsforum").members
        plain = ours.message().get_body(("plain",))
        assert plain is not None and STALE in plain.get_content() and FRESH in plain.get_content()
        assert [a.get_content_type() for a in ours.message().iter_attachments()] == ["text/calendar"]
        again_agendas = cli(["agenda", "due", "--date", day, "--send"], env)
        assert again_agendas.returncode == 0, again_agendas.stderr
        assert again_agendas.stdout == sent_agendas.stdout
        assert len(sink.messages) == 1 + len(due_lines), "nothing is sent twice"

    engine = create_db_engine(Settings(data_dir=data_dir, database={"url": database_url}))
    with Session(engine) as session:
        events = session.exec(
            select(AuditEvent.entity_key, AuditEvent.action, AuditEvent.actor)
            .where(col(AuditEvent.action).startswith("question."))
            .order_by(col(AuditEvent.id))
        ).all()
    engine.dispose()
    assert [tuple(e) for e in events] == [
        (STALE, "question.asked", "Digit Handläggare"),
        (FRESH, "question.asked", "digit"),
        (FRESH, "question.answered", "inskickare"),
    ]
