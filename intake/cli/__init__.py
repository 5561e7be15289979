"""The `beredning` command line: everything staff can do in the pages, from a terminal.

Each command group lives in its own module and registers itself on `main` in `_register()`;
commands of the development tools (`bench`) come from entry points (`_plugins`).
Errors that users can fix are raised as `click.ClickException` with a plain message, never as a
traceback.
"""

from __future__ import annotations

import click

from intake.cli._context import CliContext, pass_ctx
from intake.cli._plugins import COMMANDS, PluginGroup

__all__ = ["CliContext", "main", "pass_ctx"]


@click.group(
    cls=PluginGroup,
    entry_point_group=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="beredning")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar="BEREDNING_DATA_DIR",
    help="Data directory with the SQLite file and the index (default ./data).",
)
@click.pass_context
def main(ctx: click.Context, data_dir: str | None) -> None:
    """Beredning: intake and triage of ideas for the IT development portfolio."""
    ctx.obj = CliContext(data_dir=data_dir)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    from intake.cli import (
        agenda,
        apikey,
        backup,
        db,
        demo,
        draft,
        evaluate,
        glossary,
        jobs,
        mail,
        portfolio,
        privacy,
        questions,
        redact,
        remind,
        search,
        serve,
        user,
        worker,
        workflow,
    )

    for module in (
        db,
        portfolio,
        search,
        serve,
        worker,
        jobs,
        evaluate,
        redact,
        draft,
        agenda,
        workflow,
        user,
        apikey,
        questions,
        remind,
        privacy,
        backup,
        glossary,
        mail,
        demo,
    ):
        module.register(main)


_register()
