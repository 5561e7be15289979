"""What every request handler shares, built once by `create_app`."""

from __future__ import annotations

import threading

from litestar.di import NamedDependency

from intake.domain.process import ProcessDefinition
from intake.services.drafting import DraftingService
from intake.services.similarity import SimilarityService
from intake.services.storage import Engine
from intake.settings import Settings


class ModelStatus:
    """Whether the embedding model and the index are warm, for `/health`."""

    def __init__(self) -> None:
        self.state = "cold"  # cold -> loading -> ready | error
        self.error: str | None = None
        self.lock = threading.Lock()


class LoopStatus:
    """One background loop's pulse, for `/health`: running or stopped, and its last failure.

    A loop records each pass; an error in one pass is logged and counted, and the loop goes on.
    Only a loop that ended (or never started when it should have) is `stopped`.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.running = False
        self.stopped_reason: str | None = None
        self.passes = 0
        self.failures_in_row = 0
        self.last_error: str | None = None

    def started(self) -> None:
        """Mark the loop as running."""
        self.running, self.stopped_reason = True, None

    def passed(self) -> None:
        """Record a pass that ended without error."""
        self.passes += 1
        self.failures_in_row = 0

    def failed(self, exc: BaseException) -> None:
        """Record a pass that failed; the loop itself goes on (the text is the exception's type only)."""
        self.passes += 1
        self.failures_in_row += 1
        self.last_error = type(exc).__name__

    def ended(self, reason: str) -> None:
        """Mark the loop as stopped, with why."""
        self.running, self.stopped_reason = False, reason


class AppServices:
    """The app's long-lived objects, injected into handlers by name.

    A plain class on purpose: Litestar converts dataclass dependencies field by field, and
    these fields (an engine, a lock) are not data.
    """

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        similarity: SimilarityService,
        process: ProcessDefinition,
        drafting: DraftingService | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.similarity = similarity
        self.process = process
        self.drafting = drafting
        self.model = ModelStatus()
        self.loops: dict[str, LoopStatus] = {}
        """The background loops this app started, by name (empty when it runs none)."""


Services = NamedDependency[AppServices]
"""How handlers ask for the services."""
