"""What each detector reports before overlaps are resolved and placeholders are numbered."""

from __future__ import annotations

from dataclasses import dataclass

from intake.privacy._model import Kind


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stretch `[start, end)` of the text that holds personal data of `kind`.

    `key` identifies the value regardless of how it is written (`850709-1234` and `198507091234`
    share one), so that the same value gets the same placeholder.
    """

    kind: Kind
    start: int
    end: int
    key: str
