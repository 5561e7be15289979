"""Scheduled agendas and the reminder digest on SQLite and PostgreSQL, racing, failing and crashing.

Several job loops (`PeriodicRunner`, as the app and every worker run it) tick at the same moment
in threads, each with its own engine, against one database and one SMTP sink: every agenda and
the digest arrive exactly once. A Prefect test harness server records the flow runs.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from flows.periodic import PeriodicContext, PeriodicRunner
from intake.db import create_db_engine
from intake.domain.process import load_process
from intake.drafting.checklists import load_checklists
from intake.migrate import upgrade
from intake.models import AgendaDispatch, GapQuestion, ReminderDigest
from intake.reminders import claims
from intake.services.drafting import DraftingService
from intake.services.similarity import SimilarityService
from intake.settings import Settings
from tests.factories import add_submission
from tests.fakes import FakeEmbedder, InMemoryVectorIndex
from tests.server import free_port
from tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.calendar]

NOW = datetime(2026, 11, 28, 6, 30, tzinfo=UTC)
"""Saturday 07:30 in Stockholm: Lösningsforum's agenda (meeting Tuesday 1 December) is due today,
the IT director's (Monday 30 November, due on the 25th) is caught up, and the 07:00 digest is due."""
LOSNINGSFORUM = "Dagordning Lösningsforum 2026-12-01"
IT_DIRECTOR = "Dagordning IT-direktörens möte 2026-11-30"
DIGEST = "Påminnelser beredning 2026-11-28: 2 väntar länge, 1 obesvarade frågor"


@pytest.fixture
def database(tmp_path: Path, database_url: str) -> Iterator[str]:
    """A migrated database: a stale item, a fresh one with an owed question, one for the IT director."""
    engine = create_db_engine(Settings(data_dir=tmp_path, database={"url": database_url}))
    upgrade(engine)
    with Session(engine) as session:
        add_submission(
            session, "IN-2026-00001", "steg-1", NOW - timedelta(days=40), "Bygglov på webben. Snabbare."
        )
        fresh = add_submission(
            session, "IN-2026-00002", "steg-1", NOW - timedelta(days=2), "E-arkiv för alla."
        )
        add_submission(
            session, "IN-2026-00003", "klar-for-beslut", NOW - timedelta(days=50), "Nytt ärendesystem."
        )
        session.add(
            GapQuestion(
                submission_id=fresh,
                gap_key="uppstartsmote/tidsplan",
                question="När behöver lösningen vara på plats?",
                asked_at=NOW - timedelta(days=10),
                asked_by="digit",
            )
        )
        session.commit()
    engine.dispose()
    yield database_url


def _settings(tmp_path: Path, url: str, smtp_port: int, **reminders: Any) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database={"url": url},
        smtp={
            "host": "127.0.0.1",
            "port": smtp_port,
            "sender": "beredning@example.org",
            "timeout_seconds": 5,
        },
        reminders=reminders,
        privacy={"cull_check_seconds": 0},  # the culling flow has its own tests (test_privacy_e2e.py)
    )


def _runner(settings: Settings) -> tuple[PeriodicRunner, Engine]:
    """One job loop's periodic runner, with its own engine, as in one worker process."""
    engine = create_db_engine(settings)
    process = load_process()
    similarity = SimilarityService.with_parts(
        engine, FakeEmbedder(), InMemoryVectorIndex(), settings.similarity
    )
    drafting = DraftingService(engine, process, load_checklists(), None)
    return PeriodicRunner(PeriodicContext(settings, engine, process, similarity, drafting)), engine


