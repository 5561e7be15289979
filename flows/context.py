"""How a flow's tasks find the services of the process that runs them: one mechanism for all flows.

Flows take plain values (ids, days, keys), never engines, settings or ORM objects: Prefect
records a flow's parameters, and a connection or a model does not belong in a flow run's record.
The tasks find the long-lived objects in a `Slot` instead. A slot has two levels:

- `bind(value)` sets the process's value, for the code that runs jobs in threads of its own (the
  app's job runner, `beredning worker`): a thread started later sees it without being handed it.
- `bound(value)` sets it for the current context only, inside a `with` block (a CLI command that
  runs one flow, a test). Prefect copies the context into the threads its tasks run in, so the
  tasks of a flow started inside the block see it; other threads do not.

`current()` returns the block's value if there is one, else the process's, and says how to bind
one when there is neither.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

T = TypeVar("T")


class Slot(Generic[T]):
    """The services of one kind of flow: bound for the process or for a block (see the module)."""

    def __init__(self, name: str, how_to_bind: str) -> None:
        self._name = name
        self._how_to_bind = how_to_bind
        self._local: ContextVar[T | None] = ContextVar(name, default=None)
        self._process: T | None = None
        self._lock = threading.Lock()

    def bind(self, value: T | None) -> T | None:
        """Make `value` the process's (None unbinds it); return the previous one."""
        with self._lock:
            previous, self._process = self._process, value
        return previous

    @contextmanager
    def bound(self, value: T) -> Iterator[T]:
        """Use `value` inside the block, in this context and the tasks of flows started in it."""
        token = self._local.set(value)
        try:
            yield value
        finally:
            self._local.reset(token)

    def current(self) -> T:
        """Return the block's value, else the process's.

        Raises:
            RuntimeError: neither is bound.
        """
        value = self._local.get()
        if value is not None:
            return value
        with self._lock:
            if self._process is None:
                raise RuntimeError(f"no {self._name} bound: {self._how_to_bind}")
            return self._process
