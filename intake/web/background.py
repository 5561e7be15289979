"""Work the served app does beside requests: warming the model and retrying failed processing."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError

from intake.services import submissions
from intake.services.similarity import SimilarityUnavailable
from intake.web.state import AppServices
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


async def retry_loop(services: AppServices) -> None:
    """Process submissions whose processing failed or stalled, every `retry_interval_seconds`."""
    interval = services.settings.intake.retry_interval_seconds
    while True:
        await asyncio.sleep(interval)
        if services.model.state != "ready":
            await anyio.to_thread.run_sync(warm_up, services)
        try:
            ok, failed = await anyio.to_thread.run_sync(
                submissions.process_due, services.engine, services.similarity, services.settings.intake
            )
        except SQLAlchemyError as exc:
            log.error("retry pass failed, database unavailable: %s", exc)
            continue
        if ok or failed:
            log.info("retry pass: %d processed, %d still failing", ok, failed)


async def drafting_loop(services: AppServices) -> None:
    """Draft new submissions, and redo rules-only drafts once the model answers again."""
    drafting = services.drafting
    assert drafting is not None
    while True:
        await asyncio.sleep(services.settings.llm.poll_seconds)
        try:
            done, missed = await anyio.to_thread.run_sync(drafting.redraft_due)
        except SQLAlchemyError as exc:
            log.error("drafting pass failed, database unavailable: %s", exc)
            continue
        if done or missed:
            log.info("drafting pass: %d drafted, %d left to rules for now", done, missed)


class BackgroundWork:
    """Starts and stops the background tasks with the app's lifespan."""

    def __init__(self, services: AppServices) -> None:
        self._services = services
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Warm up in a thread (requests are served meanwhile) and start the retry loop."""
        loop = asyncio.get_running_loop()
        self._tasks.append(asyncio.ensure_future(anyio.to_thread.run_sync(warm_up, self._services)))
        if self._services.settings.intake.retry_interval_seconds > 0:
            self._tasks.append(loop.create_task(retry_loop(self._services)))
        if self._services.drafting is not None and self._services.settings.llm.poll_seconds > 0:
            self._tasks.append(loop.create_task(drafting_loop(self._services)))

    async def stop(self) -> None:
        """Cancel the tasks and wait for them to end."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
