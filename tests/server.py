"""Run the real app in a real uvicorn process on loopback, for integration tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
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


def app_env(
    data_dir: Path,
    database_url: str | None = None,
    *,
    accounts: Sequence[tuple[str, str]] = (),
    **settings: str,
) -> dict[str, str]:
    """The environment of the app under test, with the staff `accounts` (email, role) created in its database.

    The app gets a data dir of its own and a database: `database_url` (on SQLite or PostgreSQL, e.g.
    the `module_database_url` fixture), else a SQLite file in `data_dir`. It polls for LLM jobs
    without a pause, so that no test waits on the poller. `settings` are more variables on top
    (`BEREDNING_PUBLIC_BASE_URL="http://beredning.test"`).
    """
    env = {
        "BEREDNING_DATA_DIR": str(data_dir),
        "BEREDNING_DATABASE__URL": database_url or f"sqlite:///{data_dir / 'app.sqlite3'}",
        "BEREDNING_LLM__POLL_SECONDS": "0",
        # every test client is 127.0.0.1: the per-address limits are tested on their own
        # (test_abuse.py, test_login_limit.py)
        "BEREDNING_LIMITS__SUBMISSIONS": "1000",
        "BEREDNING_LIMITS__LOGINS_PER_WINDOW": "1000",
        # the daily culling flow would start Prefect in every served app; it has its own tests
        # (test_privacy_e2e.py), which switch it back on
        "BEREDNING_PRIVACY__CULL_CHECK_SECONDS": "0",
        **settings,
    }
    if accounts:
        from tests.browser import seed_accounts

        seed_accounts(env, list(accounts))
    return env


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


def api_key_headers(env: dict[str, str], *scopes: str, name: str = "tests") -> dict[str, str]:
    """Make an API key with `scopes` in the app's database (in-process; the CLI has its own test).

    Returns the request headers that carry it: `{"Authorization": "Bearer <key>"}`.
    """
    from intake.db import create_db_engine
    from intake.migrate import ensure_current
    from intake.services.apikeys import add
    from intake.settings import Settings

    settings = Settings(
        data_dir=Path(env["BEREDNING_DATA_DIR"]), database={"url": env["BEREDNING_DATABASE__URL"]}
    )
    engine = create_db_engine(settings)
    try:
        ensure_current(engine)
        made = add(engine, name, list(scopes or ("submit",)), created_by="test")
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {made.key}"}
