"""The glossary: what it finds, what it adds to a compared text, how a match is explained, the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.domain.glossary import (
    GlossaryFileError,
    glossary_path,
    load_glossary,
    load_glossary_file,
    parse_glossary,
)
from retrieval.base import Document
from retrieval.glossary import Glossary, Term
from retrieval.lexical import LexicalIndex
from retrieval.scoring import ScoreModel
from retrieval.search import SimilaritySearch
from tests.fakes import FakeEmbedder, InMemoryVectorIndex

HEROMA = Term("Heroma", "kommunens HR- och lönesystem", ("lönesystem", "HR- och lönesystem"))
LAS = Term("LAS", "lagen om anställningsskydd", ("lagen om anställningsskydd",))
GLOSSARY = Glossary.of([HEROMA, LAS])


def test_an_expression_is_found_at_the_start_of_a_word_in_any_inflection_and_case() -> None:
    assert GLOSSARY.found("Lönesystemet krånglar") == [HEROMA]
    assert GLOSSARY.found("byta HR- och\nlönesystem") == [HEROMA]
    assert GLOSSARY.found("LAS-dagarna räknas för hand") == [LAS]
    assert GLOSSARY.found("vi har inga klasser") == []  # "las" inside a word is not LAS
    assert GLOSSARY.found("lasten päiväkoti") == []  # nor a Finnish word that starts like it
    assert GLOSSARY.found("las och lönesystem") == [HEROMA]  # an abbreviation only as written
    assert GLOSSARY.found("ett helt annat ärende") == []


def test_what_a_text_mentions_is_remembered_and_the_memory_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`found` is asked again and again for the same portfolio items: the answer is remembered by
    a digest of the text, stays right for other texts, and the memory is emptied when full."""
    import retrieval.glossary as glossary_module

    monkeypatch.setattr(glossary_module, "FOUND_CACHE", 3)
    glossary = Glossary.of([HEROMA, LAS])
    texts = ["Lönesystemet krånglar", "LAS-dagar räknas fel", "inget av dem", "både LAS och lönesystem"]
    expected = [[HEROMA], [LAS], [], [HEROMA, LAS]]
    for _ in range(3):
        assert [glossary.found(t) for t in texts] == expected
    assert len(glossary._found) <= 3  # bounded
    assert all(isinstance(k, bytes) and len(k) == 16 for k in glossary._found)  # digests, no text


def test_only_the_name_is_added_and_only_when_the_text_does_not_name_it() -> None:
    idea = "Alla bolag ska byta till samma HR- och lönesystem som kommunen."
    assert GLOSSARY.expand(idea) == idea + "\nHeroma"
    assert GLOSSARY.expand("Bolagens övergång till Heroma") == "Bolagens övergång till Heroma"
    assert GLOSSARY.expand("Inget att lägga till.") == "Inget att lägga till."
    both = GLOSSARY.expand("Lönesystemet och lagen om anställningsskydd")
    assert both.endswith("\nHeroma, LAS")


def test_a_match_linked_by_an_entry_is_explained_with_its_sentence() -> None:
    embedder = FakeEmbedder()
    search = SimilaritySearch(
        embedder,
        InMemoryVectorIndex(embedder.model_id),
        LexicalIndex(),
        ScoreModel.weighted({"dense": 0.5, "lexical": 0.5}),
        glossary=GLOSSARY,
    )
    search.upsert([Document("portfolio:21-11", "portfolio", "21-11", "Bolagens övergång till Heroma", "")])
    plain = SimilaritySearch(
        embedder,
        InMemoryVectorIndex(embedder.model_id),
        LexicalIndex(),
        ScoreModel.weighted({"dense": 0.5, "lexical": 0.5}),
    )
    plain.upsert([Document("portfolio:21-11", "portfolio", "21-11", "Bolagens övergång till Heroma", "")])
    idea = "Alla kommunala bolag ska byta till samma HR- och lönesystem som kommunen."
    [match] = search.search(idea, limit=1)
    assert "Heroma är kommunens HR- och lönesystem." in match.reason
    [without] = plain.search(idea, limit=1)
    assert "Heroma är" not in without.reason
    assert match.parts["lexical"] > without.parts["lexical"]


def test_the_shipped_glossary_loads_and_knows_the_systems_the_portfolio_names() -> None:
    glossary = load_glossary()
    assert len(glossary) >= 20
    assert [t.term for t in glossary.found("samma HR- och lönesystem som kommunen")] == ["Heroma"]
    assert "LAS" in [t.term for t in glossary.found("employment days under the Employment Protection Act")]


def test_staff_copy_wins_over_the_shipped_one_and_a_configured_file_over_both(tmp_path: Path) -> None:
    assert glossary_path(None, tmp_path) is None
    (tmp_path / "glossary.yaml").write_text("terms: []\n", encoding="utf-8")
    assert glossary_path(None, tmp_path) == tmp_path / "glossary.yaml"
    configured = tmp_path / "other.yaml"
    assert glossary_path(configured, tmp_path) == configured


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("terms: [{term: Heroma}]", "means"),
        ("terms:\n  - {term: Heroma, means: a}\n  - {term: heroma, means: b}\n", "listed twice"),
        ("terms: [{term: ' ', means: a}]", "blank"),
        ("terms: [{term: X, means: y, colour: red}]", "colour"),
        ("terms: [unclosed", "cannot read"),
        ("", "empty"),
        ("  \n", "empty"),
        ("- just a list", "GlossaryFile"),
    ],
)
def test_a_broken_glossary_is_refused_with_where_and_why(text: str, reason: str) -> None:
    with pytest.raises(GlossaryFileError, match=reason) as caught:
        parse_glossary(text, "(the page)")
    assert "(the page)" in str(caught.value)


def test_a_broken_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ordlista.yaml"
    path.write_text("terms: [{term: Heroma}]\n", encoding="utf-8")
    with pytest.raises(GlossaryFileError, match=r"ordlista\.yaml"):
        load_glossary_file(path)


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "glossary.yaml"
    path.write_text("terms: [{term: Heroma, means: lönesystemet}]\n", encoding="utf-8")
    assert [t.term for t in load_glossary(path).terms] == ["Heroma"]
    path.write_text("terms: [{term: Lifecare, means: socialtjänstens system}]\n", encoding="utf-8")
    import os

    os.utime(path, (1, 1))  # a different modification time, as an edit gives
    assert [t.term for t in load_glossary(path).terms] == ["Lifecare"]
