"""The database goes away under load and comes back: nothing that got a 2xx is lost.

A private PostgreSQL cluster (`tests/pg_cluster.py`, never the shared server) behind a served
app; 20 clients submit while the cluster is stopped for 30 seconds and started again. Every
submission answered 201 is in the database afterwards; every other answer is a 503 with
`Retry-After`, never a stack trace. Bounded: 20 clients, about a minute.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.pg_cluster import private_cluster
from tests.server import api_key_headers, app_env, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLIENTS = 20
BEFORE, DOWN, AFTER = 8.0, 30.0, 12.0


def test_submissions_survive_a_database_restart_under_load(tmp_path: Path) -> None:
    with private_cluster() as cluster:
        env = app_env(tmp_path / "data", cluster.url, BEREDNING_LIMITS__KEY_SUBMISSIONS="1000000")
        key = api_key_headers(env, "submit", name="load")
        with running_server(env, tmp_path / "app.log") as base:
            stop = threading.Event()
            answers: list[tuple[int, str | None, str | None]] = []
            lock = threading.Lock()

            def client(n: int) -> None:
                with httpx.Client(base_url=base, headers=key, timeout=60) as http:
                    i = 0
                    while not stop.is_set():
                        i += 1
                        text = (
                            f"Klient {n} förslag {i}: bättre cykelparkering vid skola nummer {n * 1000 + i}."
                        )
                        try:
                            answer = http.post("/api/submissions", json={"text": text})
                        except httpx.HTTPError as exc:  # the server must answer, even with the database gone
                            with lock:
                                answers.append((0, type(exc).__name__, None))
                            continue
                        reference = answer.json().get("reference") if answer.status_code == 201 else None
                        with lock:
                            answers.append((answer.status_code, reference, answer.headers.get("retry-after")))
                        if answer.status_code != 201:
                            time.sleep(0.2)

            threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
            for thread in threads:
                thread.start()
            time.sleep(BEFORE)
            cluster.stop()
            time.sleep(DOWN)
            cluster.start()
            time.sleep(AFTER)
            stop.set()
            for thread in threads:
                thread.join(90)
        engine = sa.create_engine(cluster.url)
        try:
            with engine.connect() as connection:
                stored = set(connection.execute(sa.text("SELECT reference FROM submission")).scalars())
        finally:
            engine.dispose()
    codes = Counter(code for code, _ref, _retry in answers)
    accepted = {ref for code, ref, _retry in answers if code == 201}
    print(f"answers during the restart: {dict(codes)}; stored: {len(stored)}, answered 201: {len(accepted)}")
    assert accepted and codes[503] > 0, f"the outage was not seen: {dict(codes)}"
    assert accepted <= stored, f"answered 201 but not stored: {sorted(accepted - stored)[:10]}"
    others = [(code, retry) for code, _ref, retry in answers if code != 201]
    assert all(code == 503 and retry for code, retry in others), Counter(others).most_common(5)
    late = [ref for code, ref, _r in answers[-CLIENTS * 3 :] if code == 201]
    assert late, "submissions are accepted again once the database is back"
