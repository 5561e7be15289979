"""The learned combination of similarity parts into one score, with its calibrated flag threshold.

A plain weighted sum of the dense cosine and the n-gram cosine was measured to *lower* Spearman
on SweParaphrase compared with the dense part alone: the parts live on different scales (e5's
cosines crowd between 0.8 and 0.95, n-gram cosines spread over 0-1) and their relation to human
judgement is not linear. So each part goes through a monotone, piecewise-linear calibration
(isotonic regression of the human 0-5 score on that part), and the calibrated parts are added
with non-negative weights, all fitted on `sweparaphrase-train` (`beredning eval fit`). The result
is a generalised additive model that is

- monotone in every part, so a text that is more alike in any respect never ranks lower;
- on the human scale, divided by 5: 0.6 means "people would rate this about 3 of 5";
- shipped with the flag threshold that gave the best F1 on the training pairs, and with a
  lexical-only fallback, used while the embedding model is unavailable.

A score model is data (a JSON file per embedder in `retrieval/scoremodels/`), so refitting it is
a reviewed change of a file, never a code change.

Long texts get their own model (`long_text`, used when the query has at least `long_text_words`
words after boilerplate removal). The sentence model is fitted on sentences; on documents the
dense part behaves differently (e5 reads at most 512 tokens and the query/passage asymmetry is
meant for a short question against a long answer, not for two reports of one bug), and measured
on the development groups a *symmetric* dense part (the query embedded as a passage too) plus a
third of the raw n-gram cosine ranked better than the sentence model on both sets. The limit lies
above every SweParaphrase sentence, so the sentence figures do not move. The long model's
intercept and scale map its flag point on the group development sets to the sentence model's
threshold, so that the service has one threshold. That point is above the best-F1 one: e5
cosines between municipal texts are high, and the best-F1 point flagged unrelated items.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

SCALE = 5.0
"""The human scale of the training data (0-5); scores are divided by it to lie in [0, 1]."""


@dataclass(frozen=True)
class Calibration:
    """A monotone piecewise-linear map from a raw part (a cosine) to the human scale."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.xs) != len(self.ys) or len(self.xs) < 2:
            raise ValueError("a calibration needs at least two knots, as many xs as ys")
        if any(b < a for a, b in zip(self.xs, self.xs[1:], strict=False)):
            raise ValueError("calibration knots must be in increasing order")
        if any(b < a for a, b in zip(self.ys, self.ys[1:], strict=False)):
            raise ValueError("a calibration must be monotone (non-decreasing)")

    def __call__(self, value: float) -> float:
        return float(np.interp(value, self.xs, self.ys))

    @classmethod
    def linear(cls, low: float = 0.0, high: float = 1.0) -> Calibration:
        """Map `low` (unrelated) to 0 and `high` to 1, clipped outside."""
        return cls((low, high), (0.0, 1.0))