def _race(settings: Settings, runners: int = 3) -> list[list[str]]:
    """Tick `runners` job loops at the same moment in threads; return what each ran."""
    made = [_runner(settings) for _ in range(runners)]
    start = threading.Barrier(runners)
    ran: list[list[str]] = [[] for _ in made]

    def tick(n: int) -> None:
        start.wait()
        ran[n] = made[n][0].tick(NOW)

    threads = [threading.Thread(target=tick, args=(n,)) for n in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    for _, engine in made:
        engine.dispose()
    return ran


def _rows(settings: Settings) -> tuple[dict[tuple[str, date], AgendaDispatch], list[ReminderDigest]]:
    engine = create_db_engine(settings)
    with Session(engine) as session:
        agendas = {(r.forum_key, r.meeting_day): r for r in session.exec(select(AgendaDispatch)).all()}
        digests = list(session.exec(select(ReminderDigest).order_by(col(ReminderDigest.day))).all())
    engine.dispose()
    return agendas, digests


def _subjects(sink: SmtpSink) -> Counter[str]:
    return Counter(str(m.message()["Subject"]) for m in sink.messages)


def test_racing_job_loops_send_each_agenda_and_the_digest_once(
    tmp_path: Path, database: str, prefect_api: str
) -> None:
    members = {f.key: f.members for f in load_process().forums}
    with SmtpSink() as sink:
        settings = _settings(tmp_path, database, sink.port, recipients="digit@example.org, chef@example.org")
        ran = _race(settings)
        assert ran == [["forum-agendas", "reminder-digest"]] * 3, "every loop looked"
        assert _subjects(sink) == Counter({LOSNINGSFORUM: 1, IT_DIRECTOR: 1, DIGEST: 1})

        agendas, digests = _rows(settings)
        assert set(agendas) == {("losningsforum", date(2026, 12, 1)), ("it-direktor", date(2026, 11, 30))}
        for (forum, _), row in agendas.items():
            assert row.sent_at is not None and row.error is None and row.attempts == 1
            assert row.recipients == members[forum] and row.claim_until is None
            assert row.markdown is not None and row.markdown.startswith("# Dagordning: ")
            assert row.html is not None and row.html.startswith("<!doctype html>")
        assert agendas["losningsforum", date(2026, 12, 1)].item_count == 2
        assert agendas["it-direktor", date(2026, 11, 30)].item_count == 1

        (digest,) = digests
        assert (digest.day, digest.stale_count, digest.question_count, digest.empty) == (
            date(2026, 11, 28),
            2,
            1,
            False,
        )
        assert digest.sent_at is not None and digest.recipients == ["digit@example.org", "chef@example.org"]
        mail = next(m for m in sink.messages if m.message()["Subject"] == DIGEST)
        assert mail.rcpt_to == ["digit@example.org", "chef@example.org"]
        body = mail.message().get_content()
        stale, owed = body.split("## Inskickaren är skyldig ett svar")
        # oldest first: the item ready for decision has waited 50 days, the other 40
        assert stale.index("| IN-2026-00003 |") < stale.index("| IN-2026-00001 |")
        assert "| 50 | 35 |" in stale and "| 40 | 21 |" in stale
        assert "IN-2026-00002" not in stale, "a fresh item is not listed"
        assert "| IN-2026-00002 | E-arkiv för alla. | uppstartsmote/tidsplan | När behöver lösningen" in owed

        # later looks, by new loops and the same day, send nothing more
        _race(settings, runners=2)
        assert sum(_subjects(sink).values()) == 3


def test_a_failed_send_is_kept_and_sent_once_on_a_later_look(
    tmp_path: Path, database: str, prefect_api: str
) -> None:
    down = _settings(tmp_path, database, free_port(), recipients="digit@example.org")
    _race(down, runners=1)  # one look: with more, each would try once (every look retries)
    agendas, digests = _rows(down)
    assert len(agendas) == 2 and len(digests) == 1
    for row in [*agendas.values(), *digests]:
        assert row.sent_at is None and row.claim_until is None, "released for a later look"
        assert row.error is not None and "could not send" in row.error
        assert row.attempts == 1
    with SmtpSink() as sink:
        up = _settings(tmp_path, database, sink.port, recipients="digit@example.org")
        _race(up, runners=2)
        assert _subjects(sink) == Counter({LOSNINGSFORUM: 1, IT_DIRECTOR: 1, DIGEST: 1})
        agendas, digests = _rows(up)
        for row in [*agendas.values(), *digests]:
            assert row.sent_at is not None and row.attempts == 2
            assert row.error is not None and "could not send" in row.error, "the failure stays on record"
        _race(up, runners=2)
        assert sum(_subjects(sink).values()) == 3


def test_a_crashed_senders_claim_runs_out_and_another_sends_once(
    tmp_path: Path, database: str, prefect_api: str
) -> None:
    with SmtpSink() as sink:
        settings = _settings(tmp_path, database, sink.port)  # no recipients: no digest
        engine = create_db_engine(settings)
        # a process claimed Lösningsforum's agenda and died before sending
        crashed = claims.claim(
            engine,
            claims.AGENDAS,
            {"forum_key": "losningsforum", "meeting_day": date(2026, 12, 1)},
            lease=timedelta(minutes=10),
            owner="dead-worker/1",
        )
        assert crashed is not None
        _race(settings, runners=2)
        assert _subjects(sink) == Counter({IT_DIRECTOR: 1}), "the held agenda waits for its claim to run out"
        # the claim runs out: moved into the past rather than waited for, so that on a busy machine
        # it cannot run out during the first looks already
        with Session(engine) as session:
            held = session.get(AgendaDispatch, crashed.row_id)
            assert held is not None
            held.claim_until = datetime.now(UTC) - timedelta(seconds=1)
            session.add(held)
            session.commit()
        _race(settings, runners=2)
        assert _subjects(sink) == Counter({IT_DIRECTOR: 1, LOSNINGSFORUM: 1})
        agendas, _ = _rows(settings)
        row = agendas["losningsforum", date(2026, 12, 1)]
        assert row.attempts == 2 and row.claimed_by != "dead-worker/1"
        assert not claims.sent(engine, crashed, ["x@example.org"]), "the dead claim can no longer write"
        engine.dispose()


def test_a_look_before_the_hour_or_without_anything_due_sends_nothing(
    tmp_path: Path, database: str, prefect_api: str
) -> None:
    with SmtpSink() as sink:
        settings = _settings(tmp_path, database, sink.port, recipients="digit@example.org", hour=9)
        settings.schedule.catch_up_days = 0
        runner, engine = _runner(settings)
        # Friday 27 November, 06:30 UTC: no agenda due today (no catching up either), and the
        # digest waits for 09:00 Stockholm
        assert runner.tick(datetime(2026, 11, 27, 6, 30, tzinfo=UTC)) == ["forum-agendas", "reminder-digest"]
        assert sink.messages == []
        agendas, digests = _rows(settings)
        assert agendas == {} and digests == [], "no flow ran, nothing was claimed"
        engine.dispose()


def test_only_agendas_not_yet_sent_start_a_flow_run(tmp_path: Path, database: str) -> None:
    from flows import agenda

    settings = _settings(tmp_path, database, free_port())
    engine = create_db_engine(settings)
    due = [("losningsforum", date(2026, 12, 1)), ("it-direktor", date(2026, 11, 30))]
    assert agenda.unsent(engine, due) == due
    held = claims.claim(
        engine,
        claims.AGENDAS,
        {"forum_key": "losningsforum", "meeting_day": date(2026, 12, 1)},
        lease=timedelta(minutes=1),
    )
    assert held is not None and claims.sent(engine, held, ["x@example.org"])
    assert agenda.unsent(engine, due) == [("it-direktor", date(2026, 11, 30))]
    assert (
        claims.claim(
            engine,
            claims.AGENDAS,
            {"forum_key": "losningsforum", "meeting_day": date(2026, 12, 1)},
            lease=timedelta(minutes=1),
        )
        is None
    )
    engine.dispose()
