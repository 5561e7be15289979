"""The ceiling script's scoring: top-K hits exclude the query itself and weights mix signals."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "signal_ceiling.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("signal_ceiling", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hits_ignore_the_query_and_look_at_top_k_only() -> None:
    script = _script()
    n = 8
    groups = ["a", "a", "b", "b", "x", "y", "z", "w"]
    queries = [0, 2]
    mates = np.array([[groups[j] == groups[q] and j != q for j in range(n)] for q in queries])
    score = np.zeros((n, n))
    score[0, 0] = 9.0  # itself: must not count
    score[0, 1] = -1.0  # its mate ranks last
    score[2, 3] = 5.0  # its mate ranks first
    hits = script._hits(score, queries, mates)
    assert hits.tolist() == [False, True]


def test_mix_is_the_weighted_sum_of_the_named_signals() -> None:
    script = _script()
    signals = {"e5": np.eye(3), "char": np.ones((3, 3))}
    mixed = script._mix(signals, ["e5", "char"], (0.5, 0.0))
    assert np.allclose(mixed, 0.5 * np.eye(3))
    mixed = script._mix(signals, ["e5", "char"], (1.0, 0.3))
    assert np.allclose(mixed, np.eye(3) + 0.3)
