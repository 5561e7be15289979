"""Gap questions and the digest's waiting times on SQLite and PostgreSQL, through the real services.

Waiting times come from the audit trail of real moves (`workflow.move`), questions from
`intake.services.questions`, each change with its audit event.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.db import create_db_engine
from intake.domain.drafts import DraftState
from intake.domain.process import load_process
from intake.domain.submission import Channel
from intake.drafting.checklists import load_checklists
from intake.migrate import upgrade
from intake.models import AuditEvent, Draft, StepChange, Submission
from intake.reminders import build_digest
from intake.services import questions, workflow
from intake.settings import ReminderSettings, Settings

pytestmark = [pytest.mark.integration, pytest.mark.calendar]

RECEIVED = datetime.now(UTC) - timedelta(days=60)


@pytest.fixture
def engine(tmp_path: Path, database_url: str) -> Engine:
    engine = create_db_engine(Settings(data_dir=tmp_path, database={"url": database_url}))
    upgrade(engine)
    with Session(engine) as session:
        for n, step in ((1, "steg-0"), (2, "steg-1")):
            row = Submission(
                reference=f"IN-2026-0000{n}",
                raw_text="Vi behöver en e-tjänst för bygglov.",
                channel=Channel.WEB,
                step=step,
                received_at=RECEIVED,
            )
            session.add(row)
            session.flush()
            gaps = [
                {
                    "checklist_id": "uppstartsmote",
                    "item_id": "tidsplan",
                    "status": "partly",
                    "question": None,
                },
                {
                    "checklist_id": "initiativmall",
                    "item_id": "kostnad",
                    "status": "missing",
                    "question": "Kostnad?",
                },
            ]
            session.add(
                Draft(
                    submission_id=row.id or 0,
                    state=DraftState.RULES_ONLY,
                    gaps=gaps,
                    masked_text=row.raw_text,
                )
            )
        session.commit()
    return engine


def test_a_recent_move_resets_the_waiting_time_from_the_audit_trail(engine: Engine) -> None:
    process = load_process()
    now = datetime.now(UTC)
    before = build_digest(engine, process, ReminderSettings(), date.today(), now)
    # IN-1 waited 60 days in steg-0 (limit 30), IN-2 60 days in steg-1 (limit 21)
    assert [i.reference for i in before.stale] == ["IN-2026-00001", "IN-2026-00002"]
    workflow.move(engine, "IN-2026-00001", "steg-1", "digit", process=process, checklists=load_checklists())
    moved = datetime.now(UTC)
    after = build_digest(engine, process, ReminderSettings(), date.today(), moved)
    assert [i.reference for i in after.stale] == ["IN-2026-00002"], "it just arrived in steg-1"
    later = build_digest(engine, process, ReminderSettings(), date.today(), moved + timedelta(days=21))
    assert [(i.reference, i.days) for i in later.stale] == [("IN-2026-00002", 81), ("IN-2026-00001", 21)]
    with Session(engine) as session:
        assert len(session.exec(select(StepChange)).all()) == 1


def test_ask_answer_and_what_is_owed(engine: Engine) -> None:
    asked_at = datetime.now(UTC) - timedelta(days=8)
    first = questions.ask(
        engine, "in-2026-00001", "tidsplan", "digit", now=asked_at, checklists=load_checklists()
    )
    # status partly: the checklist's question for a partly covered item, since the draft has none
    assert first.gap_key == "uppstartsmote/tidsplan" and first.question.endswith("?")
    second = questions.ask(
        engine, "IN-2026-00002", "initiativmall:kostnad", "digit", checklists=load_checklists()
    )
    assert (second.gap_key, second.question) == ("initiativmall/kostnad", "Kostnad?")
    custom = questions.ask(
        engine, "IN-2026-00002", "tidsplan", "digit", question="  När   då? ", checklists=load_checklists()
    )
    assert custom.question == "När då?"
    with pytest.raises(questions.QuestionError, match="already has an open question"):
        questions.ask(engine, "IN-2026-00002", "kostnad", "digit", checklists=load_checklists())
    with pytest.raises(questions.QuestionError, match="longer than 4000"):
        questions.ask(
            engine, "IN-2026-00001", "kostnad", "digit", question="x" * 4001, checklists=load_checklists()
        )

    owed = questions.owed(engine, timedelta(days=7))
    assert [(q.gap_key, q.submission_id) for q in owed] == [("uppstartsmote/tidsplan", first.submission_id)]
    assert len(questions.open_questions(engine)) == 3
    assert len(questions.open_questions(engine, "IN-2026-00002")) == 2

    done = questions.answer(engine, "IN-2026-00001", "uppstartsmote/tidsplan", "I vår.", "inskickare")
    assert done.answered_at is not None and done.answer == "I vår." and done.answered_by == "inskickare"
    assert questions.owed(engine, timedelta(days=7)) == []
    # a question may be asked again once answered
    assert (
        questions.ask(engine, "IN-2026-00001", "tidsplan", "digit", checklists=load_checklists()).id
        != first.id
    )

    digest = build_digest(
        engine, load_process(), ReminderSettings(answer_after_days=0), date.today(), datetime.now(UTC)
    )
    assert sorted((o.reference, o.gap_key) for o in digest.owed) == [
        ("IN-2026-00001", "uppstartsmote/tidsplan"),
        ("IN-2026-00002", "initiativmall/kostnad"),
        ("IN-2026-00002", "uppstartsmote/tidsplan"),
    ]
    with Session(engine) as session:
        actions = session.exec(
            select(AuditEvent.action, AuditEvent.entity_key)
            .where(col(AuditEvent.action).startswith("question."))
            .order_by(col(AuditEvent.id))
        ).all()
    assert [tuple(a) for a in actions] == [
        ("question.asked", "IN-2026-00001"),
        ("question.asked", "IN-2026-00002"),
        ("question.asked", "IN-2026-00002"),
        ("question.answered", "IN-2026-00001"),
        ("question.asked", "IN-2026-00001"),
    ]
