"""Swedish money amounts as people type them in spreadsheets: `2 114 575 kr`, `- kr`, `1,5 mkr`.

Amounts are whole kronor. An amount that cannot be read never stops an import: the text is kept
so that nothing typed by a person is lost, and the caller reports a warning instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Spaces that Excel and word processors put between digit groups.
_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")
_DASHES = {"-", "\u2013", "\u2014", "\u2212"}
# Longest units first so that "mnkr" is not read as "kr".
_UNITS: tuple[tuple[str, int], ...] = (
    ("miljonerkronor", 1_000_000),
    ("miljoner kr", 1_000_000),
    ("miljoner", 1_000_000),
    ("mnkr", 1_000_000),
    ("mn kr", 1_000_000),
    ("msek", 1_000_000),
    ("mkr", 1_000_000),
    ("tkr", 1_000),
    ("ksek", 1_000),
    ("kronor", 1),
    ("sek", 1),
    ("kr.", 1),
    ("kr", 1),
    (":-", 1),
)
_PLAIN = re.compile(r"\d+")
_GROUPED = re.compile(r"\d{1,3}(?:([ .,'])\d{3})(?:\1\d{3})*")


@dataclass(frozen=True)
class Money:
    """A parsed amount: whole kronor or None, the text as written, and why no amount if so."""

    amount: int | None
    text: str | None
    warning: str | None = None


def normalize_space(text: str) -> str:
    """Collapse every kind of space to one ordinary space, so stored texts compare equal."""
    return _SPACES.sub(" ", text).strip()


def parse_money(value: str | int | float | Decimal | None) -> Money:
    """Read an amount in kronor from a cell; `- kr` is zero, an empty cell is no amount."""
    if value is None or isinstance(value, bool):
        return Money(None, None)
    if isinstance(value, int | float | Decimal):
        # Excel stores money as a number; its text is the amount written the Swedish way.
        number = Decimal(str(value))
        if not number.is_finite():
            return Money(None, str(value), f"{value!r}: not an amount; kept as text")
        amount = _round(number)
        return Money(amount, format_money(amount))
    text = normalize_space(value)
    if not text:
        return Money(None, None)
    parsed, problem = _parse_text(text)
    if problem is not None:
        return Money(None, text, f"{text!r}: {problem}; kept as text without an amount")
    return Money(parsed, text)


def format_money(amount: int | None) -> str:
    """Write whole kronor the Swedish way, `2 114 575 kr`; None is an empty string."""
    if amount is None:
        return ""
    return f"{amount:,} kr".replace(",", " ")


def _parse_text(text: str) -> tuple[int | None, str | None]:
    number, factor = _split_unit(text.casefold())
    number = number.strip()
    if number in _DASHES:
        # "- kr" is how Excel's accounting format shows zero.
        return 0, None
    sign = 1
    if number[:1] in _DASHES:
        sign, number = -1, number[1:].strip()
    value = _parse_number(number, decimal_comma_only=factor > 1)
    if isinstance(value, str):
        return None, value
    return sign * _round(value * factor), None


def _split_unit(text: str) -> tuple[str, int]:
    for unit, factor in _UNITS:
        if text.endswith(unit):
            return text[: -len(unit)], factor
        if text.startswith(unit) and unit in ("sek", "kr"):
            return text[len(unit) :], factor
    return text, 1


def _parse_number(number: str, *, decimal_comma_only: bool) -> Decimal | str:
    """Return the number, or a short reason why `number` is not one."""
    if not number:
        return "no digits"
    if not any(c.isdigit() for c in number):
        return "not an amount"
    whole, fraction = number, ""
    match = re.fullmatch(r"(.*?)([.,])(\d+)", number)
    if match and (len(match.group(3)) <= 2 or decimal_comma_only):
        sep = match.group(2)
        # "1.600" is grouping, "1,5" and "1.50" are decimals; with tkr/mkr a comma is a decimal.
        if not (decimal_comma_only and sep == "." and len(match.group(3)) == 3):
            whole, fraction = match.group(1), match.group(3)
    whole = whole.strip()
    if _PLAIN.fullmatch(whole) or _GROUPED.fullmatch(whole):
        digits = re.sub(r"\D", "", whole)
        return Decimal(f"{digits}.{fraction or '0'}")
    if re.fullmatch(r"[\d .,']+", whole):
        # Digit groups of the wrong size, such as "730 00": a column cut at its width.
        return "malformed digit grouping (was the column cut off?)"
    return "not an amount"


def _round(value: Decimal) -> int:
    """Round to whole kronor, half up (öre are not kept)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
