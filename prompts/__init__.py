"""Prompt texts for the drafting model, loaded from package data and versioned by content hash.

Each prompt is a text file `{name}.{language}.txt` in this package holding a system part, a line
`=== user ===`, and a user template. The template names its placeholders explicitly (`{text}`,
`{focus_areas}`, `{checklist}`, `{kinds}`, `{initiative_types}`, and `{boundary}`, which rendering
fills itself); nothing else in it is interpreted, so JSON examples with braces are safe. The version
stored with each draft is the first 16 hex digits of the SHA-256 of the file, so any edit to a
prompt shows up as a new version.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final

__all__ = ["PLACEHOLDERS", "Prompt", "PromptError", "PromptNotFoundError", "load_prompt"]

USER_MARKER: Final = "=== user ==="
PLACEHOLDERS: Final = frozenset({"text", "focus_areas", "checklist", "kinds", "initiative_types", "boundary"})
_PLACEHOLDER_RE: Final = re.compile(r"\{(" + "|".join(sorted(PLACEHOLDERS)) + r")\}")
_NAME_RE: Final = re.compile(r"^[a-z0-9_-]+(?:/[a-z0-9_-]+)?$")
_LANGUAGE_RE: Final = re.compile(r"^[a-z]{2}$")


class PromptError(ValueError):
    """Raised when a prompt file is malformed or rendered without what its template needs."""


class PromptNotFoundError(LookupError):
    """Raised when no prompt file exists for the name and language asked for."""


@dataclass(frozen=True)
class Prompt:
    """A prompt as loaded: its system part, its user template and the version of the file."""

    name: str
    language: str
    system: str
    user_template: str
    version: str

    @classmethod
    def from_bytes(cls, name: str, language: str, raw: bytes) -> Prompt:
        """Build a prompt from the contents of its file; the version is the hash of exactly these bytes."""
        content = raw.decode("utf-8")
        lines = content.splitlines()
        markers = [i for i, line in enumerate(lines) if line.strip() == USER_MARKER]
        if len(markers) != 1:
            raise PromptError(f"prompt {name}.{language} must have exactly one line {USER_MARKER!r}")
        system = "\n".join(lines[: markers[0]]).strip()
        user = "\n".join(lines[markers[0] + 1 :]).strip() + "\n"
        if not system or "{text}" not in user:
            raise PromptError(f"prompt {name}.{language} needs a system part and {{text}} in its user part")
        version = hashlib.sha256(raw).hexdigest()[:16]
        return cls(name=name, language=language, system=system, user_template=user, version=version)

    def render_user(self, text: str, **context: str) -> str:
        """Fill the user template with `text` and `context`, changing neither.

        The submission goes between delimiters that carry `{boundary}`, a hash of the submission
        itself, so that a text cannot close its own section by writing the closing delimiter.
        Substitution is one pass over the template: placeholders inside `text` stay as written.
        """
        unknown = set(context) - PLACEHOLDERS
        if unknown or "boundary" in context:
            raise PromptError(f"unknown or reserved context for prompt {self.name!r}: {sorted(context)}")
        values = {**context, "text": text, "boundary": hashlib.sha256(text.encode()).hexdigest()[:12]}
        missing = sorted(set(_PLACEHOLDER_RE.findall(self.user_template)) - set(values))
        if missing:
            raise PromptError(f"prompt {self.name!r} needs {', '.join(missing)}")
        return _PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], self.user_template)


def _available() -> list[str]:
    return sorted(
        p.name.removesuffix(".txt") for p in resources.files(__name__).iterdir() if p.name.endswith(".txt")
    )


@lru_cache(maxsize=32)
def load_prompt(name: str, language: str = "sv") -> Prompt:
    """Load the prompt `name` in `language` ("sv" or "en") from the files shipped in this package."""
    if not _NAME_RE.match(name) or not _LANGUAGE_RE.match(language):
        raise PromptNotFoundError(f"invalid prompt name or language: {name!r}, {language!r}")
    *folders, stem = name.split("/")
    path = resources.files(__name__).joinpath(*folders, f"{stem}.{language}.txt")
    if not path.is_file():
        raise PromptNotFoundError(
            f"no prompt {name!r} in language {language!r}; available: {', '.join(_available()) or 'none'}"
        )
    return Prompt.from_bytes(name, language, path.read_bytes())
