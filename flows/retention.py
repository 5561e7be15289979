"""The daily culling by the retention schedule: run once a day, by whichever process looks first.

`PERIODIC` runs from every job loop (`flows.periodic`). From `privacy.cull_hour` in the process
file's time zone, a look checks whether today's run is finished; if not, the `privacy-cull` flow
runs: `claim-day` claims the day's `retention_run` row (`intake.reminders.claims`, as digests
are claimed), `apply-schedule` applies every rule (`intake.services.retention`), `flow-runs`
deletes Prefect's runs older than the `flow_run` rule allows, `scrub` takes what left SQL out of
the index and the files, and `record` writes the audit event with the counts per rule and
finishes the day's row. `beredning privacy cull` runs the same flow by hand (without the claim).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from flows.periodic import Periodic, PeriodicContext, bound, current
from intake.domain.retention import Action, Record, Schedule, load_schedule
from intake.models import RetentionRun, utcnow
from intake.reminders import claims, local_day
from intake.services import erasure, retention, scrubbing
from intake.services.similarity import SimilarityUnavailable, submission_key
from intake.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scrubbed:
    """What the scrub step reached: the index compacted, the database file vacuumed."""

    index: bool
    database: bool


def schedule_of(context: PeriodicContext) -> Schedule:
    """Return the configured retention schedule."""
    return load_schedule(context.settings.retention_file)


def due_moment(context: PeriodicContext, day: date) -> datetime:
    """Return when the culling of `day` may run: the configured hour where the process runs."""
    zone = ZoneInfo(context.process.timezone)
    return datetime(day.year, day.month, day.day, context.settings.privacy.cull_hour, tzinfo=zone)


def finished(context: PeriodicContext, day: date) -> bool:
    """Whether the culling of `day` has run to its end."""
    with Session(context.engine) as session:
        row = session.exec(select(RetentionRun).where(col(RetentionRun.day) == day)).first()
    return row is not None and row.finished_at is not None


def apply_flow_run_rule(schedule: Schedule, now: datetime, report: retention.CullReport) -> None:
    """Delete Prefect's runs older than the `flow_run` rules allow; count them in the report."""
    for rule in schedule.rules_for(Record.FLOW_RUN):
        if rule.action == Action.CULL:
            report.counts[rule.id] = scrubbing.flow_runs(before=rule.cutoff(now))


def scrub(context: PeriodicContext, report: retention.CullReport) -> Scrubbed:
    """Take what left SQL out of this process's index and compact it; empty the database's WAL.

    The index is rewritten only when documents left it or changed (culled login attempts leave it
    alone); culled rows are zeroed by `secure_delete`, so the database is checkpointed, not vacuumed.
    """
    if not report.total_changed():
        return Scrubbed(False, False)
    settings = context.settings
    database = scrubbing.database(context.engine, vacuum=False)
    if not (report.removed or report.reindex):
        return Scrubbed(False, database)
    similarity = context.similarity
    try:
        if report.removed:
            similarity.forget([submission_key(r) for r in report.removed])
        similarity.sync()
    except SimilarityUnavailable as exc:
        log.warning("index not updated now; every process follows at its next sync: %s", exc)
    index = scrubbing.index(similarity, None if settings.index.url else settings.chroma_path)
    return Scrubbed(index, database)


# --- the flow ------------------------------------------------------------------------------------


@task(name="claim-day", cache_policy=NO_CACHE)
def claim_day_task(day: date) -> claims.Held | None:
    """Claim the day's run unless it is finished or another process holds it."""
    context = current()
    lease = timedelta(seconds=context.settings.schedule.claim_seconds)
    return claims.claim(context.engine, claims.CULLS, {"day": day}, lease=lease)


@task(name="apply-schedule", cache_policy=NO_CACHE)
def apply_task(now: datetime) -> retention.CullReport:
    """Apply every rule of the retention schedule to SQL."""
    context = current()
    return retention.cull(context.engine, schedule_of(context), now=now)


@task(name="flow-runs", cache_policy=NO_CACHE)
def flow_runs_task(now: datetime, report: retention.CullReport) -> retention.CullReport:
    """Delete Prefect's own stored runs that the schedule no longer allows."""
    apply_flow_run_rule(schedule_of(current()), now, report)
    return report


@task(name="scrub", cache_policy=NO_CACHE)
def scrub_task(report: retention.CullReport) -> Scrubbed:
    """Leave nothing culled in the index or the database's free pages and WAL."""
    return scrub(current(), report)


@task(name="record", cache_policy=NO_CACHE)
def record_task(report: retention.CullReport, held: claims.Held | None) -> None:
    """Write the run's audit event and finish the day's row."""
    context = current()
    retention.record_run(context.engine, report, schedule_of(context))
    if held is not None:
        claims.update(context.engine, held, finished_at=utcnow(), counts=report.counts, claim_until=None)


@flow(name="privacy-cull", flow_run_name="privacy-cull-{day}", persist_result=False)
def privacy_cull(day: date, now: datetime, by_hand: bool = False) -> dict[str, Any]:
    """Apply the retention schedule for `day` unless another process has done or is doing it.

    By hand (`beredning privacy cull`) it runs whether or not the day's run has. Returns the
    report: `counts` per rule id, `total`, `sources`, and `outcome` (`done`, `taken`, `failed`).
    """
    held = None if by_hand else claim_day_task(day)
    if held is None and not by_hand:
        return {"day": day.isoformat(), "outcome": "taken"}
    # what a run can meet and leave for a later look: the database, the index, Prefect's API
    passing: tuple[type[BaseException], ...] = (
        SQLAlchemyError,
        SimilarityUnavailable,
        *scrubbing.prefect_errors(),
    )
    try:
        report = apply_task(now)
        report = flow_runs_task(now, report)
        scrubbed = scrub_task(report)
        record_task(report, held)
    except passing as exc:  # recorded in the row; a later look tries again
        if held is not None:
            claims.failed(current().engine, held, f"{type(exc).__name__}: {exc}")
        log.warning("culling of %s failed, tried again later: %s", day, exc)
        return {"day": day.isoformat(), "outcome": "failed", "error": str(exc)}
    return {"day": day.isoformat(), "outcome": "done", **report.as_json(), "index_compacted": scrubbed.index}


# --- the periodic entry --------------------------------------------------------------------------


def run(context: PeriodicContext, now: datetime) -> dict[str, Any] | None:
    """Cull once a day from the configured hour; start a flow run only while the day is open.

    Every look also deletes the Prefect runs that erasures made outside a Prefect context (a
    staff page) left pending: this runs in a job loop, where Prefect's API is at hand.
    """
    erasure.purge_flow_runs(context.engine)
    day = local_day(context.process, now)
    if now < due_moment(context, day) or finished(context, day):
        return None
    with bound(context):
        return privacy_cull(day, now)


def _interval(settings: Settings) -> float:
    return settings.privacy.cull_check_seconds


PERIODIC = Periodic(name="privacy-cull", interval=_interval, run=run)
