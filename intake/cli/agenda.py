"""`beredning agenda build|send|next|due`: a forum's agenda as a page, Markdown, invitation or e-mail."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from intake.cli._context import CliContext, pass_ctx

if TYPE_CHECKING:
    from intake.agenda import Agenda
    from intake.domain.process import Forum, ProcessDefinition


_forum_option = click.option(
    "--forum", "forum_key", required=True, help="Forum key from the process file, e.g. losningsforum."
)
_date_option = click.option(
    "--date",
    "meeting_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Meeting day, YYYY-MM-DD (default: the forum's next meeting from its cadence).",
)
_lang_option = click.option(
    "--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True, help="Language of the agenda."
)
_sender_option = click.option(
    "--sender", help="From address and organizer of the invitation [default: setting smtp.sender]."
)


@click.group("agenda")
def agenda() -> None:
    """Build and send the forums' agendas (dagordningar) from the items waiting for them."""


def _process(ctx: CliContext) -> ProcessDefinition:
    from intake.domain.process import ProcessFileError, load_process

    try:
        return load_process(ctx.settings.process_file)
    except ProcessFileError as exc:
        raise click.ClickException(str(exc)) from exc


def _forum(process: ProcessDefinition, key: str) -> Forum:
    from intake.agenda import UnknownForum, find_forum

    try:
        return find_forum(process, key)
    except UnknownForum as exc:
        raise click.BadParameter(
            f"no forum {key!r}; the process file has: {', '.join(exc.known)}", param_hint="'--forum'"
        ) from exc


def _meeting_day(forum: Forum, given: datetime | None) -> date:
    """The given day (warning when the cadence has no meeting then), else the next meeting that has
    not started yet (its agenda is still open)."""
    from intake.agenda import is_meeting_day, next_meeting, next_open_meeting
    from intake.models import utcnow

    if given is None:
        found = next_open_meeting(forum, utcnow())
        if found is None:
            raise click.UsageError(f"forum {forum.key!r} has no cadence in the process file: give --date")
        return found
    day = given.date()
    if forum.cadence is not None and not is_meeting_day(forum.cadence, day):
        click.echo(
            f"obs: {forum.key} has no meeting on {day} by its cadence (next: {next_meeting(forum, day)}); "
            "building the agenda anyway",
            err=True,
        )
    return day


def _build(ctx: CliContext, forum_key: str, meeting_date: datetime | None) -> Agenda:
    from intake.agenda import build_agenda
    from intake.drafting.checklists import ChecklistFileError, load_checklists
    from intake.services.similarity import glossary_for_reasons

    process = _process(ctx)
    forum = _forum(process, forum_key)
    day = _meeting_day(forum, meeting_date)
    try:
        checklists = load_checklists(ctx.settings.checklists_file)
    except ChecklistFileError as exc:
        raise click.ClickException(str(exc)) from exc
    return build_agenda(
        ctx.engine,
        process,
        forum.key,
        day,
        checklists=checklists,
        glossary=glossary_for_reasons(ctx.settings),
        base_url=ctx.settings.public_base_url,
    )


@agenda.command("build")
@_forum_option
@_date_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "html", "ics"]),
    default="markdown",
    show_default=True,
    help="Markdown text, a printable HTML page, or an iCalendar invitation.",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (default stdout)."
)
@_lang_option
@_sender_option
@pass_ctx
def build(
    ctx: CliContext,
    forum_key: str,
    meeting_date: datetime | None,
    fmt: str,
    out: Path | None,
    lang: str,
    sender: str | None,
) -> None:
    """Build the agenda of FORUM's meeting: items due, ready ones first, duplicates grouped."""
    from intake.agenda import render_html, render_ics, render_markdown

    built = _build(ctx, forum_key, meeting_date)
    if fmt == "html":
        text = render_html(built, lang)
    elif fmt == "ics":
        text = render_ics(built, organizer=sender or ctx.settings.smtp.sender, lang=lang)
    else:
        text = render_markdown(built, lang)
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        # newline="": the invitation's CRLF line ends are part of the format
        with out.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror}") from exc
    click.echo(f"{out}: {len(built.items)} items ({len(built.ready)} ready)", err=True)


