"""A glossary of the organisation's systems and terms, used to compare texts that name one thing two ways.

"Samma HR- och lönesystem som kommunen" and "Bolagens övergång till Heroma" share no word, and a
small multilingual model does not know that Heroma is a payroll system. A glossary entry joins
the name (`term`), what it is (`means`) and other ways of writing it (`also`). A compared text
that names an entry only in other words gets the name appended, so that two texts about the same
thing share the name whichever way they wrote it, for the character n-grams and for the model
alike; and a match of two texts that both mention an entry is explained with its sentence
("Heroma är kommunens HR- och lönesystem.").

An expression is found at the start of a word and may go on with letters ("lönesystem" finds
"lönesystemet"), case-insensitively, with any white space between its words; an abbreviation in
capitals only as written ("LAS", "LAS-dagar", never "lasten"). The glossary is data
(`intake/data/glossary.yaml`, read by `intake.domain.glossary`); this module only matches.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Term:
    """One entry: a name, what it means, and other ways of writing it."""

    term: str
    means: str
    also: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.term.strip() or not self.means.strip():
            raise ValueError("a glossary entry needs a term and what it means")

    @property
    def expressions(self) -> tuple[str, ...]:
        """Return the term and every other way of writing it."""
        return (self.term, *self.also)

    @property
    def line(self) -> str:
        """Return the line appended to a text that mentions the entry."""
        return f"{self.term}: {self.means}"

    @property
    def explanation(self) -> str:
        """Return the sentence shown with a match that the entry links."""
        return f"{self.term} är {self.means}."


def _pattern(expression: str) -> str:
    """Return the regular expression that finds `expression` in a text.

    An abbreviation in capitals ("LAS", "SOC", "BUF") is found only as written, as a whole word
    ("LAS-dagar" counts): found case-insensitively at the start of a word it was in Finnish
    "lasten" and in "social", and the development sets lost duplicates to it.
    """
    words = [re.escape(w) for w in expression.split()]
    body = r"\s+".join(words)
    if _abbreviation(expression):
        return r"(?<!\w)" + body + r"(?!\w)"
    return r"(?i:(?<!\w)" + body + r"\w*)"


def _abbreviation(expression: str) -> bool:
    letters = [c for c in expression if c.isalpha()]
    return bool(letters) and len(letters) <= 6 and all(c.isupper() for c in letters) and " " not in expression


FOUND_CACHE = 16_384
"""Texts whose entries a glossary remembers (by digest), see `Glossary.found`."""


@dataclass(frozen=True)
class Glossary:
    """The entries, with one compiled pattern per entry."""

    terms: tuple[Term, ...] = ()
    _patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    _term_patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    _found: dict[bytes, tuple[int, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns = tuple(
            re.compile("|".join(_pattern(e) for e in t.expressions if e.strip())) for t in self.terms
        )
        object.__setattr__(self, "_patterns", patterns)
        terms = tuple(re.compile(_pattern(t.term)) for t in self.terms)
        object.__setattr__(self, "_term_patterns", terms)
        object.__setattr__(self, "_found", {})

    @classmethod
    def of(cls, terms: Iterable[Term]) -> Glossary:
        """Return a glossary of `terms`."""
        return cls(tuple(terms))

    def __len__(self) -> int:
        return len(self.terms)

    def found(self, text: str) -> list[Term]:
        """Return the entries `text` mentions, in the glossary's order.

        Remembered by a digest of the text (never the text: it may be someone's submission), as
        the same portfolio items are explained again and again; forgotten wholesale when full.
        """
        key = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        known = self._found.get(key)
        if known is None:
            known = tuple(i for i, p in enumerate(self._patterns) if p.search(text))
            if len(self._found) >= FOUND_CACHE:
                self._found.clear()
            self._found[key] = known
        return [self.terms[i] for i in known]

    def expand(self, text: str) -> str:
        """Return `text` with the term of every entry it mentions in other words appended.

        Only the name is added, never what it means: every initiative that names Heroma would
        otherwise share the same added sentence and look alike to any idea about payroll.
        """
        found = {t.term for t in self.found(text)}
        names = [
            t.term
            for t, name in zip(self.terms, self._term_patterns, strict=True)
            if t.term in found and not name.search(text)
        ]
        return text + "\n" + ", ".join(names) if names else text

    def linking(self, a: str, b: str) -> list[Term]:
        """Return the entries both texts mention."""
        in_b = {t.term for t in self.found(b)}
        return [t for t in self.found(a) if t.term in in_b]

    def fingerprint(self) -> str:
        """Return a short hash of the entries (what a change of glossary changes)."""
        text = "\n".join(f"{t.term}\t{t.means}\t{'|'.join(t.also)}" for t in self.terms)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


EMPTY = Glossary()
"""No entries: texts are compared as they are."""
