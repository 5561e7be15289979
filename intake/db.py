"""Engine and session factories. Nothing connects until a caller asks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake.settings import Settings


def create_db_engine(settings: Settings) -> Engine:
    """Create the engine for the configured database; SQLite gets WAL and foreign keys."""
    url = sa.make_url(settings.database_url)
    # An SQL error's message would otherwise carry the statement's parameters (a submission's
    # text, an e-mail address) into logs and tracebacks.
    kwargs: dict[str, Any] = {"echo": settings.database.echo, "hide_parameters": True}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        engine = sa.create_engine(url, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs["pool_size"] = settings.database.pool_size
    kwargs["pool_pre_ping"] = True
    return sa.create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web app read while a CLI import writes; busy_timeout waits instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted and overwritten rows are zeroed, so erased personal data is not left in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def is_sqlite(engine: Engine) -> bool:
    """Tell whether `engine` talks to SQLite (some statements differ)."""
    return engine.dialect.name == "sqlite"
