"""The triage flow and the job queue against a real Prefect server, SQLite and PostgreSQL, and Chroma.

The Prefect test harness runs one temporary server (its own SQLite, `PREFECT_HOME` in a temporary
directory) for the module. Embeddings come from the fake trigram embedder, so that these tests are
about the flow and the queue, not the model; `submit --wait` and the served app use the real one.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, func, select

from flows import triage, triage_steps
from flows.triage_steps import TriageServices
from intake.db import create_db_engine, session_scope
from intake.domain.drafts import DraftState
from intake.domain.jobs import JobState
from intake.domain.process import load_process
from intake.domain.submission import Channel, NewSubmission
from intake.drafting.checklists import load_checklists
from intake.drafting.client import DraftUnavailable, LlmResult, PromptLike
from intake.migrate import upgrade
from intake.models import AuditEvent, Draft, Job, PortfolioItem, StepChange, Submission, utcnow
from intake.privacy import MaskedText
from intake.services import jobs, submissions
from intake.services.drafting import DraftingService
from intake.services.similarity import SimilarityService
from intake.settings import Settings
from retrieval import ChromaIndex, VectorIndex
from tests.fakes import FailingEmbedder, FakeEmbedder, InMemoryVectorIndex
from tests.server import api_key_headers, cli, running_server

pytestmark = pytest.mark.integration

PARKING = "Invånare ska kunna ansöka om parkeringstillstånd digitalt. Ring Anna Svensson på 070-123 45 67."
DEMO = Path(__file__).parents[2] / "demo" / "portfolio" / "sundsvall-utvecklingsportfolj-utdrag.csv"


@dataclass
class Parts:
    settings: Settings
    engine: Engine
    services: TriageServices
    embedder: FakeEmbedder
    index: VectorIndex


def _parts(
    tmp_path: Path, database_url: str, embedder: Any, index: VectorIndex, drafter: Any = None
) -> Parts:
    settings = Settings(data_dir=tmp_path, database={"url": database_url}, similarity={"flag_threshold": 0.3})
    engine = create_db_engine(settings)
    upgrade(engine)
    with Session(engine) as session:
        session.add(PortfolioItem(nr="22-04", year=2022, title="SBK Parkeringsstillstånd"))
        session.add(PortfolioItem(nr="22-07", year=2022, title="Öka takten i e-arkiv"))
        session.commit()
    similarity = SimilarityService.with_parts(engine, embedder, index, settings.similarity)
    drafting = DraftingService(engine, load_process(), load_checklists(), drafter, redraft_after=timedelta(0))
    return Parts(settings, engine, TriageServices(engine, similarity, drafting), embedder, index)


@pytest.fixture
def parts(tmp_path: Path, database_url: str) -> Iterator[Parts]:
    """Real database and Chroma, fake embedder, rules-only drafting; bound for the flows."""
    embedder = FakeEmbedder()
    index = ChromaIndex(path=tmp_path / "chroma", collection="test", model_id=embedder.model_id)
    found = _parts(tmp_path, database_url, embedder, index)
    with triage_steps.bound(found.services):
        yield found


def _accept(parts: Parts, text: str = PARKING) -> int:
    new = NewSubmission(text=text, channel=Channel.API, submitter_name="Anna Svensson")
    submission = submissions.accept(parts.engine, new, parts.settings.intake, actor="test")
    assert submission.id is not None
    return submission.id


def _count(engine: Engine, table: type[SQLModel], **where: Any) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(table)
        for name, value in where.items():
            query = query.where(getattr(table, name) == value)
        return int(session.exec(query).one())


def _actions(engine: Engine, submission_id: int) -> list[str]:
    with Session(engine) as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        events = session.exec(
            select(AuditEvent.action)
            .where(AuditEvent.entity_key == submission.reference)
            .order_by(col(AuditEvent.id))
        )
        return list(events)


def _step(engine: Engine, submission_id: int) -> str:
    with Session(engine) as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        return submission.step


def test_a_submission_goes_to_review_and_a_second_run_changes_nothing(parts: Parts, prefect_api: str) -> None:
    submission_id = _accept(parts)
    assert _count(parts.engine, Job, submission_id=submission_id, state=JobState.QUEUED) == 1, (
        "the job is committed with the submission"
    )
    first = triage.triage(submission_id)
    assert first["step"] == "steg-1"
    assert first["duplicates"][0].startswith("portfolio:22-04 ")
    assert first["personal_data"] == {"person": 1, "telefon": 1}
    assert first["draft"] == DraftState.RULES_ONLY.value
    embedded = len(parts.embedder.embedded_texts)
    indexed = parts.index.count()
    assert indexed == 3, "two portfolio items and the submission"
    actions = _actions(parts.engine, submission_id)
    assert actions == ["submission.received", "submission.processed", "draft.stored", "submission.moved"]

    second = triage.triage(submission_id)
    assert second == first
    assert _count(parts.engine, Draft, submission_id=submission_id) == 1
    assert _count(parts.engine, StepChange, submission_id=submission_id) == 1
    assert parts.index.count() == indexed, "one index entry"
    assert len(parts.embedder.embedded_texts) == embedded, "an unchanged text is not embedded again"
    assert _actions(parts.engine, submission_id) == actions, "a re-run writes nothing"
    with Session(parts.engine) as session:
        moved = session.exec(select(StepChange).where(StepChange.submission_id == submission_id)).one()
        assert (moved.from_step, moved.to_step, moved.actor) == ("steg-0", "steg-1", "system")


def test_a_worker_runs_each_queued_job_once_and_the_runs_are_visible_in_prefect(
    parts: Parts, prefect_api: str
) -> None:
    ids = [_accept(parts, f"{PARKING} Förslag nummer {n}.") for n in range(4)]
    report = jobs.Worker(parts.engine, triage.run_job, name="w1").run_pending()
    assert (report.done, report.failed) == (4, 0)
    assert jobs.Worker(parts.engine, triage.run_job).run_pending() == jobs.PassReport(), "nothing is left"
    assert {_step(parts.engine, i) for i in ids} == {"steg-1"}
    job = jobs.get(parts.engine, ids[0])
    assert job is not None and job.state == JobState.DONE and job.attempts == 1 and job.flow_run_id

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import TaskRunSort

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(job.flow_run_id))
        assert run.name == f"triage-{ids[0]}" and run.state is not None and run.state.is_completed()
        deadline = time.monotonic() + 30
        names: dict[str, str] = {}
        while time.monotonic() < deadline and len(names) < 5:  # task states arrive as events
            tasks = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])),
                sort=TaskRunSort.EXPECTED_START_TIME_ASC,  # the sync client sends None otherwise (422)
                limit=20,
            )
            names = {t.task_key.rsplit("-", 1)[0]: t.state.type.value for t in tasks if t.state}
            time.sleep(0.5)
    assert names == dict.fromkeys(
        ["mask_personal_data", "embed_and_index", "find_similar", "draft_and_check_gaps", "place_in_review"],
        "COMPLETED",
    )


def test_a_crashed_worker_s_job_runs_again_after_its_lease_and_completes_once(
    parts: Parts, prefect_api: str
) -> None:
    submission_id = _accept(parts)
    crashed = jobs.claim(parts.engine, "crashed", lease=timedelta(milliseconds=600))
    assert crashed is not None and crashed.submission_id == submission_id
    # the crashed worker never finishes; while its lease holds, nobody else takes the job
    second = jobs.Worker(parts.engine, triage.run_job, name="second")
    assert second.run_pending() == jobs.PassReport()
    time.sleep(1.0)
    assert second.run_pending() == jobs.PassReport(done=1, swept=1)

    job = jobs.get(parts.engine, submission_id)
    assert job is not None
    assert (job.state, job.attempts) == (JobState.DONE, 2)
    assert job.lease_owner and job.lease_owner.startswith("second/")
    # the first worker coming back late changes nothing: its claim is void, its flow idempotent
    assert not jobs.complete(parts.engine, crashed)
    assert jobs.fail(parts.engine, crashed, "late") is None
    triage.triage(submission_id)
    assert _count(parts.engine, StepChange, submission_id=submission_id) == 1
    assert _count(parts.engine, Draft, submission_id=submission_id) == 1
    assert _actions(parts.engine, submission_id).count("submission.moved") == 1
    assert jobs.get(parts.engine, submission_id).state == JobState.DONE  # type: ignore[union-attr]


def test_a_lease_is_renewed_while_a_long_job_runs(parts: Parts) -> None:
    submission_id = _accept(parts)

    def slow(held: jobs.Claim) -> str:
        time.sleep(1.5)  # five lease lengths
        assert jobs.sweep(parts.engine) == 0, "a renewed lease does not run out"
        return "run-1"

    worker = jobs.Worker(parts.engine, slow, lease=timedelta(milliseconds=300))
    assert worker.run_pending() == jobs.PassReport(done=1)
    job = jobs.get(parts.engine, submission_id)
    assert job is not None and (job.state, job.attempts, job.flow_run_id) == (JobState.DONE, 1, "run-1")


def test_concurrent_claims_never_hand_one_job_to_two_workers(tmp_path: Path, database_url: str) -> None:
    settings = Settings(data_dir=tmp_path, database={"url": database_url})
    engine = create_db_engine(settings)
    upgrade(engine)
    for n in range(24):
        new = NewSubmission(text=f"Förslag nummer {n} om e-arkiv", channel=Channel.API)
        submissions.accept(engine, new, settings.intake, actor="test")
    start = threading.Barrier(4)
    taken: list[list[int]] = [[] for _ in range(4)]

    def claim_all(mine: list[int]) -> None:
        start.wait()
        while (held := jobs.claim(engine, f"w{len(mine)}")) is not None:
            mine.append(held.job_id)

    threads = [threading.Thread(target=claim_all, args=(t,)) for t in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    claimed = [i for t in taken for i in t]
    assert len(claimed) == 24 and len(set(claimed)) == 24
    assert _count(engine, Job, state=JobState.RUNNING) == 24


def test_queueing_again_reopens_a_finished_job_and_leaves_a_running_one_alone(
    tmp_path: Path, database_url: str
) -> None:
    settings = Settings(data_dir=tmp_path, database={"url": database_url})
    engine = create_db_engine(settings)
    upgrade(engine)
    new = NewSubmission(text="Ett förslag om e-arkiv", channel=Channel.API)
    submission_id = submissions.accept(engine, new, settings.intake, actor="test").id
    assert submission_id is not None
    held = jobs.claim(engine, "w")
    assert held is not None
    with session_scope(engine) as session:
        jobs.enqueue(session, submission_id)
    assert jobs.renew(engine, held), "still the worker's"
    assert jobs.complete(engine, held, flow_run_id="run-1")
    with session_scope(engine) as session:
        jobs.enqueue(session, submission_id)
    job = jobs.get(engine, submission_id)
    assert job is not None
    assert (job.state, job.attempts, job.finished_at, job.lease_owner) == (JobState.QUEUED, 0, None, None)
    assert _count(engine, Job, submission_id=submission_id) == 1


def test_an_index_that_stays_down_is_retried_by_prefect_then_by_the_job_with_backoff(
    tmp_path: Path, database_url: str, prefect_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = FailingEmbedder()
    found = _parts(tmp_path, database_url, embedder, InMemoryVectorIndex(embedder.model_id))
    monkeypatch.setattr(triage, "embed_and_index", triage.embed_and_index.with_options(retry_delay_seconds=0))
    with triage_steps.bound(found.services):
        submission_id = _accept(found)
        worker = jobs.Worker(found.engine, triage.run_job, max_attempts=2)
        assert worker.run_pending() == jobs.PassReport(failed=1)
        assert embedder.calls == 4, "one try and three Prefect retries"
        job = jobs.get(found.engine, submission_id)
        assert job is not None and (job.state, job.attempts) == (JobState.QUEUED, 1)
        assert job.run_after is not None and job.run_after > utcnow() + timedelta(seconds=20)
        assert job.last_error and "TriageFailed" in job.last_error
        assert _step(found.engine, submission_id) == "steg-0"
        assert _count(found.engine, Draft, submission_id=submission_id) == 0, "no draft before the index"
        # the second attempt, once due, fails too: the job is left for a human
        held = jobs.claim(found.engine, "later", now=utcnow() + timedelta(minutes=1))
        assert held is not None and not worker.run(held)
        job = jobs.get(found.engine, submission_id)
        assert job is not None and job.state == JobState.FAILED and job.finished_at is not None
    assert jobs.counts(found.engine)[JobState.FAILED] == 1

    # the operator sees the failed job, fixes the cause and queues it again
    env = {"BEREDNING_DATA_DIR": str(tmp_path), "BEREDNING_DATABASE__URL": database_url}
    listed = cli(["jobs", "list"], env)
    reference = _reference(found.engine, submission_id)
    assert listed.returncode == 0, listed.stderr
    assert "failed 1" in listed.stdout and f"{reference}  triage  failed  attempt 2" in listed.stdout
    assert "TriageFailed" in listed.stdout
    again = cli(["jobs", "retry", reference, "IN-1999-99999"], env)
    assert again.returncode == 1 and f"{reference}: queued" in again.stdout
    assert "no submission IN-1999-99999" in again.stderr and "Traceback" not in again.stderr
    job = jobs.get(found.engine, submission_id)
    assert job is not None and (job.state, job.attempts, job.last_error) == (JobState.QUEUED, 0, None)


def _reference(engine: Engine, submission_id: int) -> str:
    with Session(engine) as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        return submission.reference


class DownDrafter:
    """A model that is down until `up` is set; counts the calls."""

    model_id = "fake-model"

    def __init__(self) -> None:
        self.up = False
        self.calls = 0

    def draft(
        self, text: MaskedText, prompt: PromptLike, schema: dict[str, Any], context: Mapping[str, str]
    ) -> LlmResult:
        self.calls += 1
        if not self.up:
            raise DraftUnavailable("connection refused", attempts=1)
        data = {
            "draft": {"title": {"value": "Parkeringstillstånd", "basis": "inferred", "quote": None}},
            "gaps": [],
        }
        return LlmResult(data, "fake-model", prompt.version, 10, 10, 5, 1, False)


def test_a_model_that_stays_down_leaves_the_items_in_review_with_rules_only_drafts(
    tmp_path: Path, database_url: str, prefect_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    drafter = DownDrafter()
    embedder = FakeEmbedder()
    found = _parts(tmp_path, database_url, embedder, InMemoryVectorIndex(embedder.model_id), drafter)
    monkeypatch.setattr(
        triage, "draft_and_check_gaps", triage.draft_and_check_gaps.with_options(retry_delay_seconds=0)
    )
    monkeypatch.setattr(triage_steps, "_model_failed_at", None)
    with triage_steps.bound(found.services):
        first, second = _accept(found), _accept(found, "Ett förslag om e-arkiv och gallring")
        assert triage.triage(first)["draft"] == "rules_only"
        assert drafter.calls == 2, "one try and one Prefect retry"
        result = triage.triage(second)
        assert drafter.calls == 3, "while the model stays down, the next item skips the retry"
    assert (result["draft"], result["step"]) == ("rules_only", "steg-1")
    drafter.up = True
    assert found.services.drafting.redraft_due() == (2, 0), "drafted by the model once it is back"
    with Session(found.engine) as session:
        states = session.exec(select(Draft.state)).all()
        assert states == [DraftState.DRAFTED, DraftState.DRAFTED]


def _env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    return {
        "BEREDNING_DATA_DIR": str(tmp_path / "data"),
        "BEREDNING_DATABASE__URL": database_url,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "OMP_NUM_THREADS": "1",
        **extra,
    }


@pytest.mark.slow
def test_submit_wait_returns_once_the_item_awaits_review(
    tmp_path: Path, database_url: str, prefect_api: str
) -> None:
    # the real model scores this text against 22-04 at about 0.3, under the shipped threshold
    env = _env(
        tmp_path, database_url, PREFECT_API_URL=prefect_api, BEREDNING_SIMILARITY__FLAG_THRESHOLD="0.2"
    )
    imported = cli(["portfolio", "import", str(DEMO)], env)
    assert imported.returncode == 0, imported.stderr
    started = time.monotonic()
    result = cli(["submit", "--wait", "--text", PARKING], env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"IN-\d{4}-\d{5} awaits review in steg-1", lines[0]), result.stdout
    assert "22-04" in lines[1] and "[möjlig dubblett]" in lines[1], result.stdout
    print(f"submit --wait took {time.monotonic() - started:.1f} s")


def _prefect_port(log: str) -> int:
    found = re.search(r"Starting temporary server on http://127\.0\.0\.1:(\d+)", log)
    assert found, f"the app did not start Prefect's local server:\n{log}"
    return int(found.group(1))


@pytest.mark.slow
def test_the_served_app_runs_the_flows_itself_without_a_prefect_server(
    tmp_path: Path, database_url: str
) -> None:
    env = _env(tmp_path, database_url, PREFECT_API_URL="")  # empty counts as unset
    log = tmp_path / "app.log"
    key = api_key_headers(env)
    with running_server(env, log) as base:
        response = httpx.post(f"{base}/api/submissions", json={"text": PARKING}, headers=key, timeout=60)
        assert response.status_code == 201, response.text
        reference = response.json()["reference"]
        deadline = time.monotonic() + 180
        step = "steg-0"
        while time.monotonic() < deadline and step != "steg-1":
            time.sleep(1)
            step = httpx.get(f"{base}/api/submissions/{reference}", timeout=10).json()["step"]
        assert step == "steg-1", log.read_text()
        port = _prefect_port(log.read_text())
        assert httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=10).status_code == 200
    # Prefect's temporary server stopped with the app: no process with the app's PREFECT_HOME is
    # left (the port says less: another test's temporary server may take the same one at once).
    home = f"PREFECT_HOME={tmp_path / 'prefect-home'}".encode()
    deadline = time.monotonic() + 30
    while (left := _processes_with_env(home)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not left, f"processes left running: {left}"
    assert (tmp_path / "prefect-home" / "prefect.db").exists()


def _processes_with_env(entry: bytes) -> list[int]:
    """Return the ids of the live processes whose environment holds `entry` (Linux /proc)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environment = (proc / "environ").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().split(") ", 1)[1][0]
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if entry in environment and state != "Z":
            found.append(int(proc.name))
    return found


@pytest.mark.slow
def test_submit_wait_without_a_prefect_server_runs_the_steps_here_and_returns(
    tmp_path: Path, database_url: str
) -> None:
    """No worker, no configured server: the command runs the triage steps in its own process,
    starts no Prefect server, prints no traceback and leaves no process behind. (How long it takes
    beside a plain `submit` is measured by hand, see docs/measurements.md, not asserted here.)"""
    env = _env(tmp_path, database_url, PREFECT_API_URL="")  # empty counts as unset
    result = cli(["submit", "--wait", "--text", PARKING], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.match(r"IN-\d{4}-\d{5} awaits review in steg-1", result.stdout), result.stdout
    assert "Starting temporary server" not in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "Error logging to API" not in result.stderr
    assert not (tmp_path / "prefect-home" / "prefect.db").exists()
    assert not _processes_with_env(f"PREFECT_HOME={tmp_path / 'prefect-home'}".encode())
