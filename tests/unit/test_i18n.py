"""Both UI languages have every text, and language choice follows the visitor."""

from __future__ import annotations

from intake.web.i18n import EN, SV, pick_language, translator


def test_catalogues_have_the_same_keys() -> None:
    assert set(SV) == set(EN)
    assert all(SV[k] and EN[k] for k in SV)


def test_language_choice_order() -> None:
    assert pick_language("en", "sv", "sv") == "en"
    assert pick_language(None, "en", "sv") == "en"
    assert pick_language("xx", None, "sv") == "sv"
    assert pick_language(None, None, "en") == "en"


def test_translator_falls_back_to_swedish() -> None:
    assert translator("en")("submit") == "Send"
    assert translator("de")("submit") == "Skicka"
