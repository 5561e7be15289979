"""`beredning jobs`: see the job queue and put a failed job back, for operators."""

from __future__ import annotations

import json

import click

from intake.cli._context import CliContext, pass_ctx


@click.group("jobs")
def jobs_group() -> None:
    """The triage jobs: what is queued, running and failed, and re-running a failed one."""


@jobs_group.command("list")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(["queued", "running", "done", "failed"]),
    help="Only jobs in these states (default: every state but done).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per job and line.")
@pass_ctx
def list_jobs(ctx: CliContext, states: tuple[str, ...], as_json: bool) -> None:
    """Show the counts per state, then the jobs asked for, the oldest change first."""
    from intake.domain.jobs import JobState
    from intake.services import jobs

    wanted = [JobState(s) for s in states] or [JobState.QUEUED, JobState.RUNNING, JobState.FAILED]
    rows = jobs.listing(ctx.engine, wanted)
    if as_json:
        for job, reference in rows:
            click.echo(
                json.dumps(
                    {
                        "reference": reference,
                        "kind": job.kind,
                        "state": job.state.value,
                        "attempts": job.attempts,
                        "lease_owner": job.lease_owner,
                        "lease_until": job.lease_until.isoformat() if job.lease_until else None,
                        "flow_run_id": job.flow_run_id,
                        "last_error": job.last_error,
                        "updated_at": job.updated_at.isoformat(),
                    },
                    ensure_ascii=False,
                )
            )
        return
    totals = jobs.counts(ctx.engine)
    click.echo(", ".join(f"{state.value} {n}" for state, n in totals.items()))
    for job, reference in rows:
        holder = f" held by {job.lease_owner}" if job.state == JobState.RUNNING else ""
        error = f": {job.last_error.splitlines()[0]}" if job.last_error else ""
        click.echo(f"{reference}  {job.kind}  {job.state.value}  attempt {job.attempts}{holder}{error}")


@jobs_group.command("retry")
@click.argument("references", nargs=-1, required=True)
@pass_ctx
def retry_jobs(ctx: CliContext, references: tuple[str, ...]) -> None:
    """Queue the triage job of each REFERENCE again with fresh attempts (after fixing the cause)."""
    from intake.services import jobs, submissions

    missing = []
    for reference in references:
        submission = submissions.get_by_reference(ctx.engine, reference)
        if submission is None or submission.id is None:
            missing.append(reference)
            continue
        if jobs.requeue(ctx.engine, submission.id):
            click.echo(f"{submission.reference}: queued")
        else:
            click.echo(f"{submission.reference}: running now, left to its worker")
    if missing:
        raise click.ClickException(f"no submission {', '.join(missing)}")


def register(main: click.Group) -> None:
    """Add `jobs` to the CLI."""
    main.add_command(jobs_group)
