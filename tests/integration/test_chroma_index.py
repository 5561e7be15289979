"""The real Chroma index: more ids than SQLite binds in one statement, queries when empty and by kind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval import ChromaIndex, Document, content_hash
from retrieval.chroma_index import _GET_BATCH

pytestmark = pytest.mark.integration


def test_stored_hashes_and_vectors_come_back_for_more_ids_than_one_sql_statement_takes(
    tmp_path: Path,
) -> None:
    count = 2 * _GET_BATCH + 17  # several batches; 100,000 ids in one call failed ("too many SQL variables")
    index = ChromaIndex(path=tmp_path / "chroma", collection="big", model_id="m")
    docs = [Document(key=f"k{i}", kind="portfolio", ref=str(i), title=f"text {i}") for i in range(count)]
    vectors = np.random.default_rng(1).normal(size=(count, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index.upsert(docs, vectors)
    keys = [d.key for d in docs] + ["unknown"]
    hashes = index.content_hashes(keys)
    assert len(hashes) == count and hashes["k0"] == content_hash("text 0", "m")
    stored = index.get_embeddings(keys)
    assert len(stored) == count
    assert np.allclose(stored[f"k{count - 1}"], vectors[-1], atol=1e-6)


def test_a_query_finds_nothing_in_an_empty_index_and_the_nearest_of_a_kind(tmp_path: Path) -> None:
    index = ChromaIndex(path=tmp_path / "chroma", collection="few", model_id="m")
    probe = np.ones(4, dtype=np.float32) / 2
    assert index.query(probe, 10) == []
    docs = [
        Document(key="p1", kind="portfolio", ref="1", title="a"),
        Document(key="s1", kind="submission", ref="2", title="b"),
    ]
    vectors = np.array([[0.5, 0.5, 0.5, 0.5], [0.5, -0.5, 0.5, -0.5]], dtype=np.float32)
    index.upsert(docs, vectors)
    hits = index.query(probe, 10)
    assert [h.key for h in hits] == ["p1", "s1"] and hits[0].similarity == pytest.approx(1.0, abs=1e-5)
    assert [h.key for h in index.query(probe, 10, ["submission"])] == ["s1"]
    assert index.query(probe, 10, []) == []
