"""The shared mailbox over IMAP (imaplib): TLS, timeouts, fetch without marking seen, move.

`MailSource` is the seam the poll loop uses; `ImapMailbox` is the real one (tests use a real
Dovecot on loopback). Mails are read with `BODY.PEEK[]`, so a mail that fails half-way stays
unread in the inbox, and moved with `UID MOVE` (RFC 6851) where the server has it, else with
`UID COPY`, `\\Deleted` and an expunge (`UID EXPUNGE` with UIDPLUS, so only that mail goes).
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from intake.settings import MailboxSettings


class MailboxError(RuntimeError):
    """The mailbox could not be reached, refused the login, or a command failed."""


@dataclass(frozen=True)
class FetchedMail:
    """One mail as fetched: its UID in the folder, its size and raw bytes (None when too large)."""

    uid: str
    size: int
    raw: bytes | None


class MailSource(Protocol):
    """Where mails come from: list, fetch and move them (a folder of an IMAP mailbox)."""

    def uids(self, limit: int) -> list[str]:
        """Return the UIDs of the mails waiting, oldest first, at most `limit`."""
        ...

    def fetch(self, uid: str, max_bytes: int) -> FetchedMail:
        """Fetch one mail; its raw bytes are None when it is larger than `max_bytes`."""
        ...

    def fetch_header(self, uid: str) -> bytes:
        """Fetch only the header section of a mail (one too large to fetch whole)."""
        ...

    def move(self, uid: str, folder: str) -> None:
        """Move a mail out of the folder being polled."""
        ...


_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def quote(name: str) -> str:
    """Return a folder name as an IMAP quoted string (modified UTF-7 for non-ASCII names)."""
    encoded = encode_folder(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_folder(name: str) -> str:
    """Encode a folder name in IMAP's modified UTF-7 (RFC 3501, 5.1.3): "Karantän" -> "Karant&AOQ-n"."""
    import base64

    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


