"""Personnummer and samordningsnummer: any written form, accepted only with a real date and Luhn."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Final

from intake.privacy._candidate import Candidate
from intake.privacy._model import Kind

# YYMMDD-NNNN, YYMMDD+NNNN, YYMMDDNNNN, YYMMDD NNNN and the same with the century in front; the dash
# may be a typographic one (pasted from Word) and the space a non-breaking one.
# The look-arounds keep parts of longer numbers, references (IN-2026-00042) and decimals out.
_ID_RE: Final = re.compile(
    r"(?<![\w+\-/.,])(?P<century>18|19|20)?(?P<date>\d{6})(?P<sep>[-+\x20\xa0\u2010\u2011\u2013])?(?P<serial>\d{4})(?![\w\-/]|[.,]\d)"
)
_SAMORDNING_DAY_OFFSET: Final = 60


def luhn_ok(digits: str) -> bool:
    """Return whether a string of digits passes the Luhn (mod 10) check."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_check_digit(digits: str) -> str:
    """Return the digit that makes `digits` + it pass the Luhn check."""
    for candidate in "0123456789":
        if luhn_ok(digits + candidate):
            return candidate
    raise AssertionError("unreachable: one of ten digits always completes the sum")


def _birth_year(yy: int, over_hundred: bool, today: date) -> int:
    """Infer the century of a 10-digit number: the latest year not in the future (`+`: 100 years back)."""
    latest = today.year - 100 if over_hundred else today.year
    return latest - (latest - yy) % 100


def classify(
    century: str | None, date6: str, sep: str | None, serial: str, today: date
) -> tuple[Kind, str] | None:
    """Return the kind and the 12-digit form of a personnummer or samordningsnummer, or None.

    None for a failed Luhn check, an impossible date (organisation numbers have a month of 20 or
    more, so they land here), a birth date in the future or a century other than 18, 19, 20.
    """
    if not luhn_ok(date6 + serial):
        return None
    yy, month, day = int(date6[:2]), int(date6[2:4]), int(date6[4:6])
    kind = Kind.PERSONNUMMER
    if day > _SAMORDNING_DAY_OFFSET:
        kind, day = Kind.SAMORDNINGSNUMMER, day - _SAMORDNING_DAY_OFFSET
    year = int(century) * 100 + yy if century else _birth_year(yy, sep == "+", today)
    try:
        born = date(year, month, day)
        if born > today and not century:  # born this century, later in the year: a century earlier
            born = date(year - 100, month, day)
    except ValueError:
        return None
    if born > today:
        return None
    year = born.year
    return kind, f"{year:04d}{date6[2:]}{serial}"


def find_id_numbers(text: str, today: date, phone_context: re.Pattern[str]) -> Iterator[Candidate]:
    """Yield every valid personnummer and samordningsnummer in `text`.

    A bare 10-digit number such as 0701234567 can be both a valid personnummer (born 2007) and a
    mobile number; when the words just before it speak of a phone, it is left to the phone finder.
    """
    for match in _ID_RE.finditer(text):
        century, date6, sep, serial = match.group("century", "date", "sep", "serial")
        found = classify(century, date6, sep, serial, today)
        if found is None:
            continue
        if not century and not sep and date6[0] == "0":
            before = text[max(0, match.start() - 40) : match.start()]
            if phone_context.search(before):
                continue
        kind, key = found
        yield Candidate(kind, match.start(), match.end(), key)
