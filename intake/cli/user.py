"""`beredning user add|list|passwd|disable|enable|forums|link`: staff accounts, roles, forum seats.

Passwords are read from a hidden prompt or, for scripts, from stdin with `--password-stdin`;
never from the command line, where `ps` and shell history would show them.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from intake.cli._context import CliContext, cli_actor, pass_ctx

ROLES = ("submitter", "digit", "forum", "admin")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on stdin")
        return password
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


_stdin = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin (for scripts)."
)


@click.group("user")
def user() -> None:
    """Staff accounts: add, list, change password, disable."""


@user.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the account may do.")
@click.option("--name", help="The person's name, shown in the pages and the audit trail.")
@click.option("--no-password", is_flag=True, help="No local password: the person logs in through OIDC only.")
@_stdin
@pass_ctx
def add(
    ctx: CliContext, email: str, role: str, name: str | None, no_password: bool, password_stdin: bool
) -> None:
    """Create an account for EMAIL with ROLE (the first one should be an admin)."""
    from intake.domain.accounts import Role
    from intake.services.accounts import AccountError, add_account
    from intake.services.passwords import PasswordTooShort

    password = None if no_password else _password(password_stdin)
    try:
        account = add_account(
            ctx.engine, email, Role(role), password, ctx.settings.auth, name=name, actor=cli_actor()
        )
    except (AccountError, PasswordTooShort) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {account.email} ({account.role.value})")


@user.command("forums")
@click.argument("email")
@click.option("--forum", "forums", multiple=True, help="A forum key (repeat): the seats become these.")
@click.option("--none", "clear", is_flag=True, help="Take every seat away.")
@pass_ctx
def forums(ctx: CliContext, email: str, forums: tuple[str, ...], clear: bool) -> None:
    """Show, or set, the forums a `forum` account sees and decides for."""
    from intake.domain.process import load_process
    from intake.services.accounts import AccountError, account_forums, set_forums

    known = [f.key for f in load_process(ctx.settings.process_file).forums]
    try:
        if forums or clear:
            seats = set_forums(ctx.engine, email, list(forums), known, actor=cli_actor())
        else:
            seats = account_forums(ctx.engine, email)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{email.strip().lower()}: {', '.join(seats) or 'no forum'}")


@user.command("link")
@click.argument("email")
@click.argument("subject")
@pass_ctx
def link(ctx: CliContext, email: str, subject: str) -> None:
    """Let the OIDC SUBJECT (`ISSUER|SUB`) sign in as EMAIL; the account keeps its role."""
    from intake.services.accounts import AccountError, link_oidc

    try:
        link_oidc(ctx.engine, email, subject, actor=cli_actor())
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{email.strip().lower()} now signs in through {subject.strip()}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def list_(ctx: CliContext, as_json: bool) -> None:
    """List the accounts with role, state and last login."""
    from intake.services.accounts import forums_of, list_accounts

    rows: list[dict[str, Any]] = [
        {
            "forums": forums_of(ctx.engine, a.id),
            "email": a.email,
            "name": a.name,
            "role": a.role.value,
            "disabled": a.disabled,
            "password": a.has_password,
            "oidc": a.oidc_subject is not None,
            "last_login_at": a.last_login_at.isoformat() if a.last_login_at else None,
        }
        for a in list_accounts(ctx.engine)
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no accounts; create the first with `beredning user add EMAIL --role admin`")
        return
    for r in rows:
        state = "disabled" if r["disabled"] else "active"
        last = r["last_login_at"] or "-"
        seats = f"  forums {','.join(r['forums'])}" if r["forums"] else ""
        click.echo(f"{r['email']:<40} {r['role']:<10} {state:<9} {r['name'] or ''}  last login {last}{seats}")


@user.command("passwd")
@click.argument("email")
@_stdin
@pass_ctx
def passwd(ctx: CliContext, email: str, password_stdin: bool) -> None:
    """Set a new password for EMAIL; its open sessions end."""
    from intake.services.accounts import AccountError, set_password
    from intake.services.passwords import PasswordTooShort

    password = _password(password_stdin)
    try:
        set_password(ctx.engine, email, password, ctx.settings.auth, actor=cli_actor())
    except (AccountError, PasswordTooShort) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"password changed for {email.strip().lower()}; its sessions have ended")


def _set_disabled(ctx: CliContext, email: str, disabled: bool) -> None:
    from intake.services.accounts import AccountError, set_disabled

    try:
        set_disabled(ctx.engine, email, disabled, actor=cli_actor())
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{'disabled' if disabled else 'enabled'} {email.strip().lower()}")


@user.command("disable")
@click.argument("email")
@pass_ctx
def disable(ctx: CliContext, email: str) -> None:
    """Disable EMAIL: no more logins, and its open sessions end at once."""
    _set_disabled(ctx, email, True)


@user.command("enable")
@click.argument("email")
@pass_ctx
def enable(ctx: CliContext, email: str) -> None:
    """Enable EMAIL again."""
    _set_disabled(ctx, email, False)


def register(main: click.Group) -> None:
    """Add the `user` group to `main`."""
    main.add_command(user)
