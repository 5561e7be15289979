"""Turn the session cookie into `scope["user"]` (a `Principal` or None) for the guard and the pages.

The JSON API, static files and the schema never read the cookie: a browser's session therefore
gives no authority to cross-site requests against the API, which is why the API needs no CSRF
token (API clients send none and need no cookie).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio.to_thread
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from intake.web.auth.sessions import Principal, load_session

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from intake.web.state import AppServices

NO_SESSION_PREFIXES = ("/api/", "/static/", "/schema", "/health")


def session_token(scope: Scope, cookie_name: str) -> str | None:
    """Return the session token from the request's cookies, if any."""
    from litestar.connection import ASGIConnection

    return ASGIConnection[Any, Any, Any, Any](scope).cookies.get(cookie_name) or None


def cookie_secure(scope: Scope, configured: bool | None) -> bool:
    """Whether cookies get `Secure`: as configured, else when the request came over https."""
    if configured is not None:
        return configured
    return scope.get("scheme") == "https"


class SessionMiddleware(ASGIMiddleware):
    """Load the session of each page request; clear the cookie of a session that has ended."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = None
        path = scope.get("path", "")
        if path.startswith(NO_SESSION_PREFIXES):
            await next_app(scope, receive, send)
            return
        services: AppServices = scope["litestar_app"].state["services"]
        settings = services.settings.auth
        token = session_token(scope, settings.cookie_name)
        if token is None:
            await next_app(scope, receive, send)
            return
        principal: Principal | None = await anyio.to_thread.run_sync(
            load_session, services.engine, token, settings
        )
        scope["user"] = principal
        if principal is not None:
            await next_app(scope, receive, send)
            return
        scope.setdefault("state", {})["session_ended"] = True
        secure = cookie_secure(scope, settings.cookie_secure)

        async def clear_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                # the handler may have set a fresh cookie (a login): leave that alone
                if not any(
                    v.startswith(f"{settings.cookie_name}=") for v in headers.getall("set-cookie", [])
                ):
                    gone = Cookie(
                        key=settings.cookie_name,
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
