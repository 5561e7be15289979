"""Every pattern of the masker and the mail parser runs in linear time on hostile input.

The masker runs on every submission, draft, judge call and agenda, and the mail parser on
whatever anyone sends to the mailbox, so a pattern that backtracks quadratically is a way to stall
the service: `a` + 20,000 apostrophes + `@b` once took the e-mail pattern 29 s. Each pattern is
fed 20,000 characters built from the pieces such patterns trip on (the characters of e-mail
addresses, numbers, names, white space, headers) with the endings that make a match fail late.
A quadratic pattern takes tens of seconds on these; a linear one a few milliseconds, so the
bounds below leave room for a busy machine and still catch it.
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil
import re
import time
from collections.abc import Iterator

import pytest

import intake.mail
import intake.privacy
from intake.privacy import mask

LENGTH = 20_000
PIECES = ("'", ".", "-", " ", "\t", "\n", "0", "1 ", "a.", "Aa ", "@", "a@", "(at)", ",", "=?")
ENDINGS = ("", "@b", "!")
PLAIN = ("Vi vill kunna boka lokaler digitalt i skolor och idrottshallar. " * 400)[:LENGTH]


def _patterns() -> Iterator[tuple[str, re.Pattern[str] | re.Pattern[bytes]]]:
    for package in (intake.privacy, intake.mail):
        for found in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{found.name}")
            for name, value in vars(module).items():
                if isinstance(value, re.Pattern):
                    yield f"{module.__name__}.{name}", value


def _hostile() -> Iterator[str]:
    for piece, ending in itertools.product(PIECES, ENDINGS):
        yield ("a" + piece * LENGTH)[: LENGTH - len(ending)] + ending


PATTERNS = dict(_patterns())


def test_the_patterns_are_found() -> None:
    assert len(PATTERNS) >= 25, "the modules hold the patterns this test is about"
    assert "intake.privacy._contact._EMAIL_RE" in PATTERNS


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_each_pattern_is_linear_on_hostile_input(name: str) -> None:
    pattern = PATTERNS[name]
    slowest, worst = 0.0, ""
    for text in _hostile():
        subject: str | bytes = text.encode() if isinstance(pattern.pattern, bytes) else text
        started = time.perf_counter()
        for _ in pattern.finditer(subject):  # type: ignore[arg-type]
            pass
        took = time.perf_counter() - started
        if took > slowest:
            slowest, worst = took, text[:12] + "…" + text[-4:]
    assert slowest < 2.0, f"{name} took {slowest:.2f} s on {worst!r}"


@pytest.mark.parametrize(
    "hostile",
    [
        "a" + "'" * (LENGTH - 3) + "@b",  # the e-mail pattern's old quadratic case
        "Anna" + "\t" * (LENGTH - 5) + "!",
        " " * (LENGTH - 1) + "@",
        "070 " * (LENGTH // 4),
        "a." * (LENGTH // 2),
    ],
)
def test_masking_hostile_text_costs_about_as_much_as_plain_text(hostile: str) -> None:
    def best_of_three(text: str) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            mask(text)
            times.append(time.perf_counter() - started)
        return min(times)

    plain, crafted = best_of_three(PLAIN), best_of_three(hostile)
    assert crafted <= 10 * plain + 0.3, f"{crafted:.3f} s against {plain:.3f} s for plain text"
