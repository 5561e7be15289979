"""The triage flow: one run per submission, one task per step, visible in the Prefect UI.

mask -> embed and index -> find similar -> draft and check gaps -> await review (step 1).

The flow takes a submission id and nothing else; the steps (`flows.triage_steps`) call the
services bound for this process. Retries with backoff are declared on the tasks that talk to a
model or the index, and only for errors that can pass (the model or index down, a database
hiccup); a missing submission fails at once. Every step is idempotent, so a run repeated by a
retry, by the sweeper or by two workers leaves one draft, one index entry and one move to step 1.
A model that stays down does not hold the item back: the rules-only draft stands, the item goes
to review, and the drafting loop asks the model again later.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from sqlalchemy.exc import SQLAlchemyError

from flows import triage_steps as steps
from intake.services.jobs import Claim
from intake.services.similarity import SimilarityUnavailable

INDEX_RETRY_DELAYS: list[float] = [2, 10, 30]
"""Seconds before each retry of the embedding and index tasks."""
MODEL_RETRY_DELAYS: list[float] = [10]
"""Seconds before the retry of the drafting task. The model client has its own retries with
backoff inside each attempt, and while the model stays down later drafts skip this retry
(`triage_steps.MODEL_QUIET_SECONDS`), so that an outage does not hold every worker."""
DB_RETRY_DELAYS: list[float] = [1, 5]

TRANSIENT = (SimilarityUnavailable, steps.ModelUnavailable, SQLAlchemyError)
"""Errors worth a retry; anything else (a missing submission, a bug) fails the task at once."""


def _transient(_task: Any, _run: TaskRun, state: State[Any]) -> bool:
    """Tell whether the failed task's error can pass, so that a retry is worth it.

    The exception is read from the state's data when it is there, and only otherwise through
    `state.result()`, which depends on Prefect's process-wide result settings.
    """
    error: object = state.data
    if not isinstance(error, BaseException):
        try:
            error = state.result(raise_on_failure=False)
        except Exception:  # noqa: BLE001  # an unreadable result is treated as final
            return False
    return isinstance(error, TRANSIENT)


@task(
    name="mask",
    retries=len(DB_RETRY_DELAYS),
    retry_delay_seconds=DB_RETRY_DELAYS,
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
)
def mask_personal_data(submission_id: int) -> dict[str, int]:
    """Find the personal data that must never reach a model (kinds and counts only)."""
    return steps.mask_personal_data(steps.current(), submission_id)


@task(
    name="embed-and-index",
    retries=len(INDEX_RETRY_DELAYS),
    retry_delay_seconds=INDEX_RETRY_DELAYS,
    retry_jitter_factor=0.5,
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
)
def embed_and_index(submission_id: int) -> None:
    """Embed the submission and write it to the vector index."""
    steps.embed_and_index(steps.current(), submission_id)


@task(
    name="find-similar",
    retries=len(INDEX_RETRY_DELAYS),
    retry_delay_seconds=INDEX_RETRY_DELAYS,
    retry_jitter_factor=0.5,
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
)
def find_similar(submission_id: int) -> list[str]:
    """Store the possible duplicates from the portfolio and open submissions."""
    return steps.find_similar(steps.current(), submission_id)


@task(
    name="draft-and-check-gaps",
    retries=len(MODEL_RETRY_DELAYS),
    retry_delay_seconds=MODEL_RETRY_DELAYS,
    retry_jitter_factor=0.5,
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
)
def draft_and_check_gaps(submission_id: int) -> str:
    """Draft the initiative template and its checklist gaps (masked text only)."""
    return steps.draft(steps.current(), submission_id)


@task(
    name="await-review",
    retries=len(DB_RETRY_DELAYS),
    retry_delay_seconds=DB_RETRY_DELAYS,
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
)
def place_in_review(submission_id: int) -> str:
    """Move the submission to step 1, awaiting DigIT review."""
    return steps.await_review(steps.current(), submission_id)


@flow(name="triage", flow_run_name="triage-{submission_id}", persist_result=False)
def triage(submission_id: int) -> dict[str, Any]:
    """Carry one submission from intake to step 1, awaiting DigIT review."""
    personal_data = mask_personal_data(submission_id)
    embed_and_index(submission_id)
    duplicates = find_similar(submission_id)
    try:
        draft_state = draft_and_check_gaps(submission_id)
    except steps.ModelUnavailable:
        draft_state = "rules_only"  # stored already; the drafting loop asks the model again later
    step = place_in_review(submission_id)
    return {
        "submission_id": submission_id,
        "personal_data": personal_data,
        "duplicates": duplicates,
        "draft": draft_state,
        "step": step,
    }


class TriageFailed(RuntimeError):
    """The triage flow run of a job ended in a state other than completed."""


def run_job(held: Claim) -> str | None:
    """Run the triage flow for a claimed job: the handler of `intake.services.jobs.Worker`.

    Returns the flow run id, which the job row keeps so that operators can find the run.

    Raises:
        TriageFailed: the flow run failed or crashed; the job is retried with backoff.
    """
    state = triage(held.submission_id, return_state=True)
    run_id = state.state_details.flow_run_id
    if not state.is_completed():
        raise TriageFailed(f"flow run {run_id} ended {state.type.value}: {state.message}")
    return str(run_id) if run_id is not None else None
