"""Names: the submitter's own, those in a signature or greeting, a staff directory, and common patterns.

Names cannot be recognised by shape alone, so every source that says "this is a name" is used:
the contact fields, the line after a sign-off (Mvh, Med vänliga hälsningar, Best regards), the
words after a greeting (Hej Anna,), a staff directory, and patterns: a common first name or a
common or typically Swedish surname next to another capitalised word, a -sson name, capitalised
words after a word for a person ("min kollega Birger Kowalski"). The submitter's, signature's
and greeting's names are masked wherever any part of them appears ("Anna" alone); directory
names only whole, since a directory's first names alone would mask too much.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from intake.privacy._candidate import Candidate
from intake.privacy._model import Kind
from intake.privacy._namelists import FIRST_NAMES, SURNAMES

_NAME_TOKEN: Final = re.compile(r"[A-ZÅÄÖÉÜ][a-zåäöéüèøæ']+(?:-[A-ZÅÄÖÉÜ][a-zåäöéüèøæ']+)?")
_INITIAL: Final = re.compile(r"[A-ZÅÄÖ]\.?")
_PARTICLES: Final = frozenset(
    {"von", "af", "av", "de", "van", "der", "den", "la", "le", "el", "al", "bin", "da"}
)
_END: Final = r"(?=s?(?!\w))"  # a genitive s stays outside the mask: "Annas" -> "[PERSON_1]s"

_SIGNOFF_RE: Final = re.compile(
    r"^[\x20\t>]*(?:med\s+vänlig(?:a)?\s+hälsning(?:ar)?|vänlig(?:a)?\s+hälsning(?:ar)?"
    r"|(?:bästa|varma|många|glada)\s+hälsningar|hälsningar|hälsning|mvh|m\.v\.h\.?|vh|allt\s+gott"
    r"|tack\s+på\s+förhand|tack\s+och\s+hej|tack|best\s+regards|kind\s+regards|warm\s+regards"
    r"|regards|best|cheers|(?:yours\s+)?sincerely|(?:many\s+)?thanks|thank\s+you|br)"
    r"(?![\w])[\x20\t]*(?P<punct>[,.!:/\-–]*)[\x20\t]*(?P<rest>[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
# words that also start ordinary lines ("Best practice", "Tack vare"): a name on their line only after a comma
_WEAK_SIGNOFFS: Final = frozenset({"best", "tack", "thanks", "cheers", "br", "regards", "vh"})
_SLASH_NAME_RE: Final = re.compile(r"^[\x20\t]*/[\x20\t]*(?P<rest>[^\n/]+)$", re.MULTILINE)
_GREETING_RE: Final = re.compile(
    r"^[\x20\t>]*(?:hej|hejsan|hallå|tjena|god\s+morgon|kära|bästa|hi|hello|dear)[\x20\t]+"
    r"(?P<rest>[^\n,!:]+?)[\x20\t]*(?:[,!:]|$)",
    re.IGNORECASE | re.MULTILINE,
)
# starts only where a run of white space starts (the same matches, found without trying again
# at every space of a long run)
_NAME_SEPARATORS: Final = re.compile(r"(?<!\s)\s*(?:,|\||\(|\s[-–—]\s|\t)\s*")
_NOT_NAMES: Final = frozenset(
    {
        "Alla", "Allihop", "Allihopa", "All", "Everyone", "Team", "Teamet", "Kollegor", "Kollega", "Där",
        "Igen", "Du", "Ni", "Support", "Servicedesk", "Kundtjänst", "Kommunen", "Kommun", "Sundsvall",
        "Sundsvalls", "Förvaltningen", "Avdelningen", "Enheten", "Gruppen", "Hej", "Tack", "Vi", "Jag",
    }
)  # fmt: skip
_ORG_ENDINGS: Final = (
    "tjänsten", "förvaltningen", "avdelningen", "enheten", "kontoret", "kommun", "gruppen", "teamet",
    "skolan", "center", "centrum", "nämnden", "bolaget", "sektionen", "staben", "verket", "regionen",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Person:
    full: str
    key: str


def _normal(name: str) -> str:
    return " ".join(name.split()).lower()


def name_like(line: str) -> str | None:
    """Return the name at the start of a line such as "Anna Svensson, IT-samordnare", or None."""
    head = _NAME_SEPARATORS.split(line.strip().lstrip("/-–—").strip(), maxsplit=1)[0].strip()
    tokens = head.split()
    if not 1 <= len(tokens) <= 4 or not _NAME_TOKEN.fullmatch(tokens[0]) or tokens[-1] in _PARTICLES:
        return None
    for index, token in enumerate(tokens):
        if token in _NOT_NAMES or token.lower().endswith(_ORG_ENDINGS):
            return None
        is_name = _NAME_TOKEN.fullmatch(token) is not None
        if not is_name and not (index > 0 and (token in _PARTICLES or _INITIAL.fullmatch(token))):
            return None
    return " ".join(tokens)


def _signature_names(text: str) -> Iterator[str]:
    for match in _SIGNOFF_RE.finditer(text):
        rest = match.group("rest").strip()
        weak = match.group(0)[: match.start("punct") - match.start()].strip().lower() in _WEAK_SIGNOFFS
        if rest and weak and "," not in match.group("punct"):
            continue
        if rest:
            found = name_like(rest)
            if found:
                yield found
                continue
            # "Tack på förhand!" and then the name on the next line
            if len(rest) > 30 or rest[-1] not in "!.,":
                continue
        following = [line for line in text[match.end() :].split("\n")[1:4] if line.strip()]
        if following:
            found = name_like(following[0])
            if found:
                yield found
    for match in _SLASH_NAME_RE.finditer(text):
        found = name_like(match.group("rest"))
        if found:
            yield found


def _greeting_names(text: str) -> Iterator[str]:
    for match in _GREETING_RE.finditer(text):
        for piece in re.split(r"\s+(?:och|and|&)\s+", match.group("rest")):
            found = name_like(piece)
            if found and found == piece.strip():
                yield found


def _tokens(name: str) -> list[str]:
    return [t for t in name.split() if t.lower() not in _PARTICLES]


def _full_pattern(name: str) -> str:
    tokens = [re.escape(t) for t in name.split()]
    forward = r"\s+".join(tokens)
    if len(tokens) < 2:
        return forward
    # "Svensson, Anna" and "Svensson Anna" as in lists and e-mail headers
    backward = tokens[-1] + r",?\s+" + r"\s+".join(tokens[:-1])
    return f"(?:{forward}|{backward})"


@lru_cache(maxsize=8)
def _directory_regex(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """Compile one alternation for a whole directory, once per distinct directory."""
    multi = sorted({n for n in names if len(n.split()) > 1}, key=len, reverse=True)
    if not multi:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(_full_pattern(n) for n in multi) + ")" + _END, re.IGNORECASE)


_NOT_SURNAMES: Final = frozenset(
    {"Kommun", "Kommunen", "AB", "IT", "Och", "Vill", "Har", "Är", "Sundsvall", "Sundsvalls", "Hej", "Tack"}
)
_NOT_FIRST: Final = frozenset(
    {
        "Enligt", "Kontakta", "Fråga", "Hos", "Med", "Och", "Till", "Från", "Vi", "Jag", "Det", "Den", "Hon",
        "Han", "Norra", "Södra", "Östra", "Västra", "Stora", "Lilla", "Gamla", "Nya", "Sankt", "Sundsvall",
        "Sundsvalls", "Kommunen", "Projektet", "Systemet", "Ring", "Mejla", "Skriv", "Hälsningar", "Mvh",
    }
)  # fmt: skip
_CAPITALISED: Final = r"[A-ZÅÄÖÉ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?"
_SURNAME: Final = r"(?!(?:" + "|".join(_NOT_SURNAMES) + r")(?!\w))" + _CAPITALISED
# a common first name, then one or two capitalised words: "Karin Lundqvist", "Anna Maria Berg"
_FIRST_THEN_SURNAME_RE: Final = re.compile(
    r"(?<![\w\-])(?:" + "|".join(sorted(FIRST_NAMES, key=len, reverse=True)) + r")"
    r"(?:\x20" + _SURNAME + r"){1,2}" + _END
)
# any capitalised word before a common surname or a typical Swedish surname ending:
# "Lisbeth Westerlund", "Gunvor Berg", "Bo Ekström"
_SURNAME_RE: Final = re.compile(
    r"(?<![\w\-])(?!(?:" + "|".join(_NOT_FIRST) + r")(?!\w))" + _CAPITALISED + r"\x20"
    r"(?:" + "|".join(sorted(SURNAMES, key=len, reverse=True)) + r"|[A-ZÅÄÖ][a-zåäö]*"
    r"(?:sson|ström|strom|berg|qvist|kvist|quist|gren|lund|dahl|holm|blad|stedt|lind|bäck|fors|mark|ling|löf|man))"
    + _END
)
# a -son name alone is a surname in practice: "enligt Svensson"
_SON_RE: Final = re.compile(r"(?<![\w\-])[A-ZÅÄÖ][a-zåäö]+sson" + _END)
# one to three capitalised words after a word for a person: "min kollega Birger Kowalski"
_CUE_RE: Final = re.compile(
    r"(?<![\w\-])(?i:kollega|kollegan|chef|chefen|handläggare|handläggaren|brukaren|eleven|patienten"
    r"|vårdnadshavaren|mamma|pappa|sambo|herr|fru|(?:jag|hon|han|hen)\x20heter|colleague|manager)\x20"
    r"(?P<name>" + _CAPITALISED + r"(?:\x20" + _SURNAME + r"){0,2})" + _END
)


def find_names(text: str, names: Sequence[str], directory: Sequence[str]) -> Iterator[Candidate]:
    """Yield names, the submitter's own first so that a shared first name maps to the submitter."""
    people: list[_Person] = []
    seen: set[str] = set()
    signed = [*_signature_names(text), *_greeting_names(text)]
    for name in [*names, *signed]:
        full = " ".join(name.split())
        if full and _normal(full) not in seen:
            seen.add(_normal(full))
            people.append(_Person(full, _normal(full)))
    for person in people:
        yield from _person_matches(text, person)
    directory_regex = _directory_regex(tuple(" ".join(n.split()) for n in directory if n.strip()))
    if directory_regex is not None:
        for match in directory_regex.finditer(text):
            yield Candidate(Kind.PERSON, match.start(), match.end(), _key_for(match.group(0), people))
    singles = {n.strip() for n in directory if len(n.split()) == 1}
    for single in sorted(singles):
        for match in re.finditer(r"(?<!\w)" + re.escape(single) + _END, text):
            yield Candidate(Kind.PERSON, match.start(), match.end(), _normal(single))
    for regex in (_FIRST_THEN_SURNAME_RE, _SURNAME_RE, _SON_RE):
        for match in regex.finditer(text):
            yield Candidate(Kind.PERSON, match.start(), match.end(), _key_for(match.group(0), people))
    for match in _CUE_RE.finditer(text):
        name = match.group("name")
        if name.split()[0] not in _NOT_NAMES:
            yield Candidate(Kind.PERSON, match.start("name"), match.end("name"), _key_for(name, people))


def _key_for(found: str, people: Iterable[_Person]) -> str:
    """Return the key of the known person whose name this is (any order), else the name itself."""
    tokens = sorted(_normal(found).replace(",", " ").split())
    for person in people:
        if sorted(_normal(person.full).split()) == tokens:
            return person.key
    return _normal(found)


def _person_matches(text: str, person: _Person) -> Iterator[Candidate]:
    """Yield the whole name (either order) and each of its words on its own, all as one person."""
    # a whole name of two or more words is matched in any case; one word only as written ("Per", not "per")
    flags = re.IGNORECASE if len(person.full.split()) > 1 else 0
    for match in re.finditer(r"(?<!\w)" + _full_pattern(person.full) + _END, text, flags):
        yield Candidate(Kind.PERSON, match.start(), match.end(), person.key)
    for token in _tokens(person.full):
        if len(token.rstrip(".")) < 2:
            continue
        for match in re.finditer(r"(?<!\w)" + re.escape(token) + _END, text):
            yield Candidate(Kind.PERSON, match.start(), match.end(), person.key)
