"""PostgreSQL for tests: a throwaway schema per test on the server at 127.0.0.1:5432.

Each test gets its own schema (`t_<random>`), selected through the connection's `search_path`,
so tests never see each other's tables and nothing is left behind. Where the server cannot be
reached the test is skipped with the reason, except under CI (`CI` set), where a missing
database must fail loudly instead of passing silently.

    from tests.pg import temporary_schema

    def test_something() -> None:
        with temporary_schema() as schema:
            engine = schema.engine()
            ...
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
URL_ENV = "TEST_POSTGRES_URL"
"""Environment variable that points the tests at another server."""


def pg_engine_url() -> str:
    """Return the URL of the test server: `$TEST_POSTGRES_URL`, else the local trust-auth one."""
    return os.environ.get(URL_ENV) or DEFAULT_URL


def unreachable_reason(url: str | None = None) -> str | None:
    """Return why the server cannot be used, or None when a connection works."""
    engine = sa.create_engine(url or pg_engine_url(), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        shown = sa.make_url(url or pg_engine_url()).render_as_string(hide_password=True)
        return f"PostgreSQL at {shown} is unreachable: {getattr(exc, 'orig', exc)}"
    finally:
        engine.dispose()
    return None


def require_pg(url: str | None = None) -> str:
    """Return the server URL; skip the test when it is unreachable, or fail when `CI` is set."""
    reason = unreachable_reason(url)
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)")
        pytest.skip(reason)
    return url or pg_engine_url()


@dataclass
class PgSchema:
    """A temporary schema: its name, a URL that selects it, and engines bound to it."""

    name: str
    server_url: str
    _engines: list[Engine] = field(default_factory=list)

    @property
    def connect_args(self) -> dict[str, Any]:
        """Return the `connect_args` that make every connection use this schema."""
        return {"options": f"-csearch_path={self.name}"}

    @property
    def url(self) -> str:
        """Return a URL selecting the schema, for code that only takes a URL (settings, CLI)."""
        url = sa.make_url(self.server_url).update_query_dict({"options": f"-csearch_path={self.name}"})
        return url.render_as_string(hide_password=False)

    def engine(self, **kwargs: Any) -> Engine:
        """Return an engine whose connections use the schema; disposed when the schema goes."""
        engine = sa.create_engine(self.server_url, connect_args=self.connect_args, **kwargs)
        self._engines.append(engine)
        return engine


@contextmanager
def temporary_schema(url: str | None = None) -> Iterator[PgSchema]:
    """Create a fresh schema, yield it, and drop it with everything in it afterwards."""
    server_url = require_pg(url)
    schema = PgSchema(name=f"t_{secrets.token_hex(6)}", server_url=server_url)
    admin = sa.create_engine(server_url)
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema.name}"'))
        yield schema
    finally:
        for engine in schema._engines:
            engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema.name}" CASCADE'))
        admin.dispose()
