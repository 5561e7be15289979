"""Follow links without a server: tokens are random and stored hashed, and resolve to one submission.

The database here is a SQLite file in the test's folder (the schema by the real migrations); the
served pages on SQLite and PostgreSQL are tested in tests/integration/test_follow.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.db import create_db_engine
from intake.domain.process import load_process
from intake.drafting.checklists import load_checklists
from intake.migrate import upgrade
from intake.models import AuditEvent, FollowLink
from intake.services import follow, notify, questions
from intake.settings import Settings
from tests.factories import accept


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


@pytest.fixture
def engine(settings: Settings) -> Engine:
    made = create_db_engine(settings)
    upgrade(made)
    return made


def test_the_token_is_random_and_only_its_hash_is_stored(engine: Engine, settings: Settings) -> None:
    sid = accept(engine, settings, "Vi behöver ett e-arkiv för skolans betyg.", title="Min idé")
    first, second = follow.issue(engine, sid), follow.issue(engine, sid)
    assert first != second and len(first) >= 43, "32 random bytes, URL-safe"
    assert follow.token_hash(first) == hashlib.sha256(first.encode()).hexdigest()
    with Session(engine) as session:
        stored = session.exec(select(FollowLink)).all()
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "follow.issued")).all()
    assert {link.token_hash for link in stored} == {follow.token_hash(first), follow.token_hash(second)}
    assert all(first not in link.token_hash and link.submission_id == sid for link in stored)
    assert len(events) == 2, "each link is audited"


def test_resolve_finds_only_its_own_submission_and_refuses_the_rest(
    engine: Engine, settings: Settings
) -> None:
    mine = accept(engine, settings, "Vi behöver ett e-arkiv för skolans betyg.", title="Min idé")
    other = accept(engine, settings, "Parkeringstillstånd borde kunna sökas digitalt.", title="Min idé")
    token, other_token = follow.issue(engine, mine), follow.issue(engine, other)
    found = follow.resolve(engine, token)
    assert found is not None and found.id == mine
    other_found = follow.resolve(engine, other_token)
    assert other_found is not None and other_found.id == other
    assert follow.resolve(engine, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert follow.resolve(engine, "") is None
    assert follow.resolve(engine, "a" * 43) is None, "well-formed but never issued"
    assert follow.resolve(engine, "../" + token) is None, "no token looks like that"
    with Session(engine) as session:
        used = session.exec(select(FollowLink).where(FollowLink.submission_id == mine)).one()
    assert used.last_used_at is not None, "an opened link is marked as used"


def test_a_revoked_link_opens_nothing(engine: Engine, settings: Settings) -> None:
    sid = accept(engine, settings, "Vi behöver ett e-arkiv för skolans betyg.", title="Min idé")
    token, spare = follow.issue(engine, sid), follow.issue(engine, sid)
    assert follow.revoke(engine, token, actor="digit") is True
    assert follow.resolve(engine, token) is None
    assert follow.revoke(engine, token, actor="digit") is False, "already revoked"
    assert follow.resolve(engine, spare) is not None, "revoking one link leaves the others"


def test_follow_url_prefers_the_public_address(tmp_path: Path) -> None:
    assert follow.follow_url(Settings(data_dir=tmp_path), "abc", base="http://127.0.0.1:9/") == (
        "http://127.0.0.1:9/follow/abc"
    )
    public = Settings(data_dir=tmp_path, public_base_url="https://beredning.kommunen.se/")
    assert (
        follow.follow_url(public, "abc", base="http://127.0.0.1:9/")
        == "https://beredning.kommunen.se/follow/abc"
    )
    assert follow.mail_url(public, "abc") == "https://beredning.kommunen.se/follow/abc"
    assert follow.mail_url(Settings(data_dir=tmp_path), "abc") is None, "a mail never gets a relative link"
    with pytest.raises(ValueError, match="public_base_url"):
        Settings(data_dir=tmp_path, public_base_url="beredning.kommunen.se")


def test_answer_problems() -> None:
    assert follow.answer_problem("  ") == "empty"
    assert follow.answer_problem("x" * (questions.MAX_TEXT + 1)) == "long"
    assert follow.answer_problem(" I vår. ") is None


def test_a_question_without_address_or_smtp_is_stored_and_not_mailed(
    engine: Engine, settings: Settings
) -> None:
    anonymous = accept(engine, settings, "Vi behöver ett e-arkiv för skolans betyg.", title="Min idé")
    with_mail = accept(
        engine,
        settings,
        "Parkeringstillstånd borde kunna sökas digitalt.",
        title="Min idé",
        submitter_email="a@kommun.se",
    )
    outcomes: list[str] = []
    hook = notify.question_by_mail(engine, settings)
    for sid in (anonymous, with_mail):
        reference = follow.status(engine, sid).submission.reference
        questions.ask(
            engine,
            reference,
            "tidsplan",
            "digit",
            notify=lambda q: outcomes.append(hook(q)),
            checklists=load_checklists(),
        )
    assert outcomes == ["no_address", "no_smtp"]
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).where(col(AuditEvent.action).startswith("question."))).all()
    assert [e.action for e in events] == ["question.asked"] * 2, "nothing was tried, so nothing failed"
    assert len(questions.open_questions(engine)) == 2, "the questions stand"


def test_the_question_mail_carries_the_link_or_asks_for_a_reply() -> None:
    with_link = notify.body("IN-2026-00001", "När ska det vara klart?", "https://b.se/follow/abc")
    assert "När ska det vara klart?" in with_link and "https://b.se/follow/abc" in with_link
    assert "IN-2026-00001" in with_link
    assert "Svara på det här mejlet" in notify.body("IN-2026-00001", "När?", None)


def test_every_step_and_state_says_what_it_means_in_both_languages() -> None:
    process = load_process()
    for key in [s.key for s in process.steps] + [s.key for s in process.transitions.states]:
        about = process.place_about(key)
        assert about is not None and about.sv and about.en, key
    assert process.place_about("no-such-step") is None
