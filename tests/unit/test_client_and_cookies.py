"""Who the client is behind proxies, and when cookies are Secure: what the rate limits and logins key on."""

from __future__ import annotations

from typing import Any

import pytest

from intake.settings import Settings
from intake.web.access_log import RedactingFilter, redact_path
from intake.web.auth.middleware import cookie_secure, session_cookie_name
from intake.web.client import client_ip, client_network, forwarded_https


def _scope(
    peer: str, *, xff: str | None = None, proto: str | None = None, host: str = "127.0.0.1:8000"
) -> Any:
    headers = [(b"host", host.encode())]
    if xff is not None:
        headers.append((b"x-forwarded-for", xff.encode()))
    if proto is not None:
        headers.append((b"x-forwarded-proto", proto.encode()))
    return {"type": "http", "client": (peer, 50000), "headers": headers, "scheme": "http"}


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() -> None:
    assert client_ip(_scope("198.51.100.7", xff="10.0.0.1"), []) == "198.51.100.7"
    assert client_ip(_scope("127.0.0.1", xff="10.0.0.1"), []) == "127.0.0.1"
    assert client_ip(_scope("10.1.2.3", xff="203.0.113.9"), ["10.1.0.0/16"]) == "203.0.113.9"


def test_the_client_is_the_first_untrusted_hop_from_the_right() -> None:
    trusted = ["10.1.0.0/16", "192.0.2.10"]
    # the client forged the leftmost value; the proxies appended the real hops
    scope = _scope("10.1.2.3", xff="1.2.3.4, 203.0.113.9, 192.0.2.10")
    assert client_ip(scope, trusted) == "203.0.113.9"
    assert client_ip(_scope("10.1.2.3", xff="garbage, 203.0.113.9"), trusted) == "203.0.113.9"
    assert client_ip(_scope("10.1.2.3", xff="203.0.113.9, garbage"), trusted) == "10.1.2.3"


def test_ipv6_clients_are_counted_by_their_64() -> None:
    a = client_network(_scope("2001:db8:1:2:aaaa::1"), [])
    b = client_network(_scope("2001:db8:1:2:ffff::9"), [])
    c = client_network(_scope("2001:db8:1:3::1"), [])
    assert a == b == "2001:db8:1:2::/64" and c != a
    assert client_network(_scope("::ffff:192.0.2.1"), []) == "192.0.2.1"


def test_https_is_believed_from_trusted_proxies_only() -> None:
    assert forwarded_https(_scope("10.1.2.3", proto="https"), ["10.1.0.0/16"])
    assert not forwarded_https(_scope("198.51.100.7", proto="https"), ["10.1.0.0/16"])


@pytest.mark.parametrize(
    ("scope", "secure"),
    [
        (_scope("127.0.0.1"), False),  # a developer on http://127.0.0.1
        (_scope("127.0.0.1", host="localhost:8000"), False),
        (_scope("127.0.0.1", host="beredning.kommunen.se"), True),  # a proxy on the same host
        (_scope("10.1.2.3", proto="https", host="beredning.kommunen.se"), True),
    ],
)
def test_cookies_are_secure_except_plain_http_on_loopback(scope: Any, secure: bool) -> None:
    settings = Settings(server={"trusted_proxies": "10.1.0.0/16"})
    assert cookie_secure(scope, settings) is secure
    name = session_cookie_name(scope, settings)
    assert name == ("__Host-beredning_session" if secure else "beredning_session")
    assert cookie_secure(scope, Settings(auth={"cookie_secure": False})) is False


def test_trusted_proxies_are_checked_when_read() -> None:
    assert Settings(server={"trusted_proxies": " 10.0.0.5 , fd00::/8"}).server.trusted_proxies == [
        "10.0.0.5",
        "fd00::/8",
    ]
    with pytest.raises(ValueError, match="not an address"):
        Settings(server={"trusted_proxies": "proxy.kommunen.se"})


def test_access_log_paths_lose_follow_tokens_and_query_strings() -> None:
    assert redact_path("/follow/AbC-123_x/answers?lang=en") == "/follow/…/answers?…"
    assert redact_path("/api/similar?text=Agnetha+Lindqvist") == "/api/similar?…"
    assert redact_path("/review/items/IN-2026-00001") == "/review/items/IN-2026-00001"
    import logging

    record = logging.LogRecord(
        "uvicorn.access",
        20,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4", "GET", "/follow/s3cret", "1.1", 200),
        None,
    )
    RedactingFilter().filter(record)
    assert "s3cret" not in record.getMessage() and "/follow/…" in record.getMessage()
