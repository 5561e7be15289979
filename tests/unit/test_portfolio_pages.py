"""The portfolio pages' pieces without a server: amounts, the join mention."""

from __future__ import annotations

import pytest

from intake.services.portfolio import like_pattern
from intake.web.pages import mention
from intake.web.portfolio.view import money


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
    assert mention(about, lang) == expected


def test_amounts_for_people_and_patterns_for_like() -> None:
    assert money(2114575, "sv") == "2\u00a0114\u00a0575\u00a0kr"
    assert money(2114575, "en") == "SEK\u00a02,114,575"
    assert money(0, "sv") == "0\u00a0kr" and money(None, "sv") is None
    assert like_pattern("2 %") == "%2 \\%%"
    assert like_pattern("a_b\\c") == "%a\\_b\\\\c%"
