"""Swedish phone numbers, e-mail addresses and postal addresses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from intake.privacy._candidate import Candidate
from intake.privacy._model import Kind

PHONE_CONTEXT: Final = re.compile(
    r"(?i)\b(?:tel|telefon\w*|tfn|mobil\w*|mob|ring\w*|sms\w*|växel|direkt|nummer|numret|nås|nå"
    r"|phone|mobile|cell|call|reach)\b"
)
"""Words that, shortly before a number, say that it is a phone number."""

# Not inside a word, a reference (IN-2026-00042), a decimal or an amount with spaced thousands
# (12 050 000 kr); trailing spaced groups are trimmed later if they make the number too long.
_NOT_AFTER: Final = r"(?<![\w\-/,+])(?<!\d\.)(?<!\d\x20)(?<!\d\xa0)"
_END: Final = r"(?![\w\-]|[.,]\d)"
_SP: Final = r"[\x20\xa0]"  # a space, or the non-breaking one that mail clients insert
_DASH: Final = r"[\-\u2010\u2011\u2013]"
_GROUPS: Final = r"\d{2,8}(?:" + _SP + r"\d{2,4}){0,3}"
# After the area code comes a separator and spaced groups, or nothing and one run of digits:
# "050709 1234" (a personnummer look-alike) is no phone form.
_PHONE_RE: Final = re.compile(
    _NOT_AFTER
    + r"(?:"
    + rf"(?P<intl>(?:\+|00)46(?:{_SP}|{_DASH})?(?:\(0\){_SP}?{_DASH}?{_SP}?)?[1-9]\d{{0,2}}"
    + rf"(?:(?:{_SP}|{_DASH}|/){_GROUPS}|\d{{5,8}}))"
    + rf"|\(0[1-9]\d{{0,2}}\){_SP}?{_GROUPS}"
    + rf"|0[1-9]\d{{0,2}}(?:{_SP}?(?:{_DASH}|/){_SP}?|{_SP}){_GROUPS}"
    + r"|0[1-9]\d{6,8}"
    + r")"
    + _END
)
# at most a few spaces between a number and its unit, so that a long run of spaces costs nothing
_NOT_AN_AMOUNT: Final = re.compile(r"\s{0,3}(?:kr\b|kronor|sek\b|mnkr|tkr|mkr|:-|%)", re.IGNORECASE)

# "anna(at)sundsvall.se" and "anna [at] sundsvall.se" are e-mail addresses too. A match starts
# only where the local part starts (the lookbehind holds every character of the local part):
# starting again inside a long local part that fails at its end made the search quadratic.
_EMAIL_RE: Final = re.compile(
    r"(?<![\w.%+\-'])[\w.%+\-']+(?:@|\x20?\((?:at|snabel-a)\)\x20?|\x20?\[(?:at|snabel-a)\]\x20?)"
    r"[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}(?![\w\-])",
    re.IGNORECASE,
)
_AT_RE: Final = re.compile(r"\x20?[(\[](?:at|snabel-a)[)\]]\x20?", re.IGNORECASE)

_STREET_SUFFIX: Final = (
    r"(?:gatan|gata|vägen|väg|gränd|gränden|stigen|allén|allé|torget|torg|backen|backe|kajen"
    r"|esplanaden|promenaden|stråket|slingan|svängen|ringen)"
)
_SEPARATE_SUFFIX: Final = (
    r"(?:[Gg]ata|[Vv]äg|[Gg]ränd|[Aa]llé|[Tt]org|[Tt]orget|[Bb]acke|[Ss]tig|[Pp]lan|[Pp]lats|[Ss]trand)"
)
_WORD: Final = r"[A-ZÅÄÖÉ][a-zåäöéü]+"
_AFFIX: Final = r"(?:(?:Norra|Södra|Östra|Västra|Stora|Lilla|Gamla|Nya|Övre|Nedre|Sankt|S:t|Upplands)\x20)"
_TOWN: Final = _AFFIX + r"?[A-ZÅÄÖ][A-Za-zÅÄÖåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?"
_POSTAL: Final = r"(?:SE-?\x20?)?[1-9]\d{2}\x20?\d{2}\x20+" + f"(?P<town>{_TOWN})"
_STREET: Final = (
    rf"(?:{_AFFIX}?{_WORD}{_STREET_SUFFIX}|{_AFFIX}?{_WORD}(?:\x20{_WORD})?\x20{_SEPARATE_SUFFIX})"
    r"\x20\d{1,4}(?:\x20?[A-H](?![\w]))?(?:,?\x20(?:lgh|lägenhet)\.?\x20?\d{4})?"
)
_STREET_ADDRESS_RE: Final = re.compile(
    rf"\b(?:{_STREET}|Box\x20\d{{1,5}})(?:[\x20\t]*,?[\x20\t]*\n?[\x20\t]*{_POSTAL})?\b"
)
# a postal code and town alone: the spaced form (852 30) anywhere, the 5-digit form only where an
# address line starts (beginning of a line or after a comma), since elsewhere it is often a count
_POSTAL_RE: Final = re.compile(
    rf"(?<![\w\-/.,])(?<!\d\x20)(?:SE-?\x20?)?[1-9]\d{{2}}\x20\d{{2}}\x20+(?P<town>{_TOWN})\b"
)
_POSTAL_LINE_RE: Final = re.compile(
    rf"(?:^[\x20\t]*|(?<=,\x20))(?P<code>(?:SE-?)?[1-9]\d{{4}}\x20+(?P<town>{_TOWN}))\b", re.MULTILINE
)
_NOT_TOWNS: Final = frozenset(
    {"Kr", "Kronor", "Sek", "SEK", "Euro", "Timmar", "Användare", "Invånare", "St", "Stycken"}
)


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _phone_key(number: str, international: bool) -> str | None:
    """Return the national form (0 + digits) of a plausible Swedish number, or None."""
    digits = _digits(number.replace("(0)", ""))
    national = "0" + digits[(4 if number.startswith("00") else 2) :] if international else digits
    if national.startswith("07"):
        return national if len(national) == 10 else None
    return national if 8 <= len(national) <= 10 else None


def find_phones(text: str) -> Iterator[Candidate]:
    """Yield Swedish phone numbers: 070-123 45 67, 0701234567, +46 70 123 45 67, 08-123 456 78, ..."""
    for match in _PHONE_RE.finditer(text):
        if _NOT_AN_AMOUNT.match(text, match.end()):
            continue
        value = match.group(0)
        # a following number can be swallowed as more spaced groups: drop groups until it fits
        group_starts = [m.start() for m in re.finditer(r"\s\d{2,4}(?=\s|$)", value)]
        ends = [len(value), *reversed(group_starts)]
        for end in ends:
            key = _phone_key(value[:end], match.group("intl") is not None)
            if key is not None:
                yield Candidate(Kind.TELEFON, match.start(), match.start() + end, key)
                break


def find_emails(text: str) -> Iterator[Candidate]:
    """Yield e-mail addresses (all of them: a shared mailbox is masked as well)."""
    for match in _EMAIL_RE.finditer(text):
        key = _AT_RE.sub("@", match.group(0)).lower()
        yield Candidate(Kind.EPOST, match.start(), match.end(), key)


def find_addresses(text: str) -> Iterator[Candidate]:
    """Yield street addresses (Storgatan 12, 852 30 Sundsvall), boxes (Box 123) and postal codes with town."""
    for match in _STREET_ADDRESS_RE.finditer(text):
        yield Candidate(Kind.ADRESS, match.start(), match.end(), _address_key(match.group(0)))
    for regex in (_POSTAL_RE, _POSTAL_LINE_RE):
        for match in regex.finditer(text):
            if match.group("town") in _NOT_TOWNS:
                continue
            start = match.start("code") if "code" in regex.groupindex else match.start()
            yield Candidate(Kind.ADRESS, start, match.end(), _address_key(text[start : match.end()]))


def _address_key(value: str) -> str:
    return " ".join(value.replace(",", " ").split()).lower()
