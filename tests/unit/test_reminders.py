"""The reminder digest's logic: thresholds, ordering, when it is due, its text, and the flow with fakes.

The digest's queries run on a throw-away SQLite file made from the models (no migrations, no
server); `tests/integration/test_periodic_reminders.py` covers both databases, the audit trail of
real moves, SMTP and racing processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from flows import reminders as flow
from flows.periodic import PeriodicContext
from intake.db import create_db_engine
from intake.domain.process import ProcessDefinition, Step, load_process
from intake.domain.submission import Channel
from intake.models import GapQuestion, StepChange, Submission
from intake.reminders import (
    Digest,
    OwedAnswer,
    StaleItem,
    build_digest,
    limit_days,
    local_day,
    render_markdown,
    send_moment,
)
from intake.reminders.claims import Held
from intake.settings import ReminderSettings, Settings

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Stockholm
DAY = date(2026, 11, 23)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = create_db_engine(Settings(data_dir=tmp_path))
    SQLModel.metadata.create_all(engine)
    return engine


def _item(session: Session, ref: str, step: str, received_days_ago: float, title: str | None = None) -> int:
    row = Submission(
        reference=ref,
        title=title or f"Förslag {ref}",
        raw_text="Ett förslag.",
        channel=Channel.WEB,
        step=step,
        received_at=NOW - timedelta(days=received_days_ago),
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def _moved(
    session: Session, submission_id: int, to_step: str, days_ago: float, from_step: str = "steg-0"
) -> None:
    session.add(
        StepChange(
            submission_id=submission_id,
            from_step=from_step,
            to_step=to_step,
            kind="forward",
            actor="test",
            at=NOW - timedelta(days=days_ago),
        )
    )


def _asked(session: Session, submission_id: int, days_ago: float, gap: str, answered: bool = False) -> None:
    session.add(
        GapQuestion(
            submission_id=submission_id,
            gap_key=gap,
            question=f"Fråga om {gap}?",
            asked_at=NOW - timedelta(days=days_ago),
            asked_by="digit",
            answered_at=NOW if answered else None,
            answer="Svar." if answered else None,
        )
    )


def test_the_step_limit_is_the_files_else_the_setting_and_zero_means_never() -> None:
    process = load_process()
    assert limit_days(process.step("steg-1"), 21) == 21
    assert limit_days(process.step("steg-0"), 21) == 30
    assert limit_days(process.step("beslutad"), 21) is None


@pytest.mark.parametrize("value", [-1, 400, "7", True, 2.5])
def test_remind_after_days_is_validated(value: Any) -> None:
    base = {"key": "s", "number": 0, "name": {"sv": "S", "en": "S"}, "board_column": {"sv": "S", "en": "S"}}
    with pytest.raises(ValidationError, match="remind_after_days"):
        Step.model_validate(base | {"remind_after_days": value})
    assert Step.model_validate(base | {"remind_after_days": 7}).remind_after_days == 7


def test_the_process_time_zone_is_checked() -> None:
    data = load_process().model_dump(by_alias=True)
    with pytest.raises(ValidationError, match="unknown time zone"):
        ProcessDefinition.model_validate(data | {"timezone": "Europe/Sundsvall"})


def test_digest_lists_items_past_their_limit_oldest_first_and_owed_answers(engine: Engine) -> None:
    with Session(engine) as session:
        old = _item(session, "IN-2026-00001", "steg-1", 40)  # never moved: waiting since it arrived
        _item(session, "IN-2026-00002", "steg-1", 5)  # fresh
        moved = _item(session, "IN-2026-00003", "steg-2", 90)
        _moved(session, moved, "steg-1", 80)
        _moved(session, moved, "steg-2", 3, from_step="steg-1")  # moved recently: fresh in steg-2
        older = _item(session, "IN-2026-00004", "steg-3", 120)
        _moved(session, older, "steg-3", 60, from_step="steg-2")
        _item(session, "IN-2026-00005", "beslutad", 400)  # a decided item rests: never listed
        _item(session, "IN-2026-00006", "pausad", 400)  # paused: not a step, nobody waits
        _item(session, "IN-2026-00007", "steg-0", 25)  # steg-0 allows 30 days
        boundary = _item(session, "IN-2026-00008", "steg-1", 21)  # exactly the limit: listed
        _asked(session, old, 9, "uppstartsmote/tidsplan")
        _asked(session, boundary, 20, "initiativmall/kostnad")
        _asked(session, boundary, 30, "initiativmall/behov", answered=True)
        _asked(session, older, 2, "uppstartsmote/deltagare")  # asked recently: not owed yet
        session.commit()
    digest = build_digest(engine, load_process(), ReminderSettings(), DAY, NOW)
    assert [(i.reference, i.step, i.days, i.limit_days) for i in digest.stale] == [
        ("IN-2026-00004", "steg-3", 60, 21),
        ("IN-2026-00001", "steg-1", 40, 21),
        ("IN-2026-00008", "steg-1", 21, 21),
    ]
    assert digest.stale[1].title == "Förslag IN-2026-00001"
    assert [(o.reference, o.gap_key, o.days) for o in digest.owed] == [
        ("IN-2026-00008", "initiativmall/kostnad", 20),
        ("IN-2026-00001", "uppstartsmote/tidsplan", 9),
    ]
    # the thresholds are settings
    stricter = build_digest(
        engine, load_process(), ReminderSettings(stale_after_days=50, answer_after_days=1), DAY, NOW
    )
    assert [i.reference for i in stricter.stale] == ["IN-2026-00004"]
    assert [o.gap_key for o in stricter.owed][-1] == "uppstartsmote/deltagare"


def test_an_empty_database_gives_an_empty_digest(engine: Engine) -> None:
    digest = build_digest(engine, load_process(), ReminderSettings(), DAY, NOW)
    assert digest.empty and digest.stale == () and digest.owed == ()


def test_the_digest_is_due_from_the_hour_in_the_process_time_zone() -> None:
    process = load_process()
    winter = send_moment(process, ReminderSettings(hour=7), DAY)
    assert winter == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    summer = send_moment(process, ReminderSettings(hour=7), date(2026, 7, 1))
    assert summer == datetime(2026, 7, 1, 5, 0, tzinfo=UTC)
    # 23:30 UTC on the 22nd is already the 23rd in Stockholm
    assert local_day(process, datetime(2026, 11, 22, 23, 30, tzinfo=UTC)) == DAY

    def context(**reminders: Any) -> PeriodicContext:
        settings = Settings(reminders=reminders)
        return PeriodicContext(settings, SimpleNamespace(), process, None, None)  # type: ignore[arg-type]

    with_recipients = context(recipients="digit@example.org", hour=7)
    assert flow.due_day(with_recipients, datetime(2026, 11, 23, 5, 59, tzinfo=UTC)) is None
    assert flow.due_day(with_recipients, datetime(2026, 11, 23, 6, 0, tzinfo=UTC)) == DAY
    assert flow.due_day(context(hour=7), NOW) is None, "no recipients: no digest"


def test_recipients_are_a_comma_separated_list_of_addresses() -> None:
    settings = ReminderSettings(recipients=" digit@example.org, chef@example.org ,")
    assert settings.addresses == ["digit@example.org", "chef@example.org"]
    with pytest.raises(ValidationError, match="not e-mail addresses: 'digit'"):
        ReminderSettings(recipients="digit, chef@example.org")


def _digest() -> Digest:
    label = load_process().step("steg-1").name
    stale = StaleItem(
        "IN-2026-00001", "Parkering | tillstånd", "steg-1", label, NOW - timedelta(days=40), 40, 21
    )
    owed = OwedAnswer(
        "IN-2026-00002",
        "E-arkiv",
        "steg-1",
        "uppstartsmote/tidsplan",
        "När?",
        NOW - timedelta(days=9),
        "anna",
        9,
    )
    return Digest(DAY, NOW, (stale,), (owed,))


def test_the_markdown_names_item_step_days_and_question() -> None:
    text = render_markdown(_digest())
    assert text.startswith("# Påminnelser / Reminders 2026-11-23\n")
    assert "Läget 2026-11-23 09:00" in text
    assert "| IN-2026-00001 | Parkering \\| tillstånd | Lösningsforum (steg-1) | 40 | 21 |" in text
    assert "| IN-2026-00002 | E-arkiv | uppstartsmote/tidsplan | När? | 2026-11-14 anna | 9 |" in text
    empty = render_markdown(Digest(DAY, NOW))
    assert empty.count("Inga / None.") == 2


@dataclass
class FakeTasks:
    """Stands in for the digest flow's tasks."""

    held: Held | None = field(default_factory=lambda: Held("reminder_digest", 1, "me/1", 1))
    digest: Digest = field(default_factory=_digest)
    send_error: Exception | None = None
    calls: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)

    def find(self, day: date) -> Held | None:
        self.calls.append("find")
        return self.held

    def build(self, day: date, as_of: datetime) -> Digest:
        self.calls.append("build")
        return self.digest

    def store(self, held: Held, digest: Digest) -> bool:
        self.calls.append("store")
        return True

    def send(self, held: Held, digest: Digest) -> list[str]:
        self.calls.append("send")
        if self.send_error is not None:
            raise self.send_error
        return ["digit@example.org"]

    def failed(self, engine: Any, held: Held, error: str) -> bool:
        self.released.append(error)
        return True


