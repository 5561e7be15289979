"""A real IMAP server for tests: Debian's Dovecot on 127.0.0.1, configured and started per fixture.

Everything lives in one temporary directory: its own config file (nothing under /etc is read),
a passwd-file with one user, Maildir storage, and a self-signed certificate made with openssl
for IMAPS and STARTTLS. Installed by `.ci/run` (`dovecot-imapd`); where it is missing the test is
skipped with the reason, and under CI it fails instead.

    with running_dovecot(tmp_path) as server:
        server.append(raw_mail)
        settings = server.mailbox_settings()
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from intake.mail.imap import login
from intake.settings import MailboxSettings
from tests.server import free_port

USER = "ideer@kommunen.test"
PASSWORD = "hemligt-lösen-123"  # a throwaway test account; not ASCII on purpose (AUTHENTICATE PLAIN)

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = {internal_user}
default_login_user = {login_user}
default_internal_group = {group}
first_valid_uid = 1
first_valid_gid = 1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%n
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def binary() -> str | None:
    """Return the dovecot executable, or None when it is not installed."""
    return shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)


def require_dovecot() -> str:
    """Return the dovecot executable; skip the test without it, or fail when `CI` is set."""
    found = binary()
    if found is None:
        reason = "dovecot is not installed (apt-get install dovecot-imapd)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so this fails instead of skipping")
        pytest.skip(reason)
    return found


@dataclass
class Dovecot:
    """A running server: where it listens, its CA file and the test account."""

    root: Path
    tls_port: int
    plain_port: int
    ca_file: Path

    def mailbox_settings(self, **overrides: Any) -> MailboxSettings:
        """Return mailbox settings for the test account over IMAPS (`overrides` win)."""
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.tls_port,
            "security": "tls",
            "ca_file": self.ca_file,
            "username": USER,
            "password": PASSWORD,
            "timeout_seconds": 10,
        }
        values.update(overrides)
        return MailboxSettings(**values)

    def env(self, **overrides: str) -> dict[str, str]:
        """Return BEREDNING_MAILBOX__* variables for a process that polls this server."""
        values = {
            "BEREDNING_MAILBOX__HOST": "127.0.0.1",
            "BEREDNING_MAILBOX__PORT": str(self.tls_port),
            "BEREDNING_MAILBOX__SECURITY": "tls",
            "BEREDNING_MAILBOX__CA_FILE": str(self.ca_file),
            "BEREDNING_MAILBOX__USERNAME": USER,
            "BEREDNING_MAILBOX__PASSWORD": PASSWORD,
        }
        values.update({f"BEREDNING_MAILBOX__{k.upper()}": v for k, v in overrides.items()})
        return values

    @contextmanager
    def client(self) -> Iterator[imaplib.IMAP4_SSL]:
        """Yield a logged-in IMAPS connection of the test account (to deliver and count mails)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        client = imaplib.IMAP4_SSL("127.0.0.1", self.tls_port, ssl_context=context, timeout=10)
        try:
            login(client, USER, PASSWORD)
            yield client
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                client.logout()

    def append(self, *mails: bytes, folder: str = "INBOX") -> None:
        """Deliver mails into a folder with IMAP APPEND."""
        with self.client() as client:
            client.create(f'"{folder}"')
            for raw in mails:
                status, data = client.append(f'"{folder}"', "", None, raw)
                assert status == "OK", data

    def empty(self, *folders: str) -> None:
        """Delete every mail in `folders` (a clean mailbox for the next test)."""
        with self.client() as client:
            for folder in folders:
                status, data = client.select(f'"{folder}"')
                if status == "OK" and data[0] not in (b"0", None):
                    client.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                    client.expunge()

    def count(self, folder: str) -> int:
        """Return how many mails a folder holds (0 when it does not exist)."""
        with self.client() as client:
            status, data = client.status(f'"{folder}"', "(MESSAGES)")
        if status != "OK":
            return 0
        text = b" ".join(d for d in data if isinstance(d, bytes)).decode()
        return int(text.rsplit("MESSAGES", 1)[1].strip(" )"))


def _certificate(root: Path) -> None:
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"),
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip


def _wait(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {process.returncode}:\n{_tail(log)}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"dovecot did not listen on {port} within 20 s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"


@contextmanager
def running_dovecot(directory: Path) -> Iterator[Dovecot]:
    """Configure and start Dovecot, yield it, stop it; its log is copied into `directory`."""
    executable = require_dovecot()
    # Dovecot's login processes drop to an unprivileged user, which must reach the sockets, and
    # Unix socket paths are short: so the server lives in a short, world-traversable directory
    # of its own rather than in pytest's.
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    root.chmod(0o755)
    _certificate(root)
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:  # root: the package's own unprivileged users (dovecot-core creates them)
        internal_user, login_user = "dovecot", "dovenull"
        uid, gid = pwd.getpwnam("dovecot").pw_uid, pwd.getpwnam("dovecot").pw_gid
        group = grp.getgrgid(gid).gr_name
    else:
        internal_user = login_user = user
    for name in ("mail", "home"):
        (root / name).mkdir()
        os.chown(root / name, uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{root}/home\n", encoding="utf-8")
    server = Dovecot(root=root, tls_port=free_port(), plain_port=free_port(), ca_file=root / "cert.pem")
    config = root / "dovecot.conf"
    config.write_text(
        _CONFIG.format(
            root=root,
            internal_user=internal_user,
            login_user=login_user,
            group=group,
            plain_port=server.plain_port,
            tls_port=server.tls_port,
        ),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [executable, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        _wait(server.tls_port, process, root / "dovecot.log")
        _wait(server.plain_port, process, root / "dovecot.log")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        directory.mkdir(parents=True, exist_ok=True)
        keep = directory / "dovecot.log"
        if (root / "dovecot.log").exists():
            shutil.copyfile(root / "dovecot.log", keep)
        shutil.rmtree(root, ignore_errors=True)
