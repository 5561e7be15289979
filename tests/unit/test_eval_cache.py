"""The evaluation's embedding cache on disk: a second run embeds nothing, keys never mix."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from retrieval.evaluation import CachingEmbedder, DiskEmbeddingCache
from tests.fakes import FakeEmbedder


def test_a_second_run_reads_every_vector_from_disk(tmp_path: Path) -> None:
    first_model = FakeEmbedder()
    first = CachingEmbedder(first_model, DiskEmbeddingCache(tmp_path, first_model.model_id))
    docs = first.embed_documents(["parkeringstillstånd", "e-arkiv", "parkeringstillstånd"])
    query = first.embed_query("parkering")

    again_model = FakeEmbedder()
    again = CachingEmbedder(again_model, DiskEmbeddingCache(tmp_path, again_model.model_id))
    assert np.array_equal(
        again.embed_documents(["parkeringstillstånd", "e-arkiv", "parkeringstillstånd"]), docs
    )
    assert np.array_equal(again.embed_query("parkering"), query)
    assert again_model.document_calls == [] and again_model.query_calls == []


def test_role_model_and_text_are_all_part_of_the_key(tmp_path: Path) -> None:
    model = FakeEmbedder("model-a")
    CachingEmbedder(model, DiskEmbeddingCache(tmp_path, "model-a")).embed_documents(["text"])

    other_model = FakeEmbedder("model-b")
    CachingEmbedder(other_model, DiskEmbeddingCache(tmp_path, "model-b")).embed_documents(["text"])
    assert other_model.embedded_texts == ["text"]  # another model embeds again

    cache = DiskEmbeddingCache(tmp_path, "model-a")
    assert cache.get("passage", "text") is not None
    assert cache.get("query", "text") is None  # a query vector is not a passage vector
    assert cache.get("passage", "text ") is None


def test_an_unreadable_file_counts_as_missing_and_is_written_again(tmp_path: Path) -> None:
    cache = DiskEmbeddingCache(tmp_path, "fake")
    cache.put("passage", "text", FakeEmbedder.vector("text"))
    (path,) = tmp_path.rglob("*.npy")
    path.write_bytes(b"half a file")
    assert cache.get("passage", "text") is None
    model = FakeEmbedder("fake")
    CachingEmbedder(model, cache).embed_documents(["text"])
    assert model.embedded_texts == ["text"]
    assert np.array_equal(cache.get("passage", "text"), FakeEmbedder.vector("text"))  # type: ignore[arg-type]


def test_concurrent_writers_leave_whole_files_and_no_temporaries(tmp_path: Path) -> None:
    texts = [f"text {n}" for n in range(40)]

    def run() -> None:
        model = FakeEmbedder("fake")
        CachingEmbedder(model, DiskEmbeddingCache(tmp_path, "fake")).embed_documents(texts)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cache = DiskEmbeddingCache(tmp_path, "fake")
    for text in texts:
        assert np.array_equal(cache.get("passage", text), FakeEmbedder.vector(text))  # type: ignore[arg-type]
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".tmp-")]
