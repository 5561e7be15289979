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


# The modules that take longest (measured with --durations), first: the two xdist workers take
# whole modules in collection order (--dist loadscope), so a long module started last leaves one
# worker idle while the other finishes it.
HEAVY_FIRST = (
    "test_drafting_e2e.py",
    "test_triage_e2e.py",
    "test_periodic_cli.py",
    "test_mail_e2e.py",
    "test_triage.py",
    "test_auth.py",
    "test_api_server.py",
    "test_intake_failure.py",
    "test_bench_similar.py",
    "test_demo.py",
    "test_forum_pages.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the heaviest modules first; the rest keep their order."""
    rank = {name: n for n, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


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


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A temporary Prefect server for the module; yields its API URL.

    Per module, not per session: shared by the whole session, the server was found stopped
    (connection refused) by the periodic modules once the triage module had run before them on
    the same worker; the triage tests start and stop Prefect's local server in-process.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    home = tmp_path_factory.mktemp("prefect-home")
    with temporary_settings(updates={PREFECT_HOME: home}), prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())
