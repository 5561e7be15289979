"""Serve the app as users run it, in its own process, and measure it from outside.

`python -m intake serve` starts on the data directory the build filled. It must find the index
built: content hashes unchanged, nothing embedded again. Two observations show whether it did
re-embed: the warnings `retrieval.search` logs when it cannot reuse stored vectors, and Chroma's
write sequence, which moves whenever a changed text is embedded and written back.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from intake.settings import Settings

POLL_SECONDS = 0.3
LOG_TAIL_CHARS = 3000


class BenchError(RuntimeError):
    """Raised when a step of the benchmark cannot run (the server does not start, the model fails)."""


@dataclass(frozen=True)
class ServedApp:
    """A running `beredning serve`: where it answers, its process id and how long it took to be ready."""

    base_url: str
    pid: int
    ready_seconds: float
    index_documents: int | None
    log_path: Path


def free_port() -> int:
    """Return a TCP port on loopback that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path) -> str:
    """Return the end of a server's log, for an error message (empty when unreadable)."""
    with suppress(OSError):
        return path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
    return ""


BENCH_SIMILAR_PER_MINUTE = 1_000_000
"""The served app's similar-items limit during a benchmark: out of the way."""


@contextmanager
def served_app(settings: Settings, log_path: Path, timeout: float) -> Iterator[ServedApp]:
    """Start `python -m intake serve` on `settings`' data, wait until warm, yield it, stop it.

    Warm means `/health` reports the model loaded, which the app does only after its first `sync`
    has brought the index in step with SQL.

    Raises:
        BenchError: the server exits, reports a failed model, or is not warm within `timeout`.
    """
    port = free_port()
    env = {
        **os.environ,
        "BEREDNING_DATA_DIR": str(settings.data_dir),
        "BEREDNING_DATABASE__URL": settings.database_url,
        "BEREDNING_INDEX__URL": settings.index.url or "",
        # one client asks hundreds of times a minute: the limit for a person typing would turn
        # most of them into fast 429s and the latencies into the rate limiter's
        "BEREDNING_LIMITS__SIMILAR_PER_MINUTE": str(BENCH_SIMILAR_PER_MINUTE),
    }
    command = [sys.executable, "-m", "intake", "serve", "--host", "127.0.0.1", "--port", str(port)]
    started = time.perf_counter()
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            base = f"http://127.0.0.1:{port}"
            documents = _wait_warm(base, process, log_path, timeout)
            yield ServedApp(base, process.pid, time.perf_counter() - started, documents, log_path)
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process the benchmark started; kill it when it has not exited after 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_warm(base: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float) -> int | None:
    import httpx

    deadline = time.monotonic() + timeout
    last = "no answer"
    with httpx.Client(base_url=base, timeout=10) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchError(f"the server exited with {process.returncode}:\n{log_tail(log_path)}")
            try:
                body = client.get("/health").json()
                last = str(body)
                model = body["model"]
                if model["ok"]:
                    found = re.match(r"(\d+) documents", str(body["index"]["detail"]))
                    return int(found.group(1)) if found else None
                if "failed" in str(model["detail"]):
                    raise BenchError(f"the server's model failed: {model['detail']}")
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                pass
            time.sleep(POLL_SECONDS)
    raise BenchError(f"the server was not warm after {timeout:.0f} s; last /health: {last}")


def http_latencies(base_url: str, warmup: Sequence[str], queries: Sequence[str]) -> tuple[list[float], int]:
    """Send `GET /api/similar?text=` for each query, one at a time; return timings (ms) and errors.

    The warm-up queries go first and are not timed. A response other than 200 is counted, not
    raised: its time is still what a user waited.
    """
    import httpx

    timings: list[float] = []
    errors = 0
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for text in warmup:
            with suppress(httpx.HTTPError):
                client.get("/api/similar", params={"text": text})
        for text in queries:
            began = time.perf_counter()
            try:
                ok = client.get("/api/similar", params={"text": text}).status_code == 200
            except httpx.HTTPError:
                ok = False
            timings.append((time.perf_counter() - began) * 1000)
            errors += not ok
    return timings, errors


def peak_rss_mb(pid: int) -> float | None:
    """Return the peak resident set size (VmHWM) of a live process in MB, or None off Linux."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+)\s+kB", status, re.MULTILINE)
    return round(int(found.group(1)) / 1024, 1) if found else None


def index_write_mark(chroma_path: Path) -> int | None:
    """Return Chroma's newest write sequence number in `chroma_path`, or None when unreadable.

    Read from Chroma's own SQLite file (its internals, hence the tolerance): every upsert appends
    to `embeddings_queue` and moves `max_seq_id`, so an unchanged mark means nothing was written.
    """
    path = chroma_path / "chroma.sqlite3"
    if not path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    marks: list[int] = []
    try:
        for table in ("embeddings_queue", "max_seq_id"):
            with suppress(sqlite3.Error):
                value = connection.execute(f"SELECT MAX(seq_id) FROM {table}").fetchone()[0]  # noqa: S608
                if isinstance(value, bytes):  # older Chroma stored it big-endian
                    value = int.from_bytes(value, "big")
                if value is not None:
                    marks.append(int(value))
    finally:
        connection.close()
    return max(marks) if marks else None


def reembedding_warnings(log_text: str) -> list[str]:
    """Return the server log lines that say vectors were computed again instead of reused."""
    return [line for line in log_text.splitlines() if "re-embedding" in line]
