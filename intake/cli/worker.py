"""`beredning worker`: process submissions in the background, outside the web process."""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType

import click

from intake.cli._context import CliContext, pass_ctx


@click.command("worker")
@click.option(
    "--interval", type=click.FloatRange(0.5), default=10.0, show_default=True, help="Seconds between passes."
)
@click.option("--once", is_flag=True, help="Do one pass and exit.")
@pass_ctx
def worker(ctx: CliContext, interval: float, once: bool) -> None:
    """Process submissions whose processing failed or stalled, and draft them, until stopped."""
    from sqlalchemy.exc import SQLAlchemyError

    from intake.services import submissions

    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"signal {signum}: finishing the current pass", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"worker started, pass every {interval:g} s", err=True)
    while not stop.is_set():
        started = time.monotonic()
        try:
            ok, failed = submissions.process_due(ctx.engine, ctx.similarity, ctx.settings.intake)
        except SQLAlchemyError as exc:
            click.echo(f"database unavailable, will retry: {exc}", err=True)
        else:
            if ok or failed:
                click.echo(f"{ok} processed, {failed} still failing", err=True)
        try:
            drafted, missed = ctx.drafting.redraft_due()
        except SQLAlchemyError as exc:
            click.echo(f"database unavailable, will retry: {exc}", err=True)
        else:
            if drafted or missed:
                click.echo(f"{drafted} drafted, {missed} left to the rules for now", err=True)
        if once:
            return
        stop.wait(max(0.0, interval - (time.monotonic() - started)))


def register(main: click.Group) -> None:
    """Add `worker` to the CLI."""
    main.add_command(worker)
