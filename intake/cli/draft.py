"""`beredning draft REF`: draft one submission again and print the draft and its gaps."""

from __future__ import annotations

import json
from typing import Any

import click

from intake.cli._context import CliContext, pass_ctx

_BASIS = {"stated": "angivet", "inferred": "tolkat", "empty": "tomt"}
_STATUS = {"covered": "täckt", "partly": "delvis", "missing": "saknas"}


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v)
    return str(value)


@click.command("draft")
@click.argument("reference")
@click.option("--force", is_flag=True, help="Draft again even when a reviewer has edited the draft.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@pass_ctx
def draft(ctx: CliContext, reference: str, force: bool, as_json: bool) -> None:
    """Draft submission REFERENCE (e.g. IN-2026-00042) again, with the model if one answers."""
    from intake.services import submissions

    submission = submissions.get_by_reference(ctx.engine, reference)
    if submission is None or submission.id is None:
        raise click.ClickException(f"no submission {reference.strip().upper()}")
    outcome = ctx.drafting.draft(submission.id, force=force)
    row = outcome.draft
    if as_json:
        click.echo(
            json.dumps(
                {
                    "reference": submission.reference,
                    "state": row.state.value,
                    "model": row.model,
                    "prompt_version": row.prompt_version,
                    "input_tokens": row.input_tokens,
                    "output_tokens": row.output_tokens,
                    "latency_ms": row.latency_ms,
                    "error": outcome.error,
                    "draft": row.content,
                    "gaps": row.gaps,
                },
                ensure_ascii=False,
            )
        )
        return
    how = f"modell {row.model}, prompt {row.prompt_version}" if row.model else "endast regler"
    click.echo(f"{submission.reference}: {row.state.value} ({how})")
    if outcome.error:
        click.echo(f"  obs: {outcome.error}")
    for name, field in row.content.items():
        if isinstance(field, dict) and field.get("value") not in (None, "", []):
            basis = _BASIS.get(str(field.get("basis")), str(field.get("basis")))
            click.echo(f"  {name} [{basis}]: {_value(field['value'])}")
    click.echo("Luckor:")
    for gap in row.gaps:
        if gap.get("status") == "covered":
            continue
        status = _STATUS.get(str(gap.get("status")), str(gap.get("status")))
        click.echo(f"  {gap.get('checklist_id')}/{gap.get('item_id')}: {status}")
        if gap.get("question"):
            click.echo(f"    fråga: {gap['question']}")


def register(main: click.Group) -> None:
    """Add `draft` to the CLI."""
    main.add_command(draft)
