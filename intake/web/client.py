"""Who the client is, seen through the trusted proxies in front of the app.

Behind a reverse proxy every request comes from the proxy; counting by that address would put
every employee in one bucket (and the login limit would lock everyone out). So `X-Forwarded-For`
is read from the right, skipping addresses of configured proxies, and the first one that is not
a proxy is the client. Without configured proxies the header is ignored: anyone can send it.
An IPv6 client is counted by its /64, the smallest network one subscriber normally gets.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _header(scope: dict[str, Any], name: bytes) -> str:
    values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name]
    return ",".join(values)


def _peer(scope: dict[str, Any]) -> str:
    return str((scope.get("client") or ("unknown", 0))[0])


def _is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[str]) -> bool:
    return any(address in n for n in _networks(tuple(trusted)))


def client_ip(scope: dict[str, Any], trusted: Sequence[str]) -> str:
    """Return the client's address: the peer, or the first untrusted hop of `X-Forwarded-For`."""
    peer = _parse(_peer(scope))
    if peer is None:
        return _peer(scope)[:64]
    if not _is_trusted(peer, trusted):
        return str(peer)
    client = peer
    for hop in reversed(_header(scope, b"x-forwarded-for").split(",")):
        address = _parse(hop)
        if address is None:
            break  # a garbled hop: trust nothing further left
        client = address
        if not _is_trusted(address, trusted):
            break
    return str(client)


def client_network(scope: dict[str, Any], trusted: Sequence[str]) -> str:
    """Return the key a client is counted by: its IPv4 address or its IPv6 /64."""
    ip = client_ip(scope, trusted)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return ip


def forwarded_https(scope: dict[str, Any], trusted: Sequence[str]) -> bool:
    """Tell whether the request reached the proxy over https (or reached the app so)."""
    if scope.get("scheme") == "https":
        return True
    peer = _parse(_peer(scope))
    if peer is None or not _is_trusted(peer, trusted):
        return False
    proto = _header(scope, b"x-forwarded-proto").split(",")[0].strip().lower()
    return proto == "https"
