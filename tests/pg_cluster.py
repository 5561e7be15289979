"""A PostgreSQL cluster of a test's own, for tests that stop the database (never the shared one).

`initdb` and `pg_ctl` from Debian's PostgreSQL binaries, in the test's folder, on a free port of
127.0.0.1, trust authentication, no fsync (a test's data need not survive a power cut). Run as
root, as this machine's sessions are, the server runs as the `postgres` user, since PostgreSQL
refuses to run as root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.server import free_port

BIN = Path(os.environ.get("BEREDNING_PG_BIN", "/usr/lib/postgresql/15/bin"))


class PrivateCluster:
    """One cluster: `url` to connect, `stop()` and `start()` to take it away and bring it back."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stdout}{done.stderr}\n{log[-3000:]}")

    def init(self) -> None:
        """Create the cluster's files."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        """Start the server and wait until it takes connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop the server at once (open connections are cut, as in a crash or a failover)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A started cluster in a new folder under /tmp (pytest's folders are closed to the `postgres`
    user), stopped and removed afterwards; skipped where the binaries are missing."""
    if not (BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL binaries in {BIN} (set BEREDNING_PG_BIN)")
    folder = Path(tempfile.mkdtemp(prefix="beredning-pg-"))
    cluster = PrivateCluster(folder)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(RuntimeError):  # already stopped
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
