"""What every request handler shares, built once by `create_app`."""

from __future__ import annotations

import threading

from litestar.di import NamedDependency
from sqlalchemy.engine import Engine

from intake.domain.process import ProcessDefinition
from intake.services.drafting import DraftingService
from intake.services.similarity import SimilarityService
from intake.settings import Settings


class ModelStatus:
    """Whether the embedding model and the index are warm, for `/health`."""

    def __init__(self) -> None:
        self.state = "cold"  # cold -> loading -> ready | error
        self.error: str | None = None
        self.lock = threading.Lock()


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


Services = NamedDependency[AppServices]
"""How handlers ask for the services."""
