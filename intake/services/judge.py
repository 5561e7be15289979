"""An optional language-model judge of the top duplicate candidates, off by default.

In the spirit of Quackback: the scores find candidates, a model gives a second opinion on the
few best in one batched call, and a person decides. The judge is conservative by construction:

- it sees masked text only (`MaskedText`, from `intake.privacy.mask`, masked as drafting masks:
  title and text, the submitter's name, the staff directory), for the submission and for every
  candidate;
- its verdict is stored beside the score (`judge_verdict`, `judge_reason`, `judge_model`,
  `judged_at`) and changes nothing else: not the score, not the decision, never a merge;
- it never guesses: a candidate the judge gave no verdict keeps none, and an answer that is not
  valid (`LlmDuplicateJudge`: not the JSON asked for, a candidate missing or twice, an unknown
  verdict) stores nothing at all; the failure is logged and audited (`submission.judge_failed`),
  and the candidates stay as they are.

`LlmDuplicateJudge` implements `DuplicateJudge` over the drafting client (`intake.drafting.client`,
the same OpenAI-compatible server, retries and deadline) with the prompt `prompts/judge.*.txt`.
It is used when `BEREDNING_SIMILARITY__JUDGE=llm` and a model is configured
(`judge_from_settings`); the triage flow calls `judge_candidates` right after the candidates are
stored (`flows.triage_steps.find_similar`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.domain.duplicates import Decision, ItemKind
from intake.models import DuplicateCandidate, PortfolioItem, Submission, utcnow
from intake.privacy import MaskedText, mask
from intake.services import audit

if TYPE_CHECKING:
    from intake.drafting.client import Drafter
    from intake.settings import Settings

log = logging.getLogger(__name__)

PROMPT_NAME: Final = "judge"
MAX_SUBMISSION_CHARS: Final = 2000
"""The submission as the judge sees it is cut here: enough to tell needs apart, small enough that
the submission and five candidates fit a small model's context."""
MAX_CANDIDATE_CHARS: Final = 1000
MAX_REASON_CHARS: Final = 300


class Verdict(StrEnum):
    """What the judge thinks of one candidate pair."""

    DUPLICATE = "duplicate"
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


@dataclass(frozen=True)
class JudgeOutcome:
    """What one pass of the judge did, for the flow's task result and the logs (no text)."""

    judged: int
    """Candidates that got a verdict stored now."""
    error: str | None = None
    """Why no verdict was stored, when the judge failed; safe to log (quotes no text)."""
    skipped: bool = False
    """The best candidates had been judged before (a re-run of the flow): nothing was asked."""


class JudgeError(RuntimeError):
    """Raised by a judge that could not give an opinion (model down, invalid answer).

    The message must be safe to log and audit: it never quotes the texts or the model's answer.
    """


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


