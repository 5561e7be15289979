"""A submission survives an embedding failure: stored first, marked for retry, processed later."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient
from sqlmodel import Session, select

from intake.db import create_db_engine
from intake.domain.process import load_process
from intake.domain.submission import Channel, NewSubmission, ProcessingState
from intake.migrate import upgrade
from intake.models import AuditEvent, DuplicateCandidate, PortfolioItem, Submission, utcnow
from intake.services import submissions
from intake.services.similarity import SimilarityService
from intake.settings import Settings
from intake.web.app import create_app
from intake.web.state import AppServices
from retrieval import ChromaIndex, Matrix, Vector
from tests.fakes import FailingEmbedder, FakeEmbedder
from tests.server import cli, running_server

pytestmark = pytest.mark.integration


class FlakyEmbedder:
    """Fails while `broken` is set, then works: a model server that comes back."""

    def __init__(self) -> None:
        self.broken = True
        self._failing = FailingEmbedder("flaky")
        self._working = FakeEmbedder("flaky")

    @property
    def model_id(self) -> str:
        return "flaky"

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        return (self._failing if self.broken else self._working).embed_documents(texts)

    def embed_query(self, text: str) -> Vector:
        return (self._failing if self.broken else self._working).embed_query(text)


@pytest.fixture
def app_parts(tmp_path: Path, database_url: str) -> tuple[AppServices, FlakyEmbedder]:
    settings = Settings(
        data_dir=tmp_path,
        database={"url": database_url},
        intake={"retry_interval_seconds": 0, "open_api": True},
        similarity={"flag_threshold": 0.3},  # the fake embedder has no fitted score model
    )
    engine = create_db_engine(settings)
    upgrade(engine)
    with Session(engine) as session:
        session.add(PortfolioItem(nr="22-04", year=2022, title="SBK Parkeringsstillstånd"))
        session.add(PortfolioItem(nr="22-07", year=2022, title="Öka takten i e-arkiv"))
        session.commit()
    embedder = FlakyEmbedder()
    index = ChromaIndex(path=tmp_path / "chroma", collection="test", model_id=embedder.model_id)
    similarity = SimilarityService.with_parts(engine, embedder, index, settings.similarity)
    services = AppServices(settings=settings, engine=engine, similarity=similarity, process=load_process())
    return services, embedder


def test_submission_is_kept_and_retried_when_embedding_fails(
    app_parts: tuple[AppServices, FlakyEmbedder],
) -> None:
    services, embedder = app_parts
    with TestClient(app=create_app(services=services)) as client:
        response = client.post(
            "/api/submissions", json={"text": "Digitalt parkeringstillstånd för invånare, tack"}
        )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "retry"
    assert "retried" in body["message"]
    # the lexical part still answers while the model is down
    assert body["similar"][0]["ref"] == "22-04"
    assert "dense" not in body["similar"][0]["parts"]

    with Session(services.engine) as session:
        row = session.exec(select(Submission).where(Submission.reference == body["reference"])).one()
        assert row.raw_text == "Digitalt parkeringstillstånd för invånare, tack"
        assert row.attempts == 1 and row.next_attempt_at is not None
        actions = [
            e.action for e in session.exec(select(AuditEvent).where(AuditEvent.entity_key == row.reference))
        ]
        assert actions == ["submission.received", "submission.processing_failed"]

    # not yet due: nothing happens
    assert submissions.process_due(services.engine, services.similarity, services.settings.intake) == (0, 0)
    # still broken when due: second attempt fails, backoff grows
    later = utcnow() + timedelta(hours=2)
    assert submissions.process_due(services.engine, services.similarity, services.settings.intake, later) == (
        0,
        1,
    )
    # the model comes back: the retry succeeds and the duplicate candidate is stored
    embedder.broken = False
    later = utcnow() + timedelta(hours=4)
    assert submissions.process_due(services.engine, services.similarity, services.settings.intake, later) == (
        1,
        0,
    )
    with Session(services.engine) as session:
        row = session.exec(select(Submission).where(Submission.reference == body["reference"])).one()
        assert row.state == ProcessingState.PROCESSED and row.last_error is None and row.attempts == 2
        candidates = session.exec(
            select(DuplicateCandidate).where(DuplicateCandidate.submission_id == row.id)
        ).all()
        assert [c.other_key for c in candidates] == ["22-04"]
        assert candidates[0].reason and candidates[0].parts["lexical"] > 0


def test_gives_up_after_max_attempts(app_parts: tuple[AppServices, FlakyEmbedder]) -> None:
    services, _ = app_parts
    settings = services.settings.intake.model_copy(update={"max_attempts": 2})
    new = NewSubmission(text="Något om e-arkiv och gallring", channel=Channel.API)
    outcome = submissions.submit(services.engine, services.similarity, new, settings, actor="test")
    assert outcome.submission.state == ProcessingState.RETRY
    later = utcnow() + timedelta(days=1)
    submissions.process_due(services.engine, services.similarity, settings, later)
    with Session(services.engine) as session:
        row = session.get(Submission, outcome.submission.id)
        assert row is not None and row.state == ProcessingState.FAILED


def test_real_server_accepts_submissions_when_the_model_cannot_load(
    tmp_path: Path, database_url: str
) -> None:
    env = {
        "BEREDNING_DATA_DIR": str(tmp_path),
        "BEREDNING_DATABASE__URL": database_url,
        "BEREDNING_EMBEDDING__BACKEND": "sentence-transformers",
        "BEREDNING_EMBEDDING__MODEL": str(tmp_path / "no-such-model"),
        "BEREDNING_INTAKE__OPEN_API": "true",
    }
    assert cli(["db", "upgrade"], env).returncode == 0
    with running_server(env, tmp_path / "server.log", wait_for_model=True) as base:
        health = httpx.get(f"{base}/health", timeout=10).json()
        assert health["status"] == "degraded" and not health["model"]["ok"]
        response = httpx.post(
            f"{base}/api/submissions", json={"text": "Ett förslag som måste sparas"}, timeout=60
        )
        assert response.status_code == 201
        assert response.json()["state"] == "retry"
    # the submission is in the database after the server has stopped
    engine = create_db_engine(Settings(data_dir=tmp_path, database={"url": database_url}))
    with Session(engine) as session:
        assert session.exec(select(Submission)).one().raw_text == "Ett förslag som måste sparas"
