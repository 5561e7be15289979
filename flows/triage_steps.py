"""What each task of the triage flow does, as plain functions over a submission id.

Kept apart from Prefect so that `flows.triage` only declares tasks, retries and their order, and
so that each step runs in a test without a Prefect server. Every step calls one service and
returns a small summary, which the Prefect UI shows as the task's result (kinds and counts,
never personal data). The services come from `TriageServices`, bound once per process: flows take
ids, not engines or ORM objects.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from flows.context import Slot
from intake.domain.drafts import DraftState
from intake.models import Draft, Submission
from intake.privacy import mask
from intake.services import audit, submissions, workflow
from intake.services.drafting import DraftingService
from intake.services.judge import DuplicateJudge, judge_candidates, judge_from_settings
from intake.services.similarity import SimilarityService
from intake.settings import Settings

MODEL_QUIET_SECONDS = 60.0
"""After the model failed, drafts in this process take the rules-only draft at once for this long,
instead of waiting for a retry: during an outage every item still reaches review without delay,
and the drafting loop asks the model again for all of them once it answers."""


class ModelUnavailable(RuntimeError):
    """The drafting model did not answer; a rules-only draft is stored meanwhile."""


@dataclass(frozen=True)
class TriageServices:
    """The long-lived objects the triage steps use; one set per process."""

    engine: Engine
    similarity: SimilarityService
    drafting: DraftingService
    judge: DuplicateJudge | None = None
    """The optional model judge of the best candidates (`BEREDNING_SIMILARITY__JUDGE=llm`)."""
    judge_top_k: int = 5
    """Candidates the judge sees per submission, best first."""


def triage_services(
    settings: Settings, engine: Engine, similarity: SimilarityService, drafting: DraftingService
) -> TriageServices:
    """Return the services with the judge the settings ask for (none by default).

    The judge talks to the drafting model, so it exists only where drafting has a model client.
    """
    return TriageServices(
        engine,
        similarity,
        drafting,
        judge=judge_from_settings(settings, drafting.drafter),
        judge_top_k=settings.similarity.judge_top_k,
    )


_SLOT: Slot[TriageServices] = Slot(
    "services for the triage flow", "call flows.triage_steps.bind (or use bound) first"
)
_lock = threading.Lock()
_model_failed_at: float | None = None


def bind(services: TriageServices | None) -> TriageServices | None:
    """Make `services` the ones the flows of this process use; return the previous ones."""
    return _SLOT.bind(services)


@contextmanager
def bound(services: TriageServices) -> Iterator[TriageServices]:
    """Use `services` for the flows run inside the block (tests, `beredning submit --wait`)."""
    with _SLOT.bound(services):
        yield services


def current() -> TriageServices:
    """Return the services bound for this block, else for this process (`flows.context`).

    Raises:
        RuntimeError: none are bound (the worker, the app and `submit --wait` bind them).
    """
    return _SLOT.current()


def mask_personal_data(services: TriageServices, submission_id: int) -> dict[str, int]:
    """Find the personal data that must never reach a model; return how many of each kind.

    Drafting masks the same text the same way before its model call; this step makes the finding
    visible and stops the flow before any model work if masking itself fails.
    """
    submission = _submission(services.engine, submission_id)
    text = f"{submission.title}\n{submission.raw_text}" if submission.title else submission.raw_text
    names = [submission.submitter_name] if submission.submitter_name else []
    redaction = mask(text, names=names, directory=services.drafting.directory)
    found: dict[str, int] = {}
    for span in redaction.spans:
        found[span.kind.value] = found.get(span.kind.value, 0) + 1
    return found


def embed_and_index(services: TriageServices, submission_id: int) -> None:
    """Embed and index the submission (an unchanged text is not embedded again)."""
    submissions.index(services.engine, services.similarity, submission_id)


def find_similar(services: TriageServices, submission_id: int) -> list[str]:
    """Store the possible duplicates (once) and return them as `kind:key score [verdict]`, best first.

    With a judge, the best candidates then get its verdict beside their score (once; advice only).
    A judge that fails or answers nonsense stores nothing and does not fail the step: the item
    goes on to drafting and review without the second opinion.
    """
    found = submissions.compare(services.engine, services.similarity, submission_id)
    if services.judge is not None and found:
        judge_candidates(
            services.engine,
            submission_id,
            services.judge,
            limit=services.judge_top_k,
            directory=services.drafting.directory,
        )
        found = submissions.candidates(services.engine, submission_id)
    return [
        f"{c.other_kind.value}:{c.other_key} {c.score:.3f}"
        + (f" {c.judge_verdict}" if c.judge_verdict else "")
        for c in found
    ]


def draft(services: TriageServices, submission_id: int) -> str:
    """Draft the initiative and its checklist gaps, unless a finished draft exists; return its state.

    Raises:
        ModelUnavailable: a model is configured but did not answer, and it had not failed in the
            last `MODEL_QUIET_SECONDS` either; the rules-only draft is stored, and the task retries.
    """
    global _model_failed_at
    drafting = services.drafting
    existing = _draft_state(services.engine, submission_id)
    finished = {DraftState.DRAFTED, DraftState.EDITED, DraftState.DRAFT_FAILED}
    if existing in finished or (existing == DraftState.RULES_ONLY and drafting.drafter is None):
        return existing.value
    outcome = drafting.draft(submission_id)
    if outcome.draft.state != DraftState.RULES_ONLY or drafting.drafter is None:
        _model_failed_at = None
        return outcome.draft.state.value
    now, last = time.monotonic(), _model_failed_at
    _model_failed_at = now
    if last is None or now - last >= MODEL_QUIET_SECONDS:
        raise ModelUnavailable(outcome.error or "the model did not answer")
    return outcome.draft.state.value


def await_review(services: TriageServices, submission_id: int) -> str:
    """Move the submission from intake to step 1, awaiting DigIT review; return the step it is in.

    Only an item still in the first step moves: a re-run must not pull back an item that a
    reviewer has moved on since.

    Raises:
        TransitionRefused: the process file does not allow the move.
    """
    process = services.drafting.process
    intake_step, review_step = process.steps[0].key, process.steps[1].key
    submission = _submission(services.engine, submission_id)
    if submission.step != intake_step:
        return submission.step
    try:
        moved = workflow.move(
            services.engine,
            submission.reference,
            review_step,
            audit.SYSTEM_ACTOR,
            reason="triage done: drafted, compared; awaiting DigIT review",
            process=process,
            checklists=services.drafting.checklists,
        )
    except workflow.TransitionRefused:
        # Another run of the same job may have moved it a moment ago; that is the same outcome.
        now = _submission(services.engine, submission_id).step
        if now == intake_step:
            raise
        return now
    return moved.step


def run_in_process(services: TriageServices, submission_id: int) -> str:
    """Run every step in order in this process, without Prefect; return the step the item is in.

    For callers that triage a handful of items where a Prefect API would only slow them down
    (loading the demo data). The flow (`flows.triage.triage`) runs these same steps as tasks.
    """
    mask_personal_data(services, submission_id)
    embed_and_index(services, submission_id)
    find_similar(services, submission_id)
    with contextlib.suppress(ModelUnavailable):  # the rules-only draft stands; redrafted later
        draft(services, submission_id)
    return await_review(services, submission_id)


def _submission(engine: Engine, submission_id: int) -> Submission:
    with Session(engine, expire_on_commit=False) as session:
        submission = session.get(Submission, submission_id)
    if submission is None:
        raise LookupError(f"no submission with id {submission_id}")
    return submission


def _draft_state(engine: Engine, submission_id: int) -> DraftState | None:
    with Session(engine) as session:
        state = session.exec(select(Draft.state).where(col(Draft.submission_id) == submission_id)).first()
    return DraftState(state) if state is not None else None
