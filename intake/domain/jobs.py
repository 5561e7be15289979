"""Where a background job stands (stored in `job.state`; `intake.models` uses it)."""

from __future__ import annotations

import enum


class JobState(enum.StrEnum):
    """Where a background job stands.

    `queued`: waiting for a worker (not before `run_after`). `running`: leased by one worker
    until `lease_until`; a lease that runs out means the worker died, and the sweeper queues the
    job again. `done`: finished. `failed`: gave up after the configured attempts; a human must look.
    """

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
