"""Shared fixtures: the same integration tests run on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser import browser_page, chromium_browser  # noqa: F401 (the fixtures `browser` and `page`)
from tests.pg import temporary_schema

if TYPE_CHECKING:  # the app is imported by the fixtures, after pytest_configure has set the environment
    from sqlalchemy.engine import Engine

    from intake.settings import Settings

BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    # Models come from installed packages; nothing may be fetched from a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@contextmanager
def _database(backend: str, directory: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'test.sqlite3'}"
        return
    with temporary_schema() as schema:
        yield schema.url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database for one test: a SQLite file, or a throw-away PostgreSQL schema."""
    with _database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Like `database_url`, shared by the tests of one module (for a server started once)."""
    with _database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The app's settings for one test on a fresh database (each backend in turn) and data dir."""
    from intake.settings import Settings

    return Settings(data_dir=tmp_path, database={"url": database_url})


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """An engine on the fresh database of `settings`, migrated to the current schema."""
    from intake.db import create_db_engine
    from intake.migrate import upgrade

    made = create_db_engine(settings)
    upgrade(made)
    yield made
    made.dispose()


@pytest.fixture
def initiative(engine: Engine) -> str:
    """The portfolio initiative 22-04 in the fresh database, for items to name as a possible
    duplicate or to be merged into; returns its nr."""
    from sqlmodel import Session

    from intake.models import PortfolioItem

    with Session(engine) as session:
        session.add(PortfolioItem(nr="22-04", year=2022, title="SBK Parkeringsstillstånd"))
        session.commit()
    return "22-04"
