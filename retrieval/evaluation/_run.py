"""Run a scorer over a file's pairs or groups and compute the metrics, timed."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.evaluation._data import Item, Pair
from retrieval.evaluation._metrics import DEPTH, group_metrics, pair_metrics
from retrieval.evaluation._scorers import Scorer


@dataclass(frozen=True)
class Result:
    """The figures of one method on one file, the threshold used and the seconds it took."""

    method: str
    figures: dict[str, float | int | None]
    threshold: float | None
    seconds: float


def evaluate_pairs(scorer: Scorer, pairs: Sequence[Pair], threshold: float | None = None) -> Result:
    """Score every pair and return the pair metrics at `threshold` (default: the scorer's)."""
    used = scorer.threshold if threshold is None else threshold
    started = time.perf_counter()
    system = scorer.score_pairs([(p.a, p.b) for p in pairs])
    seconds = time.perf_counter() - started
    figures = pair_metrics(system, [p.score for p in pairs], used)
    return Result(scorer.name, dict(figures), used, seconds)


def evaluate_groups(scorer: Scorer, items: Sequence[Item], threshold: float | None = None) -> Result:
    """Rank leave-one-out for every item with a group-mate and return the group metrics."""
    used = scorer.threshold if threshold is None else threshold
    sizes = Counter(i.group for i in items)
    queries = [i.id for i in items if sizes[i.group] >= 2]
    started = time.perf_counter()
    rankings = scorer.rank(items, queries, DEPTH)
    seconds = time.perf_counter() - started
    figures = group_metrics({i.id: i.group for i in items}, rankings, used)
    return Result(scorer.name, dict(figures), used, seconds)
