"""The one way flows find their services: a process-wide binding and a block's own."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable

import pytest

from flows.context import Slot


def _in_thread(read: Callable[[], str], context: contextvars.Context | None = None) -> str:
    """What `read` returns in a new thread, started bare or inside a copy of a context."""
    seen: list[str] = []

    def run() -> None:
        try:
            seen.append(read())
        except RuntimeError as exc:
            seen.append(f"error: {exc}")

    target = run if context is None else (lambda: context.run(run))
    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    return seen[0]


def test_nothing_bound_says_how_to_bind() -> None:
    slot: Slot[str] = Slot("test services", "call bind first")
    with pytest.raises(RuntimeError, match="no test services bound: call bind first"):
        slot.current()


def test_the_process_binding_reaches_threads_started_later() -> None:
    slot: Slot[str] = Slot("test services", "call bind first")
    assert slot.bind("app") is None
    assert _in_thread(slot.current) == "app"
    assert slot.bind(None) == "app"
    assert _in_thread(slot.current).startswith("error: no test services bound")


def test_a_block_overrides_the_process_binding_for_itself_and_what_it_starts() -> None:
    slot: Slot[str] = Slot("test services", "call bind first")
    slot.bind("app")
    with slot.bound("cli"):
        assert slot.current() == "cli"
        # What a task runner does: the task's thread runs in a copy of the caller's context.
        assert _in_thread(slot.current, contextvars.copy_context()) == "cli"
        # A thread of its own (the app's job runner) keeps seeing the process's services.
        assert _in_thread(slot.current) == "app"
    assert slot.current() == "app"


def test_blocks_nest_and_unwind() -> None:
    slot: Slot[str] = Slot("test services", "call bind first")
    with slot.bound("outer"):
        with slot.bound("inner"):
            assert slot.current() == "inner"
        assert slot.current() == "outer"
    with pytest.raises(RuntimeError):
        slot.current()
