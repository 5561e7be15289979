"""`beredning mail`: parse mail files, ingest them, or poll the shared mailbox once."""

from __future__ import annotations

import json
from pathlib import Path

import click

from intake.cli._context import CliContext, pass_ctx
from intake.cli._plugins import MAIL_COMMANDS, PluginGroup


@click.group("mail", cls=PluginGroup, entry_point_group=MAIL_COMMANDS)
def mail() -> None:
    """E-mail intake: parse and ingest .eml files, poll the mailbox."""


def _parse_one(path: Path, limits: object, own: tuple[str, ...]) -> dict[str, object]:
    from intake.mail.classify import classify
    from intake.mail.limits import MailLimits
    from intake.mail.parse import parse_mail

    assert isinstance(limits, MailLimits)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return {"file": str(path), "kind": "quarantine", "reason": f"cannot read the file: {exc.strerror}"}
    parsed = parse_mail(raw, limits)
    kind, reason = classify(parsed, own)
    result: dict[str, object] = {"file": str(path), "kind": kind}
    if kind == "submission":
        result.update(sender=parsed.sender, subject=parsed.subject, text=parsed.text)
    else:
        result["reason"] = reason
    result.update(
        message_id=parsed.message_id or None,
        attachments=[a.as_dict() for a in parsed.attachments],
        degraded=parsed.degraded,
    )
    return result


@mail.command("parse")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file and line.")
@pass_ctx
def parse(ctx: CliContext, files: tuple[Path, ...], as_json: bool) -> None:
    """Show what each mail FILE would become, without storing anything.

    Kinds: submission, automatic (auto-reply, bounce, list mail: recorded, not submitted) and
    quarantine (cannot be used; kept for a human).
    """
    from intake.mail.limits import MailLimits

    settings = ctx.settings
    limits = MailLimits.from_settings(settings.mailbox)
    own = tuple(a.lower() for a in (settings.smtp.sender, settings.mailbox.address) if a)
    for path in files:
        result = _parse_one(path, limits, own)
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False))
            continue
        detail = (
            f"{result.get('sender') or '-'}: {result.get('subject') or '-'}"
            if result["kind"] == "submission"
            else str(result.get("reason"))
        )
        click.echo(f"{path}\t{result['kind']}\t{detail}")


@mail.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@pass_ctx
def ingest(ctx: CliContext, files: tuple[Path, ...]) -> None:
    """Store each mail FILE and turn it into a submission, reply, automatic record or quarantine entry.

    The same file twice gives the first outcome again (nothing is stored twice). Each submission
    gets its triage job, run by the served app or `beredning worker`.
    """
    from intake.mail.pipeline import ingest as ingest_mail

    failed = 0
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            click.echo(f"{path}\terror\tcannot read the file: {exc.strerror}", err=True)
            failed += 1
            continue
        outcome = ingest_mail(ctx.engine, raw, ctx.settings, source="cli")
        parts = [str(path), outcome.kind, outcome.reference or "-", f"mail #{outcome.mail_id}"]
        if outcome.duplicate:
            parts.append("stored before")
        if outcome.note:
            parts.append(outcome.note)
        if outcome.ack:
            parts.append(f"acknowledgement {outcome.ack}")
        click.echo("\t".join(parts))
    if failed:
        raise click.ClickException(f"{failed} file(s) could not be read")


@mail.command("fetch")
@click.option("--json", "as_json", is_flag=True, help="The report as one JSON object.")
@pass_ctx
def fetch(ctx: CliContext, as_json: bool) -> None:
    """Poll the mailbox once now (BEREDNING_MAILBOX__*) and report what happened, with timings."""
    from intake.mail import ImapMailbox, MailboxError, poll

    settings = ctx.settings
    if not settings.mailbox.host:
        raise click.ClickException("no mailbox configured: set BEREDNING_MAILBOX__HOST and its login")
    try:
        with ImapMailbox(settings.mailbox) as source:
            report = poll(ctx.engine, settings, source)
    except MailboxError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    click.echo(
        f"{report.fetched} mails: {report.submissions} submissions, {report.replies} replies, "
        f"{report.automatic} automatic, {report.quarantined} quarantined, {report.duplicates} stored before, "
        f"{report.failed} left for the next poll; {report.mails_per_second:.1f} mails/s, "
        f"slowest {report.slowest_seconds * 1000:.0f} ms"
    )


def register(main: click.Group) -> None:
    """Add `beredning mail` to the command line."""
    main.add_command(mail)
