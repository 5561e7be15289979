"""Run the real app in a real uvicorn process on loopback, for integration tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(
    args: list[str], env: dict[str, str], *, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m intake ARGS` in a fresh process and return its result."""
    return subprocess.run(
        [sys.executable, "-m", "intake", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        input=input_text,
        timeout=300,
        check=False,
    )


@contextmanager
def running_server(env: dict[str, str], log_path: Path, *, wait_for_model: bool = True) -> Iterator[str]:
    """Start `beredning serve` with `env`, wait until it answers, yield its base URL, stop it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "intake", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(base, process, log_path, wait_for_model)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(base: str, process: subprocess.Popen[bytes], log_path: Path, wait_for_model: bool) -> None:
    deadline = time.monotonic() + 180
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            response = httpx.get(f"{base}/health", timeout=5)
            body = response.json()
            last = str(body)
            model_state = body["model"]["detail"]
            if not wait_for_model or body["model"]["ok"] or "failed" in model_state:
                return
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server not ready after 180 s; last health: {last}\n{log_path.read_text()}")
