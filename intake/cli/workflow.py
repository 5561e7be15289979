"""`beredning move|moves|decide|duplicate`: drive an item through the preparation process.

Every command goes through `intake.services.workflow`, so the terminal obeys the same moves and
guards as the review pages, and leaves the same audit trail.
"""

from __future__ import annotations

import getpass
import json
from typing import TYPE_CHECKING

import click

from intake.cli._context import CliContext, pass_ctx

if TYPE_CHECKING:
    from intake.domain.process import ProcessDefinition
    from intake.drafting.checklists import ChecklistConfig


def _user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in some containers
        return "cli"


def _config(ctx: CliContext) -> tuple[ProcessDefinition, ChecklistConfig]:
    from intake.domain.process import ProcessFileError, load_process
    from intake.drafting.checklists import ChecklistFileError, load_checklists

    try:
        return load_process(ctx.settings.process_file), load_checklists(ctx.settings.checklists_file)
    except (ProcessFileError, ChecklistFileError) as exc:
        raise click.ClickException(str(exc)) from exc


def _named(process: ProcessDefinition, key: str) -> str:
    try:
        return f"{process.place_label(key).sv} ({key})"
    except KeyError:
        return key


_actor = click.option(
    "--as", "actor", metavar="NAME", help="Who acts, for the audit trail (default: your user)."
)


@click.command("move")
@click.argument("reference")
@click.option(
    "--to", "to_step", required=True, metavar="STEP", help="Step or state key or name, e.g. steg-2."
)
@click.option("--reason", metavar="TEXT", help="Why; needed to go back, pause, stop or override.")
@click.option("--override", is_flag=True, help="Override the guards that allow it (needs --reason).")
@_actor
@pass_ctx
def move(
    ctx: CliContext, reference: str, to_step: str, reason: str | None, override: bool, actor: str | None
) -> None:
    """Move submission REFERENCE to another step, if the process allows it now."""
    from intake.services import workflow

    process, checklists = _config(ctx)
    target = process.match_place(to_step) or to_step
    try:
        moved = workflow.move(
            ctx.engine,
            reference,
            target,
            actor or _user(),
            reason=reason,
            override=override,
            process=process,
            checklists=checklists,
        )
    except (workflow.SubmissionNotFound, workflow.TransitionRefused) as exc:
        raise click.ClickException(str(exc)) from exc
    last = workflow.history(ctx.engine, moved.reference)[-1]
    click.echo(f"{moved.reference}: {_named(process, last.from_step)} -> {_named(process, last.to_step)}")
    if last.overridden:
        click.echo(f"  åsidosatt / overridden: {', '.join(last.overridden)}")


@click.command("moves")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@pass_ctx
def moves(ctx: CliContext, reference: str, as_json: bool) -> None:
    """Show the moves submission REFERENCE can make now, and what blocks the others."""
    from intake.services import submissions, workflow

    process, checklists = _config(ctx)
    submission = submissions.get_by_reference(ctx.engine, reference)
    if submission is None:
        raise click.ClickException(f"no submission {reference.strip().upper()}")
    checks = workflow.allowed_moves(ctx.engine, reference, process=process, checklists=checklists)
    if as_json:
        rows = [
            {
                "to": c.target,
                "kind": c.move.kind if c.move else None,
                "allowed": c.allowed,
                "needs_reason": bool(c.move and c.move.reason),
                "needs_merge_target": bool(c.move and c.move.kind == "merge"),
                "blockers": [
                    {"guard": b.code, "sv": b.sv, "en": b.en, "overridable": b.overridable}
                    for b in c.blockers
                ],
            }
            for c in checks
        ]
        click.echo(
            json.dumps(
                {"reference": submission.reference, "step": submission.step, "moves": rows},
                ensure_ascii=False,
            )
        )
        return
    click.echo(f"{submission.reference} är i / is in {_named(process, submission.step)}")
    if not checks:
        click.echo("  inga flyttar / no moves")
    for c in checks:
        kind = c.move.kind if c.move else "?"
        needs = []
        if c.move and c.move.reason:
            needs.append("--reason")
        if kind == "merge":
            needs.append("beredning decide --decision merge --merge-into REF")
        state = "öppen / open" if c.allowed else "spärrad / blocked"
        if c.allowed and kind == "merge":
            state = "genom beslut / by decision"
        extra = f"  (kräver / needs {', '.join(needs)})" if needs else ""
        click.echo(f"  -> {_named(process, c.target)} [{kind}]: {state}{extra}")
        for b in c.blockers:
            click.echo(f"       - {b}")


@click.command("decide")
@click.argument("reference")
@click.option("--forum", required=True, metavar="FORUM", help="Forum key or name, e.g. losningsforum.")
@click.option(
    "--decision",
    required=True,
    metavar="DECISION",
    help="go-on, change, pause, stop or merge (or sv: gå vidare...).",
)
@click.option("--note", metavar="TEXT", help="The forum's note; it goes into the audit trail.")
@click.option("--merge-into", metavar="REF", help="With a merge: the submission or portfolio Nr it joins.")
@_actor
@pass_ctx
def decide(
    ctx: CliContext,
    reference: str,
    forum: str,
    decision: str,
    note: str | None,
    merge_into: str | None,
    actor: str | None,
) -> None:
    """Record a forum's decision on submission REFERENCE and move it as the process says."""
    from intake.services import workflow

    process, checklists = _config(ctx)
    try:
        decided = workflow.decide(
            ctx.engine,
            reference,
            process.match_forum_key(forum) or forum,
            decision,
            actor or _user(),
            note=note,
            merge_into=merge_into,
            process=process,
            checklists=checklists,
        )
    except (workflow.SubmissionNotFound, workflow.TransitionRefused) as exc:
        raise click.ClickException(str(exc)) from exc
    last = workflow.history(ctx.engine, decided.reference)[-1]
    rule = process.match_decision(decision)
    name = rule.name.sv if rule else decision
    click.echo(
        f"{decided.reference}: {name}, {_named(process, last.from_step)} -> {_named(process, last.to_step)}"
    )
    if last.merged_into_key:
        click.echo(f"  sammanslaget med / merged into {last.merged_into_key}")


@click.command("duplicate")
@click.argument("reference")
@click.argument("other")
@click.option("--confirm", "decision", flag_value="confirmed", help="It is a duplicate of OTHER.")
@click.option("--dismiss", "decision", flag_value="dismissed", help="It is not a duplicate of OTHER.")
@_actor
@pass_ctx
def duplicate(ctx: CliContext, reference: str, other: str, decision: str | None, actor: str | None) -> None:
    """Confirm or dismiss OTHER (a reference or Nr) as a duplicate of submission REFERENCE."""
    from intake.domain.duplicates import Decision
    from intake.services import workflow

    if decision is None:
        raise click.UsageError("say --confirm or --dismiss")
    try:
        candidate = workflow.resolve_duplicate(
            ctx.engine, reference, other, Decision(decision), actor or _user()
        )
    except workflow.SubmissionNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{reference.strip().upper()}: {candidate.other_key} {candidate.decision.value}")


def register(main: click.Group) -> None:
    """Add `move`, `moves`, `decide` and `duplicate` to the CLI."""
    for command in (move, moves, decide, duplicate):
        main.add_command(command)
