"""`beredning portfolio`: import, export and look up the common portfolio.

Import exit codes let scripts tell the cases apart: 0 every row imported, 1 some rows were
rejected (the others were imported), 2 the file could not be read at all.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from intake.cli._context import CliContext, pass_ctx

if TYPE_CHECKING:
    from intake.domain.portfolio import PortfolioEntry
    from intake.domain.process import ProcessDefinition
    from intake.portfolio import PortfolioSource
    from intake.services.portfolio import ImportReport

EXIT_REJECTED = 1
EXIT_UNREADABLE = 2


class UnreadableFile(click.ClickException):
    """A file that cannot be imported at all; exit code 2 as for other usage problems."""

    exit_code = EXIT_UNREADABLE


@click.group("portfolio")
def portfolio() -> None:
    """Import, export and look up the common portfolio ("gemensam portfölj")."""


@portfolio.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sheet", metavar="NAME", help="Excel sheet to read (default: the first).")
@click.option("--dry-run", is_flag=True, help="Check and count the rows but save nothing.")
@click.option("--no-index", is_flag=True, help="Do not update the search index now.")
@click.option("--actor", metavar="NAME", help="Name recorded in the audit trail (default: your user).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@pass_ctx
def import_(
    ctx: CliContext,
    file: Path,
    sheet: str | None,
    dry_run: bool,
    no_index: bool,
    actor: str | None,
    as_json: bool,
) -> None:
    """Import FILE (CSV or XLSX): add new items by Nr, update changed ones, keep the rest."""
    from sqlalchemy.exc import SQLAlchemyError

    from intake.portfolio import PortfolioFileError, parse_rows, read_portfolio
    from intake.services.portfolio import import_rows

    process = _process(ctx)
    try:
        source = read_portfolio(file, sheet=sheet)
    except PortfolioFileError as exc:
        raise UnreadableFile(str(exc)) from exc
    engine = ctx.engine
    with _progress(source.total, enabled=not as_json and sys.stderr.isatty()) as advance:
        try:
            report = import_rows(
                engine,
                parse_rows(source, process),
                source=file.name,
                actor=actor or _user(),
                dry_run=dry_run,
                on_row=advance,
            )
        except SQLAlchemyError as exc:
            raise click.ClickException(f"the database refused the import, nothing was saved: {exc}") from exc
    if as_json:
        payload = report.to_dict() | {"ignored_columns": source.columns.ignored, "notes": source.notes}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_report(report, source)
    if not dry_run and not no_index:
        _sync_index(ctx)
    if report.errors:
        sys.exit(EXIT_REJECTED)


@portfolio.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="Default: from the suffix.")
@click.option("--delimiter", default=";", show_default=True, help="CSV delimiter.")
@click.option(
    "--encoding",
    type=click.Choice(["utf-8-sig", "utf-8", "cp1252"]),
    help="CSV encoding (default utf-8-sig, which Excel opens right; utf-8 on stdout).",
)
@pass_ctx
def export(ctx: CliContext, file: Path, fmt: str | None, delimiter: str, encoding: str | None) -> None:
    """Write the portfolio to FILE as CSV or XLSX; `-` writes CSV to stdout."""
    from intake.portfolio import ExportEncodingError, write_csv, write_xlsx
    from intake.services.portfolio import export_items

    to_stdout = str(file) == "-"
    fmt = fmt or ("xlsx" if file.suffix.lower() in (".xlsx", ".xlsm") else "csv")
    if to_stdout and fmt == "xlsx":
        raise click.UsageError("XLSX cannot go to stdout; give a file name")
    if len(delimiter) != 1:
        raise click.UsageError("--delimiter must be one character, such as ';' or ','")
    process = _process(ctx)
    items = export_items(ctx.engine)
    try:
        if fmt == "xlsx":
            count = write_xlsx(items, file, process)
        elif to_stdout:
            count = _csv_to_stdout(items, process, delimiter, encoding or "utf-8")
        else:
            with file.open("wb") as stream:
                count = write_csv(
                    items, stream, process, delimiter=delimiter, encoding=encoding or "utf-8-sig"
                )
    except ExportEncodingError as exc:
        if not to_stdout:
            file.unlink(missing_ok=True)  # a half-written export would be mistaken for a whole one
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot write {file}: {exc.strerror or exc}") from exc
    if not to_stdout:
        click.echo(f"exported {count} items to {file}", err=True)


@portfolio.command("list")
@click.option(
    "--search",
    metavar="TEXT",
    help="Only items where every word of TEXT is in the Nr, title, project number or text.",
)
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_ctx
def list_(ctx: CliContext, search: str | None, limit: int, as_json: bool) -> None:
    """List portfolio items ordered by Nr."""
    from intake.portfolio.writer import money_text
    from intake.services.portfolio import list_items

    items = list_items(ctx.engine, search=search, limit=limit)
    if as_json:
        click.echo(json.dumps([_item_json(i) for i in items], ensure_ascii=False, indent=2))
        return
    if not items:
        click.echo("no items" + (f" matching {search!r}" if search else ""))
        return
    from intake.services.portfolio import two_percent_funded

    for item in items:
        cost = money_text(item.cost_sek, item.cost_text) or ""
        fund = "2%" if two_percent_funded(item) else ""
        click.echo(f"{item.nr:<8} {item.year or '':<5} {cost:>14} {fund:<3} {item.title}")


@portfolio.command("show")
@click.argument("nr")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@pass_ctx
def show(ctx: CliContext, nr: str, as_json: bool) -> None:
    """Show the portfolio item with Nr NR."""
    from intake.services.portfolio import get_item

    item = get_item(ctx.engine, nr)
    if item is None:
        raise click.ClickException(f"no portfolio item with Nr {nr!r}")
    data = _item_json(item)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key, value in data.items():
        if value is not None and not key.endswith("_sek"):
            click.echo(f"{key + ':':<20} {value}")


def register(main: click.Group) -> None:
    """Add the `portfolio` group to the CLI."""
    main.add_command(portfolio)


def _csv_to_stdout(
    items: list[PortfolioEntry], process: ProcessDefinition, delimiter: str, encoding: str
) -> int:
    from intake.portfolio import write_csv

    stream = sys.stdout.buffer
    try:
        count = write_csv(items, stream, process, delimiter=delimiter, encoding=encoding)
        stream.flush()
    except BrokenPipeError:
        # `| head` closed the pipe; that is the reader's choice, not an error. Point stdout at
        # /dev/null so that Python's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    return count


def _process(ctx: CliContext) -> ProcessDefinition:
    from intake.domain.process import ProcessFileError, load_process

    try:
        return load_process(ctx.settings.process_file)
    except ProcessFileError as exc:
        raise click.ClickException(str(exc)) from exc


def _user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in some containers
        return "cli"


@contextmanager
def _progress(total: int, *, enabled: bool) -> Iterator[Callable[[], None] | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("importing", total=total)
        yield lambda: progress.advance(task)


def _print_report(report: ImportReport, source: PortfolioSource) -> None:
    from rich.console import Console
    from rich.table import Table

    click.echo(f"{'dry run of import' if report.dry_run else 'imported'} {report.source}:")
    table = Table(show_header=False)
    for label, value in (
        ("created", report.created),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("rejected", len(report.errors)),
        ("warnings", len(report.warnings)),
    ):
        table.add_row(label, str(value))
    Console(highlight=False).print(table)
    if source.columns.ignored:
        click.echo(f"ignored columns: {', '.join(source.columns.ignored)}")
    for note in source.notes:
        click.echo(f"note: {note}")
    for warning in report.warnings:
        click.echo(f"line {warning.line}: warning: {warning.message}")
    for error in report.errors:
        click.echo(f"line {error.line}: {error.message}", err=True)
    if report.dry_run:
        click.echo("dry run: nothing was saved")


def _sync_index(ctx: CliContext) -> None:
    from intake.services.similarity import SimilarityUnavailable
    from retrieval import EmbeddingError, IndexUnavailable

    try:
        ctx.similarity.sync()
    except (SimilarityUnavailable, EmbeddingError, IndexUnavailable) as exc:
        click.echo(
            f"warning: the search index was not updated ({exc}); it will catch up on "
            "`beredning reindex` or at the next start of the service",
            err=True,
        )


def _item_json(item: PortfolioEntry) -> dict[str, Any]:
    from intake.services.portfolio import two_percent_funded

    return {
        "nr": item.nr,
        "year": item.year,
        "title": item.title,
        "project_number": item.project_number,
        "cost_sek": item.cost_sek,
        "cost_text": item.cost_text,
        "two_percent_sek": item.two_percent_sek,
        "two_percent_text": item.two_percent_text,
        "two_percent_funded": two_percent_funded(item),
        "focus_area": item.focus_area,
        "step": item.step,
        "description": item.description,
        "source": item.source,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
    }
