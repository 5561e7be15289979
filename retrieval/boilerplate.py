"""Remove the text that makes unrelated submissions look alike before they are compared.

Form headings, greetings, e-mail signatures, quoted replies and machine-written header lines
(`User Agent: Mozilla/5.0 ...`) are the main source of false duplicate flags in every peer we
studied: two mails that share nothing but "Med vänliga hälsningar" and a disclaimer should not
score as alike. What is removed here is only ever removed from the text that is *compared*; the
stored text is never altered.

The rules are line based and deliberately conservative: a line is dropped only when it is short
and matches a known shape, and a signature or quoted reply is cut only near the end of the text,
so a real sentence that happens to start with "Hej" survives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_GREETING = re.compile(
    r"^(hej|hejsan|hallå|tjena|god (morgon|dag|eftermiddag)|hei|moi|terve|hyvä[a-zäö ]*|hallo|"
    r"hello|hi|dear|good (morning|afternoon)|kära|bästa)\b[^.!?]{0,40}[,.!:]?$",
    re.IGNORECASE,
)
"""An opening line that only greets: `Hej!`, `Hej alla,`, `Hello team`, `Hei kaikki`."""

_SIGN_OFF = re.compile(
    r"^(med )?(vänlig(a)?|bästa|varma) hälsning(ar)?|^mvh\b|^hälsningar\b|^hälsning\b|"
    r"^(best|kind|warm) regards\b|^regards\b|^best wishes\b|^cheers\b|^sincerely\b|"
    r"^ystävällisin terveisin\b|^terveisin\b|^t\.\s|^med vennlig hilsen\b|^vennlig hilsen\b|"
    r"^venlig hilsen\b|^med venlig hilsen\b|^mvh,?$|^/\s*\w+",
    re.IGNORECASE,
)
"""A closing line after which only a signature follows."""

_REPLY_HEADER = re.compile(
    r"^((on|den|am|le) .{4,200} (wrote|skrev|schrieb|kirjoitti|skreiv)\b.{0,200}:|"
    r"-{2,}\s*(original message|ursprungligt meddelande|alkuperäinen viesti|"
    r"opprinnelig melding|forwarded message|vidarebefordrat meddelande)\s*-{2,}|"
    r"(från|from|lähettäjä|fra):\s.+)$",
    re.IGNORECASE,
)
"""The line that introduces a quoted earlier message (Outlook, Gmail, Apple Mail; sv/en/fi/no)."""

_HEADING = re.compile(r"^[^\W\d_][\w ,/&()-]{0,48}:$")
"""A line that is only a label: `Beskrivning:`, `Steps to reproduce:`, `Actual results:`."""

_MACHINE_LINE = re.compile(
    r"^(user[- ]agent|build id(entifier)?)\s*:\s*\S",
    re.IGNORECASE,
)
"""A header line that a bug tracker or form fills in by itself, the same in every report."""

_SIGNATURE_MAX_LINES = 8
"""A sign-off is a signature only when at most this many lines follow it."""


def _cut_quoted_reply(lines: list[str]) -> list[str]:
    for n, line in enumerate(lines):
        if n > 0 and _REPLY_HEADER.match(line.strip()):
            return lines[:n]
    return [line for line in lines if not line.lstrip().startswith(">")]


def _cut_signature(lines: list[str]) -> list[str]:
    for n in range(len(lines) - 1, 0, -1):
        stripped = lines[n].strip()
        if stripped in ("--", "-- ") or (len(stripped) <= 40 and _SIGN_OFF.match(stripped)):
            if len(lines) - n - 1 <= _SIGNATURE_MAX_LINES:
                return lines[:n]
            break
    return lines


def strip_boilerplate(text: str, extra_lines: Iterable[str] = ()) -> str:
    """Return `text` without greetings, signatures, quoted replies, headings and machine lines.

    `extra_lines` are whole lines known to be template text (compared case-insensitively after
    collapsing whitespace), such as the headings of a municipality's own form. When everything
    would be removed, the original text is returned: a text made only of boilerplate is still
    better compared as it is than not at all.
    """
    known = {" ".join(line.split()).casefold() for line in extra_lines}
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = _cut_signature(_cut_quoted_reply(lines))
    kept: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        if " ".join(stripped.split()).casefold() in known:
            continue
        # the opening line, or the one after a title (documents are title + body)
        if len(kept) <= 1 and len(stripped) <= 48 and _GREETING.match(stripped):
            continue
        if _HEADING.match(stripped) or _MACHINE_LINE.match(stripped):
            continue
        kept.append(stripped)
    cleaned = "\n".join(kept)
    return cleaned if cleaned.strip() else text.strip()