class ImapMailbox:
    """A connection to one folder of the configured mailbox, opened by `with`."""

    def __init__(self, settings: MailboxSettings) -> None:
        if not settings.host:
            raise MailboxError("no mailbox configured (BEREDNING_MAILBOX__HOST)")
        self.settings = settings
        self._client: imaplib.IMAP4 | None = None
        self._can_move = False
        self._uidplus = False

    def _context(self) -> ssl.SSLContext:
        cafile = str(self.settings.ca_file) if self.settings.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    def __enter__(self) -> ImapMailbox:
        s = self.settings
        assert s.host is not None
        where = f"{s.host}:{s.effective_port}"
        try:
            if s.security == "tls":
                client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    s.host, s.effective_port, ssl_context=self._context(), timeout=s.timeout_seconds
                )
            else:
                client = imaplib.IMAP4(s.host, s.effective_port, timeout=s.timeout_seconds)
                if s.security == "starttls":
                    client.starttls(ssl_context=self._context())
            self._client = client
            if s.username:
                login(client, s.username, s.password.get_secret_value() if s.password else "")
            capabilities = _capabilities(client)
            self._can_move = "MOVE" in capabilities
            self._uidplus = "UIDPLUS" in capabilities
            for folder in (s.processed_folder, s.quarantine_folder):
                client.create(quote(folder))  # NO when it exists, which is fine
            status, data = client.select(quote(s.folder))
            if status != "OK":
                raise MailboxError(f"cannot open folder {s.folder!r}: {_text(data)}")
        except (imaplib.IMAP4.error, OSError, ssl.SSLError) as exc:
            self._close()
            raise MailboxError(f"IMAP {where}: {exc}") from exc
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._close()

    def _close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if client.state == "SELECTED":
                client.close()
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass  # the server went away; nothing left to tidy

    @property
    def client(self) -> imaplib.IMAP4:
        """Return the open connection."""
        if self._client is None:
            raise MailboxError("the mailbox is not open")
        return self._client

    def _uid(self, command: str, *args: str) -> list[object]:
        try:
            status, data = self.client.uid(command, *args)
        except (imaplib.IMAP4.error, OSError) as exc:
            raise MailboxError(f"UID {command} failed: {exc}") from exc
        if status != "OK":
            raise MailboxError(f"UID {command} refused: {_text(data)}")
        return list(data)

    def uids(self, limit: int) -> list[str]:
        """Return the UIDs of the mails in the folder, oldest first, at most `limit`."""
        data = self._uid("SEARCH", "ALL")
        found = b" ".join(d for d in data if isinstance(d, bytes)).split()
        return [u.decode("ascii") for u in sorted(found, key=int)][:limit]

    def fetch(self, uid: str, max_bytes: int) -> FetchedMail:
        """Fetch one mail without setting \\Seen; only its size when it is over `max_bytes`."""
        data = self._uid("FETCH", uid, "(RFC822.SIZE)")
        size = _size(data)
        if size > max_bytes:
            return FetchedMail(uid, size, None)
        data = self._uid("FETCH", uid, "(BODY.PEEK[])")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return FetchedMail(uid, size or len(item[1]), item[1])
        raise MailboxError(f"UID FETCH {uid} returned no message")

    def fetch_header(self, uid: str) -> bytes:
        """Fetch only the header section (for a mail too large to fetch whole)."""
        data = self._uid("FETCH", uid, "(BODY.PEEK[HEADER])")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return b""

    def move(self, uid: str, folder: str) -> None:
        """Move a mail to `folder` (MOVE, or COPY + \\Deleted + expunge)."""
        if self._can_move:
            self._uid("MOVE", uid, quote(folder))
            return
        self._uid("COPY", uid, quote(folder))
        self._uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
        if self._uidplus:
            self._uid("EXPUNGE", uid)
        else:
            try:
                self.client.expunge()
            except (imaplib.IMAP4.error, OSError) as exc:
                raise MailboxError(f"EXPUNGE failed: {exc}") from exc

    def append(self, raw: bytes, folder: str | None = None) -> None:
        """Deliver a mail into a folder (tests and benchmarks fill a mailbox this way)."""
        status, data = self.client.append(quote(folder or self.settings.folder), "", None, raw)
        if status != "OK":
            raise MailboxError(f"APPEND refused: {_text(data)}")

    def count(self, folder: str) -> int:
        """Return how many mails a folder holds."""
        status, data = self.client.status(quote(folder), "(MESSAGES)")
        if status != "OK":
            raise MailboxError(f"STATUS {folder!r} refused: {_text(data)}")
        match = re.search(rb"MESSAGES (\d+)", b" ".join(d for d in data if isinstance(d, bytes)))
        return int(match.group(1)) if match else 0


def login(client: imaplib.IMAP4, username: str, password: str) -> None:
    """Log in; with AUTHENTICATE PLAIN (UTF-8) for names or passwords LOGIN cannot send.

    imaplib's LOGIN only sends ASCII, and "lösenord" is a realistic Swedish password.
    """
    if (username + password).isascii():
        client.login(username, password)
        return
    token = f"\0{username}\0{password}".encode()
    client.authenticate("PLAIN", lambda _challenge: token)


def _capabilities(client: imaplib.IMAP4) -> set[str]:
    # Servers announce more after login (MOVE, UIDPLUS) than in their greeting, so ask again.
    status, data = client.capability()
    words = b" ".join(d for d in data if isinstance(d, bytes)).decode("ascii", "replace").upper().split()
    return (
        set(words) | {c.upper() for c in client.capabilities} if status == "OK" else set(client.capabilities)
    )


def _size(data: Sequence[object]) -> int:
    for item in data:
        chunk = item[0] if isinstance(item, tuple) else item
        if isinstance(chunk, bytes):
            match = _SIZE.search(chunk)
            if match:
                return int(match.group(1))
    return 0


def _text(data: object) -> str:
    if isinstance(data, list):
        return " ".join(_text(d) for d in data)
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)
