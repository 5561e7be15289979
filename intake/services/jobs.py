"""The job queue in SQL: work owed to a submission, leased by workers, never lost.

Why a table beside Prefect: the job row is committed in the same transaction as the submission
(`submissions.accept`), so a crash between "stored" and "flow started" cannot lose the work, and
Prefect does not re-run a flow whose process died. A worker takes a job with a lease (`claim`),
keeps the lease alive while the flow runs (`Worker`), and ends it (`complete`, `fail`). A worker
that dies stops renewing; `sweep` queues its job again once the lease has run out and another
worker runs it. The flows are idempotent, so a job that runs twice does no harm; `complete` and
`fail` only count for the claim that holds the lease, so the row records one outcome.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.domain.jobs import JobState
from intake.models import Job, utcnow
from intake.services import leases

log = logging.getLogger(__name__)

TRIAGE = "triage"
"""The kind of the job every accepted submission gets: the triage flow (`flows.triage`)."""
DEFAULT_LEASE = timedelta(minutes=5)
"""How long a claim holds without renewal; the worker renews it every third of this."""
DEFAULT_MAX_ATTEMPTS = 5
"""Claims of one job before it is left `failed` for a human (a crash counts as an attempt)."""
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)

_TABLE: sa.Table = Job.__table__  # type: ignore[attr-defined]
_C = _TABLE.c


@dataclass(frozen=True)
class Claim:
    """A job one worker holds: valid while `owner` is the row's `lease_owner`."""

    job_id: int
    submission_id: int
    kind: str
    owner: str
    attempts: int
    lease_until: datetime


