"""The served app drafts with a real OpenAI-compatible server (llama.cpp + SmolLM2), and without it.

Submitting through the API yields a stored, schema-valid draft with model and prompt version; the
server on the other side of a recording proxy never sees the planted personal data. With the model
stopped the app stores a rules-only draft, and drafts it again with the model once it is back.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, select

from intake.domain.drafts import DraftState
from intake.drafting.schema import Draft as DraftSchema
from intake.models import Draft, Submission
from tests.llm import capture_proxy, llama_process
from tests.server import running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

TEXT = (
    "Vi vill att medborgare ska kunna boka tid för bygglovsrådgivning via webben. "
    "Kontakta mig på 070-123 45 67 eller anna.andersson@sundsvall.se, personnummer 811218-9876."
)
PLANTED = ("070-123 45 67", "anna.andersson@sundsvall.se", "811218-9876", "Andersson")


def _draft(db: Path, reference: str) -> Draft | None:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with Session(engine) as session:
            return session.exec(
                select(Draft).join(Submission).where(Submission.reference == reference)
            ).first()
    finally:
        engine.dispose()


def _wait_for(db: Path, reference: str, states: set[DraftState], timeout: float) -> Draft:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = _draft(db, reference)
        if row is not None and row.state in states:
            return row
        time.sleep(1)
    raise AssertionError(
        f"no draft of {reference} in {states} after {timeout:.0f} s: {_draft(db, reference)}"
    )


def _submit(base: str) -> str:
    response = httpx.post(
        f"{base}/api/submissions",
        json={
            "text": TEXT,
            "submitter_name": "Anna Andersson",
            "submitter_email": "anna.andersson@sundsvall.se",
        },
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


def test_api_submission_is_drafted_by_the_model_and_by_the_rules_when_it_is_down(tmp_path: Path) -> None:
    with llama_process(log_path=tmp_path / "llama.log") as llama, capture_proxy(llama.base_url) as proxy:
        env = {
            "BEREDNING_DATA_DIR": str(tmp_path / "data"),
            "BEREDNING_LLM__BASE_URL": proxy.base_url,
            "BEREDNING_LLM__MODEL": "smollm2",
            "BEREDNING_LLM__API_KEY": "local",
            "BEREDNING_LLM__POLL_SECONDS": "1",
            "BEREDNING_LLM__REDRAFT_INTERVAL_SECONDS": "1",
            "BEREDNING_LLM__TIMEOUT_SECONDS": "300",
            "BEREDNING_LLM__DEADLINE_SECONDS": "400",
            "BEREDNING_LLM__MAX_ATTEMPTS": "2",
            "BEREDNING_INTAKE__OPEN_API": "true",
        }
        db = tmp_path / "data" / "beredning.sqlite3"
        with running_server(env, tmp_path / "app.log") as base:
            first = _submit(base)
            row = _wait_for(db, first, {DraftState.DRAFTED, DraftState.DRAFT_FAILED}, 600)
            assert row.state == DraftState.DRAFTED, row.error
            assert row.model and row.prompt_version and (row.output_tokens or 0) > 0
            DraftSchema.model_validate(row.content)  # schema-valid as stored
            assert {g["item_id"] for g in row.gaps if g["status"] == "missing"} >= {
                "nyttor-och-effekter",
                "tidsplan",
                "forankring",
            }
            bodies = ["\n".join(r.message_texts()) for r in proxy.requests if r.body]
            assert bodies, "the model was asked"
            assert not [p for p in PLANTED if any(p in b for b in bodies)], "personal data reached the model"

            llama.process.kill()
            llama.process.wait(timeout=30)
            second = _submit(base)
            row = _wait_for(db, second, {DraftState.RULES_ONLY}, 120)
            assert row.model is None and row.gaps

            with llama_process(log_path=tmp_path / "llama2.log") as again:
                proxy.upstream_port = int(again.base_url.rsplit(":", 1)[1].split("/")[0])
                row = _wait_for(db, second, {DraftState.DRAFTED, DraftState.DRAFT_FAILED}, 600)
                assert row.state == DraftState.DRAFTED, row.error
