"""Hybrid search with fakes: scoring, explanations, fallbacks and skipped re-embedding."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.base import Document, EmbeddingError
from retrieval.lexical import LexicalIndex
from retrieval.scoring import ScoreModel
from retrieval.search import SimilaritySearch
from tests.fakes import FailingEmbedder, FakeEmbedder, InMemoryVectorIndex


def doc(key: str, title: str, kind: str = "portfolio", body: str = "") -> Document:
    return Document(key=key, kind=kind, ref=key.split(":")[-1], title=title, body=body)


PORTFOLIO = [
    doc("portfolio:22-04", "SBK Parkeringsstillstånd"),
    doc("portfolio:22-07", "Öka takten i e-arkiv"),
    doc("portfolio:22-09", "Vidareutveckling process för registrering av timanställda i Heroma"),
    doc("portfolio:22-15", "Avslut av anställning i Heroma för ej aktiv timvikarie"),
    doc("portfolio:22-35", "Koncerngemensamt införande av Chat"),
    doc("portfolio:23-01", "Förstudie Digital post"),
]


def make(
    embedder: FakeEmbedder | FailingEmbedder | None = None,
    index: InMemoryVectorIndex | None = None,
    dense_weight: float = 0.45,
    lexical_weight: float = 0.55,
    clean: bool = True,
) -> SimilaritySearch:
    embedder = embedder or FakeEmbedder()
    return SimilaritySearch(
        embedder,
        index or InMemoryVectorIndex(embedder.model_id),
        LexicalIndex(),
        ScoreModel.weighted({"dense": dense_weight, "lexical": lexical_weight}),
        clean=clean,
    )


def test_score_combines_both_parts_with_the_weights() -> None:
    search = make(dense_weight=0.3, lexical_weight=0.6)
    search.upsert(PORTFOLIO)
    matches = search.search("parkeringstillstånd digitalt", limit=3)
    top = matches[0]
    assert top.document.key == "portfolio:22-04"
    cosine = float(
        FakeEmbedder.vector("SBK Parkeringsstillstånd") @ FakeEmbedder.vector("parkeringstillstånd digitalt")
    )
    assert top.parts["dense"] == pytest.approx(cosine, abs=1e-5)
    assert top.score == pytest.approx((0.3 * cosine + 0.6 * top.parts["lexical"]) / 0.9, abs=1e-5)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_reason_is_swedish_and_names_shared_words() -> None:
    search = make()
    search.upsert(PORTFOLIO)
    top = search.search("Ansök om parkeringstillstånd", limit=1)[0]
    assert top.shared_terms == ["parkeringstillstånd ≈ Parkeringsstillstånd"]
    scaled = search.score_model.calibrated(top.parts)
    lexical = f"{scaled['lexical']:.2f}".replace(".", ",")
    dense = f"{scaled['dense']:.2f}".replace(".", ",")
    assert top.reason == (
        "Gemensamma ord: parkeringstillstånd ≈ Parkeringsstillstånd. "
        f"Textlikhet {lexical}; semantisk likhet {dense}."
    )


def test_candidates_found_by_one_part_are_scored_by_both() -> None:
    search = make()
    search.upsert(PORTFOLIO)
    for match in search.search("timvikarie Heroma", limit=6, pool=2):
        assert set(match.parts) == {"dense", "lexical"}
    keys = {m.document.key for m in search.search("timvikarie Heroma", limit=6, pool=2)}
    assert {"portfolio:22-09", "portfolio:22-15"} <= keys


def test_kinds_and_exclude_keys_filter_results() -> None:
    search = make()
    search.upsert([*PORTFOLIO, doc("submission:IN-1", "Parkeringstillstånd digitalt", "submission")])
    subs = search.search("parkeringstillstånd", limit=5, kinds=["submission"])
    assert [m.document.key for m in subs] == ["submission:IN-1"]
    rest = search.search("parkeringstillstånd", limit=5, exclude_keys=["submission:IN-1"])
    assert rest[0].document.key == "portfolio:22-04"
    assert all(m.document.key != "submission:IN-1" for m in rest)


def test_failing_embedder_still_gives_lexical_matches_marked_as_such() -> None:
    embedder = FailingEmbedder()
    search = make(embedder=embedder)
    with pytest.raises(EmbeddingError, match="fake model unavailable"):
        search.upsert(PORTFOLIO)
    assert len(search.documents) == len(PORTFOLIO)  # findable by words despite the failure
    calls_before = embedder.calls
    matches = search.search("parkeringstillstånd", limit=3)
    assert embedder.calls == calls_before + 1
    top = matches[0]
    assert top.document.key == "portfolio:22-04"
    assert "dense" not in top.parts
    assert top.score == pytest.approx(top.parts["lexical"])
    assert "semantisk likhet saknas (modellen var inte tillgänglig)" in top.reason


def test_unchanged_texts_are_not_re_embedded() -> None:
    embedder = FakeEmbedder()
    index = InMemoryVectorIndex(embedder.model_id)
    first = make(embedder=embedder, index=index)
    assert first.upsert(PORTFOLIO).embedded == len(PORTFOLIO)

    # A new process: empty memory, same index. Only the changed text is embedded again.
    embedder.document_calls.clear()
    index.upserted.clear()
    second = make(embedder=embedder, index=index)
    changed = doc("portfolio:23-01", "Förstudie Digital post och e-faktura")
    result = second.upsert([*PORTFOLIO[:-1], changed])
    assert embedder.embedded_texts == [changed.text]
    assert (result.embedded, result.reused) == (1, len(PORTFOLIO) - 1)
    assert index.upserted == ["portfolio:23-01"]
    assert second.search("Digital post", limit=1)[0].parts["dense"] > 0.5


def test_texts_with_boilerplate_are_not_re_embedded_by_the_next_process() -> None:
    embedder = FakeEmbedder()
    index = InMemoryVectorIndex(embedder.model_id)
    mails = [
        doc("submission:1", "Hej!", kind="submission", body="Ett nytt lönesystem.\n\nMvh\nAnna"),
        doc("submission:2", "", kind="submission", body="Hej,\nBättre parkering.\n-- \nBo, Sundsvall"),
    ]
    make(embedder=embedder, index=index).upsert(mails)
    assert embedder.embedded_texts == ["Ett nytt lönesystem.", "Bättre parkering."]
    embedder.document_calls.clear()
    result = make(embedder=embedder, index=index).upsert(mails)
    assert (result.embedded, result.reused) == (0, 2)


def test_changed_text_whose_embedding_fails_drops_its_old_vector() -> None:
    embedder = FakeEmbedder()
    search = make(embedder=embedder)
    search.upsert(PORTFOLIO)
    search.embedder = FailingEmbedder(embedder.model_id)
    with pytest.raises(EmbeddingError, match="unavailable"):
        search.upsert([doc("portfolio:22-07", "Helt ny text om bygglov")])
    search.embedder = embedder
    match = next(m for m in search.search("bygglov", limit=6) if m.document.key == "portfolio:22-07")
    assert "dense" not in match.parts
    assert "ingen vektor ännu" in match.reason


def test_given_embeddings_are_used_as_is() -> None:
    embedder = FakeEmbedder()
    search = make(embedder=embedder)
    vectors = np.stack([FakeEmbedder.vector(d.text) for d in PORTFOLIO])
    result = search.upsert(PORTFOLIO, embeddings=vectors)
    assert result.embedded == len(PORTFOLIO)
    assert embedder.document_calls == []
    with pytest.raises(ValueError, match="embeddings"):
        search.upsert(PORTFOLIO, embeddings=vectors[:2])


def test_unavailable_index_falls_back_to_vectors_in_memory() -> None:
    index = InMemoryVectorIndex()
    search = make(index=index)
    search.upsert(PORTFOLIO)
    index.unavailable = True
    matches = search.search("Koncerngemensam chatt", limit=2)
    assert matches[0].document.key == "portfolio:22-35"
    assert "dense" in matches[0].parts


def test_remove_forgets_everywhere() -> None:
    index = InMemoryVectorIndex()
    search = make(index=index)
    search.upsert(PORTFOLIO)
    search.remove(["portfolio:22-04", "portfolio:unknown"])
    assert "portfolio:22-04" not in search.documents
    assert index.count() == len(PORTFOLIO) - 1
    assert all(m.document.key != "portfolio:22-04" for m in search.search("parkering", limit=6))


def test_rebuild_resets_reports_progress_and_reuses_vectors() -> None:
    embedder = FakeEmbedder()
    index = InMemoryVectorIndex(embedder.model_id)
    search = make(embedder=embedder, index=index)
    search.upsert([*PORTFOLIO, doc("submission:gone", "Borttagen idé", "submission")])
    embedder.document_calls.clear()
    progress: list[tuple[int, int]] = []
    result = search.rebuild(PORTFOLIO, on_progress=lambda d, t: progress.append((d, t)), batch_size=4)
    assert progress == [(0, 6), (4, 6), (6, 6)]
    assert index.count() == len(PORTFOLIO)
    assert "submission:gone" not in search.documents
    assert (result.embedded, result.reused) == (0, len(PORTFOLIO))
    assert embedder.document_calls == []


def test_empty_text_and_zero_limit_return_nothing() -> None:
    search = make()
    search.upsert(PORTFOLIO)
    assert search.search("   ", limit=5) == []
    assert search.search("parkering", limit=0) == []


def test_weights_must_not_both_be_zero() -> None:
    with pytest.raises(ValueError, match="weights"):
        make(dense_weight=0.0, lexical_weight=0.0)


def test_boilerplate_does_not_make_texts_alike() -> None:
    signature = "\n\nMed vänliga hälsningar\nAnna Andersson\nSundsvalls kommun\nTel 060-19 10 00"
    search = make()
    search.upsert(
        [
            doc(
                "submission:1", "Hej!", kind="submission", body="Vi behöver ett nytt lönesystem." + signature
            ),
            doc(
                "submission:2", "Hej!", kind="submission", body="Parkeringen vid skolan är full." + signature
            ),
        ]
    )
    query = "Hej!\nParkeringen vid skolan räcker inte." + signature
    scores = {m.document.key: m.score for m in search.search(query, limit=2)}
    raw = make(clean=False)
    raw.upsert(search.documents.values())
    raw_scores = {m.document.key: m.score for m in raw.search(query, limit=2)}
    # the shared signature lifts the unrelated text when compared raw, not when cleaned
    assert scores.get("submission:1", 0.0) < raw_scores["submission:1"]
    assert scores["submission:2"] > scores.get("submission:1", 0.0)


def test_score_of_given_keys_equals_the_score_search_gives_them() -> None:
    search = make()
    search.upsert(PORTFOLIO)
    text = "Registrering av timvikarier i Heroma tar för lång tid"
    found = {m.document.key: m for m in search.search(text, limit=10)}
    scored = search.score(text, [*found, "portfolio:unknown"])
    assert set(scored) == set(found)
    for key, match in found.items():
        assert scored[key].score == pytest.approx(match.score)
        assert scored[key].parts == pytest.approx(match.parts)
    assert search.score("   ", ["portfolio:22-04"]) == {}
    once = search.score(text, (key for key in found))  # keys that can be read only once
    assert {k: m.score for k, m in once.items()} == {k: m.score for k, m in scored.items()}
    quiet = search.search(text, limit=10, explain=False)
    assert [(m.document.key, m.score) for m in quiet] == [(m.document.key, m.score) for m in found.values()]
    assert all(m.shared_terms == [] for m in quiet)


def test_a_long_query_is_embedded_as_a_document_for_the_long_text_model() -> None:
    from retrieval.scoring import Calibration

    short = ScoreModel.weighted({"dense": 0.5, "lexical": 0.5})
    long = ScoreModel(
        "long",
        {"dense": 1.0, "lexical": 0.3},
        {"dense": Calibration.linear(), "lexical": Calibration.linear()},
        scale=1.3,
        symmetric=True,
    )
    model = ScoreModel(
        short.name,
        short.weights,
        short.calibrations,
        0.0,
        short.scale,
        short.threshold,
        short.fallback,
        long_text=long,
        long_text_words=8,
    )
    embedder = FakeEmbedder()
    search = SimilaritySearch(embedder, InMemoryVectorIndex(embedder.model_id), LexicalIndex(), model)
    search.upsert(PORTFOLIO)
    embedder.document_calls.clear()

    search.search("Parkeringsstillstånd", limit=3)
    assert embedder.query_calls == ["Parkeringsstillstånd"] and embedder.document_calls == []

    long_text = "Invånare ska kunna ansöka om parkeringstillstånd digitalt i stället för på papper"
    found = search.search(long_text, limit=3)
    assert embedder.query_calls == ["Parkeringsstillstånd"]  # not as a query ...
    assert embedder.document_calls == [[long_text]]  # ... but as a document
    first = found[0]
    assert first.document.key == "portfolio:22-04"
    expected = (
        FakeEmbedder.vector(long_text) @ FakeEmbedder.vector(first.document.text)
        + 0.3 * first.parts["lexical"]
    ) / 1.3
    assert first.score == pytest.approx(float(expected), abs=1e-5)
    scored = search.score(long_text, ["portfolio:22-04"])["portfolio:22-04"]
    assert scored.score == pytest.approx(first.score, abs=1e-6)