def enqueue(
    session: Session, submission_id: int, kind: str = TRIAGE, *, run_after: datetime | None = None
) -> None:
    """Queue `kind` work for a submission in the caller's transaction.

    A finished or failed job of the same kind is queued again with its attempts reset; a running
    one is left to its worker.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    statement = insert(_TABLE).values(
        submission_id=submission_id,
        kind=kind,
        state=JobState.QUEUED.value,
        run_after=run_after,
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[_C.submission_id, _C.kind],
        set_={
            "state": JobState.QUEUED.value,
            "run_after": run_after,
            "attempts": 0,
            "last_error": None,
            "lease_until": None,
            "lease_owner": None,
            "finished_at": None,
            "updated_at": now,
        },
        where=_C.state != JobState.RUNNING.value,
    )
    session.execute(statement)


def release(engine: Engine, submission_id: int, kind: str = TRIAGE) -> None:
    """Make a held job due now (the caller has finished what it held the job for)."""
    queued = (_C.submission_id == submission_id, _C.kind == kind, _C.state == JobState.QUEUED.value)
    _update(engine, queued, run_after=None, updated_at=utcnow())


def claim(
    engine: Engine,
    worker: str,
    *,
    lease: timedelta = DEFAULT_LEASE,
    kinds: Sequence[str] = (TRIAGE,),
    submission_id: int | None = None,
    now: datetime | None = None,
) -> Claim | None:
    """Take the oldest due job (of one submission, if given) with a lease; None when none is due.

    One statement, so two workers never get the same job: on PostgreSQL the row is picked with
    `FOR UPDATE SKIP LOCKED` (workers do not wait for each other); on SQLite the UPDATE takes the
    database's write lock before it reads, and re-checks the state.
    """
    now = now or utcnow()
    # The row is picked through an alias: a subquery on the table itself would be correlated
    # with the UPDATE and pick nothing.
    candidates = _TABLE.alias("candidate")
    pick = (
        sa.select(candidates.c.id)
        .where(_due(candidates.c, now, kinds, submission_id))
        .order_by(candidates.c.id)
        .limit(1)
    )
    if engine.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    due = _due(_C, now, kinds, submission_id)
    owner = leases.new_owner(worker)
    statement = (
        sa.update(_TABLE)
        .where(_C.id == pick.scalar_subquery(), due)
        .values(
            state=JobState.RUNNING.value,
            lease_until=now + lease,
            lease_owner=owner,
            attempts=_C.attempts + 1,
            updated_at=now,
        )
        .returning(_C.id, _C.submission_id, _C.kind, _C.attempts, _C.lease_until)
    )
    with engine.begin() as connection:
        row = connection.execute(statement).first()
    if row is None:
        return None
    return Claim(row.id, row.submission_id, row.kind, owner, row.attempts, row.lease_until)


def _due(c: Any, now: datetime, kinds: Sequence[str], submission_id: int | None) -> sa.ColumnElement[bool]:
    condition = sa.and_(
        c.state == JobState.QUEUED.value,
        sa.or_(c.run_after.is_(None), c.run_after <= now),
        c.kind.in_(list(kinds)),
    )
    return condition if submission_id is None else sa.and_(condition, c.submission_id == submission_id)


def renew(engine: Engine, held: Claim, lease: timedelta = DEFAULT_LEASE) -> bool:
    """Extend the lease; False when it was lost (swept after running out, or taken by another)."""
    now = utcnow()
    running = (*_held(held), _C.state == JobState.RUNNING.value)
    return _update(engine, running, lease_until=now + lease, updated_at=now) == 1


def complete(engine: Engine, held: Claim, *, flow_run_id: str | None = None) -> bool:
    """Mark the job done; False when another worker has taken it over (it will finish it).

    A job swept back into the queue but not yet taken again is still this claim's to finish:
    marking it done saves a second run.
    """
    now = utcnow()
    mine = (*_held(held), _C.state.in_([JobState.RUNNING.value, JobState.QUEUED.value]))
    done = {"state": JobState.DONE.value, "lease_until": None, "last_error": None, "run_after": None}
    return _update(engine, mine, **done, flow_run_id=flow_run_id, finished_at=now, updated_at=now) == 1


def fail(
    engine: Engine,
    held: Claim,
    error: str,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    now: datetime | None = None,
) -> JobState | None:
    """Record a failed attempt: queue the job again after a backoff, or give up after `max_attempts`.

    Returns the job's new state, or None when the claim no longer holds the lease.
    """
    now = now or utcnow()
    gave_up = held.attempts >= max_attempts
    state = JobState.FAILED if gave_up else JobState.QUEUED
    changed = _update(
        engine,
        (*_held(held), _C.state == JobState.RUNNING.value),
        state=state.value,
        lease_until=None,
        run_after=None if gave_up else now + backoff(held.attempts),
        last_error=error[:2000],
        finished_at=now if gave_up else None,
        updated_at=now,
    )
    return state if changed == 1 else None


def backoff(attempts: int) -> timedelta:
    """Return the wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, ... at most an hour."""
    delay: timedelta = BACKOFF_BASE * 2 ** max(attempts - 1, 0)
    return min(delay, BACKOFF_MAX)


def sweep(engine: Engine, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS, now: datetime | None = None) -> int:
    """Queue again the jobs whose lease ran out (their worker died); return how many.

    A job that has used up its attempts this way is marked `failed` instead: a job that kills
    every worker that runs it must not go round forever.
    """
    now = now or utcnow()
    expired = sa.and_(_C.state == JobState.RUNNING.value, leases.lapsed(_C.lease_until, now))
    out_of_attempts = _C.attempts >= max_attempts
    swept = _update(
        engine,
        (expired,),
        state=sa.case((out_of_attempts, JobState.FAILED.value), else_=JobState.QUEUED.value),
        lease_until=None,
        run_after=None,
        last_error="the lease ran out: the worker stopped without finishing",
        finished_at=sa.case((out_of_attempts, now), else_=None),
        updated_at=now,
    )
    if swept:
        log.warning("%d job(s) whose worker stopped were queued again", swept)
    return swept


def _held(held: Claim) -> tuple[Any, ...]:
    return (_C.id == held.job_id, _C.lease_owner == held.owner)


def _update(engine: Engine, where: tuple[Any, ...], **values: Any) -> int:
    with engine.begin() as connection:
        return int(connection.execute(sa.update(_TABLE).where(*where).values(**values)).rowcount)


def get(engine: Engine, submission_id: int, kind: str = TRIAGE) -> Job | None:
    """Return the job of `kind` of a submission, or None."""
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(
            select(Job).where(col(Job.submission_id) == submission_id, col(Job.kind) == kind)
        ).first()


def busy(engine: Engine, kind: str = TRIAGE, now: datetime | None = None) -> bool:
    """Tell whether jobs of `kind` are running or due now."""
    running = sa.and_(_C.state == JobState.RUNNING.value, _C.kind == kind)
    query = sa.select(_C.id).where(sa.or_(running, _due(_C, now or utcnow(), [kind], None))).limit(1)
    with engine.connect() as connection:
        return connection.execute(query).first() is not None


def counts(engine: Engine) -> dict[JobState, int]:
    """Return how many jobs are in each state (every state present, zero when none)."""
    query = sa.select(_C.state, sa.func.count()).group_by(_C.state)
    with engine.connect() as connection:
        found = {JobState(state): int(n) for state, n in connection.execute(query)}
    return {state: found.get(state, 0) for state in JobState}


def listing(engine: Engine, states: Sequence[JobState], limit: int = 200) -> list[tuple[Job, str]]:
    """Return jobs in `states` with their submission's reference, the oldest change first."""
    from intake.models import Submission

    query = (
        select(Job, Submission.reference)
        .join(Submission, col(Submission.id) == col(Job.submission_id))
        .where(col(Job.state).in_(list(states)))
        .order_by(col(Job.updated_at))
        .limit(limit)
    )
    with Session(engine, expire_on_commit=False) as session:
        return [(job, str(reference)) for job, reference in session.exec(query)]


