"""The character n-gram index and the shared words shown to reviewers."""

from __future__ import annotations

import time

import pytest

from retrieval.base import Document
from retrieval.lexical import LexicalIndex, normalise, shared_terms


def doc(key: str, title: str, kind: str = "portfolio", body: str = "") -> Document:
    return Document(key=key, kind=kind, ref=key, title=title, body=body)


PORTFOLIO = [
    doc("p:22-04", "SBK Parkeringsstillstånd"),
    doc("p:22-07", "Öka takten i e-arkiv"),
    doc("p:22-09", "Vidareutveckling process för registrering av timanställda i Heroma"),
    doc("p:22-15", "Avslut av anställning i Heroma för ej aktiv timvikarie"),
    doc("p:22-35", "Koncerngemensamt införande av Chat"),
    doc("p:23-01", "Förstudie Digital post"),
]


@pytest.fixture
def index() -> LexicalIndex:
    ix = LexicalIndex()
    ix.upsert(PORTFOLIO)
    return ix


def test_normalise_folds_case_width_and_punctuation() -> None:
    assert normalise("SBK: Parkerings-tillstånd (fas 3)!  ＡＢＣ") == "sbk parkerings tillstånd fas 3 abc"


def test_compound_with_a_different_linking_s_matches_strongly(index: LexicalIndex) -> None:
    hits = index.query("parkeringstillstånd", limit=3)
    assert hits[0][0] == "p:22-04"
    assert hits[0][1] > 0.6
    assert all(score < 0.2 for _, score in hits[1:])


def test_misspelling_still_finds_the_item(index: LexicalIndex) -> None:
    hits = index.query("Parkeringstilstånd för rörelsehindrade", limit=1)
    assert hits[0][0] == "p:22-04"


def test_inflected_forms_rank_the_right_items(index: LexicalIndex) -> None:
    hits = index.query("avsluta timvikarier i Heroma", limit=2)
    assert [key for key, _ in hits] == ["p:22-15", "p:22-09"]


def test_scores_are_cosines_in_unit_range_and_sorted(index: LexicalIndex) -> None:
    hits = index.query("SBK Parkeringsstillstånd", limit=10)
    assert hits[0][0] == "p:22-04"
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 < score <= 1.0 + 1e-6 for score in scores)


def test_kinds_filter_and_limit(index: LexicalIndex) -> None:
    index.upsert([doc("s:1", "Parkeringstillstånd i e-tjänst", kind="submission")])
    only_subs = index.query("parkeringstillstånd", limit=5, kinds=["submission"])
    assert [key for key, _ in only_subs] == ["s:1"]
    assert len(index.query("parkeringstillstånd", limit=1)) == 1
    assert index.query("parkeringstillstånd", limit=0) == []


def test_upsert_replaces_and_remove_forgets(index: LexicalIndex) -> None:
    assert len(index) == 6
    index.upsert([doc("p:22-04", "Ny e-tjänst för bygglov")])
    assert len(index) == 6
    assert index.query("parkeringstillstånd", limit=1)[0][0] != "p:22-04"
    assert index.query("bygglov", limit=1)[0][0] == "p:22-04"
    index.remove(["p:22-04", "unknown"])
    assert len(index) == 5
    assert all(key != "p:22-04" for key, _ in index.query("bygglov", limit=5))


def test_score_returns_parts_for_given_keys_only(index: LexicalIndex) -> None:
    scores = index.score("digital post", ["p:23-01", "p:22-35", "nope"])
    assert set(scores) == {"p:23-01", "p:22-35"}
    assert scores["p:23-01"] > 0.5 > scores["p:22-35"]


def test_empty_index_and_empty_query() -> None:
    ix = LexicalIndex()
    assert ix.query("något", limit=5) == []
    ix.upsert([doc("a", "Heroma")])
    assert ix.query("", limit=5) == []
    assert ix.query("!!!", limit=5) == []


def test_upserts_do_not_refit_until_queried(monkeypatch: pytest.MonkeyPatch) -> None:
    from retrieval import lexical

    builds: list[int] = []
    original = lexical._Snapshot.build

    def counting(rows: dict[str, tuple[str, object, object]]) -> lexical._Snapshot:
        builds.append(len(rows))
        return original(rows)  # type: ignore[arg-type]

    monkeypatch.setattr(lexical._Snapshot, "build", staticmethod(counting))
    ix = LexicalIndex()
    for i in range(20):
        ix.upsert([doc(f"k{i}", f"ärende nummer {i}")])
    assert builds == []
    ix.query("ärende", limit=3)
    ix.query("nummer", limit=3)
    assert builds == [20]


