"""The database as the edges see it: an opaque engine handle, how to open one, the errors to catch.

`intake.web` names no ORM (the import contract `web-no-orm`): it holds the engine as an opaque
`Engine` that it hands to the services, opens and closes it here, and catches the storage errors
named here. The services are the code that opens sessions, queries and commits.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from intake.db import create_db_engine
from intake.migrate import current_revision, ensure_current, head_revision
from intake.settings import Settings

__all__ = [
    "DatabaseState",
    "DatabaseUnavailable",
    "Engine",
    "StorageConflict",
    "StorageError",
    "close_engine",
    "database_state",
    "open_engine",
]

StorageError = SQLAlchemyError
"""Any failure of the database: what a loop or a best-effort step catches to go on."""
DatabaseUnavailable = OperationalError
"""The database cannot be reached or is locked: a request answers 503 and may be tried again."""
StorageConflict = IntegrityError
"""A write collided with another one (a unique key taken meanwhile); the transaction rolled back."""


def open_engine(settings: Settings, *, ensure_schema: bool = False) -> Engine:
    """Create the engine for the configured database; nothing connects until asked.

    `ensure_schema`: connect now, create the schema in an empty database and refuse one at another
    revision (`intake.migrate.ensure_current` raises `SchemaOutOfDate`), as the served app starts.
    """
    engine = create_db_engine(settings)
    if ensure_schema:
        ensure_current(engine)
    return engine


def close_engine(engine: Engine) -> None:
    """Close the engine's pooled connections (at shutdown)."""
    engine.dispose()


@dataclass(frozen=True)
class DatabaseState:
    """What `/health` says of the database: which kind, and whether its schema is the code's."""

    dialect: str
    revision: str | None
    head: str | None

    @property
    def current(self) -> bool:
        """Whether the schema is the one this code needs."""
        return self.revision == self.head


def database_state(engine: Engine) -> DatabaseState:
    """Ask the database for one row and its schema revision.

    Raises:
        StorageError: the database cannot be reached or read.
    """
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    revision = current_revision(engine)
    return DatabaseState(dialect=engine.dialect.name, revision=revision, head=head_revision())
