"""Turn the session cookie into `scope["user"]` (a `Principal` or None) for the guard and the pages.

The JSON API, static files and the schema never read the cookie: a browser's session therefore
gives no authority to cross-site requests against the API, which is why the API needs no CSRF
token (API clients send none and need no cookie).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from intake.services.apikeys import ApiClient, presented_key, verify
from intake.services.auth_sessions import Principal, load_session
from intake.web.client import forwarded_https

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from intake.settings import Settings
    from intake.web.state import AppServices

API_PREFIX = "/api/"
NO_SESSION_PREFIXES = (API_PREFIX, "/static/", "/schema", "/health")


async def _load_api_key(scope: Scope, services: AppServices) -> None:
    """Put the API client of a presented key in `scope["api_client"]`, or flag a bad key."""
    headers = ASGIConnection[Any, Any, Any, Any](scope).headers
    presented = presented_key(headers.get("authorization"), headers.get("x-api-key"))
    if presented is None:
        return
    client = await anyio.to_thread.run_sync(verify, services.engine, presented)
    state = scope.setdefault("state", {})
    state["api_client"] = client
    state["api_key_refused"] = client is None


def api_client(scope: Any) -> ApiClient | None:
    """Return the API client of the request's key (None: no key, or a refused one)."""
    client = scope.get("state", {}).get("api_client")
    return client if isinstance(client, ApiClient) else None


def api_key_refused(scope: Any) -> bool:
    """Tell whether the request presented a key that is malformed, unknown or revoked."""
    return bool(scope.get("state", {}).get("api_key_refused"))


def session_token(scope: Scope, cookie_name: str) -> str | None:
    """Return the session token from the request's cookies, if any."""
    return ASGIConnection[Any, Any, Any, Any](scope).cookies.get(cookie_name) or None


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


def cookie_secure(scope: Scope, settings: Settings) -> bool:
    """Whether cookies get `Secure` (and the session cookie the `__Host-` prefix).

    As configured; else yes, except for plain http to a loopback host (a developer's machine): a
    request over https, or forwarded as https by a trusted proxy, or to any other host is secure.
    """
    if settings.auth.cookie_secure is not None:
        return settings.auth.cookie_secure
    if forwarded_https(dict(scope), settings.server.trusted_proxies):
        return True
    host = ASGIConnection[Any, Any, Any, Any](scope).headers.get("host", "")
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return hostname.lower() not in LOOPBACK_HOSTS


def session_cookie_name(scope: Scope, settings: Settings) -> str:
    """The session cookie's name: `__Host-<name>` when secure (bound to this host, https, path /)."""
    name = settings.auth.cookie_name
    return f"__Host-{name}" if cookie_secure(scope, settings) else name


class SessionMiddleware(ASGIMiddleware):
    """Load the session of each page request; clear the cookie of a session that has ended."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = None
        path = scope.get("path", "")
        services: AppServices = scope["litestar_app"].state["services"]
        if path.startswith(API_PREFIX):
            await _load_api_key(scope, services)
        if path.startswith(NO_SESSION_PREFIXES):
            await next_app(scope, receive, send)
            return
        cookie_name = session_cookie_name(scope, services.settings)
        token = session_token(scope, cookie_name)
        if token is None:
            await next_app(scope, receive, send)
            return
        principal: Principal | None = await anyio.to_thread.run_sync(
            load_session, services.engine, token, services.settings.auth
        )
        scope["user"] = principal
        if principal is not None:
            await next_app(scope, receive, send)
            return
        scope.setdefault("state", {})["session_ended"] = True
        secure = cookie_secure(scope, services.settings)

        async def clear_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                # the handler may have set a fresh cookie (a login): leave that alone
                if not any(v.startswith(f"{cookie_name}=") for v in headers.getall("set-cookie", [])):
                    gone = Cookie(
                        key=cookie_name,
                        value="",
                        max_age=0,
                        path="/",
                        httponly=True,
                        samesite="lax",
                        secure=secure,
                    )
                    headers.add("set-cookie", gone.to_header(header=""))
            await send(message)

        await next_app(scope, receive, clear_cookie)
