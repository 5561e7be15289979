"""`beredning worker`: run the triage jobs outside the web process, as many workers as you like."""

from __future__ import annotations

import signal
import threading
import time
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING

import click

from intake.cli._context import CliContext, pass_ctx

if TYPE_CHECKING:
    from flows.periodic import PeriodicRunner
    from intake.services.jobs import Worker


@click.command("worker")
@click.option(
    "--interval",
    type=click.FloatRange(0.2),
    help="Seconds between looks for new jobs when there are none [default: setting jobs.poll_seconds].",
)
@click.option("--once", is_flag=True, help="Run the jobs that are due now, then exit.")
@click.option(
    "--lease",
    type=click.FloatRange(1.0),
    help="Seconds a job stays claimed without renewal; a worker that dies loses its job after this "
    "[default: setting jobs.lease_seconds].",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1),
    help="Attempts per job before it is left for a human [default: setting jobs.max_attempts].",
)
@click.option(
    "--redraft",
    is_flag=True,
    help="Also draft rules-only drafts again once the model answers (one process only: the app does it).",
)
@pass_ctx
def worker(
    ctx: CliContext,
    interval: float | None,
    once: bool,
    lease: float | None,
    max_attempts: int | None,
    redraft: bool,
) -> None:
    """Run queued triage flows until stopped.

    Each job is leased to one worker at a time, so any number of workers can run side by side; a
    job whose worker died is queued again by the next worker's sweep once its lease has run out.
    Flows report to the Prefect server at PREFECT_API_URL (without one, to a temporary local one).

    Redrafting (asking the model again for rules-only drafts) is the served app's: two processes
    redrafting one draft at once can overwrite the model's draft with a rules-only one. Give
    --redraft to one worker where no app redrafts.
    """
    from flows import runtime, triage, triage_steps
    from flows.periodic import PeriodicContext, PeriodicRunner
    from intake.domain.process import load_process
    from intake.services import jobs

    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"signal {signum}: finishing the current job", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    triage_steps.bind(triage_steps.triage_services(ctx.settings, ctx.engine, ctx.similarity, ctx.drafting))
    settings = ctx.settings.jobs
    interval = interval if interval is not None else settings.poll_seconds
    runner = jobs.Worker(
        ctx.engine,
        triage.run_job,
        lease=timedelta(seconds=lease if lease is not None else settings.lease_seconds),
        max_attempts=max_attempts if max_attempts is not None else settings.max_attempts,
    )
    periodic = PeriodicRunner(
        PeriodicContext(
            ctx.settings, ctx.engine, load_process(ctx.settings.process_file), ctx.similarity, ctx.drafting
        )
    )
    where = runtime.api_url() or "Prefect's local API"
    click.echo(f"worker {runner.name} started, flows report to {where}, jobs every {interval:g} s", err=True)
    with runtime.local_prefect(ctx.settings):
        _loop(ctx, runner, periodic, stop, interval, once, redraft)


def _loop(
    ctx: CliContext,
    runner: Worker,
    periodic: PeriodicRunner,
    stop: threading.Event,
    interval: float,
    once: bool,
    redraft: bool,
) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from intake.services import jobs

    while not stop.is_set():
        started = time.monotonic()
        try:
            report = runner.run_pending(stop)
            if report.done or report.failed or report.swept:
                click.echo(
                    f"{report.done} triaged, {report.failed} failed, {report.swept} re-queued", err=True
                )
            if not stop.is_set():
                periodic.tick()
            if redraft and not stop.is_set() and not jobs.busy(ctx.engine):
                drafted, missed = ctx.drafting.redraft_due()
                if drafted or missed:
                    click.echo(f"{drafted} drafted, {missed} left to the rules for now", err=True)
        except SQLAlchemyError as exc:
            click.echo(f"database unavailable, will retry: {exc}", err=True)
        if once:
            return
        stop.wait(max(0.0, interval - (time.monotonic() - started)))


def register(main: click.Group) -> None:
    """Add `worker` to the CLI."""
    main.add_command(worker)
