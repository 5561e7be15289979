"""Where the flows of this process report: a Prefect server, or Prefect's local API in the data dir.

With `PREFECT_API_URL` set, flow runs go to that server (the scaled-out shape). Without it,
Prefect 3.8 starts a temporary server process of its own on the first flow run (SQLite, UI off).
`local_prefect` settles four things Prefect leaves to chance there:

- its database would land in `~/.prefect`; unless `PREFECT_HOME` says otherwise it goes to the
  data directory, so that two data directories (or two test runs) never share run history;
- an empty `PREFECT_API_URL` counts as a server URL for Prefect's event worker, which then fails
  and the task states never reach the API; an empty value is treated as unset;
- it gives its temporary server 20 s to start, counted in sleeps; on a busy machine the first
  flow run then fails and the half-started server is never stopped; we allow five minutes;
- Prefect stops its temporary server from an exit handler, which never runs in a process ended
  by a signal (uvicorn re-raises SIGTERM after its graceful shutdown); the block stops it.

`load_prefect` imports Prefect's flow API without letting its logging setup take over the
loggers of the process that hosts it (uvicorn's access and server lines in the served app).
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from intake.settings import Settings

HOST_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
EPHEMERAL_STARTUP_SECONDS = 300
"""How long Prefect may take to start its temporary server (its own default is 20 s)."""


def load_prefect(keep: tuple[str, ...] = HOST_LOGGERS) -> None:
    """Import Prefect's flow API, keeping the loggers `keep` as the host process configured them.

    Prefect applies its logging configuration when `prefect.main` is first imported; for uvicorn's
    loggers that means new levels and handlers, and the served app's access log goes silent.
    """
    saved = [
        (logger, logger.level, list(logger.handlers), logger.propagate, logger.disabled)
        for logger in map(logging.getLogger, keep)
    ]
    importlib.import_module("prefect.main")
    for logger, level, handlers, propagate, disabled in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.propagate, logger.disabled = propagate, disabled


def api_url() -> str | None:
    """Return the Prefect server flows report to, or None for Prefect's local API."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


@contextmanager
def local_prefect(settings: Settings) -> Iterator[None]:
    """Run flows in the block against the configured server, or a local one that ends with the block.

    Prefect settings are context variables: this covers the calling thread, which is the one that
    starts Prefect's temporary server on its first flow run.
    """
    if api_url() is not None:
        yield
        return
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_HOME,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    updates: dict[Any, Any] = {}
    if not os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"):
        # Prefect waits 20 s (of sleeps, not wall time) for its temporary server; on a busy machine
        # that runs out, the flow fails, and the half-started server process is never stopped.
        updates[PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS] = EPHEMERAL_STARTUP_SECONDS
    if not os.environ.get("PREFECT_SERVER_ANALYTICS_ENABLED"):
        # The local server's telemetry heartbeat writes to its SQLite file while a flow does, and
        # prints "database is locked" tracebacks to the user; it has nowhere to report here anyway.
        updates[PREFECT_SERVER_ANALYTICS_ENABLED] = False
    if not os.environ.get("PREFECT_HOME"):
        home = (settings.data_dir / "prefect").resolve()
        home.mkdir(parents=True, exist_ok=True)
        updates[PREFECT_HOME] = home
    restore = [PREFECT_API_URL] if PREFECT_API_URL.value() is not None else []
    try:
        with temporary_settings(updates=updates, restore_defaults=restore):
            yield
    finally:
        stop_local_server()


_stopping = threading.Lock()


def stop_local_server() -> None:
    """Stop the temporary Prefect server of this process, if one was started (safe to repeat).

    Serialised: the app's shutdown and its job thread may both get here, and two overlapping
    `stop()` calls on Prefect's one server object can leave its process running (the second finds
    the first has just cleared the process handle, and fails before killing it).
    """
    from prefect.logging.handlers import APILogHandler
    from prefect.server.api.server import SubprocessASGIServer

    with _stopping:
        # Send the runs' last log lines while the server is up; its own "stopping" line must not
        # go to the API it stops (Prefect would print "Error logging to API" at exit).
        APILogHandler().flush()
        logger = logging.getLogger("prefect")
        quiet = _NotToApi()
        logger.addFilter(quiet)
        try:
            SubprocessASGIServer().stop()
        finally:
            logger.removeFilter(quiet)


class _NotToApi(logging.Filter):
    """Mark records so that Prefect's API handler skips them (`send_to_api`), others keep them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.send_to_api = False
        return True
