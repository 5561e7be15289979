"""A minimal SMTP server on loopback that keeps what it receives, for tests that send e-mail.

Standard library only (socketserver): enough of RFC 5321 for smtplib (EHLO/HELO, MAIL, RCPT,
DATA with dot-unstuffing, RSET, NOOP, QUIT). Addresses in `refuse` get 550 at RCPT.

    with SmtpSink() as sink:
        send(host="127.0.0.1", port=sink.port)
        (mail,) = sink.messages
        mail.rcpt_to, mail.message()
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType


@dataclass
class ReceivedMail:
    """One message as the server saw it: the envelope and the raw data."""

    mail_from: str
    rcpt_to: list[str]
    data: bytes

    def message(self) -> EmailMessage:
        """Parse the data as an e-mail message."""
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _State:
    messages: list[ReceivedMail] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _address(argument: str) -> str:
    start, end = argument.find("<"), argument.find(">")
    return argument[start + 1 : end] if 0 <= start < end else argument.split()[0]


class _Handler(socketserver.StreamRequestHandler):
    state: _State

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        self._reply("220 sink ESMTP ready")
        mail_from, rcpt_to = "", list[str]()
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb in ("HELO", "NOOP"):
                self._reply("250 ok")
            elif verb == "MAIL":
                mail_from, rcpt_to = _address(argument.partition(":")[2]), []
                self._reply("250 ok")
            elif verb == "RCPT":
                address = _address(argument.partition(":")[2])
                if address in self.state.refuse:
                    self._reply("550 no such user")
                else:
                    rcpt_to.append(address)
                    self._reply("250 ok")
            elif verb == "DATA":
                self._reply("354 end with <CRLF>.<CRLF>")
                self._data(mail_from, rcpt_to)
                self._reply("250 queued")
            elif verb == "RSET":
                mail_from, rcpt_to = "", []
                self._reply("250 ok")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 not implemented")

    def _data(self, mail_from: str, rcpt_to: list[str]) -> None:
        lines = []
        while True:
            raw = self.rfile.readline()
            if raw in (b".\r\n", b".\n", b""):
                break
            lines.append(raw[1:] if raw.startswith(b"..") else raw)
        with self.state.lock:
            self.state.messages.append(ReceivedMail(mail_from, list(rcpt_to), b"".join(lines)))


class SmtpSink:
    """An SMTP server on 127.0.0.1 and a free port, serving in a thread while the `with` lasts."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        self._state = _State(refuse=set(refuse or ()))
        handler = type("Handler", (_Handler,), {"state": self._state})
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.host = "127.0.0.1"
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def messages(self) -> list[ReceivedMail]:
        """What has been received so far."""
        with self._state.lock:
            return list(self._state.messages)

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
