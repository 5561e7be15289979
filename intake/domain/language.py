"""Detect the language of a submission, limited to the languages our users write in.

Restricting the candidates matters: unrestricted detectors call short Swedish texts Danish or
Norwegian Bokmål. Texts too short to tell are reported as None rather than guessed.
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
