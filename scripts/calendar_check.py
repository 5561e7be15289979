"""Run the date-dependent tests with the clock moved to other days.

A test that hard-codes a day "now" is measured against passes until the calendar passes that day
(the demo agenda of 1 December 2026 did). This runs the tests marked `calendar` at several
moments: today, a year ahead, a leap day and the last hour of a year in Stockholm (already the
next year there, not yet in UTC). `tests/clock/sitecustomize.py` moves the wall clock of every
Python process of the run (pytest, the CLI, the served app, Prefect's server) by the same offset
from the real clock; the monotonic clock is left alone so timeouts still work. PostgreSQL's
server is not moved: nothing in the service reads its clock.

    python scripts/calendar_check.py [--day YYYY-MM-DDTHH:MM] [-- PYTEST ARGS]

Exits non-zero when a run fails, naming the day.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

CLOCK_DIR = Path(__file__).resolve().parents[1] / "tests" / "clock"


def _next_leap_day(after: date) -> date:
    year = after.year
    while True:
        try:
            day = date(year, 2, 29)
        except ValueError:
            year += 1
            continue
        if day >= after:
            return day
        year += 1


def default_moments(now: datetime) -> list[tuple[str, datetime]]:
    """The moments to test at: named, in UTC."""
    leap = _next_leap_day(now.date())
    return [
        ("today", now),
        ("a year ahead", now + timedelta(days=365)),
        ("a leap day", datetime(leap.year, 2, 29, 11, 0, tzinfo=UTC)),
        ("last hour of the year in Stockholm", datetime(now.year, 12, 31, 22, 30, tzinfo=UTC)),
    ]


def clock_env(now: datetime, moment: datetime) -> dict[str, str]:
    """The environment that moves every Python process's wall clock from `now` to `moment`."""
    path = os.environ.get("PYTHONPATH")
    return {
        "PYTHONPATH": f"{CLOCK_DIR}{os.pathsep}{path}" if path else str(CLOCK_DIR),
        "BEREDNING_TEST_CLOCK_OFFSET": str(round((moment - now).total_seconds())),
    }


def _child_day(env: dict[str, str]) -> str:
    """The UTC day a fresh Python process sees with `env`: proof that the clock moved."""
    code = "import datetime; print(datetime.datetime.now(datetime.UTC).date())"
    done = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or done.stderr.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--day", action="append", help="a moment to test at (UTC), repeatable")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest")
    args = parser.parse_args(argv)
    now = datetime.now(UTC)
    moments = (
        [(d, datetime.fromisoformat(d).replace(tzinfo=UTC)) for d in args.day]
        if args.day
        else default_moments(now)
    )
    failed: list[str] = []
    for name, moment in moments:
        print(f"\n=== {name}: {moment:%Y-%m-%d %H:%M} UTC ===", flush=True)
        env = {**os.environ, **clock_env(datetime.now(UTC), moment)}
        seen = _child_day(env)
        if seen != moment.date().isoformat():
            print(f"calendar check: a child process sees {seen}, not {moment:%Y-%m-%d}", file=sys.stderr)
            return 2
        command = [sys.executable, "-m", "pytest", "-m", "calendar", "-q", "-p", "no:cacheprovider"]
        command += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]  # time_machine, imported first
        done = subprocess.run([*command, *args.pytest_args], env=env, check=False)  # noqa: S603 (our own pytest)
        if done.returncode != 0:
            failed.append(f"{name} ({moment:%Y-%m-%d %H:%M})")
    if failed:
        print(f"\ncalendar check failed at: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"\ncalendar check: the tests marked calendar pass at all {len(moments)} moments")
    return 0


if __name__ == "__main__":
    sys.exit(main())