@dataclass(frozen=True)
class ScoreModel:
    """Turns named parts (`dense`, `lexical`) into one score in [0, 1].

    `fallback` is the model for when a part is missing (the embedding model is down): it must use
    only parts that are present then.
    """

    name: str
    weights: Mapping[str, float]
    calibrations: Mapping[str, Calibration]
    intercept: float = 0.0
    scale: float = 1.0
    threshold: float = 0.5
    fallback: ScoreModel | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)
    symmetric: bool = False
    """Embed the query as a document too (e5: `passage: ` on both sides) for the dense part."""
    long_text: ScoreModel | None = None
    """The model for queries of at least `long_text_words` words; None: this one for every text."""
    long_text_words: int = 0
    floor: float = 0.0
    """The relevance floor: a score below it is not worth showing as a suggestion."""
    across_languages: bool = False
    """Across languages, let the lexical part take the dense part's value (see `_human`). Off for
    long texts: logs and stack traces are misread as another language (19 of SeaMonkey's 1,076
    reports as German), and the rule then lifted them above the real duplicates."""
    kinds: Mapping[str, ScoreModel] = field(default_factory=dict)
    """Models for documents of a kind (`portfolio`: an idea against an initiative's title and
    description), used whatever the query's length; their flag point is mapped onto this model's
    threshold, so that the service keeps one threshold."""

    def __post_init__(self) -> None:
        if set(self.weights) != set(self.calibrations):
            raise ValueError("every weighted part needs a calibration, and no other")
        if any(w < 0 for w in self.weights.values()) or not any(self.weights.values()):
            raise ValueError("weights must be non-negative and not all zero")
        if self.scale <= 0:
            raise ValueError("scale must be positive")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError("threshold must lie in [0, 1]")
        if not 0.0 <= self.floor <= self.threshold:
            raise ValueError("the relevance floor must lie between 0 and the threshold")
        if self.long_text is not None and (self.long_text_words < 1 or self.long_text.long_text is not None):
            raise ValueError("a long-text model needs long_text_words >= 1 and no long-text model of its own")
        if any(m.kinds or m.long_text is not None for m in self.kinds.values()):
            raise ValueError("a model for a kind of document has no models of its own")

    def for_words(self, words: int) -> ScoreModel:
        """Return the model for a query of `words` words: `long_text` from its limit on, else this one."""
        if self.long_text is not None and words >= self.long_text_words:
            return self.long_text
        return self

    def for_match(self, words: int, kind: str) -> ScoreModel:
        """Return the model for a query of `words` words against a document of `kind`."""
        model = self.kinds.get(kind)
        return model if model is not None else self.for_words(words)

    def with_long_text_of(self, previous: ScoreModel) -> ScoreModel:
        """Return this model carrying `previous`'s long-text model, flagging where it flagged before.

        `beredning eval fit` refits the sentence model on graded pairs; the long-text model was
        chosen on group files and cannot be refitted from pairs, so a refit keeps it rather than
        silently dropping it. The service has one threshold (this model's), so the long model's
        intercept is shifted by the change of threshold times its scale: a long text then flags at
        exactly the raw parts where it flagged under `previous`.
        """
        long = previous.long_text
        if long is None:
            return self
        moved = replace(
            long,
            intercept=round(long.intercept + (self.threshold - previous.threshold) * long.scale, 6),
            threshold=self.threshold,
            provenance={
                **long.provenance,
                "re_anchored": f"from threshold {previous.threshold:g} to {self.threshold:g}",
            },
        )
        kinds = {
            k: replace(
                m,
                intercept=round(m.intercept + (self.threshold - previous.threshold) * m.scale, 6),
                threshold=self.threshold,
            )
            for k, m in previous.kinds.items()
        }
        floor = self.floor or previous.floor
        across = self.across_languages or previous.across_languages
        return replace(
            self,
            long_text=moved,
            long_text_words=previous.long_text_words,
            kinds=kinds,
            floor=floor,
            across_languages=across,
        )

    @property
    def parts(self) -> tuple[str, ...]:
        """The parts this model needs, in a stable order."""
        return tuple(sorted(self.weights))

    def calibrated(self, parts: Mapping[str, float]) -> dict[str, float]:
        """Return each part on [0, 1] as its calibration sees it (for reviewers' reasons).

        Each calibration is divided by its own highest value: the sentence model's map to the
        human 0-5 scale, a kind model's to a probability, and both read as "how alike, 0 to 1".
        """
        return {
            name: min(
                1.0, max(0.0, self.calibrations[name](parts[name]) / (max(self.calibrations[name].ys) or 1.0))
            )
            for name in self.weights
        }

    def _human(self, parts: Mapping[str, float], across: bool) -> dict[str, float]:
        """Return each part on the human scale; across languages the letters count as the meaning.

        Character n-grams have nothing to match between a Swedish and an English text, so across
        languages the lexical part takes the dense part's calibrated value when that is higher
        (names like "Heroma" are still shared letters): the score is then in effect the dense
        part's, on the same scale and with the same threshold as within one language, instead of
        a dense score dragged down by a lexical part of zero.
        """
        human = {n: self.calibrations[n](parts[n]) for n in self.weights}
        if across and self.across_languages and "dense" in human and "lexical" in human:
            human["lexical"] = max(human["lexical"], human["dense"])
        return human

    def score(self, parts: Mapping[str, float], *, across: bool = False) -> float:
        """Return the combined score of `parts`, using the fallback when one is missing.

        `across`: the texts are in languages that letters cannot compare (`retrieval.language`).

        Raises:
            KeyError: a needed part is missing and there is no fallback that can do without it.
        """
        if any(name not in parts for name in self.weights):
            if self.fallback is None:
                missing = [n for n in self.weights if n not in parts]
                raise KeyError(f"score model {self.name!r} needs the parts {missing}")
            return self.fallback.score(parts)
        human = self._human(parts, across)
        total = self.intercept + sum(w * human[n] for n, w in self.weights.items())
        return min(1.0, max(0.0, total / self.scale))

    @classmethod
    def weighted(
        cls, weights: Mapping[str, float], floors: Mapping[str, float] | None = None, threshold: float = 0.5
    ) -> ScoreModel:
        """Return a plain weighted mean of parts mapped linearly from their floor to 1.

        For tests and for embedders without a fitted model; a missing part falls back to the
        mean of the parts that are there.
        """
        floors = floors or {}
        total = sum(weights.values())
        calibrations = {n: Calibration.linear(floors.get(n, 0.0)) for n in weights}
        model = cls("weighted", dict(weights), calibrations, scale=total, threshold=threshold)
        if len(weights) > 1 and "lexical" in weights:
            lexical_only = cls(
                "weighted-lexical",
                {"lexical": weights["lexical"]},
                {"lexical": calibrations["lexical"]},
                scale=weights["lexical"],
                threshold=threshold,
            )
            model = cls(model.name, model.weights, model.calibrations, 0.0, total, threshold, lexical_only)
        return model

    def to_dict(self) -> dict[str, Any]:
        """Return the model as JSON-ready data (the format of `retrieval/scoremodels/*.json`)."""
        return {
            "name": self.name,
            "weights": dict(self.weights),
            "calibrations": {n: {"xs": list(c.xs), "ys": list(c.ys)} for n, c in self.calibrations.items()},
            "intercept": self.intercept,
            "scale": self.scale,
            "threshold": self.threshold,
            "fallback": self.fallback.to_dict() if self.fallback else None,
            "provenance": dict(self.provenance),
            "symmetric": self.symmetric,
            "long_text": self.long_text.to_dict() if self.long_text else None,
            "long_text_words": self.long_text_words,
            "floor": self.floor,
            "across_languages": self.across_languages,
            "kinds": {k: m.to_dict() for k, m in self.kinds.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoreModel:
        """Read a model written by `to_dict`.

        Raises:
            ValueError: the data is not a valid score model.
        """
        try:
            return cls(
                name=str(data["name"]),
                weights={str(k): float(v) for k, v in data["weights"].items()},
                calibrations={
                    str(k): Calibration(tuple(map(float, v["xs"])), tuple(map(float, v["ys"])))
                    for k, v in data["calibrations"].items()
                },
                intercept=float(data.get("intercept", 0.0)),
                scale=float(data.get("scale", 1.0)),
                threshold=float(data.get("threshold", 0.5)),
                fallback=cls.from_dict(data["fallback"]) if data.get("fallback") else None,
                provenance=dict(data.get("provenance") or {}),
                symmetric=bool(data.get("symmetric", False)),
                long_text=cls.from_dict(data["long_text"]) if data.get("long_text") else None,
                long_text_words=int(data.get("long_text_words", 0)),
                floor=float(data.get("floor", 0.0)),
                across_languages=bool(data.get("across_languages", False)),
                kinds={str(k): cls.from_dict(v) for k, v in (data.get("kinds") or {}).items()},
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a score model: missing or malformed {exc}") from exc

    def save(self, path: Path) -> None:
        """Write the model as indented JSON."""
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ScoreModel:
        """Read a model file.

        Raises:
            ValueError: the file is missing, not JSON or not a score model.
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read score model {path}: {exc}") from exc
        return cls.from_dict(data)


def shipped_model(model_id: str) -> ScoreModel | None:
    """Return the score model fitted for the embedder `model_id`, or None when none ships."""
    resource = resources.files("retrieval.scoremodels").joinpath(f"{model_id}.json")
    if not resource.is_file():
        return None
    return ScoreModel.from_dict(json.loads(resource.read_text(encoding="utf-8")))


def isotonic_knots(values: Sequence[float], targets: Sequence[float], knots: int = 33) -> Calibration:
    """Fit a monotone calibration of `targets` on `values`, kept to about `knots` points.

    The knots sit at quantiles of `values`, so that the map is detailed where the data is dense
    and plain linear interpolation between knots keeps ranks distinct (an isotonic step function
    would tie them).
    """
    from sklearn.isotonic import IsotonicRegression

    x = np.asarray(values, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    regression = IsotonicRegression(out_of_bounds="clip").fit(x, y)
    xs = np.unique(np.quantile(x, np.linspace(0.0, 1.0, knots)))
    ys = np.maximum.accumulate(regression.predict(xs))
    return Calibration(tuple(round(float(v), 6) for v in xs), tuple(round(float(v), 6) for v in ys))
