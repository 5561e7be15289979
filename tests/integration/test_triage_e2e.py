"""End to end, scaled out: a real `prefect server` on PostgreSQL, a Chroma server, the app, two workers.

1. N submissions (`BEREDNING_E2E_ITEMS`, default 10; `make bench-e2e` runs 50) go through the API
   with one worker running, N more with two, and a last few while the first worker is killed in
   the middle of a flow run: its job completes once, on the other worker, after the lease runs
   out. Every item ends awaiting review with one draft and one move to step 1. The throughput with
   one and with two workers is printed (run with `-s` to see it).
2. The model (an OpenAI-compatible server behind a proxy) is down while M submissions arrive
   (`BEREDNING_E2E_OUTAGE_ITEMS`, default 20; `make bench-e2e` runs 200): every one reaches review
   with a rules-only draft, and every one is drafted by the model after it returns.
3. With `BEREDNING_E2E_LATENCY=off|llama`, a measurement: the time from submission to review.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from intake.domain.drafts import DraftState
from intake.domain.jobs import JobState
from intake.models import Draft, Job, StepChange, Submission
from tests.llm import capture_proxy, fault_server, llama_process
from tests.pg import pg_engine_url, temporary_schema
from tests.server import cli, free_port, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.postgres]

ITEMS = int(os.environ.get("BEREDNING_E2E_ITEMS", "10"))
OUTAGE_ITEMS = int(os.environ.get("BEREDNING_E2E_OUTAGE_ITEMS", "20"))
LEASE_SECONDS = 8
DEMO = Path(__file__).parents[2] / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"
TOPICS = (
    "parkeringstillstånd som invånare söker digitalt",
    "e-arkiv och gallring av ärenden",
    "schemaläggning av timvikarier i Heroma",
    "bokning av lokaler i skolor och fritidsgårdar",
    "felanmälan av gatubelysning med karta",
)


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("w") as out:
        process = subprocess.Popen(args, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not up after {timeout:.0f} s:\n{log.read_text()}")


@contextmanager
def _prefect_database() -> Iterator[str]:
    """A throw-away PostgreSQL database for the Prefect server; yields its asyncpg URL."""
    server = sa.make_url(pg_engine_url())
    name = f"prefect_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield server.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Stack:
    base: str
    env: dict[str, str]
    engine: sa.Engine
    tmp: Path
    stack: ExitStack

    def worker(self, name: str) -> subprocess.Popen[bytes]:
        args = [sys.executable, "-m", "intake", "worker", "--interval", "0.5", "--lease", str(LEASE_SECONDS)]
        return self.stack.enter_context(_process(args, self.env, self.tmp / f"{name}.log"))


@contextmanager
def _stack(tmp_path: Path, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """PostgreSQL schema, Prefect server on its own database, Chroma server, demo portfolio, the app."""
    with ExitStack() as stack:
        schema = stack.enter_context(temporary_schema())
        prefect_db = stack.enter_context(_prefect_database())
        prefect_port, chroma_port = free_port(), free_port()
        prefect = stack.enter_context(
            _process(
                [
                    sys.executable,
                    "-m",
                    "prefect",
                    "server",
                    "start",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(prefect_port),
                ],
                {
                    "PREFECT_HOME": str(tmp_path / "prefect-home"),
                    "PREFECT_SERVER_DATABASE_CONNECTION_URL": prefect_db,
                    "PREFECT_UI_ENABLED": "false",
                    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                },
                tmp_path / "prefect.log",
            )
        )
        chroma = stack.enter_context(
            _process(
                [
                    str(Path(sys.executable).parent / "chroma"),
                    "run",
                    "--path",
                    str(tmp_path / "chroma"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(chroma_port),
                ],
                {},
                tmp_path / "chroma.log",
            )
        )
        _wait_http(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", chroma, tmp_path / "chroma.log")
        _wait_http(f"http://127.0.0.1:{prefect_port}/api/health", prefect, tmp_path / "prefect.log", 300)
        env = {
            "BEREDNING_DATA_DIR": str(tmp_path / "data"),
            "BEREDNING_DATABASE__URL": schema.url,
            "BEREDNING_INDEX__URL": f"http://127.0.0.1:{chroma_port}",
            "PREFECT_API_URL": f"http://127.0.0.1:{prefect_port}/api",
            "PREFECT_HOME": str(tmp_path / "prefect-home"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "OMP_NUM_THREADS": "1",
            # machines on loopback stand in for the public form: open JSON intake, no address limit
            "BEREDNING_INTAKE__OPEN_API": "true",
            "BEREDNING_LIMITS__SUBMISSIONS": "100000",
            **(extra_env or {}),
        }
        for args in (["db", "upgrade"], ["portfolio", "import", str(DEMO)]):
            done = cli(args, env)
            assert done.returncode == 0, done.stdout + done.stderr
        base = stack.enter_context(running_server(env, tmp_path / "app.log"))
        yield Stack(base, env, schema.engine(), tmp_path, stack)


def _submit(base: str, n: int) -> str:
    text = f"Förslag {n}: vi behöver stöd för {TOPICS[n % len(TOPICS)]}, för medarbetare i förvaltning {n}."
    response = httpx.post(f"{base}/api/submissions", json={"text": text}, timeout=120)
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


def _in_review(engine: sa.Engine, references: list[str]) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(Submission).where(col(Submission.reference).in_(references))
        return int(session.exec(query.where(Submission.step == "steg-1")).one())


def _jobs_done(engine: sa.Engine, references: list[str]) -> int:
    with Session(engine) as session:
        query = (
            select(func.count())
            .select_from(Job)
            .join(Submission, col(Submission.id) == col(Job.submission_id))
            .where(col(Submission.reference).in_(references), Job.state == JobState.DONE)
        )
        return int(session.exec(query).one())


def _wait_for_review(engine: sa.Engine, references: list[str], timeout: float) -> None:
    """Wait until every item awaits review and its triage job is done."""
    started = time.monotonic()
    while _in_review(engine, references) < len(references) or _jobs_done(engine, references) < len(
        references
    ):
        if time.monotonic() - started > timeout:
            raise AssertionError(
                f"{_in_review(engine, references)} of {len(references)} in review, "
                f"{_jobs_done(engine, references)} jobs done"
            )
        time.sleep(0.25)


def _batch(stack: Stack, first: int, count: int) -> tuple[list[str], float]:
    """Submit `count` items and wait for all of them; return the references and items per minute."""
    started = time.monotonic()
    references = [_submit(stack.base, n) for n in range(first, first + count)]
    _wait_for_review(stack.engine, references, timeout=120 + 30 * count)
    return references, count / ((time.monotonic() - started) / 60)


def _running_job_of(engine: sa.Engine, pid: int) -> Job | None:
    with Session(engine) as session:
        return session.exec(
            select(Job).where(Job.state == JobState.RUNNING).where(col(Job.lease_owner).contains(f":{pid}/"))
        ).first()


def _wait_for_a_job_of(
    stack: Stack,
    worker: subprocess.Popen[bytes],
    submitted: list[str],
    name: str = "worker-1",
    timeout: float = 300,
) -> Job:
    """Return the job `worker` is running, submitting one more item every 5 s while it holds none."""
    started = next_item = time.monotonic()
    while (job := _running_job_of(stack.engine, worker.pid)) is None:
        now = time.monotonic()
        if now - started > timeout or worker.poll() is not None:
            log = (stack.tmp / f"{name}.log").read_text(errors="replace").splitlines()
            tail = "\n".join(line for line in log if "HTTP Request" not in line)[-3000:]
            raise AssertionError(f"{name} never took a job in {timeout:.0f} s; its log:\n{tail}")
        if now >= next_item + 5 and len(submitted) < 40:
            submitted.append(_submit(stack.base, 3 * ITEMS + len(submitted)))
            next_item = now
        time.sleep(0.05)
    return job


@pytest.mark.timeout(1800)
def test_two_workers_triage_every_item_and_a_killed_worker_s_job_completes_once(tmp_path: Path) -> None:
    with _stack(tmp_path) as stack:
        _workers_and_a_crash(stack)


def _workers_and_a_crash(stack: Stack) -> None:
    first = stack.worker("worker-1")
    one, rate_one = _batch(stack, 0, ITEMS)
    stack.worker("worker-2")
    two, rate_two = _batch(stack, ITEMS, ITEMS)

    # Kill the first worker in the middle of a flow run. The second worker may drain a few items
    # alone (on a busy machine the first can be in a periodic flow), so items keep coming, one
    # every few seconds, until the first worker holds one.
    last = [_submit(stack.base, n) for n in range(2 * ITEMS, 2 * ITEMS + 4)]
    victim = _wait_for_a_job_of(stack, first, last)
    first.kill()
    first.wait()
    _wait_for_review(stack.engine, last, timeout=300)

    everything = one + two + last
    with Session(stack.engine) as session:
        ids = list(session.exec(select(Submission.id).where(col(Submission.reference).in_(everything))))
        assert len(ids) == len(everything)
        jobs = session.exec(select(Job).where(col(Job.submission_id).in_(ids))).all()
        assert {j.state for j in jobs} == {JobState.DONE} and len(jobs) == len(ids)
        killed = session.get(Job, victim.id)
        assert killed is not None and killed.attempts == 2, "run again once, after the lease ran out"
        assert killed.lease_owner and f":{first.pid}/" not in killed.lease_owner
        for table in (Draft, StepChange):
            per_item = session.exec(
                select(func.count()).select_from(table).where(col(table.submission_id).in_(ids))
            ).one()
            assert per_item == len(ids), f"one {table.__name__} per item"
        latencies = [
            (j.finished_at - j.created_at).total_seconds()
            for j in jobs
            if j.finished_at and j.id != victim.id
        ]
    print(
        f"\ntriage throughput with {ITEMS} items: one worker {rate_one:.1f} items/min, "
        f"two workers {rate_two:.1f} items/min; submission to review (queueing included) median "
        f"{statistics.median(latencies):.1f} s, p95 {_p95(latencies):.1f} s, max {max(latencies):.1f} s"
    )


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _draft_states(engine: sa.Engine, references: list[str]) -> dict[DraftState, int]:
    with Session(engine) as session:
        rows = session.exec(
            select(Draft.state, func.count())
            .join(Submission, col(Submission.id) == col(Draft.submission_id))
            .where(col(Submission.reference).in_(references))
            .group_by(col(Draft.state))
        ).all()
    return {DraftState(state): int(n) for state, n in rows}


def _schema_valid_answer() -> str:
    """An answer that passes the real answer schema: a title and summary, every other field empty.

    The outage test is about what happens around the model (the queue, the redrafting loop, the
    exactly-once bookkeeping), so its model answers at once; the quality of real answers from the
    llama.cpp server is `test_drafting_e2e.py`'s subject. A real model would take about a minute
    a draft on this machine, over three hours for 200 items.
    """
    from intake.drafting.schema import Draft as DraftTemplate

    empty = {"value": None, "basis": "empty", "quote": None}
    draft = {name: dict(empty) for name in DraftTemplate.model_fields}
    draft["title"] = {"value": "Digitalt stöd för förvaltningen", "basis": "inferred", "quote": None}
    draft["summary"] = {"value": "Ett förslag om digitalt stöd.", "basis": "inferred", "quote": None}
    return json.dumps({"draft": draft, "gaps": []}, ensure_ascii=False)


@pytest.mark.timeout(1800 + 10 * OUTAGE_ITEMS)
def test_every_item_arriving_while_the_model_is_down_is_drafted_after_it_returns(tmp_path: Path) -> None:
    # The proxy's upstream port has no server yet: the model is down from the first submission.
    with capture_proxy(f"http://127.0.0.1:{free_port()}/v1", upstream_timeout=30) as proxy:
        llm = {
            "BEREDNING_LLM__BASE_URL": proxy.base_url,
            "BEREDNING_LLM__MODEL": "fake-model",
            "BEREDNING_LLM__API_KEY": "local",
            "BEREDNING_LLM__POLL_SECONDS": "1",
            "BEREDNING_LLM__REDRAFT_INTERVAL_SECONDS": "1",
            "BEREDNING_LLM__TIMEOUT_SECONDS": "10",
            "BEREDNING_LLM__DEADLINE_SECONDS": "20",
            "BEREDNING_LLM__MAX_ATTEMPTS": "2",
        }
        with _stack(tmp_path, llm) as stack:
            stack.worker("worker-1")
            stack.worker("worker-2")
            references = [_submit(stack.base, n) for n in range(OUTAGE_ITEMS)]
            _wait_for_review(stack.engine, references, timeout=300 + 10 * OUTAGE_ITEMS)
            assert _draft_states(stack.engine, references) == {DraftState.RULES_ONLY: OUTAGE_ITEMS}
            refused = len(proxy.requests)
            assert refused > 0, "the triage flows asked the model while it was down"

            with fault_server("answer", [_schema_valid_answer()]) as model:
                proxy.upstream_port = int(model.base_url.rsplit(":", 1)[1].split("/")[0])
                deadline = time.monotonic() + 300 + 5 * OUTAGE_ITEMS
                while (states := _draft_states(stack.engine, references)).get(DraftState.RULES_ONLY):
                    assert time.monotonic() < deadline, f"not every item was drafted: {states}"
                    time.sleep(2)
                asked = len(model.requests)
            assert states == {DraftState.DRAFTED: OUTAGE_ITEMS}, states
            assert asked >= OUTAGE_ITEMS, "every item was sent to the model once it was back"
            with Session(stack.engine) as session:
                models = set(
                    session.exec(
                        select(Draft.model)
                        .join(Submission, col(Submission.id) == col(Draft.submission_id))
                        .where(col(Submission.reference).in_(references))
                    )
                )
            assert models == {"fake-model"}
    print(
        f"\n{OUTAGE_ITEMS} items arrived with the model down; all drafted after it returned "
        f"({asked} requests)"
    )


LATENCY_MODEL = os.environ.get("BEREDNING_E2E_LATENCY", "")
"""`off` (no model) or `llama` (SmolLM2 on llama.cpp): measure submission-to-review times."""
LATENCY_ITEMS = int(os.environ.get("BEREDNING_E2E_LATENCY_ITEMS", "10"))


@pytest.mark.skipif(
    LATENCY_MODEL not in ("off", "llama"), reason="a measurement: BEREDNING_E2E_LATENCY=off|llama"
)
@pytest.mark.timeout(3600)
def test_measure_time_from_submission_to_review(tmp_path: Path) -> None:
    """Print the median and p95 time from submission to awaiting review, one item at a time.

    Each item is submitted once the one before awaits review, so the figures are the flow's own
    latency, not time spent queueing behind other items. One worker, as after `make run`.
    """
    with ExitStack() as models:
        extra: dict[str, str] = {}
        if LATENCY_MODEL == "llama":
            llama = models.enter_context(llama_process(log_path=tmp_path / "llama.log"))
            extra = {
                "BEREDNING_LLM__BASE_URL": llama.base_url,
                "BEREDNING_LLM__MODEL": "smollm2",
                "BEREDNING_LLM__API_KEY": "local",
                "BEREDNING_LLM__TIMEOUT_SECONDS": "300",
                "BEREDNING_LLM__DEADLINE_SECONDS": "600",
            }
        with _stack(tmp_path, extra) as stack:
            stack.worker("worker-1")
            # warm: the worker's first flow loads the embedding model (and llama.cpp its weights)
            _wait_for_review(stack.engine, [_submit(stack.base, 1000)], timeout=900)
            times, references = [], []
            for n in range(LATENCY_ITEMS):
                started = time.monotonic()
                references.append(_submit(stack.base, n))
                _wait_for_review(stack.engine, references[-1:], timeout=900)
                times.append(time.monotonic() - started)
            states = _draft_states(stack.engine, references)
    p95 = _p95(times)
    print(
        f"\nsubmission to awaiting review, drafting {LATENCY_MODEL}, {len(times)} items: "
        f"median {statistics.median(times):.1f} s, p95 {p95:.1f} s, max {max(times):.1f} s; drafts {states}"
    )
    assert len(times) == LATENCY_ITEMS
