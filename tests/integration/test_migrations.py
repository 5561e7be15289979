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


def test_a_reply_to_an_acknowledgement_sent_before_the_upgrade_still_links(
    tmp_path: Path, database_url: str
) -> None:
    """0010 copies the acknowledgements' Message-IDs into `sent_message`, which alone links replies."""
    from intake.mail.parse import ParsedMail
    from intake.mail.replies import find_thread

    engine = _engine(tmp_path, database_url)
    upgrade(engine, "0009_follow")
    now = "2026-11-30 10:00:00"
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO submission (reference, raw_text, channel, received_at, step, state, attempts, "
                "updated_at) VALUES ('IN-2026-00001', 'text', 'email', :now, 'steg-1', 'processed', 0, :now)"
            ),
            {"now": now},
        )
        submission_id = connection.execute(sa.text("SELECT id FROM submission")).scalar_one()
        connection.execute(
            sa.text(
                "INSERT INTO inbound_mail (message_id, sha256, raw, size, source, state, degraded, "
                "attachments, received_at, submission_id, ack_message_id) VALUES ('m1@kommun.se', :sha, "
                ":raw, 3, 'imap', 'submitted', '[]', '[]', :now, :sid, 'ack-1@beredning.test')"
            ),
            {"sha": "0" * 64, "raw": b"raw", "now": now, "sid": submission_id},
        )
    upgrade(engine)
    reply = ParsedMail(in_reply_to=["ack-1@beredning.test"])
    assert find_thread(engine, reply) == submission_id
    assert find_thread(engine, ParsedMail(in_reply_to=["m1@kommun.se"])) is None, (
        "their own mail's id links nothing"
    )
