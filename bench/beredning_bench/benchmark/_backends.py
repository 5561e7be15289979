"""Where a benchmark's portfolio lives: in the data directory, or on servers as in production.

`embedded` is the default shape: SQLite and Chroma's files in the temporary data directory, one
process holding both. `scale_out` is the shape `docker-compose.yml` describes, on loopback: the
app's tables in a temporary PostgreSQL database (created on the `--pg-url` server, dropped after)
and the index in a `chroma run` server process (the chromadb package's own server) over a folder
of the temporary directory. The build and the served app reach both by URL, as a deployment does.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from beredning_bench.benchmark._server import BenchError, free_port, log_tail, stop

CHROMA_START_SECONDS = 120.0


@dataclass(frozen=True)
class Backends:
    """The database and index a run uses; `None` URLs mean the data directory's own files.

    `index_files` is the folder holding Chroma's `chroma.sqlite3` (read for its write mark);
    `index_server_pid` is the Chroma server's process, whose peak RSS is reported beside the app's.
    """

    database_url: str | None
    index_url: str | None
    index_files: Path
    index_server_pid: int | None = None

    @property
    def shape(self) -> str:
        """Return "scale-out" when the index is a server's, else "embedded" (`--json`'s `shape`)."""
        return "scale-out" if self.index_url else "embedded"


@contextmanager
def backends(scale_out: bool, pg_url: str, data_dir: Path) -> Iterator[Backends]:
    """Yield the embedded shape in `data_dir`, or with `scale_out` the servers, stopped afterwards.

    The Chroma server keeps its files in `data_dir` too, beside (not in) the embedded index's.

    Raises:
        BenchError: the database cannot be created or the Chroma server does not start.
    """
    if not scale_out:
        yield Backends(None, None, data_dir / "chroma")
        return
    files = data_dir / "chroma-server"
    with (
        temporary_database(pg_url) as database_url,
        chroma_server(files, data_dir / "chroma.log") as (url, pid),
    ):
        yield Backends(database_url, url, files, pid)


@contextmanager
def temporary_database(server_url: str) -> Iterator[str]:
    """Create a database on the server of `server_url`, yield its URL, drop it afterwards.

    Raises:
        BenchError: the server refuses (unreachable, or the role may not create databases).
    """
    server = sa.make_url(server_url)
    name = f"bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        except sa.exc.SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise BenchError(f"cannot create the app's database on {server.host}: {reason}") from exc
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def chroma_server(path: Path, log_path: Path) -> Iterator[tuple[str, int]]:
    """Run `chroma run` on loopback over `path`; yield its URL and process id once it answers.

    Raises:
        BenchError: the `chroma` command is missing, exits, or does not answer in time.
    """
    command = Path(sys.executable).parent / "chroma"
    if not command.is_file():
        raise BenchError(f"{command} not found: the chromadb package installs it")
    port = free_port()
    args = [str(command), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with log_path.open("w") as log:
        process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_heartbeat(url, process, log_path)
            yield url, process.pid
        finally:
            stop(process)


def _wait_heartbeat(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    import httpx

    deadline = time.monotonic() + CHROMA_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the Chroma server exited with {process.returncode}:\n{log_tail(log_path)}")
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise BenchError(f"the Chroma server did not answer within {CHROMA_START_SECONDS:.0f} s")
