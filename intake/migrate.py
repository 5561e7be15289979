"""Schema migrations with Alembic, run from code so that no alembic.ini is needed."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

VERSION_TABLE = "alembic_version"


class SchemaOutOfDate(RuntimeError):
    """Raised when the database schema is older or newer than this version of the code."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", "intake:migrations")
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to `revision`."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the database down to `revision` (`base` removes every table)."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None for an empty database.

    Reads Alembic's version table directly: cheap and quiet enough for every `/health` call.
    """
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str | None:
    """Return the newest revision shipped with the code."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def ensure_current(engine: Engine) -> None:
    """Create the schema in an empty database; refuse to run against one at another revision.

    A fresh database is migrated automatically so that the embedded setup just works; an
    existing one is only migrated by an explicit `beredning db upgrade`, so that production
    upgrades happen when an operator chooses.
    """
    current = current_revision(engine)
    if current is None:
        upgrade(engine)
        return
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"the database is at revision {current}, this version needs {head}; "
            "run `beredning db upgrade` (back up the database first)"
        )
