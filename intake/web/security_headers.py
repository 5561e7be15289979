"""Browser protections on every answer: a Content-Security-Policy without inline script, no MIME
sniffing, no framing, and no referrer beyond this origin.

The policy allows scripts and styles from this origin only (inline styles stay allowed: the
standalone agenda page carries its own `<style>`, and htmx sets indicator styles). Behaviour that
used to sit in inline handlers lives in `static/site.js`. The OpenAPI pages under `/schema` get a
policy of their own: Litestar starts the viewer with an inline script, but the viewer itself is
served from here (`/schema-assets`), so they too load nothing from another origin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from litestar.datastructures import MutableScopeHeaders

from intake.web.auth.middleware import cookie_secure

if TYPE_CHECKING:
    from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY: Final = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
SCHEMA_POLICY: Final = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",  # Litestar's viewer page starts the viewer inline
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
"""The OpenAPI pages: their viewer is served from here too, so nothing loads from another origin."""
WITHOUT_POLICY: Final = ("/schema",)


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Add the headers above to an answer that does not set them itself.

    A `before_send` hook of the app rather than a middleware, so that it also reaches the answers
    Litestar gives before any route runs (404 for an unknown path, 405).
    """
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in HEADERS.items():
        if name not in headers:
            headers[name] = value
    if "Content-Security-Policy" not in headers:
        schema = str(scope.get("path", "")).startswith(WITHOUT_POLICY)
        headers["Content-Security-Policy"] = SCHEMA_POLICY if schema else CONTENT_SECURITY_POLICY
    _secure_cookies(headers, scope)
    _allow_every_method(headers, scope)


def _allow_every_method(headers: MutableScopeHeaders, scope: Scope) -> None:
    """Litestar's automatic OPTIONS answer lists one handler's methods (GET but not POST on
    `/api/similar`); list every method of the route, as the OpenAPI schema does."""
    if scope.get("method") != "OPTIONS" or "allow" not in headers:
        return
    app, template = scope.get("litestar_app"), scope.get("path_template")
    for route in app.routes if app is not None else []:
        if route.path_format == template:
            headers["allow"] = ", ".join(sorted(route.methods))
            return


def _secure_cookies(headers: MutableScopeHeaders, scope: Scope) -> None:
    """Mark every cookie `Secure` where the session cookie is (the CSRF cookie's config is static)."""
    cookies = headers.getall("set-cookie", [])
    if not cookies:
        return
    app = scope.get("litestar_app")
    services = app.state.get("services") if app is not None else None
    if services is None or not cookie_secure(scope, services.settings):
        return
    marked = [c if "secure" in c.lower().replace(" ", "").split(";") else f"{c}; Secure" for c in cookies]
    del headers["set-cookie"]
    for cookie in marked:
        headers.add("set-cookie", cookie)
