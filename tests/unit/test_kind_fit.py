"""Fitting a kind's score model: monotone, flag point on the service's threshold, honest CV."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.evaluation import KindQuery, cross_validate, figures, fit_kind


def _queries(n: int, seed: int, noise: float) -> list[KindQuery]:
    """Ideas against 30 items: the answer has a higher dense and lexical part, plus noise; a third none."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        dense = rng.normal(0.80, 0.02, 30)
        lexical = np.clip(rng.normal(0.10, 0.05, 30), 0, 1)
        answers = np.zeros(30)
        if i % 3:
            answer = int(rng.integers(30))
            answers[answer] = 1.0
            dense[answer] += 0.05 + rng.normal(0, noise)
            lexical[answer] += 0.25 + rng.normal(0, noise)
        out.append(KindQuery({"dense": dense, "lexical": np.clip(lexical, 0, 1)}, answers))
    return out


def test_a_clear_signal_is_ranked_first_and_flagged_and_none_ideas_are_not() -> None:
    queries = _queries(60, 1, 0.01)
    model = fit_kind(queries, ("dense", "lexical"))
    assert all(w >= 0 for w in model.weights.values())
    result = figures(model, queries)
    assert result.top1 == 1.0 and result.flag_precision == 1.0
    assert result.flag_recall > 0.9 and result.none_flagged == 0


def test_the_score_model_form_puts_the_flag_point_on_the_threshold() -> None:
    queries = _queries(60, 2, 0.05)
    fitted = fit_kind(queries, ("dense", "lexical"))
    model = fitted.score_model("kind", 0.57, symmetric=False, provenance={})
    for query in queries[:10]:
        raw = fitted.scores(query)
        for i in range(len(raw)):
            parts = {"dense": float(query.parts["dense"][i]), "lexical": float(query.parts["lexical"][i])}
            flagged = model.score(parts) >= 0.57 - 1e-6
            assert flagged == (raw[i] >= fitted.flag - 1e-6)


def test_cross_validation_is_below_in_sample_on_noise() -> None:
    queries = _queries(60, 3, 0.5)  # the answer barely differs: a fit can only learn the noise
    fitted = fit_kind(queries, ("dense", "lexical"))
    in_sample = figures(fitted, queries)
    held_out = cross_validate(
        queries, lambda train: fit_kind(train, ("dense", "lexical")), folds=5, repeats=3
    )
    assert held_out.flag_precision <= in_sample.flag_precision + 1e-9
    assert 0.0 <= held_out.top1 <= 1.0


@pytest.mark.parametrize("parts", [("dense",), ("lexical",), ("dense", "lexical")])
def test_any_subset_of_parts_fits(parts: tuple[str, ...]) -> None:
    model = fit_kind(_queries(30, 4, 0.02), parts)
    assert set(model.weights) == set(parts)
