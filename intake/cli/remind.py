"""`beredning remind`: the daily reminder digest for DigIT, printed and sent through its flow."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from intake.cli._context import CliContext, pass_ctx

if TYPE_CHECKING:
    from flows.periodic import PeriodicContext
    from intake.domain.process import ProcessDefinition


def _process(ctx: CliContext) -> ProcessDefinition:
    from intake.domain.process import ProcessFileError, load_process

    try:
        return load_process(ctx.settings.process_file)
    except ProcessFileError as exc:
        raise click.ClickException(str(exc)) from exc


def periodic_context(ctx: CliContext, process: ProcessDefinition) -> PeriodicContext:
    """The context the scheduled flows get in the job loops, for running them from the terminal."""
    from flows.periodic import PeriodicContext

    return PeriodicContext(ctx.settings, ctx.engine, process, ctx.similarity, ctx.drafting)


@click.command("remind")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Day of the digest, YYYY-MM-DD (default: today where the process runs). Another day counts "
    "waiting times up to its send hour.",
)
@click.option("--dry-run", is_flag=True, help="Print the digest only; send nothing and record nothing.")
@pass_ctx
def remind(ctx: CliContext, day: datetime | None, dry_run: bool) -> None:
    """Print the reminder digest (Markdown) and send it to DigIT, once per day.

    It lists the items that have waited longer than their step allows, oldest first, and the gap
    questions their submitters have not answered. Without --dry-run the digest goes out through
    the same flow as the scheduled one, so a day's digest is sent once however it is started; an
    empty digest is not sent.
    """
    from intake.models import utcnow
    from intake.reminders import build_digest, local_day, render_markdown, send_moment

    process = _process(ctx)
    settings = ctx.settings
    now = utcnow()
    wanted = day.date() if day else local_day(process, now)
    as_of = now if wanted == local_day(process, now) else send_moment(process, settings.reminders, wanted)
    digest = build_digest(ctx.engine, process, settings.reminders, wanted, as_of)
    click.echo(render_markdown(digest, process.timezone), nl=False)
    if dry_run:
        return
    if not settings.reminders.addresses:
        raise click.ClickException("no recipients: set BEREDNING_REMINDERS__RECIPIENTS (comma-separated)")
    from flows import periodic, runtime
    from flows import reminders as flow

    with runtime.local_prefect(settings), periodic.bound(periodic_context(ctx, process)):
        result = flow.reminder_digest(wanted, as_of)
    _report(ctx, wanted, result)


def _report(ctx: CliContext, day: Any, result: dict[str, Any]) -> None:
    from flows import reminders as flow

    outcome = result["outcome"]
    if outcome == "sent":
        click.echo(
            f"sent the digest of {day} to {len(result['sent_to'])}: {', '.join(result['sent_to'])}", err=True
        )
    elif outcome == "empty":
        click.echo(f"nothing to remind of on {day}: no digest sent", err=True)
    elif outcome == "failed":
        raise click.ClickException(
            f"could not send the digest of {day}: {result['error']} (tried again later)"
        )
    else:
        row = flow.row(ctx.engine, day)
        if row is not None and row.sent_at is not None:
            click.echo(f"the digest of {day} was sent already, at {row.sent_at:%Y-%m-%d %H:%M} UTC", err=True)
        elif row is not None and row.empty:
            click.echo(f"the digest of {day} was empty when it was built: not sent", err=True)
        else:
            click.echo(f"another process is sending the digest of {day} now", err=True)


def register(main: click.Group) -> None:
    """Add `remind` to the CLI."""
    main.add_command(remind)
