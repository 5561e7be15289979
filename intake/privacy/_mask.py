"""`mask()`: find personal data, settle overlaps, number the placeholders, seal the text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Final

from intake.privacy._candidate import Candidate
from intake.privacy._contact import PHONE_CONTEXT, find_addresses, find_emails, find_phones
from intake.privacy._idnumbers import find_id_numbers
from intake.privacy._model import Kind, Redaction, Span, _seal
from intake.privacy._names import find_names

# Between two candidates of the same length over the same text, the more specific kind wins.
_RANK: Final = {
    Kind.EPOST: 0,
    Kind.PERSONNUMMER: 1,
    Kind.SAMORDNINGSNUMMER: 1,
    Kind.TELEFON: 2,
    Kind.ADRESS: 3,
    Kind.PERSON: 4,
}


def mask(
    text: str, *, names: Iterable[str] = (), directory: Iterable[str] = (), today: date | None = None
) -> Redaction:
    """Replace the personal data in `text` with stable placeholders such as `[PERSON_1]`.

    Args:
        text: The submitted text, as written.
        names: The submitter's own names (contact fields); masked whole and word by word.
        directory: Further full names to mask, such as a staff directory.
        today: The date that decides the century of a 10-digit personnummer (default: today).

    Returns:
        The redaction: the masked text, its spans over the original, and `masked`, the
        `MaskedText` that is the only thing a model client accepts.
    """
    today = today or date.today()
    candidates = [
        *find_emails(text),
        *find_id_numbers(text, today, PHONE_CONTEXT),
        *find_phones(text),
        *find_addresses(text),
        *find_names(text, tuple(names), tuple(directory)),
    ]
    chosen = _resolve(candidates)
    numbers: dict[tuple[str, str], str] = {}
    counts: dict[str, int] = {}
    spans: list[Span] = []
    pieces: list[str] = []
    at = 0
    for candidate in chosen:
        prefix = candidate.kind.prefix
        placeholder = numbers.get((prefix, candidate.key))
        if placeholder is None:
            counts[prefix] = counts.get(prefix, 0) + 1
            placeholder = numbers[prefix, candidate.key] = f"[{prefix}_{counts[prefix]}]"
        original = text[candidate.start : candidate.end]
        spans.append(
            Span(
                kind=candidate.kind,
                start=candidate.start,
                end=candidate.end,
                original=original,
                placeholder=placeholder,
            )
        )
        pieces.extend((text[at : candidate.start], placeholder))
        at = candidate.end
    pieces.append(text[at:])
    masked_text = "".join(pieces)
    redaction = Redaction(text=masked_text, spans=tuple(spans))
    redaction._masked = _seal(masked_text)
    return redaction


def _resolve(candidates: list[Candidate]) -> list[Candidate]:
    """Keep the longest of overlapping candidates (then the more specific kind), in text order."""
    ordered = sorted(candidates, key=lambda c: (c.start - c.end, _RANK[c.kind]))
    taken: list[Candidate] = []
    for candidate in ordered:
        if all(candidate.end <= t.start or candidate.start >= t.end for t in taken):
            taken.append(candidate)
    return sorted(taken, key=lambda c: c.start)
