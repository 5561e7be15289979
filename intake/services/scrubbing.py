"""After rows are deleted: make sure the bytes are gone from the files too.

A DELETE leaves the old bytes in SQLite's free pages and in its write-ahead log until they are
overwritten; Chroma marks a deleted vector and keeps the document's row in the free pages of its
own SQLite file; Prefect keeps the runs of a submission's triage flow. So erasure and culling
end here:

- the service's SQLite database runs with `secure_delete` (every connection, `intake.db`), and is
  vacuumed and checkpointed with a truncated WAL once the change is committed;
- Chroma's collection is rewritten from what it still holds (the stored vectors, nothing is
  embedded again) and the old one dropped; the embedded store's SQLite file is then vacuumed;
- Prefect's flow runs of erased submissions (and runs older than the schedule allows) are
  deleted through its API.

PostgreSQL keeps deleted tuples until VACUUM reclaims them and in its WAL until recycled;
docs/privacy.md says what that means for erasure and backups.
"""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from intake.db import is_sqlite
from intake.services.similarity import SimilarityService, SimilarityUnavailable

log = logging.getLogger(__name__)


CHECKPOINT_TRIES = 20
"""Tries to truncate the WAL while readers of other processes hold an old snapshot (0.5 s apart)."""


def database(engine: Engine, *, vacuum: bool = True) -> bool:
    """Vacuum the SQLite database (`vacuum`) and empty its WAL; False on PostgreSQL, or if the WAL stays.

    With `secure_delete` on, rows deleted now are zeroed as they go; the vacuum also clears free
    pages left by deletions from before it was switched on (an erasure asks for it).

    The WAL holds page images written before the deletion until it is truncated, which a reader
    still holding an old snapshot (another process's request) prevents for a moment: tried again.
    """
    if not is_sqlite(engine):
        return False
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("PRAGMA secure_delete=ON"))
        if vacuum:
            connection.execute(sa.text("VACUUM"))
        for _ in range(CHECKPOINT_TRIES):
            busy = connection.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)")).first()
            if busy is None or not busy[0]:
                return True
            time.sleep(0.5)
    log.warning("the SQLite WAL could not be truncated now (readers busy); the next run tries again")
    return False


def sqlite_file(path: Path) -> bool:
    """Vacuum another program's SQLite file (Chroma's) and empty its WAL; False if it is not there."""
    if not path.is_file():
        return False
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("PRAGMA secure_delete=ON")
        connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return True


def index(similarity: SimilarityService, chroma_path: Path | None) -> bool:
    """Rewrite the vector index without removed documents; clean the embedded store's files.

    Returns whether it could; a Chroma that is down is logged, and the next erasure or culling
    run compacts again (the documents themselves are already deleted).
    """
    try:
        if not similarity.compact():
            return False
    except SimilarityUnavailable as exc:
        log.warning("could not compact the vector index now: %s", exc)
        return False
    return chroma_path is None or chroma_files(chroma_path)


def chroma_files(chroma_path: Path) -> bool:
    """Vacuum embedded Chroma's SQLite file and remove the vector folders of dropped collections."""
    try:
        sqlite_file(chroma_path / "chroma.sqlite3")
        for folder in orphaned_segments(chroma_path):
            shutil.rmtree(folder, ignore_errors=True)
    except sqlite3.Error as exc:
        log.warning("could not vacuum Chroma's SQLite file: %s", exc)
        return False
    return True


_SEGMENT_FOLDER = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def orphaned_segments(chroma_path: Path) -> list[Path]:
    """Return the vector folders of dropped collections, which embedded Chroma leaves on disk.

    A folder is named by its segment's id; one that no segment in `chroma.sqlite3` names any more
    holds the vectors of a dropped collection (the one a compaction replaced).
    """
    database_file = chroma_path / "chroma.sqlite3"
    if not database_file.is_file():
        return []
    connection = sqlite3.connect(database_file, timeout=30)
    try:
        live = {row[0] for row in connection.execute("SELECT id FROM segments")}
    finally:
        connection.close()
    return sorted(
        p
        for p in chroma_path.iterdir()
        if p.is_dir() and _SEGMENT_FOLDER.match(p.name) and p.name not in live
    )


def prefect_errors() -> tuple[type[BaseException], ...]:
    """Return what Prefect's client raises when its API is down or refuses (imported when needed)."""
    import httpx
    from prefect.exceptions import PrefectException

    return (httpx.HTTPError, PrefectException, OSError)


def flow_runs(*, names: Sequence[str] = (), before: datetime | None = None) -> int:
    """Delete Prefect's flow runs by name, or all that started before `before`; return how many.

    Runs in the Prefect API of this process (a server, or the local one in the data directory).
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterName,
        FlowRunFilterStartTime,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    if not names and before is None:
        return 0
    deleted = 0
    with get_client(sync_client=True) as client:
        filters: list[FlowRunFilter] = []
        for start in range(0, len(names), 200):
            filters.append(FlowRunFilter(name=FlowRunFilterName(any_=list(names[start : start + 200]))))
        if before is not None:
            filters.append(FlowRunFilter(start_time=FlowRunFilterStartTime(before_=before)))
        for flow_filter in filters:
            while True:
                runs = client.read_flow_runs(flow_run_filter=flow_filter, sort=FlowRunSort.ID_DESC, limit=200)
                if not runs:
                    break
                for run in runs:
                    client.delete_flow_run(run.id)
                    deleted += 1
                if len(runs) < 200:
                    break
    return deleted
