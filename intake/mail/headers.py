"""Header values read without trusting them: capped, RFC 2047 decoded, never raising.

`policy.default` parses a header only when it is read, and a malformed one raises then; a
448 KB subject made of encoded words also makes its parser slow. So values are taken raw
(`raw_items`), cut at `max_chars` first, and encoded words are decoded here in one linear pass.
Adjacent encoded words in one charset are joined before decoding, because clients split a
multi-byte UTF-8 character across two words ("G=?utf-8?q?=C3?= =?utf-8?q?=B6?=ran").
"""

from __future__ import annotations

import base64
import binascii
import email.errors
import re
from email.message import Message
from email.utils import getaddresses, parseaddr

from intake.mail.charsets import decode_bytes

PARSER_ERRORS: tuple[type[Exception], ...] = (
    ValueError,  # UnicodeError, and the header parser's HeaderParseError on some paths
    TypeError,
    LookupError,  # IndexError and KeyError from the header value parser
    AttributeError,
    email.errors.MessageError,
)
"""What the stdlib `email` package raises on hostile headers and parameters (each seen in CPython
bug reports). Reading one header or parameter catches these and records a degraded parse; anything
else is a bug and reaches the per-mail boundary in `parse.parse_mail`."""

_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t\r\n]*")
_FOLD = re.compile(r"\r?\n[ \t]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_MSGID = re.compile(r"<([^<>\s]{1,480})>")


def raw_value(message: Message, name: str) -> str | None:
    """Return the first raw value of header `name`, or None; never parses it."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return str(value)
    return None


def raw_values(message: Message, name: str) -> list[str]:
    """Return every raw value of header `name`."""
    wanted = name.lower()
    return [str(value) for key, value in message.raw_items() if key.lower() == wanted]


def _undo_surrogates(value: str) -> tuple[str, bool]:
    # 8-bit bytes in a header arrive as surrogate escapes; decode them as UTF-8, else Windows-1252.
    if not any("\udc80" <= c <= "\udcff" for c in value):
        return value, False
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8"), False  # raw UTF-8 headers (RFC 6532) are legitimate
    except UnicodeDecodeError:
        return decode_bytes(data, None)[0], True


def _word_bytes(encoding: str, payload: str) -> bytes:
    if encoding in "bB":
        if not _BASE64.fullmatch(payload):
            raise ValueError("not base64")
        padded = payload + "=" * (-len(payload) % 4)
        try:
            return base64.b64decode(padded, validate=False)
        except (binascii.Error, ValueError):
            return payload.encode("ascii", "replace")
    data = payload.replace("_", " ").encode("ascii", "replace")
    return binascii.a2b_qp(data)


def decode_words(value: str) -> tuple[str, bool]:
    """Return `value` with RFC 2047 encoded words decoded, and whether anything had to be guessed."""
    value, guessed = _undo_surrogates(value)
    value = _FOLD.sub(" ", value)
    if "=?" not in value:
        return value, guessed
    out: list[str] = []
    position = 0
    pending: bytearray = bytearray()
    pending_charset: str | None = None

    def flush() -> None:
        nonlocal pending, pending_charset, guessed
        if pending_charset is not None:
            text, bad = decode_bytes(bytes(pending), pending_charset)
            out.append(text)
            guessed = guessed or bad
        pending, pending_charset = bytearray(), None

    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        adjacent = pending_charset is not None and _BETWEEN_WORDS.fullmatch(gap) is not None
        if not adjacent:
            flush()
            out.append(gap)
        charset = match.group(1).lower()
        if pending_charset is not None and charset != pending_charset:
            flush()
        try:
            data = _word_bytes(match.group(2), match.group(3))
        except ValueError:
            flush()  # not an encoded word after all: keep it as written
            out.append(match.group(0))
            guessed = True
        else:
            pending_charset = charset
            pending.extend(data)
        position = match.end()
    flush()
    out.append(value[position:])
    return "".join(out), guessed


def clean(value: str) -> str:
    """Return a header value on one line, without control characters."""
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())


def text_header(message: Message, name: str, max_chars: int) -> tuple[str | None, list[str]]:
    """Return a decoded, one-line header value (None when absent) and the problems met reading it."""
    problems: list[str] = []
    try:
        raw = raw_value(message, name)
    except PARSER_ERRORS:  # a header that cannot even be listed is a degraded parse, not a crash
        return None, [f"{name.lower()}_unreadable"]
    if raw is None:
        return None, problems
    if len(raw) > max_chars:
        raw = raw[:max_chars]
        # Do not leave half an encoded word at the cut.
        cut = raw.rfind("=?")
        if cut > 0 and "?=" not in raw[cut + 2 :]:
            raw = raw[:cut]
        problems.append(f"{name.lower()}_truncated")
    text, guessed = decode_words(raw)
    if guessed:
        problems.append(f"{name.lower()}_charset_guessed")
    return clean(text), problems


def address(message: Message, name: str, max_chars: int) -> tuple[str | None, str | None, list[str]]:
    """Return (e-mail address in lower case, display name) of header `name`, and the problems met."""
    value, problems = text_header(message, name, max_chars)
    if not value:
        return None, None, problems
    try:
        pairs = getaddresses([value])
    except PARSER_ERRORS:  # the stdlib address parser has raised on hostile input before
        pairs = [parseaddr(value)]
    for display, mail in pairs:
        mail = mail.strip().strip("<>").lower()
        if "@" in mail and " " not in mail and len(mail) <= 320:
            return mail, clean(display) or None, problems
    return None, None, [*problems, f"{name.lower()}_unparsable"]


def message_ids(value: str | None) -> list[str]:
    """Return the `<...>` ids in a Message-ID, In-Reply-To or References value, without brackets."""
    if not value:
        return []
    return _MSGID.findall(value[:20_000])[:100]


def message_id(message: Message) -> str:
    """Return the mail's Message-ID without brackets (or its raw value, cut), or '' when it has none."""
    try:
        raw = raw_value(message, "Message-ID")
    except PARSER_ERRORS:  # see text_header
        return ""
    if raw is None:
        return ""
    found = message_ids(raw)
    if found:
        return found[0]
    return clean(raw)[:480]