def test_ten_thousand_documents_stay_fast() -> None:
    words = ["heroma", "timvikarie", "parkering", "tillstånd", "e-arkiv", "kontaktcenter", "chatt"]
    docs = [
        doc(f"s:{i}", " ".join(words[(i + j) % len(words)] for j in range(6)) + f" ärende {i}")
        for i in range(10_000)
    ]
    ix = LexicalIndex()
    started = time.perf_counter()
    ix.upsert(docs)
    hits = ix.query("ärende 4242", limit=5)
    ix.upsert([doc("s:new", "helt nytt ärende")])
    ix.query("nytt", limit=5)
    elapsed = time.perf_counter() - started
    assert hits[0][0] == "s:4242"
    assert elapsed < 30, f"10,000 documents took {elapsed:.1f}s"


def test_shared_terms_shows_equal_words_folded_and_compounds_paired() -> None:
    terms = shared_terms("Parkeringstillstånd och Heroma", "SBK Parkeringsstillstånd i heroma", limit=8)
    assert terms == ["Parkeringstillstånd ≈ Parkeringsstillstånd", "heroma"]


def test_shared_terms_matches_inflections_and_skips_stopwords() -> None:
    terms = shared_terms(
        "Det är krångligt att hantera timvikarier och timanställningar efter avslut",
        "Vidareutveckling process för registrering av timanställda och avslut av timvikarie",
    )
    assert "timvikarier ≈ timvikarie" in terms
    assert "timanställningar ≈ timanställda" in terms
    assert "avslut" in terms
    assert not {"efter", "och", "att"} & set(terms)


def test_shared_terms_rejects_short_or_weak_overlaps_and_respects_limit() -> None:
    assert shared_terms("process", "access") == []
    assert shared_terms("parkering", "arkiv") == []
    many = " ".join(f"ordet{i}x" for i in range(20))
    assert len(shared_terms(many, many, limit=8)) == 8


def test_shared_passages_quote_the_document_and_skip_function_words() -> None:
    from retrieval.lexical import shared_passages

    query = "Vi vill att medborgare ska kunna boka tid för bygglovsrådgivning via webben, tack"
    doc = "Idé: Medborgare ska kunna boka tid för bygglovsrådgivning via webben. Det sparar tid."
    assert shared_passages(query, doc) == ["Medborgare ska kunna boka tid för bygglovsrådgivning via webben"]
    assert shared_passages("och det är en av de", "och det är en av de bästa") == []
    assert shared_passages("kort text", "kort text") == []


def _crowded_index() -> tuple[LexicalIndex, list[Document]]:
    """Three hundred texts that share their common words, each with one rare word of its own."""
    docs = [
        doc(f"p:{i:03d}", f"Digital tjänst för invånare och förvaltningar nummer {i}", body=f"ärende{i}kod")
        for i in range(300)
    ]
    ix = LexicalIndex()
    ix.upsert(docs)
    return ix, docs


def test_a_query_reads_only_its_rarest_ngrams_within_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The common words are in every text: under a small postings budget they are not read, and
    the text with the query's rare word still comes first with its exact score."""
    import retrieval.lexical as lexical

    ix, _ = _crowded_index()
    text = "digital tjänst för invånare ärende123kod"
    exact = ix.score(text, [f"p:{i:03d}" for i in range(300)])
    assert len(ix.query(text, limit=300)) == 300  # every text shares the common words
    monkeypatch.setattr(lexical, "POSTINGS_BUDGET", 50)
    assert len(ix.query(text, limit=300)) < 30  # their postings (300 rows each) were not read
    hits = ix.query(text, limit=3)
    assert hits[0][0] == "p:123"
    for key, score in hits:
        assert score == pytest.approx(exact[key], abs=1e-6)


def test_within_the_budget_the_hits_are_the_exact_ranking() -> None:
    ix, _ = _crowded_index()
    text = "invånare förvaltningar nummer 42"
    exact = ix.score(text, [f"p:{i:03d}" for i in range(300)])
    best = sorted(exact.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    hits = ix.query(text, limit=5)
    assert [k for k, _ in hits] == [k for k, _ in best]
    assert [s for _, s in hits] == pytest.approx([s for _, s in best], abs=1e-6)
