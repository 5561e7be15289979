"""Drafting end to end on SQLite and PostgreSQL with a typed fake model: masking, rules, merge, storage."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.db import create_db_engine
from intake.domain.drafts import DraftState
from intake.domain.process import load_process
from intake.domain.submission import Channel, NewSubmission
from intake.drafting.checklists import load_checklists
from intake.drafting.client import DraftInvalid, DraftUnavailable
from intake.migrate import upgrade
from intake.models import AuditEvent, Draft, Submission
from intake.services import ratelimit, submissions
from intake.services.drafting import DraftingService
from intake.settings import Settings
from tests.fakes import FakeDrafter

pytestmark = pytest.mark.integration

TEXT = (
    "Vi vill att medborgare ska kunna boka tid för bygglovsrådgivning via webben.\n"
    "Ring mig på 070-123 45 67 eller skriv till anna.andersson@sundsvall.se.\n"
    "Mitt personnummer är 811218-9876.\n\nMvh\nAnna Andersson"
)
PLANTED = ("070-123 45 67", "anna.andersson@sundsvall.se", "811218-9876", "Anna Andersson")


MODEL_REPLY: dict[str, Any] = {  # the model's answer when it is up
    "draft": {
        "title": {"value": "Boka bygglovsrådgivning på webben", "basis": "inferred", "quote": None},
        "summary": {
            "value": "Medborgare bokar tid för bygglovsrådgivning via webben.",
            "basis": "stated",
            "quote": "boka tid för bygglovsrådgivning via webben",
        },
    },
    "gaps": [
        # claims a time plan with evidence that is not in the text: the rules must stand
        {
            "checklist_id": "uppstartsmote",
            "item_id": "tidsplan",
            "status": "covered",
            "evidence": "klart till sommaren 2027",
            "question": None,
        }
    ],
}


DOWN = DraftUnavailable("connection refused", attempts=1)
GARBAGE = DraftInvalid("not JSON", attempts=2)


@pytest.fixture
def setup(tmp_path: Path, database_url: str) -> tuple[Engine, int, FakeDrafter, DraftingService]:
    settings = Settings(data_dir=tmp_path, database={"url": database_url})
    engine = create_db_engine(settings)
    upgrade(engine)
    new = NewSubmission(text=TEXT, channel=Channel.WEB, submitter_name="Anna Andersson")
    accepted = submissions.accept(engine, new, settings.intake, actor="test")
    assert accepted.id is not None
    drafter = FakeDrafter(MODEL_REPLY, usage=(812, 230, 1500))
    service = DraftingService(engine, load_process(), load_checklists(), drafter, redraft_after=timedelta(0))
    return engine, accepted.id, drafter, service


def _row(engine: Engine, submission_id: int) -> Draft:
    with Session(engine) as session:
        rows = session.exec(select(Draft).where(Draft.submission_id == submission_id)).all()
        assert len(rows) == 1, "exactly one draft per submission"
        return rows[0]


def _gap(row: Draft, item: str) -> dict[str, Any]:
    return next(g for g in row.gaps if g["checklist_id"] == "uppstartsmote" and g["item_id"] == item)


def test_model_draft_is_stored_with_its_provenance_and_the_rules_stand(setup: Any) -> None:
    engine, submission_id, drafter, service = setup
    outcome = service.draft(submission_id)
    assert outcome.used_model
    row = _row(engine, submission_id)
    assert row.state == DraftState.DRAFTED
    assert (row.model, row.input_tokens, row.output_tokens, row.latency_ms) == ("fake-model", 812, 230, 1500)
    assert row.prompt_version == service.prompt.version and len(row.prompt_version or "") == 16
    assert row.content["title"]["value"] == "Boka bygglovsrådgivning på webben"
    assert _gap(row, "tidsplan")["status"] == "missing", "unquotable evidence cannot cover a gap"
    for item in ("nyttor-och-effekter", "tidsplan", "forankring"):
        assert _gap(row, item)["question"], f"{item} has a question for the submitter"
    # personal data never reached the model; the mapping keeps the originals for reviewers
    sent = drafter.seen[0]
    assert not [p for p in PLANTED if p in sent]
    assert "[TELEFON_1]" in sent and "[PNR_1]" in sent and "bygglovsrådgivning" in sent
    originals = {s["placeholder"]: s["original"] for s in row.redaction["spans"]}
    assert originals["[TELEFON_1]"] == "070-123 45 67"
    with Session(engine) as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None and submission.raw_text == TEXT, "the submission is never altered"
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "draft.stored")).first()


def test_without_the_model_a_rules_only_draft_then_the_model_draft_when_it_returns(setup: Any) -> None:
    engine, submission_id, drafter, service = setup
    drafter.reply = DOWN
    outcome = service.draft(submission_id)
    row = _row(engine, submission_id)
    assert row.state == DraftState.RULES_ONLY and row.model is None
    assert outcome.error and "unavailable" in outcome.error
    assert {_gap(row, i)["status"] for i in ("nyttor-och-effekter", "tidsplan", "forankring")} == {"missing"}

    assert service.redraft_due() == (0, 1), "still down: left to the rules"
    drafter.reply = MODEL_REPLY
    assert service.redraft_due() == (1, 0)
    assert _row(engine, submission_id).state == DraftState.DRAFTED


def test_a_late_rules_only_result_never_replaces_a_model_draft(setup: Any) -> None:
    engine, submission_id, drafter, service = setup
    service.draft(submission_id)
    drafter.reply = DOWN  # a second process whose call failed stores its result afterwards
    outcome = service.draft(submission_id)
    assert outcome.draft.state == DraftState.DRAFTED
    row = _row(engine, submission_id)
    assert row.state == DraftState.DRAFTED and row.model == "fake-model"


def test_garbage_answer_keeps_the_rules_draft_and_says_why(setup: Any) -> None:
    engine, submission_id, drafter, service = setup
    drafter.reply = GARBAGE
    service.draft(submission_id)
    row = _row(engine, submission_id)
    assert row.state == DraftState.DRAFT_FAILED
    assert row.error and "not JSON" in row.error
    assert row.gaps, "the rules' gaps are kept"
    drafter.reply = MODEL_REPLY  # a passing fault: the next pass drafts it with the model
    assert service.redraft_due() == (1, 0)
    assert _row(engine, submission_id).state == DraftState.DRAFTED


def test_a_reviewers_edit_is_never_overwritten(setup: Any) -> None:
    engine, submission_id, _, service = setup
    service.draft(submission_id)
    with Session(engine) as session:
        row = session.exec(select(Draft).where(Draft.submission_id == submission_id)).one()
        row.state = DraftState.EDITED
        row.content = {**row.content, "title": {"value": "Rättad titel", "basis": "inferred", "quote": None}}
        session.add(row)
        session.commit()
    outcome = service.draft(submission_id)
    assert outcome.error and "edited" in outcome.error
    assert _row(engine, submission_id).content["title"]["value"] == "Rättad titel"
    service.draft(submission_id, force=True)
    assert _row(engine, submission_id).state == DraftState.DRAFTED


def test_past_the_hour_s_budget_items_get_rules_at_once_and_the_model_later(
    setup: Any, tmp_path: Path, database_url: str
) -> None:
    engine, first_id, drafter, service = setup
    service.model_budget = ratelimit.Limit("model", 1, 3600)
    settings = Settings(data_dir=tmp_path, database={"url": database_url})
    new = NewSubmission(text=TEXT.replace("bygglov", "marklov"), channel=Channel.WEB)
    second = submissions.accept(engine, new, settings.intake, actor="test")
    assert second.id is not None
    assert service.draft(first_id).used_model
    over = service.draft(second.id)
    assert not over.used_model and over.error and "budget" in over.error
    assert _row(engine, second.id).state == DraftState.RULES_ONLY
    assert len(drafter.seen) == 1, "no model call past the budget"
    assert service.redraft_due() == (0, 1), "the budget still holds"
    # an hour later the budget has room again (the window is moved instead of the clock)
    service.model_budget = ratelimit.Limit("model", 1, 1)
    time.sleep(1.1)
    assert service.redraft_due() == (1, 0)
    assert _row(engine, second.id).state == DraftState.DRAFTED
