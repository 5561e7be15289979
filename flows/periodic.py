"""Periodic flows (forum agendas, reminders, the mailbox): run from every job loop.

There is no separate scheduler process to keep alive: the app's embedded job runner and every
`beredning worker` call `PeriodicRunner.tick` between jobs, and each entry decides in the
database whether its work is due and claims it there (a unique row per agenda, per digest, per
mail), so that any number of processes ticking at once still send one agenda and store one mail.
Each entry runs its own Prefect flow, so its runs and task states show in the Prefect UI.

A module that provides a periodic flow exports `PERIODIC: Periodic` and is listed in `MODULES`.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from flows.context import Slot
from intake.domain.process import ProcessDefinition
from intake.services.drafting import DraftingService
from intake.services.similarity import SimilarityService
from intake.settings import Settings

log = logging.getLogger(__name__)

MODULES: tuple[str, ...] = ("flows.agenda", "flows.reminders", "flows.mailbox", "flows.retention")
"""Modules with a `PERIODIC` entry, in the order they run within one tick."""


@dataclass(frozen=True)
class PeriodicContext:
    """What a periodic flow may use: the services of the process that runs it."""

    settings: Settings
    engine: Engine
    process: ProcessDefinition
    similarity: SimilarityService
    drafting: DraftingService


@dataclass(frozen=True)
class Periodic:
    """One periodic flow: how often to look whether it is due, and what to run.

    `interval` returns the seconds between two looks (0 or less: switched off by the settings).
    `run` must be idempotent across processes: it may run in several processes at once.
    """

    name: str
    interval: Callable[[Settings], float]
    run: Callable[[PeriodicContext, datetime], object]


_SLOT: Slot[PeriodicContext] = Slot("periodic context", "use flows.periodic.bound")


@contextmanager
def bound(context: PeriodicContext) -> Iterator[PeriodicContext]:
    """Use `context` for the periodic flows run in this thread inside the block.

    Flows take plain values (days, keys), not engines or settings; their tasks find the services
    here (`flows.context`). `PERIODIC.run` of each module and the CLI commands that run a flow
    bind it.
    """
    with _SLOT.bound(context):
        yield context


def current() -> PeriodicContext:
    """Return the context bound for this thread.

    Raises:
        RuntimeError: none is bound.
    """
    return _SLOT.current()


def registered(modules: Sequence[str] = MODULES) -> list[Periodic]:
    """Import the modules with periodic flows and return their entries."""
    return [importlib.import_module(name).PERIODIC for name in modules]


@dataclass
class PeriodicRunner:
    """Runs each periodic entry when its interval has passed since its last run in this process."""

    context: PeriodicContext
    entries: list[Periodic] = field(default_factory=registered)
    clock: Callable[[], float] = time.monotonic
    _last: dict[str, float] = field(default_factory=dict)

    def tick(self, now: datetime | None = None) -> list[str]:
        """Run the entries that are due; return their names. A failing entry is logged, not raised."""
        ran: list[str] = []
        if not self.context.settings.jobs.periodic:
            return ran
        for entry in self.entries:
            interval = entry.interval(self.context.settings)
            last = self._last.get(entry.name)
            if interval <= 0 or (last is not None and self.clock() - last < interval):
                continue
            self._last[entry.name] = self.clock()
            try:
                entry.run(self.context, now or datetime.now(UTC))
            except Exception:  # one broken periodic flow must not stop the job loop
                log.exception("periodic flow %s failed; it runs again in %.0f s", entry.name, interval)
            ran.append(entry.name)
        return ran