@pytest.fixture
def tasks(monkeypatch: pytest.MonkeyPatch) -> FakeTasks:
    fakes = FakeTasks()
    monkeypatch.setattr(flow, "find_due_task", fakes.find)
    monkeypatch.setattr(flow, "build_task", fakes.build)
    monkeypatch.setattr(flow, "store_task", fakes.store)
    monkeypatch.setattr(flow, "send_task", fakes.send)
    monkeypatch.setattr(flow.claims, "failed", fakes.failed)
    return fakes


def _run() -> dict[str, Any]:
    context = PeriodicContext(Settings(), SimpleNamespace(), load_process(), None, None)  # type: ignore[arg-type]
    with flow.bound(context):
        return flow.reminder_digest.fn(DAY, NOW)


def test_the_flow_claims_builds_stores_and_sends(tasks: FakeTasks) -> None:
    assert _run() == {
        "day": "2026-11-23",
        "outcome": "sent",
        "sent_to": ["digit@example.org"],
        "stale": 1,
        "owed": 1,
    }
    assert tasks.calls == ["find", "build", "store", "send"]


def test_an_empty_digest_is_stored_but_not_sent(tasks: FakeTasks) -> None:
    tasks.digest = Digest(DAY, NOW)
    assert _run() == {"day": "2026-11-23", "outcome": "empty"}
    assert tasks.calls == ["find", "build", "store"]


def test_a_day_taken_by_another_process_is_left_alone(tasks: FakeTasks) -> None:
    tasks.held = None
    assert _run() == {"day": "2026-11-23", "outcome": "taken"}
    assert tasks.calls == ["find"]


def test_a_failed_send_releases_the_claim_with_the_error(tasks: FakeTasks) -> None:
    tasks.send_error = OSError("connection refused")
    result = _run()
    assert result["outcome"] == "failed" and result["error"] == "connection refused"
    assert tasks.released == ["OSError: connection refused"]
