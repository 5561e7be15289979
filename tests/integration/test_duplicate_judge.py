"""The optional duplicate judge: masked text in, verdict stored beside the score, nothing else moves."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.db import create_db_engine
from intake.domain.duplicates import Decision
from intake.domain.submission import Channel, NewSubmission
from intake.migrate import upgrade
from intake.models import AuditEvent, DuplicateCandidate, PortfolioItem
from intake.privacy import MaskedText
from intake.services import submissions
from intake.services.judge import JudgeCandidate, JudgeError, Judgement, Verdict
from intake.services.similarity import SimilarityService
from intake.settings import Settings
from retrieval import ChromaIndex
from tests.fakes import FakeEmbedder

pytestmark = pytest.mark.integration

TEXT = (
    "Hej! Invånare ska kunna ansöka om parkeringstillstånd digitalt. "
    "Ring mig på 070-123 45 67.\n\nMvh\nAnna Andersson"
)


class RecordingJudge:
    """Says `duplicate` to the first candidate and nothing about the rest; remembers what it saw."""

    model_id = "fake-judge"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.seen: list[tuple[MaskedText, list[JudgeCandidate]]] = []

    def judge(self, submission: MaskedText, candidates: Sequence[JudgeCandidate]) -> list[Judgement]:
        self.seen.append((submission, list(candidates)))
        if self.fail:
            raise JudgeError("model down")
        return [Judgement(candidates[0].key, Verdict.DUPLICATE, "Samma behov: parkeringstillstånd.")]


Parts = tuple[Settings, Engine, SimilarityService]


@pytest.fixture
def parts(tmp_path: Path, database_url: str) -> Parts:
    settings = Settings(data_dir=tmp_path, database={"url": database_url}, similarity={"flag_threshold": 0.0})
    engine = create_db_engine(settings)
    upgrade(engine)
    with Session(engine) as session:
        session.add(PortfolioItem(nr="22-04", year=2022, title="SBK Parkeringsstillstånd"))
        session.add(PortfolioItem(nr="22-07", year=2022, title="Öka takten i e-arkiv"))
        session.commit()
    embedder = FakeEmbedder()
    index = ChromaIndex(path=tmp_path / "chroma", collection="test", model_id=embedder.model_id)
    return settings, engine, SimilarityService.with_parts(engine, embedder, index, settings.similarity)


def _submit(parts: Parts, judge: RecordingJudge) -> int:
    settings, engine, similarity = parts
    new = NewSubmission(text=TEXT, channel=Channel.WEB, submitter_name="Anna Andersson")
    accepted = submissions.accept(engine, new, settings.intake, actor="test")
    assert accepted.id is not None
    submissions.process(engine, similarity, accepted.id, settings.intake, judge=judge)
    return accepted.id


def test_verdict_is_stored_beside_the_score_and_decides_nothing(
    parts: Parts,
) -> None:
    engine = parts[1]
    judge = RecordingJudge()
    submission_id = _submit(parts, judge)

    masked, candidates = judge.seen[0]
    assert "070-123 45 67" not in masked.text and "Anna Andersson" not in masked.text
    assert "parkeringstillstånd" in masked.text
    with Session(engine) as session:
        rows = session.exec(
            select(DuplicateCandidate).where(DuplicateCandidate.submission_id == submission_id)
        ).all()
        by_key = {f"{r.other_kind.value}:{r.other_key}": r for r in rows}
        first = by_key[candidates[0].key]
        assert first.judge_verdict == "duplicate" and first.judge_model == "fake-judge"
        assert first.judged_at is not None
        unanswered = [
            r for k, r in by_key.items() if k != candidates[0].key and k in {c.key for c in candidates}
        ]
        assert unanswered, "the judge saw more than one candidate"
        assert all(r.judge_verdict is None and r.judged_at is None for r in unanswered)  # never guessed
        assert all(r.decision == Decision.PENDING for r in rows)  # advice only, never a decision
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "submission.judged")).first()


def test_a_failing_judge_leaves_the_candidates_as_they_were(parts: Parts) -> None:
    engine = parts[1]
    submission_id = _submit(parts, RecordingJudge(fail=True))
    with Session(engine) as session:
        rows = session.exec(
            select(DuplicateCandidate).where(DuplicateCandidate.submission_id == submission_id)
        ).all()
        failure = session.exec(select(AuditEvent).where(AuditEvent.action == "submission.judge_failed")).one()
    assert rows, "the candidates are stored whatever the judge does"
    assert all(r.judge_verdict is None for r in rows)
    assert failure.note == "model down"
