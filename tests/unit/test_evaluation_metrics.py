"""Evaluation metrics on hand-computed cases, and the readers' refusal of malformed lines."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from retrieval.evaluation import (
    FormatError,
    Item,
    best_flagging,
    first_groups,
    flagging_at,
    group_metrics,
    pair_metrics,
    read_groups,
    read_pairs,
    spearman,
)


def test_spearman_uses_average_ranks_for_ties() -> None:
    # system ranks 1, 2.5, 2.5, 4 against 1, 2, 3, 4: Pearson of the ranks = 4.5 / sqrt(4.5 * 5)
    assert spearman([0.1, 0.5, 0.5, 0.9], [1, 2, 3, 4]) == pytest.approx(0.9486833, abs=1e-6)
    assert spearman([3, 2, 1], [1, 2, 3]) == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))


def test_flagging_ignores_the_middle_of_the_scale() -> None:
    system = [0.9, 0.8, 0.6, 0.4, 0.2, 0.7]
    human = [5.0, 4.0, 1.0, 4.5, 0.0, 3.0]  # the last pair (3.0) is neither positive nor negative
    at = flagging_at(system, human, 0.5)
    # flagged: 0.9 (pos), 0.8 (pos), 0.6 (neg); missed: 0.4 (pos)
    assert (at.precision, at.recall) == pytest.approx((2 / 3, 2 / 3))
    assert at.f1 == pytest.approx(2 / 3)
    best = best_flagging(system, human)
    # threshold 0.8: tp 2, fp 0, fn 1 -> F1 0.8; threshold 0.4: tp 3, fp 1 -> F1 6/7 (the best)
    assert best.threshold == pytest.approx(0.4)
    assert best.f1 == pytest.approx(6 / 7)


def test_pair_metrics_keys_and_no_threshold_means_any_positive_score() -> None:
    figures = pair_metrics([0.0, 0.3, 0.0], [5.0, 4.0, 1.0], None)
    assert set(figures) >= {"spearman", "f1_at_threshold", "best_f1", "best_threshold"}
    # None flags score > 0: one of two positives, no false alarm -> P 1, R 0.5, F1 2/3
    assert figures["f1_at_threshold"] == pytest.approx(2 / 3)


def test_group_metrics_by_hand() -> None:
    groups = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B", "x": "x"}
    rankings = {
        "a1": [("x", 0.9), ("a2", 0.8), ("b1", 0.1)],  # first mate at rank 2
        "a2": [("a1", 0.7), ("a3", 0.6)],  # rank 1
        "a3": [("b1", 0.2)],  # no mate
        "b1": [("b2", 0.5)],  # rank 1
        "b2": [("x", 0.4), ("y", 0.3), ("z", 0.3), ("w", 0.3), ("v", 0.3), ("b1", 0.3)],  # rank 6
    }
    figures = group_metrics(groups, rankings, threshold=0.5)
    assert figures["queries"] == 5
    assert figures["recall@1"] == pytest.approx(2 / 5)
    assert figures["recall@5"] == pytest.approx(3 / 5)
    assert figures["recall@10"] == pytest.approx(4 / 5)
    assert figures["mrr"] == pytest.approx((1 / 2 + 1 + 0 + 1 + 1 / 6) / 5)
    # flagged (>= 0.5): a1-x, a1-a2, a2-a1, a2-a3, b1-b2 -> 4 mates of 5 flagged;
    # mate pairs: 2 + 2 + 2 + 1 + 1 = 8
    assert figures["precision_at_threshold"] == pytest.approx(4 / 5)
    assert figures["recall_at_threshold"] == pytest.approx(4 / 8)
    every = group_metrics(groups, rankings, threshold=None)
    assert every["precision_at_threshold"] == pytest.approx(5 / 13)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_pairs(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "ok.pairs.jsonl", [json.dumps({"a": "En hund", "b": "En katt", "score": 1.5}), ""]
    )
    assert [(p.a, p.b, p.score) for p in read_pairs(path)] == [("En hund", "En katt", 1.5)]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a", "b"]', "expected a JSON object"),
        ('{"a": "x", "score": 3}', "'b' must be a string"),
        ('{"a": "x", "b": "y", "score": 7}', "'score' must be a number from 0 to 5"),
        ('{"a": "x", "b": "y", "score": "4"}', "'score' must be a number"),
    ],
)
def test_read_pairs_names_the_bad_line(tmp_path: Path, line: str, message: str) -> None:
    good = json.dumps({"a": "x", "b": "y", "score": 3})
    path = _write(tmp_path / "bad.pairs.jsonl", [good, good, line])
    with pytest.raises(FormatError, match=rf"bad\.pairs\.jsonl:3: .*{message}"):
        read_pairs(path)


def _item(i: str, group: str, title: str = "Titel", body: str = "") -> str:
    return json.dumps({"id": i, "title": title, "body": body, "group": group, "lang": "sv"})


def test_read_groups_names_the_bad_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.groups.jsonl", [_item("1", "A"), _item("1", "A")])
    with pytest.raises(FormatError, match=r"g\.groups\.jsonl:2: id '1' appears twice"):
        read_groups(path)
    path = _write(tmp_path / "h.groups.jsonl", [_item("1", "A"), '{"id": "2", "title": "x"}'])
    with pytest.raises(FormatError, match=r"h\.groups\.jsonl:2: 'group' must be a string"):
        read_groups(path)
    path = _write(tmp_path / "e.groups.jsonl", [_item("1", "A", title="", body="")])
    with pytest.raises(FormatError, match=r"e\.groups\.jsonl:1: .*neither title nor body"):
        read_groups(path)


def test_first_groups_keeps_the_share_of_distractors() -> None:
    items = [
        Item(i, "t", "", g)
        for i, g in zip(
            [str(n) for n in range(1, 11)],
            ["A", "x1", "A", "B", "x2", "B", "C", "C", "x3", "x4"],
            strict=True,
        )
    ]
    # 6 duplicate items, 4 distractors; group A alone has 2 items -> round(2 * 4 / 6) = 1 distractor
    assert [i.id for i in first_groups(items, 1)] == ["1", "2", "3"]
    # A and B: 4 duplicate items -> round(4 * 4 / 6) = 3 distractors, in file order
    assert [i.id for i in first_groups(items, 2)] == ["1", "2", "3", "4", "5", "6", "9"]


def test_numpy_vector_index_finds_the_nearest_of_a_kind() -> None:
    import numpy as np

    from retrieval.base import Document
    from retrieval.evaluation import NumpyVectorIndex

    index = NumpyVectorIndex()
    docs = [Document(key=k, kind=kind, ref=k, title=k) for k, kind in [("a", "x"), ("b", "y"), ("c", "x")]]
    vectors = np.array([[1, 0], [0.9, 0.436], [0, 1]], dtype=np.float32)
    index.upsert(docs, vectors)
    query = np.array([1, 0], dtype=np.float32)
    assert [h.key for h in index.query(query, 3)] == ["a", "b", "c"]
    assert [h.key for h in index.query(query, 3, kinds=["x"])] == ["a", "c"]
    index.delete(["a"])
    assert index.count() == 2
    assert [h.key for h in index.query(query, 1)] == ["b"]
