"""`beredning backup DIR` and `beredning restore DIR`: SQL only, erasures re-applied on restore."""

from __future__ import annotations

import json
from pathlib import Path

import click

from intake.cli._context import CliContext, pass_ctx


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, help="Where the backup went, its manifest and what was pruned."
)
@pass_ctx
def backup_command(ctx: CliContext, folder: Path, as_json: bool) -> None:
    """Back the database up into a new folder inside FOLDER; delete the backups there that aged out.

    SQLite is copied through its online backup API while the service runs, then vacuumed so no
    deleted row survives in the copy; PostgreSQL as JSON lines of the service's own tables. The
    index is not copied (it is rebuilt on restore). Backups older than the retention schedule's
    `backup` rule (35 days by default) in FOLDER are deleted, so an erasure reaches every copy.
    """
    from intake.cli.privacy import _schedule
    from intake.services import backup

    try:
        made = backup.backup(ctx.engine, folder, _schedule(ctx).backup_days())
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(made.as_json(), indent=2))
        return
    click.echo(f"backed up {made.manifest.database} at revision {made.manifest.revision} into {made.path}")
    for path in made.pruned:
        click.echo(f"deleted the aged-out backup {path}", err=True)


@click.command("restore")
@click.argument(
    "source", type=click.Path(file_okay=False, exists=True, path_type=Path)
)  # a backup, or a folder of them
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
@click.option("--json", "as_json", is_flag=True, help="What was restored and erased again, as JSON.")
@pass_ctx
def restore_command(ctx: CliContext, source: Path, yes: bool, as_json: bool) -> None:
    """Replace the database with the backup SOURCE (or the newest in it); erase again; rebuild the index.

    Stop the service (app and workers) first. Erasures recorded in the database being replaced are
    carried into the restored one and applied again before anything is served.
    """
    from intake.cli.privacy import _schedule
    from intake.db import create_db_engine
    from intake.services import backup, scrubbing
    from intake.services.similarity import SimilarityService, SimilarityUnavailable

    try:
        source = backup.resolve(source)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if not yes and not click.confirm(f"Replace the database with the backup {source}?", err=True):
        raise click.ClickException("nothing restored")
    engine = create_db_engine(ctx.settings)  # not ctx.engine: the schema may be newer than the backup's
    try:
        result = backup.restore(engine, source, _schedule(ctx))
        similarity = SimilarityService.from_settings(ctx.settings, engine)
        result["indexed"] = similarity.rebuild()
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    except SimilarityUnavailable as exc:
        raise click.ClickException(
            f"restored, but the index could not be rebuilt: {exc}; run beredning reindex"
        ) from exc
    finally:
        engine.dispose()
    if not ctx.settings.index.url:
        scrubbing.chroma_files(ctx.settings.chroma_path)
    scrubbing.database(engine)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(
            f"restored {source} (revision {result['revision']}): "
            f"{result['erasures_carried']} erasures carried over, "
            f"{result['reapplied']} records erased again, {result['indexed']} documents indexed"
        )


def register(main: click.Group) -> None:
    """Add `backup` and `restore` to the CLI."""
    main.add_command(backup_command)
    main.add_command(restore_command)
