"""An optional language-model judge of the top duplicate candidates, off by default.

In the spirit of Quackback: the scores find candidates, a model gives a second opinion on the
few best in one batched call, and a person decides. The judge is conservative by construction:

- it sees masked text only (`MaskedText`, from `intake.privacy.mask`), for the submission and
  for every candidate;
- its verdict is stored beside the score (`judge_verdict`, `judge_reason`, `judge_model`) and
  changes nothing else: not the score, not the decision, never a merge;
- anything it does not answer clearly is `unsure`; a judge that fails costs nothing but its
  opinion (the candidates stay as they are, and the failure is logged).

The client that talks to a model implements `DuplicateJudge`; it comes with the drafting client
of issue #4, which also supplies the prompt. Until then the hook is wired and tested with fakes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.db import session_scope
from intake.models import Decision, DuplicateCandidate, ItemKind, PortfolioItem, Submission, utcnow
from intake.privacy import MaskedText, mask
from intake.services import audit

log = logging.getLogger(__name__)


class Verdict(StrEnum):
    """What the judge thinks of one candidate pair."""

    SAME_NEED = "same_need"
    RELATED = "related"
    DIFFERENT = "different"
    UNSURE = "unsure"


@dataclass(frozen=True)
class JudgeCandidate:
    """One candidate as the judge sees it: its key and its masked text."""

    key: str
    text: MaskedText


@dataclass(frozen=True)
class Judgement:
    """The judge's verdict on one candidate, with its reason in a sentence."""

    key: str
    verdict: Verdict
    reason: str


class JudgeError(RuntimeError):
    """Raised by a judge that could not give an opinion (model down, invalid answer)."""


class DuplicateJudge(Protocol):
    """Gives a verdict on several candidates for one submission in one call."""

    @property
    def model_id(self) -> str:
        """The model that judged, stored with each verdict."""
        ...

    def judge(self, submission: MaskedText, candidates: Sequence[JudgeCandidate]) -> list[Judgement]:
        """Return a judgement per candidate it could judge; unknown keys are ignored.

        Raises:
            JudgeError: no opinion could be had.
        """
        ...


def _other_text(session: Session, candidate: DuplicateCandidate) -> str | None:
    if candidate.other_kind == ItemKind.PORTFOLIO:
        item = session.exec(select(PortfolioItem).where(PortfolioItem.nr == candidate.other_key)).first()
        return f"{item.title}\n{item.description or ''}".strip() if item else None
    other = session.exec(select(Submission).where(Submission.reference == candidate.other_key)).first()
    return other.raw_text if other else None


def judge_candidates(
    engine: Engine,
    submission_id: int,
    judge: DuplicateJudge,
    *,
    limit: int = 5,
    directory: Sequence[str] = (),
) -> int:
    """Ask `judge` about the `limit` best pending candidates of a submission; return how many it judged.

    Never raises for the judge's sake: a `JudgeError` is logged and nothing is stored.
    """
    with Session(engine) as session:
        submission = session.get(Submission, submission_id)
        if submission is None:
            raise LookupError(f"no submission with id {submission_id}")
        pending = list(
            session.exec(
                select(DuplicateCandidate)
                .where(col(DuplicateCandidate.submission_id) == submission_id)
                .where(col(DuplicateCandidate.decision) == Decision.PENDING)
                .order_by(col(DuplicateCandidate.score).desc())
                .limit(limit)
            )
        )
        names = [n for n in (submission.submitter_name,) if n]
        shown = mask(submission.raw_text, names=names, directory=directory).masked
        candidates: list[JudgeCandidate] = []
        for candidate in pending:
            text = _other_text(session, candidate)
            if text is not None:
                key = f"{candidate.other_kind.value}:{candidate.other_key}"
                candidates.append(JudgeCandidate(key, mask(text, directory=directory).masked))
    if not candidates:
        return 0
    try:
        judgements = {j.key: j for j in judge.judge(shown, candidates)}
    except JudgeError as exc:
        log.warning("duplicate judge gave no opinion on submission %s: %s", submission_id, exc)
        return 0
    wanted = {c.key for c in candidates}
    with session_scope(engine) as session:
        stored = 0
        for candidate in session.exec(
            select(DuplicateCandidate).where(col(DuplicateCandidate.submission_id) == submission_id)
        ):
            key = f"{candidate.other_kind.value}:{candidate.other_key}"
            if key not in wanted:
                continue
            judgement = judgements.get(key)
            candidate.judge_verdict = judgement.verdict if judgement else Verdict.UNSURE
            candidate.judge_reason = (judgement.reason if judgement else "no answer")[:1000]
            candidate.judge_model = judge.model_id[:200]
            candidate.judged_at = utcnow()
            session.add(candidate)
            stored += 1
        audit.record(
            session,
            actor=audit.SYSTEM_ACTOR,
            action="submission.judged",
            entity_kind="submission",
            entity_key=submission.reference,
            changes={"judged": stored, "model": judge.model_id},
        )
    return stored
