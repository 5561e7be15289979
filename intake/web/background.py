"""Work the served app does beside requests: warming the model, running jobs and periodic flows, redrafting.

Embedded (no `PREFECT_API_URL`, as after `make run`), the app runs the triage jobs itself in a
daemon thread, against Prefect's local API (Prefect starts a temporary server process for it,
and stops it when the app exits). Scaled out (`PREFECT_API_URL` set), `beredning worker`
processes run the jobs and the app only serves.

The flows themselves are injected (`JobFlows`, from `beredning serve`), never imported: `intake.web`
imports nothing from `flows`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Protocol

import anyio.to_thread

from intake.domain.process import ProcessDefinition
from intake.services import jobs, leases
from intake.services.drafting import DraftingService, drafting_from_settings
from intake.services.similarity import SimilarityService, SimilarityUnavailable
from intake.services.storage import Engine, StorageError
from intake.settings import Settings
from intake.web.state import AppServices, LoopStatus
from retrieval import EmbeddingError

log = logging.getLogger(__name__)


def warm_up(services: AppServices) -> None:
    """Load the embedding model and bring the index up to date, recording the outcome."""
    status = services.model
    with status.lock:
        if status.state in ("loading", "ready"):
            return
        status.state = "loading"
    try:
        services.similarity.search_engine.embedder.embed_query("uppvärmning")
        services.similarity.sync()
    except (EmbeddingError, SimilarityUnavailable) as exc:
        status.state, status.error = "error", str(exc)
        log.error("warm-up failed: %s", exc)
        return
    status.state, status.error = "ready", None
    log.info("model loaded and index in sync")


async def rewarm_loop(services: AppServices) -> None:
    """Try the model again after a failed warm-up, every `retry_interval_seconds`: it may be back."""
    while True:
        await asyncio.sleep(services.settings.intake.retry_interval_seconds)
        if services.model.state != "ready":
            await anyio.to_thread.run_sync(warm_up, services)


class JobFlows(Protocol):
    """The flows the app's job runner runs: what `intake.web` needs from `flows`, passed in.

    `beredning serve` passes `flows.embedded.EmbeddedFlows`. The runner calls these from its own
    thread, in this order: `api_url`, then `local_api` around `triage_handler`, `periodic_tick`
    and the passes; `stop_local_server` from the app's shutdown if the thread outlives it.
    """

    def api_url(self) -> str | None:
        """Return the Prefect server the flows report to, or None for Prefect's local API."""
        ...

    def local_api(self, settings: Settings) -> AbstractContextManager[None]:
        """Load Prefect, then run the block's flows against its local API, stopped when the block ends."""
        ...

    def stop_local_server(self) -> None:
        """Stop Prefect's local server of this process, if one was started (safe to repeat)."""
        ...

    def triage_handler(
        self, settings: Settings, engine: Engine, similarity: SimilarityService, drafting: DraftingService
    ) -> jobs.Handler:
        """Bind the triage flow to these services; return the handler that runs one claimed job."""
        ...

    def periodic_tick(
        self,
        settings: Settings,
        engine: Engine,
        process: ProcessDefinition,
        similarity: SimilarityService,
        drafting: DraftingService,
    ) -> Callable[[], object]:
        """Return what runs the periodic flows that are due, called once per pass."""
        ...


