"""`beredning glossary`: show the glossary matching uses, check a file before it is put in force."""

from __future__ import annotations

import json
from pathlib import Path

import click

from intake.cli._context import CliContext, pass_ctx


@click.group("glossary")
def glossary() -> None:
    """The glossary of systems and terms that matching uses (see also the page /glossary)."""


@glossary.command("show")
@click.option("--json", "as_json", is_flag=True, help="The entries and where they come from as JSON.")
@pass_ctx
def show(ctx: CliContext, as_json: bool) -> None:
    """Print the glossary in force and where it comes from."""
    from intake.domain.glossary import GlossaryFileError
    from intake.services.glossary import in_force

    try:
        current = in_force(ctx.settings)
    except GlossaryFileError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        data = {"source": current.source, "editable": current.editable, **current.glossary.model_dump()}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{len(current.glossary.terms)} entries from {current.source}")
    for entry in current.glossary.terms:
        also = f" (also: {', '.join(entry.also)})" if entry.also else ""
        click.echo(f"  {entry.term}: {entry.means}{also}")


@glossary.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Check that FILE is a valid glossary; exit 1 with the reason if not."""
    from intake.domain.glossary import GlossaryFileError, load_glossary_file

    try:
        checked = load_glossary_file(file)
    except GlossaryFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{file}: {len(checked.terms)} entries, valid")


def register(main: click.Group) -> None:
    """Add `glossary` to the CLI."""
    main.add_command(glossary)
