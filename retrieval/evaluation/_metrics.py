"""The metrics of `data/eval/FORMAT.md`, as pure functions over scores and rankings.

Pairs: Spearman's rho between system score and human score (ties get average ranks). For
flagging, human score >= 4 is a positive ("same need"), <= 2 a negative, anything in between is
left out; a pair is flagged when its system score is >= the threshold. `best_f1` tries every
distinct system score of the kept pairs as a threshold and reports the highest F1 (the lowest such
threshold on a tie).

Groups (leave-one-out): every item is indexed; every item whose group has two or more members is a
query, searched against all other items (never itself) for its top 10.

- `recall@k`: share of queries with at least one group-mate among the first k results.
- `mrr`: mean over queries of 1 / rank of the first group-mate in the top 10 (0 when none).
- flagged pairs: (query, result) for each of the query's top-10 results whose score is >= the
  threshold (or, for a method without a threshold, every result it returns). Pairs are ordered,
  so a duplicate pair can count once from each side.
  `precision_at_threshold` = flagged pairs that are group-mates / flagged pairs (0 when nothing is
  flagged); `recall_at_threshold` = flagged group-mate pairs / all ordered group-mate pairs of the
  queries (sum of group size - 1 over queries). Recall is therefore capped by the top-10 cut, as a
  reviewer only sees that many.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

POSITIVE_AT = 4.0
"""Human scores at or above this are "same need"."""
NEGATIVE_AT = 2.0
"""Human scores at or below this are "different"."""
RECALL_DEPTHS = (1, 5, 10)
DEPTH = max(RECALL_DEPTHS)
"""Results asked for per query; MRR and the flagged pairs are counted over this many."""


@dataclass(frozen=True)
class Flagging:
    """Precision, recall and F1 of flagging at one threshold."""

    threshold: float | None
    precision: float
    recall: float
    f1: float


def spearman(system: Sequence[float], human: Sequence[float]) -> float:
    """Return Spearman's rho with ties as average ranks; NaN when either side is constant."""
    if len(system) != len(human):
        raise ValueError("system and human scores differ in length")
    if len(system) < 2:
        return math.nan
    from scipy.stats import spearmanr

    if len(set(system)) < 2 or len(set(human)) < 2:
        return math.nan
    return float(spearmanr(system, human).statistic)


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _labelled(system: Sequence[float], human: Sequence[float]) -> list[tuple[float, bool]]:
    return [
        (s, h >= POSITIVE_AT)
        for s, h in zip(system, human, strict=True)
        if h >= POSITIVE_AT or h <= NEGATIVE_AT
    ]


def flagging_at(system: Sequence[float], human: Sequence[float], threshold: float | None) -> Flagging:
    """Return flagging figures when score >= `threshold` flags (None: any score > 0 flags)."""
    tp = fp = fn = 0
    for score, positive in _labelled(system, human):
        flagged = score > 0 if threshold is None else score >= threshold
        tp += flagged and positive
        fp += flagged and not positive
        fn += positive and not flagged
    return Flagging(threshold, *_f1(tp, fp, fn))


def best_flagging(system: Sequence[float], human: Sequence[float]) -> Flagging:
    """Return the flagging with the highest F1 over every distinct score used as threshold."""
    kept = sorted(_labelled(system, human), key=lambda pair: -pair[0])
    positives = sum(positive for _, positive in kept)
    best = Flagging(None, 0.0, 0.0, 0.0)
    tp = fp = 0
    # Walk from the highest score down; after a run of equal scores, `score` is the threshold.
    for i, (score, positive) in enumerate(kept):
        tp += positive
        fp += not positive
        if i + 1 < len(kept) and kept[i + 1][0] == score:
            continue
        precision, recall, f1 = _f1(tp, fp, positives - tp)
        if f1 >= best.f1 and f1 > 0:
            best = Flagging(score, precision, recall, f1)
    return best


def pair_metrics(
    system: Sequence[float], human: Sequence[float], threshold: float | None
) -> dict[str, float | None]:
    """Return `spearman`, `f1_at_threshold`, `best_f1`, `best_threshold` (NaN becomes None)."""
    rho = spearman(system, human)
    at = flagging_at(system, human, threshold)
    best = best_flagging(system, human)
    return {
        "spearman": None if math.isnan(rho) else rho,
        "f1_at_threshold": at.f1,
        "precision_at_threshold": at.precision,
        "recall_at_threshold": at.recall,
        "best_f1": best.f1,
        "best_threshold": best.threshold,
    }


Ranking = list[tuple[str, float]]
"""Results of one query, best first: (item id, score)."""


def group_metrics(
    groups: dict[str, str], rankings: dict[str, Ranking], threshold: float | None
) -> dict[str, float | int]:
    """Return recall@1/5/10, MRR and flagging figures for leave-one-out rankings.

    Args:
        groups: item id -> group, for every indexed item.
        rankings: query id -> its results (the query itself must not be among them); only ids of
            items whose group has two or more members are queries.
        threshold: score at or above which a result is flagged; None flags every result.
    """
    sizes = Counter(groups.values())
    queries = [q for q in rankings if sizes[groups[q]] >= 2]
    hits = dict.fromkeys(RECALL_DEPTHS, 0)
    reciprocal = 0.0
    flagged = flagged_mates = mates_total = 0
    for query in queries:
        group = groups[query]
        results = rankings[query][:DEPTH]
        mates = [groups.get(key) == group and key != query for key, _ in results]
        first = next((i for i, mate in enumerate(mates) if mate), None)
        if first is not None:
            reciprocal += 1.0 / (first + 1)
            for k in RECALL_DEPTHS:
                hits[k] += first < k
        mates_total += sizes[group] - 1
        for (_, score), mate in zip(results, mates, strict=True):
            if threshold is None or score >= threshold:
                flagged += 1
                flagged_mates += mate
    n = len(queries)
    figures: dict[str, float | int] = {f"recall@{k}": hits[k] / n if n else 0.0 for k in RECALL_DEPTHS}
    figures["mrr"] = reciprocal / n if n else 0.0
    figures["precision_at_threshold"] = flagged_mates / flagged if flagged else 0.0
    figures["recall_at_threshold"] = flagged_mates / mates_total if mates_total else 0.0
    figures["queries"] = n
    return figures
