"""Bytes to text for the charsets Swedish mail really comes in, including the mislabelled ones.

Outlook and old webmail label Windows-1252 text as ISO-8859-1 (curly quotes, the euro sign and
dashes then sit in 0x80-0x9F, which ISO-8859-1 reserves for control codes), and some clients
send UTF-8 under a Latin-1 or ASCII label. Decoding never raises: an unknown or wrong label falls
back to UTF-8, then Windows-1252, and the caller is told that it had to guess.
"""

from __future__ import annotations

import codecs

_LATIN = {"iso8859-1", "latin-1", "cp1252", "iso8859-15"}
_ASCII = {"ascii", "us-ascii"}


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip('"').lower()).name
    except LookupError:
        return None


def _utf8_or_1252(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def decode_bytes(data: bytes, label: str | None) -> tuple[str, bool]:
    """Return `data` as text and whether the charset had to be guessed (unknown or wrong label)."""
    if data.isascii():
        return data.decode("ascii"), False
    codec = _codec(label)
    if codec is None or codec in _ASCII:
        return _utf8_or_1252(data), bool(label)
    if codec in _LATIN:
        # Valid UTF-8 with non-ASCII bytes is practically never genuine Latin-1 text ("Ã¶").
        try:
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            return data.decode("cp1252" if codec != "iso8859-15" else codec, errors="replace"), False
    try:
        return data.decode(codec), False
    except (UnicodeDecodeError, LookupError):
        return _utf8_or_1252(data), True
