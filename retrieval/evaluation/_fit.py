"""Fit the score model of `hybrid` on graded pairs: calibrations, weights and the flag threshold.

The parts of each pair are computed by the service's own `SimilaritySearch` (so the model is
fitted on exactly what it will see), each part is calibrated to the human 0-5 scale by isotonic
regression, and the calibrated parts are combined by non-negative least squares with a free
intercept. The threshold is the one with the best F1 on the same pairs (score >= 4 "same need",
<= 2 "different"). Only ever fit on a training split; the dev split then says how well it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from retrieval.base import Embedder
from retrieval.evaluation._data import Pair
from retrieval.evaluation._memory_index import NumpyVectorIndex
from retrieval.evaluation._metrics import best_flagging, spearman
from retrieval.evaluation._scorers import pair_documents
from retrieval.lexical import LexicalIndex
from retrieval.scoring import SCALE, ScoreModel, isotonic_knots
from retrieval.search import SimilaritySearch


def pair_parts(embedder: Embedder, pairs: Sequence[Pair]) -> list[dict[str, float]]:
    """Return the raw parts (`dense`, `lexical`) of every pair, as the service computes them."""
    docs, keyed = pair_documents([(p.a, p.b) for p in pairs])
    search = SimilaritySearch(embedder, NumpyVectorIndex(), LexicalIndex())
    search.upsert(docs)
    texts = {d.key: d.text for d in docs}
    return [dict(search.score(texts[a], [b], explain=False)[b].parts) for a, b in keyed]


def _fit_additive(
    name: str, parts: Sequence[dict[str, float]], targets: np.ndarray, names: Sequence[str]
) -> ScoreModel:
    from scipy.optimize import nnls

    calibrations = {n: isotonic_knots([p[n] for p in parts], targets.tolist()) for n in names}
    columns = [np.array([calibrations[n](p[n]) for p in parts]) for n in names]
    ones = np.ones(len(parts))
    design = np.column_stack([*columns, ones, -ones])  # +1 and -1: the intercept may take any sign
    coef, _ = nnls(design, targets)
    weights = {n: round(float(coef[i]), 6) for i, n in enumerate(names)}
    if not any(weights.values()):
        raise ValueError(f"no part of {list(names)} carries any signal on these pairs")
    intercept = round(float(coef[len(names)] - coef[len(names) + 1]), 6)
    model = ScoreModel(name, weights, calibrations, intercept, SCALE, threshold=0.5)
    flagged = best_flagging([model.score(p) for p in parts], targets.tolist())
    threshold = round(float(flagged.threshold if flagged.threshold is not None else 0.5), 4)
    return ScoreModel(name, weights, calibrations, intercept, SCALE, threshold)


def fit_score_model(
    embedder: Embedder, pairs: Sequence[Pair], source: str, previous: ScoreModel | None = None
) -> tuple[ScoreModel, dict[str, Any]]:
    """Fit the model for `embedder` on `pairs` and return it with its training figures.

    Pairs are sentences, so only the sentence model is fitted; the long-text model of `previous`
    (the model in use) is carried over, re-anchored to the new threshold
    (`ScoreModel.with_long_text_of`).

    Raises:
        ValueError: too few pairs, or no signal in the parts.
    """
    if len(pairs) < 50:
        raise ValueError(f"{len(pairs)} pairs are too few to fit a score model (at least 50)")
    parts = pair_parts(embedder, pairs)
    targets = np.array([p.score for p in pairs], dtype=np.float64)
    lexical_only = _fit_additive(f"{embedder.model_id}-lexical", parts, targets, ["lexical"])
    full = _fit_additive(embedder.model_id, parts, targets, ["dense", "lexical"])
    system = [full.score(p) for p in parts]
    figures = {
        "source": source,
        "pairs": len(pairs),
        "spearman": round(spearman(system, targets.tolist()), 4),
        "best_f1": round(best_flagging(system, targets.tolist()).f1, 4),
    }
    model = ScoreModel(
        full.name,
        full.weights,
        full.calibrations,
        full.intercept,
        full.scale,
        full.threshold,
        fallback=lexical_only,
        provenance={"fitted_on": figures, "method": "isotonic calibration per part + NNLS"},
    )
    return (model.with_long_text_of(previous) if previous is not None else model), figures
