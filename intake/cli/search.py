"""`beredning similar|reindex|submit|retry`: search, index and intake from a terminal."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from intake.cli._context import CliContext, pass_ctx
from intake.services.similarity import SimilarityUnavailable
from retrieval import Match

if TYPE_CHECKING:
    from intake.services.jobs import Worker


def _match_json(match: Match, threshold: float) -> dict[str, object]:
    doc = match.document
    return {
        "kind": doc.kind,
        "ref": doc.ref,
        "title": doc.title,
        "score": round(match.score, 4),
        "parts": {k: round(v, 4) for k, v in match.parts.items()},
        "shared_terms": match.shared_terms,
        "reason": match.reason,
        "possible_duplicate": match.score >= threshold,
    }


def _print_matches(matches: list[Match], threshold: float) -> None:
    if not matches:
        click.echo("no similar items")
        return
    for rank, match in enumerate(matches, 1):
        doc = match.document
        flag = "  [möjlig dubblett]" if match.score >= threshold else ""
        title = doc.title or " ".join(doc.body.split())[:70]
        click.echo(f"{rank:>2}. {match.score:.3f}  {doc.kind:<10} {doc.ref:<14} {title}{flag}")
        click.echo(f"    {match.reason}")


@click.command("similar")
@click.argument("text", required=False)
@click.option("--limit", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--kind", type=click.Choice(["portfolio", "submission"]), help="Only this kind.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@pass_ctx
def similar(ctx: CliContext, text: str | None, limit: int, kind: str | None, as_json: bool) -> None:
    """Rank the portfolio items and submissions most similar to TEXT (or stdin), with reasons."""
    if text is None:
        if sys.stdin.isatty():
            raise click.UsageError("give TEXT or pipe it on stdin")
        text = sys.stdin.read()
    if len(text.strip()) < 3:
        raise click.UsageError("TEXT must have at least 3 characters")
    service = ctx.similarity
    try:
        matches = service.find_similar(text, limit=limit, kinds=[kind] if kind else None)
    except SimilarityUnavailable as exc:
        raise click.ClickException(f"similarity search unavailable: {exc}") from exc
    if as_json:
        payload = {"query": text, "results": [_match_json(m, service.flag_threshold) for m in matches]}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_matches(matches, service.flag_threshold)


@click.command("reindex")
@pass_ctx
def reindex(ctx: CliContext) -> None:
    """Rebuild the vector index from the SQL database (the source of truth)."""
    service = ctx.similarity
    with click.progressbar(length=1, label="indexing", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        try:
            count = service.rebuild(on_progress=progress)
        except SimilarityUnavailable as exc:
            raise click.ClickException(f"reindex failed, the old index is gone: {exc}") from exc
    if not ctx.settings.index.url:
        from intake.services import scrubbing

        scrubbing.chroma_files(ctx.settings.chroma_path)  # the dropped collection's files
    click.echo(f"indexed {count} documents")


@click.command("submit")
@click.option("--text", "text", help="The idea; read from stdin when left out.")
@click.option("--title", help="A short title.")
@click.option("--name", "submitter_name", help="Submitter's name.")
@click.option("--email", "submitter_email", help="Submitter's e-mail address.")
@click.option("--unit", "submitter_unit", help="Department or company.")
@click.option(
    "--wait",
    is_flag=True,
    help="Return once the item awaits review (triaged, drafted, in step 1), with its duplicates.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1),
    default=600.0,
    show_default=True,
    help="With --wait: give up waiting after this many seconds (the item stays queued).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@pass_ctx
def submit(
    ctx: CliContext,
    text: str | None,
    title: str | None,
    submitter_name: str | None,
    submitter_email: str | None,
    submitter_unit: str | None,
    wait: bool,
    timeout: float,
    as_json: bool,
) -> None:
    """Submit an idea as the API does: store it, then show its reference and similar items.

    With --wait the triage flow runs to its end first: a worker or the served app runs it, or
    this command does when none has taken it within a few seconds.
    """
    from intake.domain.submission import Channel, NewSubmission, SubmissionInvalid
    from intake.services import submissions

    if text is None:
        if sys.stdin.isatty():
            raise click.UsageError("give --text or pipe the text on stdin")
        text = sys.stdin.read()
    new = NewSubmission(
        text=text,
        channel=Channel.CLI,
        title=title,
        submitter_name=submitter_name,
        submitter_email=submitter_email,
        submitter_unit=submitter_unit,
    )
    try:
        if wait:
            accepted = submissions.accept(ctx.engine, new, ctx.settings.intake, actor="cli")
            assert accepted.id is not None
            _wait_for_review(ctx, accepted.id, accepted.reference, timeout, as_json)
            return
        outcome = submissions.submit(ctx.engine, ctx.similarity, new, ctx.settings.intake, actor="cli")
    except SubmissionInvalid as exc:
        raise click.ClickException(f"not accepted: {exc}") from exc
    row, threshold = outcome.submission, ctx.similarity.flag_threshold
    if as_json:
        payload = {
            "reference": row.reference,
            "state": row.state.value,
            "language": row.language,
            "error": outcome.error,
            "similar": [_match_json(m, threshold) for m in outcome.matches],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"received {row.reference} ({row.state.value})")
    if outcome.error:
        click.echo(f"processing will be retried: {outcome.error}", err=True)
    _print_matches(outcome.matches, threshold)


RUN_HERE_MARGIN = 0.5
"""Seconds beyond a worker's poll interval (`jobs.poll_seconds`) that `submit --wait` leaves the job
to a worker or the served app before running it itself: an idle worker has had its look by then."""


def _wait_for_review(
    ctx: CliContext, submission_id: int, reference: str, timeout: float, as_json: bool
) -> None:
    from intake.services import submissions

    click.echo(f"received {reference}; triaging", err=True)
    _await_job(ctx, submission_id, reference, timeout)
    row = submissions.get_by_reference(ctx.engine, reference)
    assert row is not None
    found = submissions.candidates(ctx.engine, submission_id)
    if as_json:
        duplicates = [
            {
                "kind": c.other_kind.value,
                "ref": c.other_key,
                "score": c.score,
                "parts": c.parts,
                "reason": c.reason,
                "shared_terms": c.shared_terms,
            }
            for c in found
        ]
        payload = {"reference": row.reference, "step": row.step, "duplicates": duplicates}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"{row.reference} awaits review in {row.step}")
    if not found:
        click.echo("no possible duplicates")
    for rank, candidate in enumerate(found, 1):
        kind = candidate.other_kind.value
        click.echo(
            f"{rank:>2}. {candidate.score:.3f}  {kind:<10} {candidate.other_key:<14} [möjlig dubblett]"
        )
        click.echo(f"    {candidate.reason}")


def _await_job(ctx: CliContext, submission_id: int, reference: str, timeout: float) -> None:
    """Wait until the triage job is done; run it here when no worker has taken it in a few seconds."""
    import time

    from intake.domain.jobs import JobState
    from intake.services import jobs

    started = time.monotonic()
    runner: Worker | None = None
    while True:
        job = jobs.get(ctx.engine, submission_id)
        if job is None:
            raise click.ClickException(f"{reference} has no triage job")
        if job.state == JobState.DONE:
            return
        if job.state == JobState.FAILED:
            raise click.ClickException(f"the triage of {reference} failed: {job.last_error}")
        waited = time.monotonic() - started
        if waited > timeout:
            raise click.ClickException(
                f"{reference} is still {job.state.value} after {timeout:g} s; a worker will finish it"
            )
        if job.state == JobState.QUEUED and waited >= ctx.settings.jobs.poll_seconds + RUN_HERE_MARGIN:
            runner = runner or _local_runner(ctx)
            ran = runner.run_one(submission_id)  # None: not due yet (a retry waits), or taken
            if ran is not None:
                if not ran:
                    failed = jobs.get(ctx.engine, submission_id)
                    click.echo(f"triage failed, will retry: {failed and failed.last_error}", err=True)
                continue
        time.sleep(0.3)


def _local_runner(ctx: CliContext) -> Worker:
    """A worker for this one job: the triage flow on the configured Prefect server, or its steps here.

    Without a Prefect server (`PREFECT_API_URL` unset) the steps run in this process in the
    flow's order (`run_in_process`), so that the command returns seconds after the work is done
    instead of starting, and waiting for, a temporary Prefect server of its own.
    """
    from flows import runtime, triage_steps
    from intake.services import jobs, leases

    services = triage_steps.triage_services(ctx.settings, ctx.engine, ctx.similarity, ctx.drafting)
    if runtime.api_url() is None:

        def here(held: jobs.Claim) -> None:
            triage_steps.run_in_process(services, held.submission_id)

        return jobs.Worker(ctx.engine, here, name=f"cli:{leases.worker_name()}")
    from flows import triage

    triage_steps.bind(services)
    return jobs.Worker(ctx.engine, triage.run_job, name=f"cli:{leases.worker_name()}")


@click.command("retry")
@pass_ctx
def retry(ctx: CliContext) -> None:
    """Process the submissions whose processing failed or stalled and whose retry time has come."""
    from intake.services import submissions

    ok, failed = submissions.process_due(ctx.engine, ctx.similarity, ctx.settings.intake)
    click.echo(f"{ok} processed, {failed} still failing")
    if failed:
        sys.exit(1)


def register(main: click.Group) -> None:
    """Add the search and intake commands to the CLI."""
    for command in (similar, reindex, submit, retry):
        main.add_command(command)
