"""The portfolio pages' pieces without a server: texts in both languages, amounts, the join mention."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from intake.services.portfolio import like_pattern
from intake.web.portfolio import texts
from intake.web.portfolio.view import money

TEMPLATES = Path(texts.__file__).parents[1] / "templates" / "portfolio"


def test_both_catalogues_have_every_text() -> None:
    assert set(texts.SV) == set(texts.EN)
    assert all(texts.SV.values()) and all(texts.EN.values())
    # placeholders agree, so that `.format()` never fails in one language only
    for key in texts.SV:
        assert set(re.findall(r"{(\w+)}", texts.SV[key])) == set(re.findall(r"{(\w+)}", texts.EN[key])), key


def test_every_key_the_templates_use_exists() -> None:
    used = {
        key
        for path in TEMPLATES.glob("*.html")
        for key in re.findall(r"""\bt\(["'](\w+)["']\)""", path.read_text(encoding="utf-8"))
    }
    from intake.web.auth.texts import translator

    t = translator("en", texts.CATALOGUES)
    missing = sorted(k for k in used if k not in texts.SV and not _shared(t, k))
    assert not missing, missing
    assert {"portfolio_heading", "join_text", "report_caption"} <= used


def _shared(t: Callable[[str], str], key: str) -> bool:
    """Tell whether a shared catalogue (login texts, the intake form's) has `key`."""
    try:
        return bool(t(key))
    except KeyError:
        return False


@pytest.mark.parametrize(
    ("about", "lang", "expected"),
    [
        ("22-04", "sv", "Jag vill ansluta mig till initiativ 22-04 i portföljen. "),
        (" 22-04 ", "en", "I would like to join initiative 22-04 of the portfolio. "),
        ("<script>", "sv", ""),
        ("", "sv", ""),
        (None, "sv", ""),
        ("x" * 40, "sv", ""),
    ],
)
def test_the_mention_names_only_a_plausible_nr(about: str | None, lang: str, expected: str) -> None:
    assert texts.mention(about, lang) == expected


def test_amounts_for_people_and_patterns_for_like() -> None:
    assert money(2114575, "sv") == "2\u00a0114\u00a0575\u00a0kr"
    assert money(2114575, "en") == "SEK\u00a02,114,575"
    assert money(0, "sv") == "0\u00a0kr" and money(None, "sv") is None
    assert like_pattern("2 %") == "%2 \\%%"
    assert like_pattern("a_b\\c") == "%a\\_b\\\\c%"
