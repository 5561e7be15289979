"""The flows the served app runs in its own job thread, handed to `create_app` by `beredning serve`.

`intake.web` imports nothing from `flows`: its job runner is given an `EmbeddedFlows` (the
`JobFlows` seam of `intake.web.background`) and calls it from the job thread. Prefect and the
triage flow are imported there on first use, after `runtime.load_prefect`, not when the app starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine

from flows import runtime
from intake.domain.process import ProcessDefinition
from intake.services.drafting import DraftingService
from intake.services.jobs import Handler
from intake.services.similarity import SimilarityService
from intake.settings import Settings


class EmbeddedFlows:
    """Prefect's runtime, the triage flow and the periodic flows, for the app's embedded job runner."""

    def api_url(self) -> str | None:
        """Return the Prefect server the flows report to, or None for Prefect's local API."""
        return runtime.api_url()

    @contextmanager
    def local_api(self, settings: Settings) -> Iterator[None]:
        """Load Prefect, then run the block's flows against its local API, stopped when the block ends."""
        runtime.load_prefect()  # before `flows.triage` imports it, so that uvicorn keeps its logs
        with runtime.local_prefect(settings):
            yield

    def stop_local_server(self) -> None:
        """Stop Prefect's local server of this process, if one was started (safe to repeat)."""
        runtime.stop_local_server()

    def triage_handler(
        self, settings: Settings, engine: Engine, similarity: SimilarityService, drafting: DraftingService
    ) -> Handler:
        """Bind the triage flow to these services; return the handler that runs one claimed job."""
        from flows import triage, triage_steps

        triage_steps.bind(triage_steps.triage_services(settings, engine, similarity, drafting))
        return triage.run_job

    def periodic_tick(
        self,
        settings: Settings,
        engine: Engine,
        process: ProcessDefinition,
        similarity: SimilarityService,
        drafting: DraftingService,
    ) -> Callable[[], object]:
        """Return what runs the periodic flows that are due, called once per pass."""
        from flows.periodic import PeriodicContext, PeriodicRunner

        return PeriodicRunner(PeriodicContext(settings, engine, process, similarity, drafting)).tick