def requeue(engine: Engine, submission_id: int, kind: str = TRIAGE) -> bool:
    """Queue a job again with fresh attempts (a human fixed the cause); False if it is running."""
    with Session(engine) as session:
        enqueue(session, submission_id, kind)
        session.commit()
    job = get(engine, submission_id, kind)
    return job is not None and job.state == JobState.QUEUED


Handler = Callable[[Claim], str | None]
"""Runs a claimed job; returns the Prefect flow run id (or None), raises when the job failed."""


@dataclass
class PassReport:
    """What one pass of a worker did."""

    done: int = 0
    failed: int = 0
    swept: int = 0


class Worker:
    """Claims jobs, runs them with `handler` while renewing the lease, and records the outcome."""

    def __init__(
        self,
        engine: Engine,
        handler: Handler,
        *,
        name: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        kinds: Sequence[str] = (TRIAGE,),
    ) -> None:
        self.engine = engine
        self.handler = handler
        self.name = name or leases.worker_name()
        self.lease = lease
        self.max_attempts = max_attempts
        self.kinds = tuple(kinds)

    def run_pending(self, stop: threading.Event | None = None, *, limit: int | None = None) -> PassReport:
        """Sweep expired leases, then run due jobs until none is left, `limit` is reached or `stop`."""
        report = PassReport(swept=sweep(self.engine, max_attempts=self.max_attempts))
        while limit is None or report.done + report.failed < limit:
            if stop is not None and stop.is_set():
                break
            held = claim(self.engine, self.name, lease=self.lease, kinds=self.kinds)
            if held is None:
                break
            if self.run(held):
                report.done += 1
            else:
                report.failed += 1
        return report

    def run_one(self, submission_id: int) -> bool | None:
        """Run the job of one submission now if it is due; None when it is not (another has it)."""
        held = claim(self.engine, self.name, lease=self.lease, kinds=self.kinds, submission_id=submission_id)
        return None if held is None else self.run(held)

    def run(self, held: Claim) -> bool:
        """Run a claimed job and record the outcome; return whether it succeeded."""
        with leases.Keeper(lambda: renew(self.engine, held, self.lease), self.lease, f"job {held.job_id}"):
            try:
                flow_run_id = self.handler(held)
            except Exception as exc:  # noqa: BLE001  # any failure of the flow is recorded, never fatal
                state = fail(
                    self.engine, held, f"{type(exc).__name__}: {exc}", max_attempts=self.max_attempts
                )
                log.warning(
                    "job %d (submission %d) failed, now %s: %s", held.job_id, held.submission_id, state, exc
                )
                return False
        if not complete(self.engine, held, flow_run_id=flow_run_id):
            log.info("job %d was taken over by another worker after its lease ran out", held.job_id)
        return True
