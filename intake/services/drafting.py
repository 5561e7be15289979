"""Draft the initiative template and its checklist gaps for a submission, and store them.

The order is fixed and every step is here, in one place:

1. mask personal data (`intake.privacy.mask`): the model only ever gets the `MaskedText`;
2. run the deterministic rules, always: they make the rules-only draft and the gaps;
3. with a model, one structured call (`Drafter`); its answer is parsed against the schema and
   merged with the rules, which it may refine but not overrule without quoting evidence;
4. store one `Draft` row per submission, with the masking (so reviewers see the originals),
   model, prompt version, tokens and latency.

No model configured, or the model down: the rules-only draft is stored (`rules_only`) and drafted
again when the model answers (`redraft_due`). An answer that is not valid even after one repair
leaves the rules-only draft in place as `draft_failed`, with the reason. A draft a reviewer edited
is never overwritten. The submission itself is never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.domain.drafts import DraftState
from intake.domain.process import ProcessDefinition
from intake.domain.submission import ProcessingState
from intake.drafting.checklists import ChecklistConfig
from intake.drafting.client import Drafter, DraftInvalid, DraftUnavailable, LlmResult
from intake.drafting.rules import merge_answer, rules_only_draft
from intake.drafting.schema import DraftAnswer, answer_json_schema, parse_answer, prompt_context
from intake.models import Draft, Submission, utcnow
from intake.privacy import mask
from intake.services import audit, personal_data, ratelimit
from intake.settings import Settings
from prompts import Prompt, load_prompt
from retrieval.boilerplate import strip_boilerplate

log = logging.getLogger(__name__)

PROMPT_NAME = "draft"
FAILED_DRAFT_ATTEMPTS = 3
"""Drafts a model answered with garbage are tried again until they have been drafted this often:
a garbage answer can be a passing fault of the server, but not one to retry for ever."""


@dataclass(frozen=True)
class DraftOutcome:
    """What one drafting pass produced, for the CLI and the logs."""

    draft: Draft
    answer: DraftAnswer
    used_model: bool
    error: str | None = None


@dataclass(frozen=True)
class Composed:
    """One drafting pass before it is stored: the answer, its state, the model's call and why it failed."""

    answer: DraftAnswer
    state: DraftState
    result: LlmResult | None
    error: str | None
    masked_text: str
    redaction: dict[str, Any]


