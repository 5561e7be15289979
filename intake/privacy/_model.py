"""The result of masking: kinds, spans, the stored redaction and the only text the model may see."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Final, NoReturn, final

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator


class Kind(StrEnum):
    """Kinds of personal data, named in Swedish; each masks to `[<prefix>_<n>]` (see `prefix`)."""

    PERSONNUMMER = "personnummer"
    SAMORDNINGSNUMMER = "samordningsnummer"
    TELEFON = "telefon"
    EPOST = "epost"
    PERSON = "person"
    ADRESS = "adress"

    @property
    def prefix(self) -> str:
        """Return the placeholder prefix, such as `PNR` in `[PNR_1]`."""
        return _PREFIXES[self]


_PREFIXES: Final[dict[Kind, str]] = {
    Kind.PERSONNUMMER: "PNR",
    Kind.SAMORDNINGSNUMMER: "SAMNR",
    Kind.TELEFON: "TELEFON",
    Kind.EPOST: "EPOST",
    Kind.PERSON: "PERSON",
    Kind.ADRESS: "ADRESS",
}

PLACEHOLDER: Final = re.compile(rf"\[(?:{'|'.join(_PREFIXES.values())})_\d+\]")
"""A placeholder as `mask()` writes it, `[PERSON_1]`: in masked texts, a mark, not a word."""


class Span(BaseModel):
    """One masked stretch: `original[start:end]` was replaced by `placeholder`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind
    start: int = Field(ge=0, description="Offset of the first masked character in the original text.")
    end: int = Field(gt=0, description="Offset just after the last masked character in the original text.")
    original: str = Field(min_length=1, description="The personal data itself; never sent to a model.")
    placeholder: str = Field(pattern=PLACEHOLDER.pattern)

    @model_validator(mode="after")
    def _consistent(self) -> Span:
        if self.end - self.start != len(self.original):
            raise ValueError("end - start must equal the length of original")
        return self


_SEAL: Final = object()


@final
class MaskedText:
    """Text whose personal data is replaced by placeholders: the only text a model client accepts.

    Only `intake.privacy.mask()` builds one. The constructor demands a token private to this
    package, so `MaskedText("raw text")` raises TypeError at run time and mypy rejects a plain `str`
    wherever `MaskedText` is the parameter type. A model client that takes `MaskedText` therefore
    cannot be handed unmasked text by mistake; there is no public way to turn a `str` into one.
    """

    __slots__ = ("_text",)
    _text: str

    def __init__(self, text: str, *, _seal: object = None) -> None:
        if _seal is not _SEAL:
            raise TypeError("MaskedText is built only by intake.privacy.mask()")
        object.__setattr__(self, "_text", text)

    @property
    def text(self) -> str:
        """Return the masked text, ready to be placed in a prompt."""
        return self._text

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"MaskedText({self._text!r})"

    def __len__(self) -> int:
        return len(self._text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MaskedText) and other._text == self._text

    def __hash__(self) -> int:
        return hash((MaskedText, self._text))

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("MaskedText is immutable")

    def __copy__(self) -> MaskedText:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> MaskedText:
        return self

    def __reduce__(self) -> NoReturn:
        # pickling would be a way to forge one from arbitrary text; mask the original again instead
        raise TypeError("MaskedText cannot be pickled; store the Redaction and mask again")


def _seal(text: str) -> MaskedText:
    """Wrap text that `mask()` has just masked (package-private; never call it elsewhere)."""
    return MaskedText(text, _seal=_SEAL)


class RedactionNotSealed(Exception):
    """A redaction loaded from storage was asked for the model's text; mask the original again."""


class Redaction(BaseModel):
    """The masked text and its mapping, stored so that reviewers see the original.

    Serialise with `model_dump_json()` and load with `Redaction.model_validate_json()`. Only the
    object returned by `mask()` carries `masked` (the `MaskedText` for the model): one loaded
    from JSON could have been edited, so it is good for reviewers (`restore`, `reveal`) only.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(description="The masked text.")
    spans: tuple[Span, ...] = Field(description="What was masked, in order of the original text.")
    _masked: MaskedText | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _ordered(self) -> Redaction:
        previous_end = 0
        for span in self.spans:
            if span.start < previous_end:
                raise ValueError("spans must be ordered and must not overlap")
            previous_end = span.end
        return self

    def __eq__(self, other: object) -> bool:
        # what was masked, not whether this copy may feed a model
        if not isinstance(other, Redaction):
            return NotImplemented
        return self.text == other.text and self.spans == other.spans

    def __hash__(self) -> int:
        return hash((self.text, self.spans))

    @property
    def masked(self) -> MaskedText:
        """Return the text for the model; only on the object that `mask()` returned."""
        if self._masked is None:
            raise RedactionNotSealed("a stored redaction cannot be sent to a model; mask the original again")
        return self._masked

    def restore(self) -> str:
        """Return the original text, rebuilt from the masked text and the spans."""
        parts: list[str] = []
        at_original = at_masked = 0
        for span in self.spans:
            gap = span.start - at_original
            parts.append(self.text[at_masked : at_masked + gap])
            at_masked += gap
            if self.text[at_masked : at_masked + len(span.placeholder)] != span.placeholder:
                raise ValueError(f"masked text does not hold {span.placeholder} at offset {at_masked}")
            parts.append(span.original)
            at_masked += len(span.placeholder)
            at_original = span.end
        parts.append(self.text[at_masked:])
        return "".join(parts)

    def originals(self) -> dict[str, str]:
        """Return each placeholder with the original it first stood for."""
        mapping: dict[str, str] = {}
        for span in self.spans:
            mapping.setdefault(span.placeholder, span.original)
        return mapping

    def reveal(self, text: str) -> str:
        """Put the originals back into any text that quotes the placeholders, such as a model's draft."""
        mapping = self.originals()
        return PLACEHOLDER.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)
