"""Titles and summaries for an agenda from masked text only: what a forum member may read."""

from __future__ import annotations

import re
from typing import Any

from intake.models import Draft, Submission
from intake.privacy import mask
from retrieval.boilerplate import strip_boilerplate

_SUMMARY_CHARS = 320
"""About three printed lines: an agenda's summary says what the item is, the page says the rest."""
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"'(\[A-ZÅÄÖÉ0-9])")


def split_sentences(text: str) -> list[str]:
    """Split `text` into sentences at ., ! or ? followed by a capital letter, a digit or a quote."""
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]


def first_sentences(text: str, *, sentences: int = 2, max_chars: int = 300) -> str:
    """Return the first `sentences` sentences of `text` on one line, cut at a word near `max_chars`."""
    picked = " ".join(split_sentences(text)[:sentences])
    if len(picked) <= max_chars:
        return picked
    cut = picked[:max_chars].rsplit(" ", 1)[0].rstrip(",;:–- ")
    return cut + " …"


def draft_value(draft: Draft | None, name: str) -> Any:
    """Return the value of field `name` of a stored draft, or None when it is empty or missing."""
    if draft is None:
        return None
    field = draft.content.get(name)
    if not isinstance(field, dict):
        return None
    value = field.get("value")
    return None if value in (None, "", []) else value


def masked_body(submission: Submission, draft: Draft | None) -> str:
    """Return the submission's text with personal data masked and greeting and signature removed.

    The draft's stored masked text when there is a draft; otherwise the text is masked here, the
    way drafting masks it, so that the agenda never shows what the submitter wrote unmasked.
    """
    if draft is not None:
        text = draft.masked_text
        if submission.title:  # drafting masks "title\ntext"; the title is shown apart
            text = text.split("\n", 1)[1] if "\n" in text else ""
    else:
        names = [n for n in (submission.submitter_name,) if n]
        text = mask(submission.raw_text, names=names).text
    return strip_boilerplate(text)


def masked_title(submission: Submission, draft: Draft | None) -> str:
    """Return the draft's title, else the masked submitted title, else "" (the renderer says untitled)."""
    value = draft_value(draft, "title")
    if isinstance(value, str):
        return " ".join(value.split())
    if submission.title:
        names = [n for n in (submission.submitter_name,) if n]
        return " ".join(mask(submission.title, names=names).text.split())
    return ""


def summary(submission: Submission, draft: Draft | None) -> tuple[str, bool]:
    """Return the summary and whether it came from the draft (else: first sentences of the text)."""
    value = draft_value(draft, "summary")
    if isinstance(value, str):
        return first_sentences(value, sentences=3, max_chars=_SUMMARY_CHARS), True
    return first_sentences(masked_body(submission, draft), max_chars=_SUMMARY_CHARS), False
