"""Percentiles as the benchmarks report them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the `fraction` percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


@dataclass(frozen=True)
class Percentiles:
    """p50, p95 and p99 of some timings in ms, rounded to 0.1 ms; None when nothing was timed."""

    p50: float | None
    p95: float | None
    p99: float | None


def summarize(timings_ms: Sequence[float]) -> Percentiles:
    """Return the p50, p95 and p99 (nearest rank) of `timings_ms`."""
    if not timings_ms:
        return Percentiles(None, None, None)
    p50, p95, p99 = (round(percentile(timings_ms, f), 1) for f in (0.50, 0.95, 0.99))
    return Percentiles(p50, p95, p99)
