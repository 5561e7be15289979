"""`beredning apikey add|list|revoke`: keys that let other systems use the JSON API.

The key is printed once, by `add`; only its hash is kept. Give a mail gateway the `mail` scope,
a system that files needs the `submit` scope, a reporting tool the `read` scope.
"""

from __future__ import annotations

import json
from typing import Any

import click

from intake.cli._context import CliContext, cli_actor, pass_ctx
from intake.services.apikeys import SCOPES


@click.group("apikey")
def apikey() -> None:
    """API keys for other systems: add, list, revoke."""


@apikey.command("add")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    type=click.Choice(SCOPES),
    multiple=True,
    required=True,
    help="What the key may do; repeat for more than one.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the key is in `key`).")
@pass_ctx
def add(ctx: CliContext, name: str, scopes: tuple[str, ...], as_json: bool) -> None:
    """Make a key for NAME (the system that will use it) and print it once."""
    from intake.services.apikeys import ApiKeyProblem
    from intake.services.apikeys import add as add_key

    try:
        made = add_key(ctx.engine, name, list(scopes), created_by=cli_actor())
    except ApiKeyProblem as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        body = {"key": made.key, "prefix": made.row.prefix, "name": made.row.name, "scopes": made.row.scopes}
        click.echo(json.dumps(body, ensure_ascii=False))
        return
    click.echo(made.key)
    click.echo(
        f"key {made.row.prefix} for {made.row.name!r} ({', '.join(made.row.scopes)}): store it now, "
        "it cannot be shown again",
        err=True,
    )


@apikey.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def list_(ctx: CliContext, as_json: bool) -> None:
    """List the keys (prefix, name, scopes, last use); never the keys themselves."""
    from intake.services.apikeys import listed

    rows: list[dict[str, Any]] = [
        {
            "prefix": k.prefix,
            "name": k.name,
            "scopes": k.scopes,
            "created_at": k.created_at.isoformat(),
            "created_by": k.created_by,
            "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
            "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
        }
        for k in listed(ctx.engine)
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no API keys; make one with `beredning apikey add NAME --scope submit`")
        return
    for r in rows:
        state = f"revoked {r['revoked_at']}" if r["revoked_at"] else "active"
        last = r["last_used_at"] or "-"
        click.echo(f"{r['prefix']}  {','.join(r['scopes']):<18} {state:<10} {r['name']}  last used {last}")


@apikey.command("revoke")
@click.argument("prefix")
@pass_ctx
def revoke(ctx: CliContext, prefix: str) -> None:
    """Revoke the key with PREFIX (as `list` shows it); it stops working at once."""
    from intake.services.apikeys import ApiKeyProblem
    from intake.services.apikeys import revoke as revoke_key

    try:
        row = revoke_key(ctx.engine, prefix, by=cli_actor())
    except ApiKeyProblem as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"revoked {row.prefix} ({row.name})")


def register(main: click.Group) -> None:
    """Add the `apikey` group to `main`."""
    main.add_command(apikey)
