"""`beredning db`: schema migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from intake.cli._context import CliContext, pass_ctx

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


@click.group("db")
def db() -> None:
    """Create or migrate the database schema."""


def _engine(ctx: CliContext) -> Engine:
    from intake.db import create_db_engine

    return create_db_engine(ctx.settings)


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_ctx
def upgrade(ctx: CliContext, revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    from intake.migrate import current_revision
    from intake.migrate import upgrade as run_upgrade

    engine = _engine(ctx)
    before = current_revision(engine)
    run_upgrade(engine, revision)
    where = engine.url.render_as_string(hide_password=True)
    click.echo(f"database {where}: {before or 'empty'} -> {current_revision(engine)}")


@db.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def downgrade(ctx: CliContext, revision: str, yes: bool) -> None:
    """Migrate the database down to REVISION (`base` drops every table and all data)."""
    from intake.migrate import current_revision
    from intake.migrate import downgrade as run_downgrade

    engine = _engine(ctx)
    if not yes:
        click.confirm(
            f"Downgrade {engine.url.render_as_string(hide_password=True)} to {revision}? Data may be lost",
            abort=True,
        )
    run_downgrade(engine, revision)
    click.echo(f"database now at {current_revision(engine) or 'base (empty)'}")


@db.command("current")
@pass_ctx
def current(ctx: CliContext) -> None:
    """Show the schema revision of the database and of this code."""
    from intake.migrate import current_revision, head_revision

    engine = _engine(ctx)
    click.echo(f"database: {current_revision(engine) or 'empty'}\ncode:     {head_revision()}")


def register(main: click.Group) -> None:
    """Add the `db` group to the CLI."""
    main.add_command(db)