class DraftingService:
    """Drafts submissions with the configured checklists, process and (optional) model."""

    def __init__(
        self,
        engine: Engine,
        process: ProcessDefinition,
        checklists: ChecklistConfig,
        drafter: Drafter | None,
        *,
        language: str = "sv",
        directory: tuple[str, ...] = (),
        redraft_after: timedelta = timedelta(seconds=60),
        model_budget: ratelimit.Limit | None = None,
    ) -> None:
        self.redraft_after = redraft_after
        self.model_budget = model_budget
        """Model calls allowed per window across every process (None: no budget)."""
        self.engine = engine
        self.process = process
        self.checklists = checklists
        self.drafter = drafter
        self.language = language
        self.directory = directory

    @property
    def prompt(self) -> Prompt:
        """The prompt in use (its content hash is stored as the prompt version)."""
        return load_prompt(PROMPT_NAME, self.language)

    def draft(self, submission_id: int, *, force: bool = False) -> DraftOutcome:
        """Draft one submission (again) and store the result; see the module docstring.

        `force` drafts again even a reviewer-edited draft (`beredning draft REF --force`).

        Raises:
            LookupError: no such submission.
        """
        with Session(self.engine) as session:
            submission = session.get(Submission, submission_id)
            if submission is None:
                raise LookupError(f"no submission with id {submission_id}")
            existing = session.exec(select(Draft).where(col(Draft.submission_id) == submission_id)).first()
        if existing is not None and existing.state == DraftState.EDITED and not force:
            answer = DraftAnswer.model_validate({"draft": existing.content, "gaps": existing.gaps})
            return DraftOutcome(existing, answer, False, "edited by a reviewer; not drafted again")
        names = [n for n in (submission.submitter_name,) if n]
        composed = self.compose(_source_text(submission), names, budget=True)
        answer, state, result, error = composed.answer, composed.state, composed.result, composed.error
        text, redaction = composed.masked_text, composed.redaction
        stored = self._store(submission, answer, state, text, redaction, result, error, force)
        if error:
            log.warning("draft of %s: %s", submission.reference, error)
        return DraftOutcome(stored, answer, result is not None and state == DraftState.DRAFTED, error)

    def compose(self, source: str, names: list[str], *, budget: bool = False) -> Composed:
        """Draft `source` (title and text) without storing anything: mask, the rules, the model.

        What `draft` stores, and what `beredning eval drafts` scores, so both see one drafter.
        `budget`: count the model call against the configured budget (the service does; an
        evaluation run does not).
        """
        redaction = mask(source, names=names, directory=self.directory)
        text = redaction.text
        # The rules read the text without greeting and signature: the submitter's own name under
        # "Mvh" is not personal data that the initiative would process.
        rules = rules_only_draft(strip_boilerplate(text), self.process, self.checklists, self.language)
        answer, state, result, error = rules, DraftState.RULES_ONLY, None, None
        if self.drafter is not None and budget and self._over_budget():
            error = "model unavailable: the hour's budget of model calls is used; drafted later"
        elif self.drafter is not None:
            try:
                result = self.drafter.draft(
                    redaction.masked,
                    self.prompt,
                    answer_json_schema(self.process, self.checklists),
                    prompt_context(self.process, self.checklists, self.language),
                )
                model_answer = parse_answer(
                    result.data, source_text=text, process=self.process, checklists=self.checklists
                )
                answer, state = merge_answer(rules, model_answer, text), DraftState.DRAFTED
            except DraftUnavailable as exc:
                error = f"model unavailable: {exc.reason}"
            except (DraftInvalid, ValueError) as exc:
                state, error = DraftState.DRAFT_FAILED, f"invalid model answer: {exc}"
        return Composed(answer, state, result, error, text, redaction.model_dump(mode="json"))

    def _over_budget(self) -> bool:
        """Count one model call against the budget; True when the budget is used (no call then)."""
        return self.model_budget is not None and ratelimit.hit(self.engine, self.model_budget, "all") > 0

    def _store(
        self,
        submission: Submission,
        answer: DraftAnswer,
        state: DraftState,
        masked_text: str,
        redaction: dict[str, Any],
        result: LlmResult | None,
        error: str | None,
        force: bool = False,
    ) -> Draft:
        assert submission.id is not None
        with session_scope(self.engine) as session:
            # An erasure that committed while the model drafted from the old text wins.
            personal_data.lock_unchanged(session, submission)
            row = session.exec(
                select(Draft).where(col(Draft.submission_id) == submission.id).with_for_update()
            ).first()
            if row is not None and not force and _keeps(row.state, state):
                # Another process (the app's loop, a worker) stored a better draft meanwhile, or a
                # reviewer edited it: a late rules-only result must not replace it.
                session.expunge(row)
                return row
            row = row or Draft(submission_id=submission.id, state=state, masked_text=masked_text)
            before = row.state if row.id is not None else None
            row.state = state
            row.content = answer.draft.model_dump(mode="json")
            row.gaps = [g.model_dump(mode="json") for g in answer.gaps]
            row.masked_text = masked_text
            row.redaction = redaction
            row.model = result.model if result else None
            row.prompt_version = result.prompt_version if result else None
            row.input_tokens = result.input_tokens if result else None
            row.output_tokens = result.output_tokens if result else None
            row.latency_ms = result.latency_ms if result else None
            row.attempts = row.attempts + 1
            row.error = error
            row.updated_at = utcnow()
            session.add(row)
            audit.record(
                session,
                actor=audit.SYSTEM_ACTOR,
                action=AuditAction.DRAFT_STORED,
                entity_kind="submission",
                entity_key=submission.reference,
                changes={"state": [before, state.value], "model": row.model, "prompt": row.prompt_version},
                note=error,
            )
            session.flush()
            session.refresh(row)
            session.expunge(row)
        return row

    def pending(self, limit: int = 50) -> list[int]:
        """Return processed submissions without a draft, and rules-only drafts to redo with the model."""
        with Session(self.engine) as session:
            undrafted = session.exec(
                select(Submission.id)
                .outerjoin(Draft, col(Draft.submission_id) == col(Submission.id))
                .where(col(Draft.id).is_(None))
                .where(col(Submission.state) == ProcessingState.PROCESSED)
                .limit(limit)
            ).all()
            redo: list[int | None] = []
            if self.drafter is not None:
                redo = list(
                    session.exec(
                        select(Draft.submission_id)
                        .where(
                            (col(Draft.state) == DraftState.RULES_ONLY)
                            | (
                                (col(Draft.state) == DraftState.DRAFT_FAILED)
                                & (col(Draft.attempts) < FAILED_DRAFT_ATTEMPTS)
                            )
                        )
                        .where(col(Draft.updated_at) <= utcnow() - self.redraft_after)
                        .order_by(col(Draft.updated_at))
                        .limit(limit)
                    ).all()
                )
        return [i for i in [*undrafted, *redo] if i is not None]

    def redraft_due(self, limit: int = 50) -> tuple[int, int]:
        """Draft what is pending; stop at the first model outage. Return (drafted by model, not)."""
        done = missed = 0
        for submission_id in self.pending(limit):
            outcome = self.draft(submission_id)
            if outcome.used_model or self.drafter is None:
                done += 1
                continue
            missed += 1
            if outcome.draft.state == DraftState.RULES_ONLY:
                break  # the model is down: the rest waits for the next pass
        return done, missed


def _keeps(stored: DraftState, new: DraftState) -> bool:
    """Return whether a stored draft must stay rather than be replaced by a `new` one."""
    if stored == DraftState.EDITED:
        return True
    return stored == DraftState.DRAFTED and new in (DraftState.RULES_ONLY, DraftState.DRAFT_FAILED)


def _source_text(submission: Submission) -> str:
    return f"{submission.title}\n{submission.raw_text}" if submission.title else submission.raw_text


def drafter_from_settings(settings: Settings) -> Drafter | None:
    """Return the configured model client, or None when no model is configured (rules only)."""
    if not settings.llm.configured:
        return None
    from intake.drafting.client import LangChainDrafter

    return LangChainDrafter(settings.llm)


def drafting_from_settings(settings: Settings, engine: Engine, process: ProcessDefinition) -> DraftingService:
    """Build the service from settings: checklists file, model client, language, staff directory."""
    from intake.drafting.checklists import load_checklists

    directory: tuple[str, ...] = ()
    path: Path | None = settings.staff_directory_file
    if path is not None:
        directory = tuple(
            line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
        )
    return DraftingService(
        engine,
        process,
        load_checklists(settings.checklists_file),
        drafter_from_settings(settings),
        language=settings.default_language,
        directory=directory,
        redraft_after=timedelta(seconds=settings.llm.redraft_interval_seconds),
        model_budget=(
            ratelimit.Limit("model", settings.limits.model_calls_per_hour, 3600)
            if settings.limits.model_calls_per_hour
            else None
        ),
    )
