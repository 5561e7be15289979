"""The digest as Markdown (Swedish first, English second) and as the e-mail DigIT gets."""

from __future__ import annotations

from email.message import EmailMessage
from zoneinfo import ZoneInfo

from intake import outbox
from intake.domain.process import DEFAULT_TIMEZONE
from intake.reminders.digest import Digest


def _cell(text: str) -> str:
    """Make `text` safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|") or "–"


def render_markdown(digest: Digest, timezone: str = DEFAULT_TIMEZONE) -> str:
    """Return the digest as Markdown: the items waiting longest first, then the owed answers."""
    zone = ZoneInfo(timezone)
    lines = [
        f"# Påminnelser / Reminders {digest.day.isoformat()}",
        "",
        f"Läget {digest.as_of.astimezone(zone):%Y-%m-%d %H:%M} / As of that time.",
        "",
        f"## Väntar länge i sitt steg / Waiting long in their step ({len(digest.stale)})",
        "",
    ]
    if digest.stale:
        lines += [
            "| Ärende / Item | Titel / Title | Steg / Step | Dagar / Days | Gräns / Limit |",
            "|---|---|---|---:|---:|",
        ]
        lines += [
            f"| {i.reference} | {_cell(i.title)} | {_cell(i.step_name.sv)} ({i.step}) | "
            f"{i.days} | {i.limit_days} |"
            for i in digest.stale
        ]
    else:
        lines.append("Inga / None.")
    lines += [
        "",
        f"## Inskickaren är skyldig ett svar / The submitter owes an answer ({len(digest.owed)})",
        "",
    ]
    if digest.owed:
        lines += [
            "| Ärende / Item | Titel / Title | Lucka / Gap | Fråga / Question | Frågat / Asked "
            "| Dagar / Days |",
            "|---|---|---|---|---|---:|",
        ]
        lines += [
            f"| {o.reference} | {_cell(o.title)} | {o.gap_key} | {_cell(o.question)} | "
            f"{o.asked_at.astimezone(zone):%Y-%m-%d} {_cell(o.asked_by)} | {o.days} |"
            for o in digest.owed
        ]
    else:
        lines.append("Inga / None.")
    return "\n".join(lines) + "\n"


def subject(digest: Digest) -> str:
    """Return the subject line: the day and the two counts."""
    return (
        f"Påminnelser beredning {digest.day.isoformat()}: {len(digest.stale)} väntar länge, "
        f"{len(digest.owed)} obesvarade frågor"
    )


def digest_message(
    digest: Digest, *, sender: str, recipients: list[str], timezone: str = DEFAULT_TIMEZONE
) -> EmailMessage:
    """Build the digest e-mail (Markdown as plain text)."""
    message = outbox.new_message(sender, recipients, subject(digest))
    message.set_content(render_markdown(digest, timezone))
    return message