class JobRunner:
    """Runs due jobs in a daemon thread: the embedded stand-in for `beredning worker`.

    A daemon thread, so that stopping the app never waits for a flow that is stuck on a slow
    model: the job's lease runs out and the sweeper queues it again.
    """

    def __init__(self, services: AppServices, flows: JobFlows, poll_seconds: float | None = None) -> None:
        self._services = services
        self._flows = flows
        self._poll = poll_seconds if poll_seconds is not None else services.settings.jobs.poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="beredning-jobs", daemon=True)
        self.status = services.loops.setdefault("jobs", LoopStatus("jobs"))

    def start(self) -> None:
        """Start the thread (it returns at once when a Prefect server is configured)."""
        self.status.started()
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop after the current job and wait up to `timeout` seconds.

        A job still running then is abandoned to its lease, and Prefect's local server is stopped
        here: the thread would stop it on its way out, but the process may end before that.
        """
        self._stop.set()
        if not self._thread.is_alive():
            return
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._flows.stop_local_server()

    def _run(self) -> None:
        if self._flows.api_url() is not None:
            log.info("PREFECT_API_URL is set: triage jobs are left to `beredning worker`")
            self._services.loops.pop("jobs", None)
            return
        try:
            with self._flows.local_api(self._services.settings):
                self._loop()
        except BaseException as exc:
            log.critical("the job loop stopped: %s", type(exc).__name__, exc_info=True)
            self.status.ended(f"crashed: {type(exc).__name__}")
            raise
        self.status.ended("stopped with the app")

    def _loop(self) -> None:
        services = self._services
        drafting = services.drafting or drafting_from_settings(
            services.settings, services.engine, services.process
        )
        handler = self._flows.triage_handler(
            services.settings, services.engine, services.similarity, drafting
        )
        settings = services.settings.jobs
        worker = jobs.Worker(
            services.engine,
            handler,
            name=f"app:{leases.worker_name()}",
            lease=timedelta(seconds=settings.lease_seconds),
            max_attempts=settings.max_attempts,
        )
        tick = self._flows.periodic_tick(
            services.settings, services.engine, services.process, services.similarity, drafting
        )
        log.info("running triage jobs in the app (embedded, Prefect's local API)")
        while not self._stop.is_set():
            self._pass(worker, tick)
            self._stop.wait(self._poll)

    def _pass(self, worker: jobs.Worker, tick: Callable[[], object]) -> None:
        """One round of jobs and periodic flows; any error is logged and counted, never fatal."""
        try:
            report = worker.run_pending(self._stop)
            if report.done or report.failed or report.swept:
                log.info(
                    "jobs: %d triaged, %d failed, %d re-queued", report.done, report.failed, report.swept
                )
            if not self._stop.is_set():
                tick()
        except StorageError as exc:
            log.error("job pass failed, database unavailable: %s", type(exc).__name__)
            self.status.failed(exc)
        except Exception as exc:  # one bad item or flow must not end the loop for all the others
            log.exception("job pass failed; the loop goes on")
            self.status.failed(exc)
        else:
            self.status.passed()


async def drafting_loop(services: AppServices) -> None:
    """Draft new submissions, and redo rules-only drafts once the model answers again.

    An error in one pass (the database, a draft the model or the rules choke on) is logged and
    counted in `services.loops["drafting"]`; the next pass runs as usual.
    """
    drafting = services.drafting
    assert drafting is not None
    status = services.loops.setdefault("drafting", LoopStatus("drafting"))
    status.started()
    try:
        while True:
            await asyncio.sleep(services.settings.llm.poll_seconds)
            try:
                if await anyio.to_thread.run_sync(jobs.busy, services.engine):
                    continue  # the triage flows draft these; redrafting waits until they are done
                done, missed = await anyio.to_thread.run_sync(drafting.redraft_due)
            except StorageError as exc:
                log.error("drafting pass failed, database unavailable: %s", type(exc).__name__)
                status.failed(exc)
                continue
            except Exception as exc:
                log.exception("drafting pass failed; the loop goes on")
                status.failed(exc)
                continue
            status.passed()
            if done or missed:
                log.info("drafting pass: %d drafted, %d left to rules for now", done, missed)
    except asyncio.CancelledError:
        status.ended("stopped with the app")
        raise
    except BaseException as exc:
        status.ended(f"crashed: {type(exc).__name__}")
        raise


class BackgroundWork:
    """Starts and stops the background tasks with the app's lifespan."""

    def __init__(self, services: AppServices, flows: JobFlows | None = None) -> None:
        self._services = services
        self._flows = flows
        self._tasks: list[asyncio.Task[None]] = []
        self._jobs: JobRunner | None = None

    async def start(self) -> None:
        """Warm up in a thread (requests are served meanwhile), start the job runner and redrafting.

        `retry_interval_seconds = 0` turns the job runner and re-warming off (tests that drive the
        processing by hand); without `flows` there is no job runner either.
        """
        loop = asyncio.get_running_loop()
        self._tasks.append(asyncio.ensure_future(anyio.to_thread.run_sync(warm_up, self._services)))
        if self._services.settings.intake.retry_interval_seconds > 0:
            self._tasks.append(loop.create_task(rewarm_loop(self._services)))
            if self._flows is None:
                log.warning("the app was given no job flows: triage jobs are left to `beredning worker`")
            else:
                self._jobs = JobRunner(self._services, self._flows)
                self._jobs.start()
        if self._services.drafting is not None and self._services.settings.llm.poll_seconds > 0:
            self._tasks.append(loop.create_task(drafting_loop(self._services)))

    async def stop(self) -> None:
        """Stop the job runner and cancel the tasks; a job still running is left to its lease."""
        if self._jobs is not None:
            await anyio.to_thread.run_sync(self._jobs.stop)
            self._jobs = None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
