"""What every CLI command shares: settings and lazily opened resources."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from pydantic import ValidationError

from intake.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from intake.services.drafting import DraftingService
    from intake.services.similarity import SimilarityService

F = TypeVar("F", bound=Callable[..., Any])


class CliContext:
    """Settings, engine and similarity service, each created on first use."""

    def __init__(self, data_dir: str | None = None) -> None:
        self._data_dir = data_dir
        self._settings: Settings | None = None
        self._engine: Engine | None = None
        self._similarity: SimilarityService | None = None
        self._drafting: DraftingService | None = None

    @property
    def settings(self) -> Settings:
        """Return the settings, with a readable message when the environment is wrong."""
        if self._settings is None:
            try:
                settings = Settings()
            except ValidationError as exc:
                raise click.ClickException(f"invalid BEREDNING_* settings:\n{exc}") from exc
            if self._data_dir:
                settings.data_dir = Path(self._data_dir)
            self._settings = settings
        return self._settings

    @property
    def engine(self) -> Engine:
        """Return the database engine; the schema must have been migrated."""
        if self._engine is None:
            from sqlalchemy.exc import OperationalError

            from intake.db import create_db_engine
            from intake.migrate import SchemaOutOfDate, ensure_current

            engine = create_db_engine(self.settings)
            try:
                ensure_current(engine)
            except SchemaOutOfDate as exc:
                raise click.ClickException(str(exc)) from exc
            except OperationalError as exc:
                raise click.ClickException(f"cannot open the database: {exc.orig}") from exc
            self._engine = engine
        return self._engine

    @property
    def similarity(self) -> SimilarityService:
        """Return the similarity service (loads the embedding model on first search)."""
        if self._similarity is None:
            from intake.domain.glossary import GlossaryFileError
            from intake.services.similarity import SimilarityService

            try:
                self._similarity = SimilarityService.from_settings(self.settings, self.engine)
            except GlossaryFileError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._similarity

    @property
    def drafting(self) -> DraftingService:
        """Return the drafting service (rules only when no model is configured)."""
        if self._drafting is None:
            from intake.domain.process import load_process
            from intake.services.drafting import drafting_from_settings

            process = load_process(self.settings.process_file)
            self._drafting = drafting_from_settings(self.settings, self.engine, process)
        return self._drafting

    def close(self) -> None:
        """Release the engine's connections."""
        if self._engine is not None:
            self._engine.dispose()


def cli_actor() -> str:
    """Who a command runs as, for the audit trail: `cli:<login name>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in some containers
        return "cli"


pass_ctx = click.make_pass_decorator(CliContext)
