"""Move this Python process's wall clock when `BEREDNING_TEST_CLOCK_OFFSET` is set (seconds).

`scripts/calendar_check.py` puts this folder first on PYTHONPATH, so every Python process of a
test run (pytest, the CLI, the served app, Prefect's server) starts with the same offset from the
real clock and keeps ticking. time-machine moves `datetime.now`, `date.today`, `time.time` and
their kin; `time.monotonic` and `time.sleep` are left alone, so timeouts and waits still work.
(libfaketime, which moves every program, makes Python's `time.sleep` fail with EINVAL.)

Nothing happens without the variable: this file is never on the path of the service itself.
"""

from __future__ import annotations

import os

_OFFSET = os.environ.get("BEREDNING_TEST_CLOCK_OFFSET")
if _OFFSET:
    from datetime import UTC, datetime, timedelta

    import time_machine

    time_machine.travel(datetime.now(UTC) + timedelta(seconds=float(_OFFSET)), tick=True).start()
