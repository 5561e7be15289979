"""Detect the language of a text, limited to the languages our users write in.

Restricting the candidates matters: unrestricted detectors call short Swedish texts Danish or
Norwegian Bokmål. Texts too short to tell are reported as None rather than guessed. Matching
uses it to see when two texts cannot be compared by their letters (`across`).
"""

from __future__ import annotations

import threading
from typing import Any

CANDIDATES = ("sv", "en", "fi", "no", "nn", "da", "de")
"""ISO 639-1 codes that detection chooses among."""

MIN_CONFIDENCE = 0.5
MIN_LETTERS = 12

_lock = threading.Lock()
_identifier: Any = None


def _get_identifier() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(list(CANDIDATES))
            _identifier = identifier
        return _identifier


def detect_language(text: str) -> str | None:
    """Return the ISO 639-1 code of `text`, or None when it is too short or too uncertain."""
    if sum(c.isalpha() for c in text) < MIN_LETTERS:
        return None
    code, confidence = _get_identifier().classify(text)
    if float(confidence) < MIN_CONFIDENCE:
        return None
    return "no" if code == "nn" else str(code)


FAMILIES = {"sv": "nordic", "no": "nordic", "nn": "nordic", "da": "nordic"}
"""Languages whose words share enough letters for character n-grams to compare them."""

HOME = "nordic"
"""What a text too short or too mixed to tell is taken for: the service's own languages."""


def family(code: str | None) -> str:
    """Return the group of languages `code` compares with by letters (unknown: the home group)."""
    return HOME if code is None else FAMILIES.get(code, code)


def across(a: str | None, b: str | None) -> bool:
    """Whether texts in languages `a` and `b` cannot be compared by their letters.

    Swedish, Norwegian and Danish share most of their spelling, so they compare by letters;
    Swedish and English, or Finnish and anything else, do not. A text too short or too mixed to
    tell (None) is taken for the home languages: it compares by letters with Swedish, not with
    an English or Finnish text.
    """
    return family(a) != family(b)