@agenda.command("send")
@_forum_option
@_date_option
@click.option("--smtp-host", help="SMTP server [default: setting smtp.host, env BEREDNING_SMTP__HOST].")
@click.option(
    "--smtp-port",
    type=click.IntRange(1, 65535),
    help="SMTP port [default: setting smtp.port, env BEREDNING_SMTP__PORT].",
)
@_sender_option
@click.option("--to", "recipients", multiple=True, help="Send to these addresses instead of the members.")
@_lang_option
@pass_ctx
def send(
    ctx: CliContext,
    forum_key: str,
    meeting_date: datetime | None,
    smtp_host: str | None,
    smtp_port: int | None,
    sender: str | None,
    recipients: tuple[str, ...],
    lang: str,
) -> None:
    """E-mail the agenda with the calendar invitation to the forum's members."""
    from intake.agenda import AgendaMailError, send_agenda

    smtp = ctx.settings.smtp
    overrides = {"host": smtp_host, "port": smtp_port, "sender": sender}
    smtp = smtp.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    built = _build(ctx, forum_key, meeting_date)
    try:
        accepted = send_agenda(built, smtp, recipients=list(recipients) or None, lang=lang)
    except AgendaMailError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"sent the agenda of {built.forum_key} {built.meeting.day} ({len(built.items)} items) "
        f"to {len(accepted)}: {', '.join(accepted)}"
    )


@agenda.command("next")
@_forum_option
@click.option(
    "--after",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Count from this day, YYYY-MM-DD (default today; a meeting that day counts).",
)
@click.option("--count", type=click.IntRange(1, 52), default=1, show_default=True, help="How many meetings.")
@pass_ctx
def next_(ctx: CliContext, forum_key: str, after: datetime | None, count: int) -> None:
    """Print the forum's next meeting day(s) from its cadence, one ISO date a line."""
    from datetime import timedelta

    from intake.agenda import next_meeting
    from intake.models import utcnow
    from intake.reminders.digest import local_day

    process = _process(ctx)
    forum = _forum(process, forum_key)
    day = after.date() if after else local_day(process, utcnow())
    for _ in range(count):
        found = next_meeting(forum, day)
        if found is None:
            raise click.ClickException(f"forum {forum.key!r} has no cadence in the process file")
        click.echo(found.isoformat())
        day = found + timedelta(days=1)


@agenda.command("due")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Look as on this day, YYYY-MM-DD (default today); missed agendas of the days before count too.",
)
@click.option(
    "--send", "send_now", is_flag=True, help="Build, store and send those not sent yet (the scheduled flow)."
)
@pass_ctx
def due(ctx: CliContext, day: datetime | None, send_now: bool) -> None:
    """Show the agendas due to be sent, and whether each went out; --send sends them, once each."""
    from flows import agenda as flow
    from flows import periodic

    process = _process(ctx)
    today, now = flow.today_and_now(process, day.date() if day else None)
    found = flow.due(process, today, now, ctx.settings.schedule.catch_up_days)
    errors: list[str] = []
    if send_now and flow.unsent(ctx.engine, found):
        from flows import runtime
        from intake.cli.remind import periodic_context

        with runtime.local_prefect(ctx.settings), periodic.bound(periodic_context(ctx, process)):
            results = flow.forum_agendas(today, now)
        errors = [f"{r['forum']} {r['day']}: {r['error']}" for r in results if "error" in r]
    if not found:
        click.echo(f"no agendas due on {today}")
    stored = flow.rows(ctx.engine, found)
    for forum_key, meeting_day in found:
        click.echo(f"{forum_key} {meeting_day}: {_dispatch_state(stored.get((forum_key, meeting_day)))}")
    if errors:
        raise click.ClickException("not sent (tried again later): " + "; ".join(errors))


def _dispatch_state(row: object) -> str:
    """Say in one line what became of a scheduled agenda."""
    from intake.models import AgendaDispatch, utcnow

    if not isinstance(row, AgendaDispatch):
        return "inte skickad ännu / not sent yet"
    if row.sent_at is not None:
        sent = f"{row.sent_at:%Y-%m-%d %H:%M} UTC"
        return f"skickad / sent {sent} to {len(row.recipients)} ({row.item_count} items)"
    if row.claim_until is not None and row.claim_until > utcnow():
        return f"skickas nu / being sent by {row.claimed_by}"
    if row.error:
        return f"misslyckades / failed {row.attempts}x, tried again later: {row.error}"
    return "inte skickad ännu / not sent yet"


def register(main: click.Group) -> None:
    """Add `agenda` to the CLI."""
    main.add_command(agenda)
