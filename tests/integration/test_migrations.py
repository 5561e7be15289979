"""Migrations run up and down on SQLite and PostgreSQL and match the models exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from intake.db import create_db_engine
from intake.migrate import current_revision, downgrade, ensure_current, head_revision, upgrade
from intake.settings import Settings

pytestmark = pytest.mark.integration

TABLES = {"submission", "portfolio_item", "duplicate_candidate", "audit_event", "reference_counter"}


def _engine(tmp_path: Path, database_url: str) -> sa.Engine:
    return create_db_engine(Settings(data_dir=tmp_path, database={"url": database_url}))


def test_up_down_up(tmp_path: Path, database_url: str) -> None:
    engine = _engine(tmp_path, database_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(sa.inspect(engine).get_table_names()) >= TABLES
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert not TABLES & set(sa.inspect(engine).get_table_names())
    upgrade(engine)
    assert set(sa.inspect(engine).get_table_names()) >= TABLES


def test_migrations_match_the_models(tmp_path: Path, database_url: str) -> None:
    engine = _engine(tmp_path, database_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = create_db_engine(Settings(data_dir=tmp_path))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_empty_database_is_created_but_an_old_one_is_not_touched(tmp_path: Path, database_url: str) -> None:
    engine = _engine(tmp_path, database_url)
    ensure_current(engine)
    assert current_revision(engine) == head_revision()
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0000'")
    from intake.migrate import SchemaOutOfDate

    with pytest.raises(SchemaOutOfDate, match="beredning db upgrade"):
        ensure_current(engine)
