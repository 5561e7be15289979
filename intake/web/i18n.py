"""The page language: which of the service's languages a request gets (texts: `intake.locale`)."""

from __future__ import annotations

from intake.locale import LANGUAGES


def pick_language(query_value: str | None, cookie_value: str | None, default: str) -> str:
    """Choose the page language: an explicit `?lang=`, then the cookie, then the default."""
    for candidate in (query_value, cookie_value):
        if candidate in LANGUAGES:
            return str(candidate)
    return default if default in LANGUAGES else "sv"
