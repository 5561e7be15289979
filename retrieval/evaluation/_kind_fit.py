"""Fit the score model of one kind of document (portfolio items) on ideas with known answers.

The sentence model is fitted on graded sentence pairs (SweParaphrase), but an idea compared with a
portfolio item is another task: a two-line idea against a five-word title. Its cosines sit lower
and its flag point must be its own (the parking idea scored 0.31 against *SBK
Parkeringsstillstånd*, under the sentence model's 0.571). So the kind gets its own model, fitted on
queries with the item(s) they belong to (or none):

1. each part (dense, lexical) is calibrated by isotonic regression of "this item is an answer" on
   the part, over every (query, item) pair of the training queries;
2. the calibrated parts are weighed by logistic regression (weights kept non-negative, so the
   model stays monotone in every part);
3. the flag point is the best score of a query that maximises F0.5 of the flags on the training
   queries (precision counts twice: a wrong "already initiative 22-04" misleads the forum);
4. the model is written in `ScoreModel`'s form with its intercept and scale chosen so that the flag
   point lands on the service's threshold and the best possible pair on 1.

Every choice (the dense part's form, the calibration) is made by cross-validation over queries:
`cross_validate` fits on four fifths of the queries and scores the fifth, repeated with other
splits, and the figures to expect on unseen ideas are the means over the held-out folds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from retrieval.scoring import Calibration, ScoreModel, isotonic_knots

Floats = npt.NDArray[np.float64]
BETA = 0.5
"""F-beta of the flags that chooses the flag point: precision weighs four times recall."""


@dataclass(frozen=True)
class KindQuery:
    """One idea: its parts against every item (`parts[name][i]` for item `i`) and the answers."""

    parts: Mapping[str, Floats]
    answers: Floats
    """1.0 where item `i` is an answer, else 0.0 (all zero: no item covers the idea)."""

    @property
    def answered(self) -> bool:
        """Whether some item is an answer."""
        return bool(self.answers.any())


@dataclass(frozen=True)
class KindFigures:
    """Top-1 over answered queries, flag precision and recall, and `none` queries that flagged."""

    top1: float
    flag_precision: float
    flag_recall: float
    none_flagged: float

    def as_dict(self) -> dict[str, float]:
        """Return the figures rounded, under the `beredning eval portfolio` keys."""
        return {
            "top1": round(self.top1, 4),
            "flag_precision": round(self.flag_precision, 4),
            "flag_recall": round(self.flag_recall, 4),
            "none_flagged": round(self.none_flagged, 2),
        }


@dataclass(frozen=True)
class FittedKind:
    """A kind model on its own scale: score = sum of weight x calibrated part, flagged at `flag`."""

    parts: tuple[str, ...]
    calibrations: Mapping[str, Calibration]
    weights: Mapping[str, float]
    bias: float
    flag: float

    def scores(self, query: KindQuery) -> Floats:
        """Return the model's raw score of every item for `query`."""
        total = np.full(len(query.answers), self.bias)
        for name in self.parts:
            c = self.calibrations[name]
            total += self.weights[name] * np.interp(query.parts[name], c.xs, c.ys)
        return total

    def score_model(
        self, name: str, threshold: float, symmetric: bool, provenance: dict[str, object]
    ) -> ScoreModel:
        """Return the model in `ScoreModel` form, its flag point mapped onto `threshold`.

        A raw score z becomes (z - flag) / scale + threshold, with scale chosen so that the
        highest raw score possible maps to 1: the same order and flags, on the service's scale.
        """
        top = self.bias + sum(self.weights[n] * max(self.calibrations[n].ys) for n in self.parts)
        scale = max((top - self.flag) / (1.0 - threshold), 1e-6)
        weights = {n: round(self.weights[n], 6) for n in self.parts}
        return ScoreModel(
            name=name,
            weights=weights,
            calibrations=dict(self.calibrations),
            intercept=round(self.bias - self.flag + threshold * scale, 6),
            scale=round(scale, 6),
            threshold=threshold,
            symmetric=symmetric,
            provenance=provenance,
            across_languages=True,
        )


