"""Large hostile mails, made at test time instead of committed (megabytes do not belong in git)."""

from __future__ import annotations

import base64

HEAD = (
    "From: =?utf-8?q?G=C3=B6ran_=C3=85str=C3=B6m?= <goran.astrom@kommunen.se>\r\n"
    "To: ideer@kommunen.se\r\n"
    "MIME-Version: 1.0\r\n"
)


def encoded_word_bomb(size: int = 448 * 1024) -> bytes:
    """Return a mail whose Subject is `size` bytes of folded encoded words (RFC 2047)."""
    word = "=?utf-8?q?F=C3=B6rslag_p=C3=A5_=C3=85re?="
    words: list[str] = []
    length = 0
    while length < size:
        words.append(word)
        length += len(word) + 3
    subject = "\r\n ".join(words)
    return (
        f"{HEAD}Subject: {subject}\r\nMessage-ID: <bomb-{size}@kommunen.se>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Ett förslag med en orimligt lång ämnesrad.\r\n"
    ).encode()


def huge_attachment(megabytes: int, message_id: str = "huge") -> bytes:
    """Return a mail with a text part and a base64 attachment of `megabytes` MiB."""
    chunk = base64.encodebytes(bytes(range(256)) * 3).decode()  # 768 bytes -> 1040 characters
    body = chunk * (megabytes * 1024 * 1024 // 768)
    return (
        f"{HEAD}Subject: Stor bilaga {megabytes} MB\r\nMessage-ID: <{message_id}-{megabytes}@kommunen.se>\r\n"
        'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSe bifogad ritning över lokalerna.\r\n"
        "--B\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="ritning.dwg"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n--B--\r\n"
    ).encode()


def many_parts(count: int = 5000) -> bytes:
    """Return a mail with `count` tiny attachments (parts and attachment caps)."""
    parts = "".join(
        "--P\r\nContent-Type: application/octet-stream\r\n"
        f'Content-Disposition: attachment; filename="f{i}.bin"\r\n\r\nx\r\n'
        for i in range(count)
    )
    return (
        f"{HEAD}Subject: Många delar\r\nMessage-ID: <parts-{count}@kommunen.se>\r\n"
        'Content-Type: multipart/mixed; boundary="P"\r\n\r\n'
        "--P\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Texten kommer först, sedan tusentals bilagor.\r\n"
        f"{parts}--P--\r\n"
    ).encode()


def header_flood(size: int = 3 * 1024 * 1024) -> bytes:
    """Return a mail with `size` bytes of header lines before its body."""
    line = "X-Filler: " + "a" * 70 + "\r\n"
    return (
        f"{HEAD}Subject: Rubrikflod\r\nMessage-ID: <flood-{size}@kommunen.se>\r\n"
        + line * (size // len(line))
        + "Content-Type: text/plain; charset=utf-8\r\n\r\nTexten efter en flod av rubriker.\r\n"
    ).encode()


def huge_html(megabytes: int = 8) -> bytes:
    """Return an HTML-only mail of `megabytes` MiB, mostly hidden, deeply nested markup."""
    hidden = '<div style="display:none">dold</div>' * (megabytes * 1024 * 1024 // 36)
    nested = "<div>" * 5000 + "Synlig text om gatubelysning." + "</div>" * 5000
    return (
        f"{HEAD}Subject: Stor HTML\r\nMessage-ID: <html-{megabytes}@kommunen.se>\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
        f"<html><body>{nested}{hidden}</body></html>\r\n"
    ).encode()
