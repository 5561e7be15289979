"""Commands that other installed distributions add to `beredning`, found through entry points.

The benchmarks and the generated test data are not part of the service: they ship in the
development distribution `beredning-bench` (`bench/`, installed by `make install`), which declares
its commands in these entry-point groups. Without it the commands are simply absent. Nothing is
imported until a command group lists or runs its commands, and then only the module that defines
the command: `beredning --help` stays fast and importing `intake.cli` starts nothing.

| group | an entry point names | for |
|---|---|---|
| `beredning.commands` | a `click.Command`, by its name | `beredning NAME` (`bench`) |
| `beredning.commands.mail` | a `click.Command`, by its name | `beredning mail NAME` (`bench`) |
| `beredning.evaluations` | `redact`: `(count, seed, as_json) -> None` | `beredning redact --evaluate` |
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any, cast

import click

COMMANDS = "beredning.commands"
MAIL_COMMANDS = "beredning.commands.mail"
EVALUATIONS = "beredning.evaluations"

NOT_INSTALLED = "the evaluation tools are not installed: make install"
"""What a command that needs the development distribution says without it."""

Evaluation = Callable[[int, int, bool], None]
"""Print an evaluation of `count` generated texts from `seed`, as JSON when asked."""


class ToolsNotInstalled(click.ClickException):
    """Raised when a command needs the development distribution and it is not installed."""

    exit_code = 2

    def __init__(self) -> None:
        super().__init__(NOT_INSTALLED)


@cache
def declared(group: str) -> dict[str, EntryPoint]:
    """Return the entry points of `group` by name, read from the installed metadata once."""
    return {ep.name: ep for ep in entry_points(group=group)}


def _load(ep: EntryPoint) -> Any:
    """Import what an entry point names; a broken one is reported on one line and skipped."""
    try:
        return ep.load()
    except (ImportError, AttributeError) as exc:
        click.echo(f"beredning: ignoring {ep.group} {ep.name} = {ep.value}: {exc}", err=True)
        return None


class PluginGroup(click.Group):
    """A command group that also offers the commands installed distributions declare for it.

    A command of the group itself always wins over a declared one of the same name.
    """

    def __init__(self, *args: Any, entry_point_group: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entry_point_group = entry_point_group

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return the group's own commands and the declared ones, sorted."""
        return sorted({*super().list_commands(ctx), *declared(self.entry_point_group)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return the group's own command, else the declared one (imported now), else None."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        ep = declared(self.entry_point_group).get(cmd_name)
        if ep is None:
            return None
        loaded = _load(ep)
        if loaded is not None and not isinstance(loaded, click.Command):
            click.echo(f"beredning: ignoring {ep.group} {ep.name} = {ep.value}: not a command", err=True)
            return None
        return loaded


def evaluation(name: str) -> Evaluation:
    """Return the evaluation `name` the development distribution declares.

    Raises:
        ToolsNotInstalled: no installed distribution declares it (or it cannot be imported).
    """
    ep = declared(EVALUATIONS).get(name)
    loaded = _load(ep) if ep is not None else None
    if not callable(loaded):
        raise ToolsNotInstalled()
    return cast("Evaluation", loaded)
