"""Score models: monotone calibrations, the lexical fallback, files, and the shipped models."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from retrieval.scoring import Calibration, ScoreModel, isotonic_knots, shipped_model


def test_weighted_model_is_the_weighted_mean_of_linearly_mapped_parts() -> None:
    model = ScoreModel.weighted({"dense": 0.6, "lexical": 0.4}, floors={"dense": 0.8})
    assert model.score({"dense": 0.9, "lexical": 0.5}) == pytest.approx((0.6 * 0.5 + 0.4 * 0.5) / 1.0)
    assert model.score({"dense": 0.5, "lexical": 0.0}) == 0.0  # below the floor counts as unrelated
    assert model.score({"lexical": 0.5}) == pytest.approx(0.5)  # model down: lexical alone


def test_calibration_must_be_monotone() -> None:
    with pytest.raises(ValueError, match="monotone"):
        Calibration((0.0, 0.5, 1.0), (0.0, 2.0, 1.0))
    with pytest.raises(ValueError, match="increasing"):
        Calibration((0.5, 0.0), (0.0, 1.0))


def test_model_without_fallback_names_the_missing_part() -> None:
    model = ScoreModel("m", {"dense": 1.0}, {"dense": Calibration.linear()})
    with pytest.raises(KeyError, match="dense"):
        model.score({"lexical": 0.3})


def test_isotonic_knots_follow_a_noisy_increasing_relation() -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(0.7, 1.0, 2000)
    y = np.clip((x - 0.7) / 0.3 * 5 + rng.normal(0, 0.5, x.size), 0, 5)
    calibration = isotonic_knots(x.tolist(), y.tolist())
    assert len(calibration.xs) <= 33
    assert calibration(0.7) < 1.0 < 4.0 < calibration(1.0)
    assert calibration(0.85) == pytest.approx(2.5, abs=0.5)


def test_model_round_trips_through_its_file(tmp_path: Path) -> None:
    model = ScoreModel.weighted({"dense": 0.55, "lexical": 0.45}, floors={"dense": 0.79}, threshold=0.4)
    path = tmp_path / "model.json"
    model.save(path)
    again = ScoreModel.load(path)
    parts = {"dense": 0.9, "lexical": 0.3}
    assert again.score(parts) == model.score(parts)
    assert again.score({"lexical": 0.3}) == model.score({"lexical": 0.3})
    assert again.threshold == 0.4


def test_broken_model_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"name": "x"}))
    with pytest.raises(ValueError, match="not a score model"):
        ScoreModel.load(path)
    with pytest.raises(ValueError, match="cannot read"):
        ScoreModel.load(tmp_path / "missing.json")


@pytest.mark.parametrize("model_id", ["e5-small-q4", "minilm-l6-v2"])
def test_shipped_models_are_monotone_calibrated_and_carry_a_threshold(model_id: str) -> None:
    model = shipped_model(model_id)
    assert model is not None, f"no score model ships for {model_id}"
    assert model.fallback is not None and model.fallback.parts == ("lexical",)
    assert 0.2 <= model.threshold <= 0.9
    grid = np.linspace(0.0, 1.0, 21)
    for lexical in grid:
        scores = [model.score({"dense": d, "lexical": lexical}) for d in grid]
        assert scores == sorted(scores), "more dense similarity never lowers the score"
    for dense in grid:
        scores = [model.score({"dense": dense, "lexical": x}) for x in grid]
        assert scores == sorted(scores), "more lexical similarity never lowers the score"
    assert model.provenance["fitted_on"]["source"].endswith("train.pairs.jsonl")


def test_unknown_embedder_has_no_shipped_model() -> None:
    assert shipped_model("no-such-model") is None


def _with_long(words: int = 30) -> ScoreModel:
    short = ScoreModel.weighted({"dense": 0.55, "lexical": 0.45}, threshold=0.5)
    long = ScoreModel(
        "long",
        {"dense": 1.0, "lexical": 0.3},
        {"dense": Calibration.linear(), "lexical": Calibration.linear()},
        scale=1.3,
        threshold=0.5,
        symmetric=True,
    )
    return ScoreModel(
        short.name,
        short.weights,
        short.calibrations,
        short.intercept,
        short.scale,
        short.threshold,
        short.fallback,
        long_text=long,
        long_text_words=words,
    )


def test_long_queries_get_the_long_text_model_which_round_trips(tmp_path: Path) -> None:
    model = _with_long(30)
    assert model.for_words(29) is model and model.for_words(30) is model.long_text
    path = tmp_path / "model.json"
    model.save(path)
    again = ScoreModel.load(path)
    assert again.for_words(30).symmetric and not again.for_words(29).symmetric
    parts = {"dense": 0.9, "lexical": 0.3}
    assert again.for_words(40).score(parts) == pytest.approx((0.9 + 0.3 * 0.3) / 1.3)
    with pytest.raises(ValueError, match="long_text_words"):
        ScoreModel("x", {"lexical": 1.0}, {"lexical": Calibration.linear()}, long_text=model.long_text)


def test_the_shipped_long_text_model_keeps_sentences_and_the_threshold() -> None:
    model = shipped_model("e5-small-q4")
    assert model is not None and model.long_text is not None
    long = model.long_text
    assert model.long_text_words > 27, "SweParaphrase sentences (p99 27 words) keep the sentence model"
    assert long.symmetric and long.threshold == model.threshold and long.fallback is not None
    grid = np.linspace(0.0, 1.0, 11)
    for lexical in grid:
        scores = [long.score({"dense": d, "lexical": lexical}) for d in grid]
        assert scores == sorted(scores)


@pytest.mark.parametrize("new_threshold", [0.35, 0.5, 0.62])
def test_a_refit_keeps_the_long_text_model_flagging_at_the_same_raw_parts(new_threshold: float) -> None:
    previous = _with_long(30)
    assert previous.long_text is not None
    refit = ScoreModel.weighted({"dense": 0.7, "lexical": 0.3}, threshold=new_threshold)
    carried = refit.with_long_text_of(previous)
    assert carried.weights == refit.weights and carried.threshold == new_threshold
    assert carried.long_text is not None and carried.long_text_words == 30
    assert carried.long_text.threshold == new_threshold and carried.long_text.symmetric
    grid = np.linspace(0.0, 1.0, 41)
    for dense in grid:
        for lexical in grid[::4]:
            parts = {"dense": float(dense), "lexical": float(lexical)}
            before = previous.long_text.score(parts) >= previous.threshold
            after = carried.for_words(45).score(parts) >= carried.threshold
            # away from the rounding of the intercept (6 decimals), the decision is the same
            raw = (dense + 0.3 * lexical) / 1.3
            if abs(raw - previous.threshold) > 1e-5:
                assert before == after, parts
    assert refit.with_long_text_of(refit) is refit, "nothing to carry: the model is unchanged"


def test_across_languages_the_letters_count_as_the_meaning() -> None:
    plain = ScoreModel.weighted({"dense": 0.5, "lexical": 0.5})
    parts = {"dense": 0.8, "lexical": 0.05}
    assert plain.score(parts, across=True) == plain.score(parts)  # off unless the model says so
    model = replace(plain, across_languages=True)
    assert model.score(parts) == pytest.approx(0.425)
    assert model.score(parts, across=True) == pytest.approx(0.8)  # the n-grams had nothing to match
    shared_name = {"dense": 0.4, "lexical": 0.9}
    assert model.score(shared_name, across=True) == model.score(shared_name)  # never lower


def test_a_kind_model_scores_its_documents_and_survives_the_file(tmp_path: Path) -> None:
    kind = ScoreModel.weighted({"dense": 1.0, "lexical": 3.0})
    base = ScoreModel("base", {"dense": 1.0}, {"dense": Calibration.linear()}, kinds={"portfolio": kind})
    assert base.for_match(5, "portfolio") is kind
    assert base.for_match(5, "submission") is base
    path = tmp_path / "model.json"
    base.save(path)
    again = ScoreModel.load(path)
    assert again.kinds["portfolio"].weights == {"dense": 1.0, "lexical": 3.0}
    with pytest.raises(ValueError, match="no models of its own"):
        ScoreModel("bad", {"dense": 1.0}, {"dense": Calibration.linear()}, kinds={"portfolio": base})


def test_the_shipped_model_carries_a_portfolio_model_fitted_with_cross_validated_figures() -> None:
    model = shipped_model("e5-small-q4")
    assert model is not None
    portfolio = model.kinds["portfolio"]
    assert portfolio.threshold == model.threshold  # one threshold for the service
    assert portfolio.provenance["fitted_on"]["portfolio"] == "portfolio-120.csv"
    assert {"top1", "flag_precision", "flag_recall"} <= set(portfolio.provenance["cross_validated"])
    # monotone: a pair more alike in either part never scores lower
    assert portfolio.across_languages and model.across_languages and model.long_text is not None
    assert not model.long_text.across_languages  # logs misread as another language, see scoring.py
    low = portfolio.score({"dense": 0.80, "lexical": 0.1})
    assert portfolio.score({"dense": 0.86, "lexical": 0.1}) >= low
    assert portfolio.score({"dense": 0.80, "lexical": 0.4}) >= low
