"""Mark what two texts share, for the reviewer comparing a duplicate candidate side by side.

The shared passages and words come from the same functions that write the score's reason
(`retrieval.lexical.shared_passages` and `shared_terms`), so the marks show exactly what the reason
quotes. The result is a list of plain-text segments, each shared or not; the template escapes each
one, so nothing a submitter wrote is ever rendered as HTML.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import groupby
from typing import Final, Literal

from retrieval.lexical import shared_passages, shared_terms

Shared = Literal["passage", "term"]

PASSAGE_LIMIT: Final = 10
"""Passages marked per text: more than the reason quotes (3), fewer than would hide the rest."""
TERM_LIMIT: Final = 25
"""Shared words marked per text."""

_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"[^\W_]+")  # a word as `retrieval.lexical` sees one
_EDGE = ".,;:!?"  # what `shared_passages` strips from a passage's ends
_APPROX = " ≈ "


@dataclass(frozen=True)
class Segment:
    """A run of a text, and whether it is part of a shared passage or a shared word (None: neither)."""

    text: str
    shared: Shared | None = None


def highlight_pair(left: str, right: str) -> tuple[list[Segment], list[Segment]]:
    """Return both texts as segments with what they share marked; `left` is the item, `right` the candidate.

    A passage (a run of at least four words) wins over a word inside it. Inflections and compounds
    count as shared words (`lokalbokning` on one side, `lokalbokningar` on the other).
    """
    left, right = unicodedata.normalize("NFC", left), unicodedata.normalize("NFC", right)
    left_words: set[str] = set()
    right_words: set[str] = set()
    for term in shared_terms(left, right, limit=TERM_LIMIT):
        mine, _, theirs = term.partition(_APPROX)
        left_words.add(_fold(mine))
        right_words.add(_fold(theirs or mine))
    return (
        segments(left, shared_passages(right, left, limit=PASSAGE_LIMIT), left_words),
        segments(right, shared_passages(left, right, limit=PASSAGE_LIMIT), right_words),
    )


def segments(text: str, passages: list[str], words: set[str]) -> list[Segment]:
    """Split `text` into segments, marking every occurrence of `passages` and of `words` (folded)."""
    marks: list[Shared | None] = [None] * len(text)
    for start, end in _word_spans(text, words):
        marks[start:end] = ["term"] * (end - start)
    for passage in passages:
        for start, end in passage_spans(text, passage):
            marks[start:end] = ["passage"] * (end - start)
    found: list[Segment] = []
    position = 0
    for shared, run in groupby(marks):
        length = len(list(run))
        found.append(Segment(text[position : position + length], shared))
        position += length
    return found


def passage_spans(text: str, passage: str) -> list[tuple[int, int]]:
    """Return where `passage` (as `shared_passages` quotes it) stands in `text`, as (start, end).

    `shared_passages` joins the words of a run with single spaces and strips punctuation from its
    ends; here the words are matched token by token, so line breaks and double spaces inside the
    passage in `text` still match.
    """
    wanted = [_fold_token(t) for t in passage.split()]
    if not wanted:
        return []
    tokens = [(m.start(), m.end(), _fold_token(m.group())) for m in _TOKEN.finditer(text)]
    spans = []
    size = len(wanted)
    for i in range(len(tokens) - size + 1):
        run = tokens[i : i + size]
        if _matches([t[2] for t in run], wanted):
            start, end = run[0][0], run[-1][1]
            while start < end and text[start] in _EDGE:
                start += 1
            while end > start and text[end - 1] in _EDGE:
                end -= 1
            spans.append((start, end))
    return spans


def _matches(tokens: list[str], wanted: list[str]) -> bool:
    if len(tokens) == 1:
        return tokens[0].strip(_EDGE) == wanted[0]
    return (
        tokens[0].lstrip(_EDGE) == wanted[0]
        and tokens[-1].rstrip(_EDGE) == wanted[-1]
        and tokens[1:-1] == wanted[1:-1]
    )


def _word_spans(text: str, words: set[str]) -> list[tuple[int, int]]:
    return [m.span() for m in _WORD.finditer(text) if _fold(m.group()) in words]


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold().strip()


def _fold_token(token: str) -> str:
    # Tokens are compared as `shared_passages` sees them: NFKC, case folded.
    return unicodedata.normalize("NFKC", token).casefold()