# ---------------------------------------------------------------------------------------------
# the model's answer


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    verdict: Verdict
    reason: str = Field(max_length=MAX_REASON_CHARS)

    @field_validator("reason")
    @classmethod
    def _said_something(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the reason is empty")
        return value.strip()


class JudgeAnswer(BaseModel):
    """The JSON the judge must answer with: one verdict per candidate id, nothing else."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    verdicts: list[_Item]


def answer_schema(ids: Sequence[str]) -> dict[str, Any]:
    """Return the JSON schema for an answer on exactly the candidates `ids` (sent to the server)."""
    item = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "enum": list(ids)},
            "verdict": {"type": "string", "enum": [v.value for v in Verdict]},
            "reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON_CHARS},
        },
        "required": ["id", "verdict", "reason"],
        "additionalProperties": False,
    }
    return {
        "title": "duplicate_verdicts",
        "type": "object",
        "properties": {
            "verdicts": {"type": "array", "items": item, "minItems": len(ids), "maxItems": len(ids)}
        },
        "required": ["verdicts"],
        "additionalProperties": False,
    }


def parse_answer(data: object, ids: Sequence[str]) -> dict[str, _Item]:
    """Validate the model's answer strictly; return the verdict per candidate id.

    Every id must be answered exactly once and no other: a partial answer is an invalid one,
    since the missing verdicts would have to be guessed.

    Raises:
        JudgeError: the answer is not valid; the message names the fields, never their values.
    """
    try:
        answer = JudgeAnswer.model_validate(data)
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '$'} ({e['type']})"
            for e in exc.errors(include_input=False, include_url=False)[:5]
        )
        raise JudgeError(f"invalid answer: {where}") from None
    seen = [item.id for item in answer.verdicts]
    if sorted(seen) != sorted(ids):
        unknown = len(set(seen) - set(ids))
        missing = len(set(ids) - set(seen))
        repeated = len(seen) - len(set(seen))
        raise JudgeError(
            f"invalid answer: {missing} candidates unanswered, {unknown} unknown, {repeated} answered twice"
        )
    return {item.id: item for item in answer.verdicts}


# ---------------------------------------------------------------------------------------------
# the model client


class LlmDuplicateJudge:
    """`DuplicateJudge` over the drafting client: one structured call for all candidates.

    The submission and the candidates go out as one JSON document inside the prompt's delimiters
    (JSON-escaped, so no text can close its own section); candidates are named `c1`, `c2`, ...
    so that a small model copies ids it can spell.
    """

    def __init__(self, drafter: Drafter, *, language: str = "sv") -> None:
        self._drafter = drafter
        self._language = language

    @property
    def model_id(self) -> str:
        """Return the configured model of the drafting client."""
        return self._drafter.model_id

    @property
    def prompt_version(self) -> str:
        """Return the content hash of the judge prompt in use."""
        from prompts import load_prompt

        return load_prompt(PROMPT_NAME, self._language).version

    def judge(self, submission: MaskedText, candidates: Sequence[JudgeCandidate]) -> list[Judgement]:
        """Ask the model about every candidate in one call; see `DuplicateJudge.judge`."""
        from intake.drafting.client import DraftError
        from prompts import load_prompt

        if not isinstance(submission, MaskedText) or not all(
            isinstance(c.text, MaskedText) for c in candidates
        ):
            raise TypeError("the judge takes MaskedText from intake.privacy.mask() only")
        if not candidates:
            return []
        ids = [f"c{n}" for n in range(1, len(candidates) + 1)]
        document = json.dumps(
            {
                "inlamning": submission.text[:MAX_SUBMISSION_CHARS],
                "kandidater": [
                    {"id": i, "text": c.text.text[:MAX_CANDIDATE_CHARS]}
                    for i, c in zip(ids, candidates, strict=True)
                ],
            },
            ensure_ascii=False,
            indent=1,
        )
        # every part is masked already; masking the document once more is how a MaskedText is
        # made (there is no other way), and it can only take more out
        payload = mask(document).masked
        try:
            result = self._drafter.draft(
                payload, load_prompt(PROMPT_NAME, self._language), answer_schema(ids), {}
            )
        except DraftError as exc:
            # DraftInvalid's reason may quote the answer: say only what kind of failure it was
            raise JudgeError(f"{type(exc).__name__} after {exc.attempts} requests") from None
        items = parse_answer(result.data, ids)
        return [
            Judgement(c.key, items[i].verdict, items[i].reason) for i, c in zip(ids, candidates, strict=True)
        ]


def judge_from_settings(settings: Settings, drafter: Drafter | None) -> LlmDuplicateJudge | None:
    """Return the judge `BEREDNING_SIMILARITY__JUDGE` asks for, or None (off, or no model configured)."""
    if settings.similarity.judge != "llm":
        return None
    if drafter is None:
        log.warning(
            "BEREDNING_SIMILARITY__JUDGE=llm but no model is configured (BEREDNING_LLM__*): judge off"
        )
        return None
    return LlmDuplicateJudge(drafter, language=settings.default_language)


# ---------------------------------------------------------------------------------------------
# asking and storing


def _source_text(submission: Submission) -> str:
    """The text drafting masks: the title, then the text."""
    return f"{submission.title}\n{submission.raw_text}" if submission.title else submission.raw_text


def _other(session: Session, candidate: DuplicateCandidate) -> tuple[str, list[str]] | None:
    """Return the candidate's text and the names to mask in it, or None when it is gone."""
    if candidate.other_kind == ItemKind.PORTFOLIO:
        item = session.exec(select(PortfolioItem).where(PortfolioItem.nr == candidate.other_key)).first()
        return (f"{item.title}\n{item.description or ''}".strip(), []) if item else None
    other = session.exec(select(Submission).where(Submission.reference == candidate.other_key)).first()
    if other is None:
        return None
    return _source_text(other), [n for n in (other.submitter_name,) if n]


def judge_candidates(
    engine: Engine,
    submission_id: int,
    judge: DuplicateJudge,
    *,
    limit: int = 5,
    directory: Sequence[str] = (),
) -> JudgeOutcome:
    """Ask `judge` about the `limit` best pending candidates of a submission and store its verdicts.

    Runs once per submission: when the best candidates already carry a verdict (the flow ran
    again), nothing is asked. Never raises for the judge's sake: a `JudgeError` is logged and
    audited, and nothing is stored.
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
        if any(c.judged_at is not None for c in pending):
            return JudgeOutcome(0, skipped=True)
        names = [n for n in (submission.submitter_name,) if n]
        shown = mask(_source_text(submission), names=names, directory=directory).masked
        candidates: list[JudgeCandidate] = []
        for candidate in pending:
            found = _other(session, candidate)
            if found is not None:
                key = f"{candidate.other_kind.value}:{candidate.other_key}"
                text, other_names = found
                candidates.append(
                    JudgeCandidate(key, mask(text, names=other_names, directory=directory).masked)
                )
    if not candidates:
        return JudgeOutcome(0)
    try:
        judgements = {j.key: j for j in judge.judge(shown, candidates)}
    except JudgeError as exc:
        log.warning("duplicate judge gave no opinion on submission %s: %s", submission_id, exc)
        with session_scope(engine) as session:
            audit.record(
                session,
                actor=audit.SYSTEM_ACTOR,
                action=AuditAction.SUBMISSION_JUDGE_FAILED,
                entity_kind="submission",
                entity_key=submission.reference,
                changes={"candidates": len(candidates), "model": judge.model_id},
                note=str(exc)[:500],
            )
        return JudgeOutcome(0, error=str(exc))
    wanted = {c.key for c in candidates}
    with session_scope(engine) as session:
        stored = 0
        for candidate in session.exec(
            select(DuplicateCandidate).where(col(DuplicateCandidate.submission_id) == submission_id)
        ):
            key = f"{candidate.other_kind.value}:{candidate.other_key}"
            judgement = judgements.get(key)
            if key not in wanted or judgement is None:
                continue  # no verdict is better than a guessed one
            candidate.judge_verdict = judgement.verdict.value
            candidate.judge_reason = judgement.reason[:1000]
            candidate.judge_model = judge.model_id[:200]
            candidate.judged_at = utcnow()
            session.add(candidate)
            stored += 1
        audit.record(
            session,
            actor=audit.SYSTEM_ACTOR,
            action=AuditAction.SUBMISSION_JUDGED,
            entity_kind="submission",
            entity_key=submission.reference,
            changes={"judged": stored, "asked": len(candidates), "model": judge.model_id},
        )
    return JudgeOutcome(stored)
