"""Score the configured drafter on a gold file of labelled submissions (`*.drafts.jsonl`).

The format is `../shared/data/eval/FORMAT.md` ("what a draft should find"): per submission its
text, `kind`, `initiative_type` and the status of every checklist item (covered, partly,
missing). Each submission goes through `DraftingService.compose`, the very pass the service
stores (masking, the rules, the model when one is configured and answers, the merge); nothing is
stored. Figures: accuracy and 3-class macro F1 of the statuses over every (submission, item),
with per-class precision, recall and F1; `kind` and `initiative_type` accuracy over
submissions; the model that drafted (or `rules`), and its output tokens per draft.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake.domain.drafts import DraftState
from intake.services.drafting import DraftingService

STATUSES = ("covered", "partly", "missing")


class DraftsFileError(ValueError):
    """Raised when the gold file is not the drafts format; the message names the line."""


@dataclass(frozen=True)
class GoldDraft:
    """One labelled submission."""

    line: int
    id: str
    title: str
    text: str
    kind: str
    initiative_type: str
    gaps: dict[str, str]


def read_drafts(path: Path, items: Sequence[str]) -> list[GoldDraft]:
    """Read a gold file, checking every line against the checklist `items` in force.

    Raises:
        DraftsFileError: unreadable, not JSON, a field missing, a status or item unknown.
    """
    from retrieval.evaluation import FormatError, json_objects

    known = set(items)
    gold = []
    try:
        objects = list(json_objects(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise DraftsFileError(f"cannot read {path}: {exc}") from exc
    except FormatError as exc:
        raise DraftsFileError(str(exc)) from exc
    for number, data in objects:
        where = f"{path.name}:{number}"
        missing = [k for k in ("id", "text", "kind", "initiative_type", "gaps") if k not in data]
        if missing or not isinstance(data.get("gaps"), dict):
            raise DraftsFileError(f"{where}: missing or malformed {', '.join(missing) or 'gaps'}")
        gaps = {str(k): str(v) for k, v in data["gaps"].items()}
        wrong = sorted(v for v in set(gaps.values()) if v not in STATUSES)
        unknown = sorted(set(gaps) - known)
        if wrong or unknown:
            what = f"status {', '.join(wrong)}" if wrong else f"checklist item {', '.join(unknown)}"
            raise DraftsFileError(f"{where}: unknown {what}")
        gold.append(
            GoldDraft(
                number,
                str(data["id"]),
                str(data.get("title") or ""),
                str(data["text"]),
                str(data["kind"]),
                str(data["initiative_type"]),
                gaps,
            )
        )
    if not gold:
        raise DraftsFileError(f"{path}: no submissions")
    return gold


@dataclass
class DraftsEvaluation:
    """The (gold, drafted) status of every item, and per submission kind, type and model use."""

    statuses: list[tuple[str, str]] = field(default_factory=list)
    kinds: list[tuple[str, str | None]] = field(default_factory=list)
    types: list[tuple[str, str | None]] = field(default_factory=list)
    models: Counter[str] = field(default_factory=Counter)
    output_tokens: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        """Return `accuracy`, `macro_f1`, `per_class`, `kind_accuracy`, `initiative_type_accuracy`, `model`.

        Also the counts: submissions, drafted by the model, output tokens per draft, model errors.
        """
        per_class = {}
        for status in STATUSES:
            tp = sum(1 for g, d in self.statuses if g == status and d == status)
            predicted = sum(1 for _, d in self.statuses if d == status)
            actual = sum(1 for g, _ in self.statuses if g == status)
            precision = tp / predicted if predicted else 0.0
            recall = tp / actual if actual else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            per_class[status] = {
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(f1, 4),
                "support": actual,
            }
        right = sum(1 for g, d in self.statuses if g == d)
        model = ", ".join(sorted(self.models)) if self.models else "rules"
        return {
            "accuracy": round(right / len(self.statuses), 4) if self.statuses else None,
            "macro_f1": round(sum(c["f1"] for c in per_class.values()) / len(STATUSES), 4),
            "per_class": per_class,
            "kind_accuracy": _accuracy(self.kinds),
            "initiative_type_accuracy": _accuracy(self.types),
            "model": model,
            "submissions": len(self.kinds),
            "drafted_by_model": sum(self.models.values()),
            "output_tokens_per_draft": round(sum(self.output_tokens) / len(self.output_tokens), 1)
            if self.output_tokens
            else None,
            "model_errors": len(self.errors),
        }


def _accuracy(pairs: Sequence[tuple[str, str | None]]) -> float | None:
    return round(sum(1 for g, d in pairs if g == d) / len(pairs), 4) if pairs else None


def evaluate_drafts(drafting: DraftingService, gold: Sequence[GoldDraft]) -> DraftsEvaluation:
    """Draft every gold submission as the service would and compare with the labels."""
    evaluation = DraftsEvaluation()
    for case in gold:
        source = f"{case.title}\n{case.text}" if case.title else case.text
        composed = drafting.compose(source, [])
        by_item = {g.item_id: g.status for g in composed.answer.gaps}
        for item, status in case.gaps.items():
            evaluation.statuses.append((status, by_item.get(item, "missing")))
        evaluation.kinds.append((case.kind, composed.answer.draft.kind.value))
        evaluation.types.append((case.initiative_type, composed.answer.draft.initiative_type.value))
        if composed.result is not None and composed.state == DraftState.DRAFTED:
            evaluation.models[composed.result.model] += 1
            if composed.result.output_tokens is not None:
                evaluation.output_tokens.append(composed.result.output_tokens)
        if composed.error:
            evaluation.errors.append(f"{case.id}: {composed.error}")
    return evaluation