def fit_kind(
    queries: Sequence[KindQuery],
    parts: Sequence[str],
    fixed: Mapping[str, Calibration] | None = None,
    knots: int = 25,
) -> FittedKind:
    """Fit calibrations (unless `fixed` gives them), weights and the flag point on `queries`."""
    from sklearn.linear_model import LogisticRegression

    names = tuple(parts)
    labels = np.concatenate([q.answers for q in queries])
    calibrations = (
        {n: fixed[n] for n in names}
        if fixed is not None
        else {
            n: _strictly_increasing(
                isotonic_knots(np.concatenate([q.parts[n] for q in queries]).tolist(), labels.tolist(), knots)
            )
            for n in names
        }
    )
    features = np.column_stack(
        [
            np.interp(np.concatenate([q.parts[n] for q in queries]), calibrations[n].xs, calibrations[n].ys)
            for n in names
        ]
    )
    regression = LogisticRegression(C=10.0, max_iter=1000).fit(features, labels)
    weights = {n: max(0.0, float(w)) for n, w in zip(names, regression.coef_[0], strict=True)}
    if not any(weights.values()):
        weights = dict.fromkeys(names, 1.0)
    fitted = FittedKind(names, calibrations, weights, float(regression.intercept_[0]), 0.0)
    return FittedKind(names, calibrations, weights, fitted.bias, _flag_point(fitted, queries))


RAMP = 0.01
"""The share of a calibration's range added as a straight ramp under it, see `_strictly_increasing`."""


def _strictly_increasing(calibration: Calibration) -> Calibration:
    """Return `calibration` with a small ramp added, and a knot at cosine -1 below its first one.

    Isotonic regression is flat wherever no answer lies, typically under the lowest cosine of a
    right item: every English idea against Swedish titles then scored the same, and the order the
    model saw (the substitutes' initiative first) was lost to a tie. The ramp keeps the order
    inside flat stretches while moving no value by more than `RAMP` of the range.
    """
    xs, ys = list(calibration.xs), list(calibration.ys)
    top = max(ys) or 1.0
    span = (xs[-1] - xs[0]) or 1.0
    ramped = [y + RAMP * top * (x - xs[0]) / span for x, y in zip(xs, ys, strict=True)]
    if xs[0] > -1.0:
        xs, ramped = [-1.0, *xs], [ramped[0] - RAMP * top, *ramped]
    return Calibration(tuple(round(x, 6) for x in xs), tuple(round(y, 6) for y in ramped))


def _flag_point(model: FittedKind, queries: Sequence[KindQuery]) -> float:
    best = [(float(s.max()), bool(q.answers[int(s.argmax())])) for q in queries for s in [model.scores(q)]]
    answered = sum(q.answered for q in queries)
    chosen, best_f = max(b for b, _ in best) + 1e-9, -1.0
    for point in sorted({b for b, _ in best}):
        flagged = [right for b, right in best if b >= point]
        right = sum(flagged)
        if not right or not answered:
            continue
        precision, recall = right / len(flagged), right / answered
        f = (1 + BETA**2) * precision * recall / (BETA**2 * precision + recall)
        if f > best_f:
            chosen, best_f = point, f
    return chosen


def figures(model: FittedKind, queries: Sequence[KindQuery]) -> KindFigures:
    """Return the figures of `model` on `queries`."""
    top1 = flagged = right = none_flagged = 0
    answered = sum(q.answered for q in queries)
    for query in queries:
        scores = model.scores(query)
        best = int(scores.argmax())
        top1 += bool(query.answered and query.answers[best])
        if scores[best] >= model.flag:
            flagged += 1
            right += bool(query.answers[best])
            none_flagged += not query.answered
    return KindFigures(
        top1 / answered if answered else 0.0,
        right / flagged if flagged else 0.0,
        right / answered if answered else 0.0,
        float(none_flagged),
    )


def cross_validate(
    queries: Sequence[KindQuery],
    fit: Callable[[Sequence[KindQuery]], FittedKind],
    folds: int = 5,
    repeats: int = 10,
) -> KindFigures:
    """Return the mean held-out figures over `repeats` random splits of the queries into `folds`.

    Each fold's queries are scored by a model fitted on the other folds (its own flag point too);
    the figures of one repeat are over all queries, `none_flagged` summed, then averaged.
    """
    runs = []
    for repeat in range(repeats):
        order = np.random.RandomState(repeat).permutation(len(queries))
        top1 = flagged = right = none_flagged = 0.0
        for fold in range(folds):
            held = set(order[fold::folds].tolist())
            model = fit([q for i, q in enumerate(queries) if i not in held])
            part = figures(model, [queries[i] for i in sorted(held)])
            held_answered = sum(queries[i].answered for i in held)
            n_flagged = _flagged(model, [queries[i] for i in sorted(held)])
            top1 += part.top1 * held_answered
            right += part.flag_recall * held_answered
            flagged += n_flagged
            none_flagged += part.none_flagged
        answered = sum(q.answered for q in queries)
        runs.append((top1 / answered, right / flagged if flagged else 0.0, right / answered, none_flagged))
    mean = np.mean(np.asarray(runs), axis=0)
    return KindFigures(float(mean[0]), float(mean[1]), float(mean[2]), float(mean[3]))


def _flagged(model: FittedKind, queries: Sequence[KindQuery]) -> int:
    return sum(1 for q in queries if float(model.scores(q).max()) >= model.flag)
