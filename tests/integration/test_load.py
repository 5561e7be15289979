"""A bounded load test: concurrent clients on the form, the JSON intake and similar-items while
the model hangs (every draft waits for its timeout), against a served app.

Nothing may be lost (every 201 is stored) and nothing may fail (no 5xx, no dropped connection);
the figures (p50/p95 per route) are printed. The suite runs a short version; `make bench-load`
runs 20 clients for 60 s (`BEREDNING_LOAD_CLIENTS`, `BEREDNING_LOAD_SECONDS`).
"""

from __future__ import annotations

import os
import re
import statistics
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.browser import csrf_token
from tests.llm import fault_server
from tests.server import api_key_headers, app_env, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLIENTS = int(os.environ.get("BEREDNING_LOAD_CLIENTS", "8"))
SECONDS = float(os.environ.get("BEREDNING_LOAD_SECONDS", "8"))
TOPICS = ("cykelparkering", "lokalbokning", "e-arkiv", "bygglov", "skolskjuts", "felanmälan", "vikarier")


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _request(
    http: httpx.Client, route: str, text: str, key: dict[str, str]
) -> tuple[httpx.Response, str | None]:
    """One request as a person (the form, with its token) or a machine would send it."""
    if route == "form":
        token = csrf_token(http.get("/").text)
        answer = http.post("/", data={"text": text, "_csrf_token": token})
        found = re.search(r'id="reference">([^<]+)<', answer.text)
        return answer, found.group(1) if found else None
    if route == "api":
        answer = http.post("/api/submissions", json={"text": text}, headers=key)
        return answer, answer.json().get("reference") if answer.status_code == 201 else None
    return http.post("/api/similar", json={"text": text[:60]}), None


def test_form_api_and_similar_hold_under_load_with_a_hanging_model(tmp_path: Path, database_url: str) -> None:
    with fault_server("stall") as model:
        env = app_env(
            tmp_path / "data",
            database_url,
            BEREDNING_LIMITS__SUBMISSIONS="1000000",
            BEREDNING_LIMITS__KEY_SUBMISSIONS="1000000",
            BEREDNING_LIMITS__SIMILAR_PER_MINUTE="1000000",
            BEREDNING_LLM__BASE_URL=model.base_url,
            BEREDNING_LLM__MODEL="fake-model",
            BEREDNING_LLM__API_KEY="local",
            BEREDNING_LLM__TIMEOUT_SECONDS="5",
            BEREDNING_LLM__DEADLINE_SECONDS="10",
            BEREDNING_LLM__POLL_SECONDS="1",
        )
        key = api_key_headers(env, "submit", name="load")
        timings: dict[str, list[float]] = defaultdict(list)
        problems: list[str] = []
        accepted: list[str] = []
        lock = threading.Lock()
        with running_server(env, tmp_path / "app.log") as base:
            deadline = time.monotonic() + SECONDS

            def client(n: int) -> None:
                with httpx.Client(base_url=base, timeout=120) as http:
                    i = 0
                    while time.monotonic() < deadline:
                        i += 1
                        route = ("form", "api", "similar")[(n + i) % 3]
                        topic = TOPICS[(n + i) % len(TOPICS)]
                        text = f"Vi behöver bättre {topic} för förvaltning {n}, förslag {i}."
                        started = time.perf_counter()
                        try:
                            answer, reference = _request(http, route, text, key)
                        except httpx.HTTPError as exc:
                            with lock:
                                problems.append(f"{route}: {type(exc).__name__}")
                            continue
                        elapsed = (time.perf_counter() - started) * 1000
                        with lock:
                            timings[route].append(elapsed)
                            wanted = 200 if route == "similar" else 201
                            if answer.status_code != wanted:
                                problems.append(f"{route}: {answer.status_code} {answer.text[:120]}")
                            if reference:
                                accepted.append(reference)

            threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(SECONDS + 300)
        engine = sa.create_engine(env["BEREDNING_DATABASE__URL"])
        try:
            with engine.connect() as connection:
                stored = set(connection.execute(sa.text("SELECT reference FROM submission")).scalars())
        finally:
            engine.dispose()
    for route, values in sorted(timings.items()):
        print(
            f"load {CLIENTS} clients x {SECONDS:.0f} s, {route}: {len(values)} requests, "
            f"p50 {statistics.median(values):.0f} ms, p95 {_p(values, 0.95):.0f} ms, max {max(values):.0f} ms"
        )
    assert not problems, problems[:10]
    assert all(timings[r] for r in ("form", "api", "similar")), dict(timings)
    assert accepted and set(accepted) <= stored, "every accepted submission is stored"
