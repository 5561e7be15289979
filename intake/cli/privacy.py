"""`beredning privacy`: the retention schedule, culling, register extracts and erasure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from intake.cli._context import CliContext, cli_actor, pass_ctx

if TYPE_CHECKING:
    from intake.domain.retention import Schedule
    from intake.services.register import Subject


def _schedule(ctx: CliContext) -> Schedule:
    from intake.domain.retention import RetentionFileError, load_schedule

    try:
        return load_schedule(ctx.settings.retention_file)
    except RetentionFileError as exc:
        raise click.ClickException(str(exc)) from exc


def _subject(email: str | None, name: str | None, reference: str | None) -> Subject:
    from intake.services.register import Subject, SubjectError

    try:
        return Subject.of(email=email, name=name, reference=reference)
    except SubjectError as exc:
        raise click.UsageError(str(exc)) from exc


def _who(f: Any) -> Any:
    for option in reversed(
        [
            click.option("--email", help="The person's e-mail address (their submissions, mails, account)."),
            click.option(
                "--name", help="The person's full name as they signed (submissions, mails, account)."
            ),
            click.option("--reference", help="One submission, e.g. IN-2026-00042, and what hangs on it."),
        ]
    ):
        f = option(f)
    return f


@click.group("privacy")
def privacy() -> None:
    """Personal data: the retention schedule, culling, register extracts and erasure."""


@privacy.command("schedule")
@click.option("--json", "as_json", is_flag=True, help="The schedule as JSON.")
@pass_ctx
def schedule_command(ctx: CliContext, as_json: bool) -> None:
    """Show the retention schedule in force (BEREDNING_RETENTION_FILE, or the shipped one)."""
    from intake.domain.retention import ALLOWED

    schedule = _schedule(ctx)
    if as_json:
        click.echo(json.dumps(schedule.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=2))
        return
    click.echo(f"plan: {schedule.plan}")
    click.echo(f"closed steps: {', '.join(schedule.closed_steps)}")
    for rule in schedule.rules:
        when = f"{rule.after_days} days after {rule.from_event.value}"
        click.echo(
            f"  {rule.id:<28} {rule.record.value:<14} {rule.action.value:<10} {when:<30} {rule.source}"
        )
    click.echo("erasure on request:")
    for step in schedule.erasure:
        click.echo(f"  {step.id:<28} {step.action:<10} if {step.only_if:<8} {step.source}")
    click.echo("records and what they allow:")
    for record, (events, actions) in ALLOWED.items():
        click.echo(f"  {record.value:<14} from {', '.join(sorted(events))}; {', '.join(sorted(actions))}")


@privacy.command("cull")
@click.option("--dry-run", is_flag=True, help="Count what the schedule would cull now; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="The counts per rule as JSON.")
@pass_ctx
def cull(ctx: CliContext, dry_run: bool, as_json: bool) -> None:
    """Apply the retention schedule now, as the daily flow does (it runs the same flow)."""
    from intake.cli.remind import _process, periodic_context
    from intake.models import utcnow
    from intake.reminders import local_day
    from intake.services import retention

    schedule = _schedule(ctx)
    now = utcnow()
    if dry_run:
        result = retention.cull(ctx.engine, schedule, now=now, dry_run=True).as_json()
    else:
        from flows import periodic, runtime
        from flows import retention as flow

        process = _process(ctx)
        with runtime.local_prefect(ctx.settings), periodic.bound(periodic_context(ctx, process)):
            result = flow.privacy_cull(local_day(process, now), now, by_hand=True)
        if result.get("outcome") == "failed":
            raise click.ClickException(f"culling failed: {result.get('error')}")
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    verb = "would cull or anonymise" if dry_run else "culled or anonymised"
    for rule_id, count in result["counts"].items():
        shown = "failed (see the log)" if count < 0 else str(count)
        click.echo(f"  {rule_id:<28} {shown:>7}   {result['sources'][rule_id]}")
    click.echo(f"{verb} {result['total']} records", err=True)


@privacy.command("export")
@_who
@click.option("--json", "as_json", is_flag=True, help="Everything as one JSON object on stdout.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the Swedish document here.",
)
@pass_ctx
def export(
    ctx: CliContext,
    email: str | None,
    name: str | None,
    reference: str | None,
    as_json: bool,
    html_file: Path | None,
) -> None:
    """Register extract (GDPR art. 15): everything held about one person.

    Without --json a readable Swedish document (HTML) goes to stdout, or to --html FILE.
    """
    from intake.cli.remind import _process
    from intake.services import register

    subject = _subject(email, name, reference)
    data = register.extract(ctx.engine, subject)
    if not register.holds_anything(data):
        raise click.ClickException("the service holds nothing about this person")
    html = register.render_html(data, _process(ctx).timezone)
    if html_file is not None:
        html_file.write_text(html, encoding="utf-8")
        click.echo(f"wrote {html_file}", err=True)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif html_file is None:
        click.echo(html)


@privacy.command("erase")
@_who
@click.option("--reason", help="Why (e.g. the request's diary number); personal data in it is masked.")
@click.option("--yes", is_flag=True, help="Erase without asking; otherwise show what would go and ask.")
@click.option("--json", "as_json", is_flag=True, help="What was done as JSON.")
@pass_ctx
def erase(
    ctx: CliContext,
    email: str | None,
    name: str | None,
    reference: str | None,
    reason: str | None,
    yes: bool,
    as_json: bool,
) -> None:
    """Erasure on request (GDPR art. 17): anonymise or delete the person's records by the schedule.

    Decided items are kept anonymised (an allmän handling), the rest is deleted; the account, mails,
    login attempts, the index, its files and Prefect's runs of the items follow. The audit keeps
    that it happened, by whom and under which rules, never what was erased.
    """
    from intake.services import erasure

    subject = _subject(email, name, reference)
    schedule = _schedule(ctx)
    try:
        plan = erasure.preview(ctx.engine, subject, schedule)
    except erasure.NothingToErase as exc:
        raise click.ClickException(str(exc)) from exc
    if not yes:
        _show(plan)
        if not click.confirm("Erase this?", err=True):
            raise click.ClickException("nothing erased")
    from flows import runtime

    try:
        with runtime.local_prefect(ctx.settings):
            done = erasure.carry_out(
                ctx.engine, ctx.similarity, ctx.settings, subject, schedule, actor=cli_actor(), reason=reason
            )
    except erasure.NothingToErase as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(done.as_json(), ensure_ascii=False, indent=2))
        return
    _show(done)
    click.echo(f"erasure {done.erasure_id} recorded", err=True)


def _show(plan: Any) -> None:
    for item in plan.submissions:
        click.echo(f"  {item.reference}: {item.action} ({item.rule}: {item.source})", err=True)
    for what, count in plan.counts.items():
        if count:
            click.echo(f"  {what}: {count}", err=True)


def register(main: click.Group) -> None:
    """Add `privacy` to the CLI."""
    main.add_command(privacy)
