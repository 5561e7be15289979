"""`beredning ask|answer`: questions to a submitter about a gap in the submission, and the answers."""

from __future__ import annotations

import getpass

import click

from intake.cli._context import CliContext, pass_ctx

_gap = click.option(
    "--gap",
    required=True,
    metavar="KEY",
    help="The gap as `beredning draft REF` shows it, e.g. uppstartsmote/tidsplan (or the item alone).",
)


def _user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in some containers
        return "cli"


@click.command("ask")
@click.argument("reference")
@_gap
@click.option("--question", metavar="TEXT", help="The question (default: the draft's or the checklist's).")
@click.option("--by", "actor", metavar="NAME", help="Who asks, for the audit trail (default: your user).")
@pass_ctx
def ask(ctx: CliContext, reference: str, gap: str, question: str | None, actor: str | None) -> None:
    """Ask the submitter of REFERENCE about one open gap; the answer is owed until recorded."""
    from intake.drafting.checklists import ChecklistFileError, load_checklists
    from intake.services import notify, questions

    mailed: list[str] = []
    hook = notify.question_by_mail(ctx.engine, ctx.settings)
    try:
        checklists = load_checklists(ctx.settings.checklists_file)
        asked = questions.ask(
            ctx.engine,
            reference,
            gap,
            actor or _user(),
            question=question,
            checklists=checklists,
            notify=lambda q: mailed.append(hook(q)),
        )
    except (questions.QuestionError, ChecklistFileError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{reference.strip().upper()}: frågat / asked about {asked.gap_key}: {asked.question}")
    # on stderr: stdout stays the one line scripts read
    click.echo(
        f"e-post till inskickaren / mail to the submitter: {mailed[0] if mailed else 'not tried'}", err=True
    )


@click.command("answer")
@click.argument("reference")
@_gap
@click.option("--text", required=True, metavar="TEXT", help="The submitter's answer.")
@click.option(
    "--by", "actor", metavar="NAME", help="Who records it, for the audit trail (default: your user)."
)
@pass_ctx
def answer(ctx: CliContext, reference: str, gap: str, text: str, actor: str | None) -> None:
    """Record the submitter's answer to the open question about a gap of REFERENCE."""
    from intake.services import questions

    try:
        answered = questions.answer(ctx.engine, reference, gap, text, actor or _user())
    except questions.QuestionError as exc:
        raise click.ClickException(str(exc)) from exc
    asked = f"{answered.asked_at:%Y-%m-%d} by {answered.asked_by}"
    click.echo(f"{reference.strip().upper()}: besvarat / answered {answered.gap_key} (asked {asked})")


def register(main: click.Group) -> None:
    """Add `ask` and `answer` to the CLI."""
    main.add_command(ask)
    main.add_command(answer)
