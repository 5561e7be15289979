"""The language of a submission: detection lives with matching (`retrieval.language`), which needs it too."""

from __future__ import annotations

from retrieval.language import CANDIDATES, detect_language

__all__ = ["CANDIDATES", "detect_language"]
