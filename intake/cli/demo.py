"""`beredning demo load`: invented submissions, triaged and reviewed, for a fresh install."""

from __future__ import annotations

from pathlib import Path

import click

from intake.cli._context import CliContext, pass_ctx

DEFAULT_FILE = Path("demo/submissions.yaml")


@click.group("demo")
def demo() -> None:
    """Demo data for trying the service on a fresh machine."""


@demo.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_FILE, required=False)
@pass_ctx
def load(ctx: CliContext, file: Path) -> None:
    """Add the submissions in FILE (default demo/submissions.yaml) that are not stored yet.

    Each is triaged here (masked, indexed, compared with the portfolio and the other submissions,
    drafted) and then handled as its entry says, so that the queue and the agendas have content.
    """
    from flows.triage_steps import run_in_process, triage_services
    from intake.services.demo import DemoFileInvalid, load_demo, read_demo_file

    try:
        demo_file = read_demo_file(file)
    except DemoFileInvalid as exc:
        raise click.ClickException(str(exc)) from exc
    drafting = ctx.drafting

    def triage(submission_id: int) -> str:
        # the similarity service (and its model) is only loaded when there is something to add
        return run_in_process(
            triage_services(ctx.settings, ctx.engine, ctx.similarity, drafting), submission_id
        )

    report = load_demo(
        ctx.engine, demo_file, ctx.settings.intake, triage, drafting.process, drafting.checklists
    )
    click.echo(f"demo submissions: {len(report.added)} added, {report.skipped} there already")
    if report.added:
        click.echo("  " + ", ".join(report.added))
    for refused in report.refused:
        click.echo(f"  not moved: {refused}", err=True)


def register(main: click.Group) -> None:
    """Add `demo` to the CLI."""
    main.add_command(demo)
