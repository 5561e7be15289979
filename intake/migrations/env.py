"""Alembic environment: runs against the connection that `intake.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import intake.models  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Run migrations on the connection passed in `config.attributes['connection']`."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; connect to the database")
run_migrations_online()
