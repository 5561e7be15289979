"""Measure masking on generated texts: recall per kind, and false positives on look-alikes."""

from __future__ import annotations

from dataclasses import dataclass, field

from beredning_bench.privacy.synthetic import Planted, SyntheticText, generate
from intake.privacy import Kind, Redaction, mask


@dataclass(frozen=True, slots=True)
class KindScore:
    """How many planted values of one kind there were, and how many were masked completely."""

    planted: int
    masked: int

    @property
    def recall(self) -> float:
        """Return masked / planted (1.0 when nothing was planted)."""
        return self.masked / self.planted if self.planted else 1.0


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The figures for one generated set, with a few examples of what went wrong.

    `false_positives` counts look-alikes touched by a mask; `stray_masks` counts masks that cover
    no planted personal data at all (ordinary words taken for names, for instance).
    """

    texts: int
    seed: int
    by_kind: dict[str, KindScore]
    lookalikes: int
    false_positives: int
    wrong_kind: int
    stray_masks: int
    missed: list[str] = field(default_factory=list)
    false_positive_examples: list[str] = field(default_factory=list)

    @property
    def overall(self) -> KindScore:
        """Return the scores summed over every kind."""
        scores = self.by_kind.values()
        return KindScore(sum(s.planted for s in scores), sum(s.masked for s in scores))

    def as_dict(self) -> dict[str, object]:
        """Return the figures as plain JSON-ready data."""
        overall = self.overall
        return {
            "texts": self.texts,
            "seed": self.seed,
            "recall": {
                kind: {"planted": s.planted, "masked": s.masked, "recall": round(s.recall, 4)}
                for kind, s in self.by_kind.items()
            },
            "overall": {
                "planted": overall.planted,
                "masked": overall.masked,
                "recall": round(overall.recall, 4),
            },
            "lookalikes": self.lookalikes,
            "false_positives": self.false_positives,
            "wrong_kind": self.wrong_kind,
            "stray_masks": self.stray_masks,
            "missed": self.missed,
            "false_positive_examples": self.false_positive_examples,
        }


def _covered(item: Planted, redaction: Redaction, text: str) -> bool:
    """Return whether every non-blank character of the planted value lies inside a mask."""
    inside: set[int] = set()
    for span in redaction.spans:
        if span.start < item.end and span.end > item.start:
            inside.update(range(max(span.start, item.start), min(span.end, item.end)))
    return all(i in inside for i in range(item.start, item.end) if not text[i].isspace())


def evaluate(count: int, seed: int = 0, *, examples: int = 10) -> Evaluation:
    """Generate `count` texts, mask them, and count what was masked and what should not have been."""
    planted = {kind.value: 0 for kind in Kind}
    masked = {kind.value: 0 for kind in Kind}
    lookalikes = false_positives = wrong_kind = stray = 0
    missed: list[str] = []
    wrongly: list[str] = []
    for sample in generate(count, seed):
        redaction = mask(sample.text, names=sample.names, directory=sample.directory)
        for item in sample.personal:
            planted[item.kind] += 1
            if _covered(item, redaction, sample.text):
                masked[item.kind] += 1
                kinds = {s.kind.value for s in redaction.spans if s.start < item.end and s.end > item.start}
                wrong_kind += kinds != {item.kind}
            elif len(missed) < examples:
                missed.append(f"{item.kind}: {item.value!r} in {_context(sample, item)!r}")
        for span in redaction.spans:
            if not any(span.start < p.end and span.end > p.start for p in sample.personal):
                stray += 1
                if len(wrongly) < examples:
                    wrongly.append(f"stray {span.kind.value}: {span.original!r}")
        for item in sample.lookalikes:
            lookalikes += 1
            if any(s.start < item.end and s.end > item.start for s in redaction.spans):
                false_positives += 1
                if len(wrongly) < examples:
                    wrongly.append(f"{item.kind}: {item.value!r} in {_context(sample, item)!r}")
    by_kind = {kind: KindScore(planted[kind], masked[kind]) for kind in planted}
    return Evaluation(count, seed, by_kind, lookalikes, false_positives, wrong_kind, stray, missed, wrongly)


def _context(sample: SyntheticText, item: Planted) -> str:
    return sample.text[max(0, item.start - 40) : item.end + 20]
