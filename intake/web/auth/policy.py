"""Who may use which route: one table, one guard, default deny.

Every route of the app must appear in `POLICY` by method and path template (as Litestar reports
it in `app.routes`). A route that is missing is refused to everyone, admins included, and the
authorization matrix test fails for it, so a new page cannot go live unprotected by accident.
"""

from __future__ import annotations

from typing import Any, Final

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from intake.domain.accounts import Role
from intake.services.auth_sessions import Principal
from intake.web.auth.middleware import api_client, api_key_refused

PUBLIC: Final = frozenset({"*"})
"""Anyone, not logged in included."""

STAFF: Final = frozenset({Role.DIGIT, Role.ADMIN})
FORUM_AND_STAFF: Final = frozenset({Role.DIGIT, Role.FORUM, Role.ADMIN})
ADMIN: Final = frozenset({Role.ADMIN})
LOGGED_IN: Final = frozenset(Role)
"""Anyone with an account, whatever the role (their own things only: the handler checks)."""

OPEN_API: Final = "open-api"
"""Granted to everyone while `intake.open_api` is on."""
SUBMIT_KEY: Final = frozenset({"key:submit", OPEN_API})
"""A machine with an API key of scope `submit` (anyone, while the JSON intake is open)."""
MAIL_KEY: Final = frozenset({"key:mail"})
"""A machine with an API key of scope `mail`: an upload makes the mail server answer its sender."""

Access = frozenset[Any]

POLICY: Final[dict[tuple[str, str], Access]] = {
    # the submitter's form and receipt
    ("GET", "/"): PUBLIC,
    ("POST", "/"): PUBLIC,
    # JSON API: it never reads the session cookie (see `middleware.py`); machines send API keys
    ("POST", "/api/submissions"): SUBMIT_KEY,
    ("GET", "/api/submissions/{reference}"): PUBLIC,
    ("GET", "/api/similar"): PUBLIC,
    ("POST", "/api/similar"): PUBLIC,  # the same, with the text in the body
    ("GET", "/api/portfolio"): PUBLIC,
    ("GET", "/api/portfolio/{nr}"): PUBLIC,
    # mail upload: a stored mail is acknowledged to its From address, so only a mail gateway's key
    ("POST", "/api/mail"): MAIL_KEY,
    ("GET", "/health"): PUBLIC,
    ("GET", "/static/{file_path}"): PUBLIC,
    # OpenAPI documentation (Litestar's schema routes)
    ("GET", "/schema"): PUBLIC,
    ("GET", "/schema/openapi.json"): PUBLIC,
    ("GET", "/schema/openapi.yaml"): PUBLIC,
    ("GET", "/schema/openapi.yml"): PUBLIC,
    ("GET", "/schema/swagger"): PUBLIC,
    ("GET", "/schema-assets/{file_path}"): PUBLIC,  # the viewer's script and styles
    ("GET", "/schema/oauth2-redirect.html"): PUBLIC,
    ("GET", "/schema/{path}"): PUBLIC,
    # logging in and out
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/login/oidc"): PUBLIC,  # 404 while OIDC is not configured
    ("GET", "/login/oidc/callback"): PUBLIC,
    # staff pages
    ("GET", "/review"): STAFF,
    # --- item page ---
    ("GET", "/review/items/{reference}"): STAFF,
    ("POST", "/review/items/{reference}/draft"): STAFF,
    ("POST", "/review/items/{reference}/questions"): STAFF,
    ("POST", "/review/items/{reference}/move"): STAFF,
    # --- end item page ---
    # --- duplicates and merge ---
    ("POST", "/review/items/{reference}/duplicates/{key}"): STAFF,
    ("POST", "/review/items/{reference}/unmerge"): STAFF,
    # --- end duplicates ---
    # --- follow by link: the token in the path is the credential ---
    ("GET", "/follow/{token}"): PUBLIC,  # the handler resolves the token: unknown -> 404
    ("GET", "/follow/{token}/answers"): PUBLIC,  # back to the page (a language switch after an error)
    ("POST", "/follow/{token}/answers"): PUBLIC,
    # a logged-in person's own submissions, each opened through a fresh follow link
    ("GET", "/mine"): LOGGED_IN,
    ("POST", "/mine/{reference}"): LOGGED_IN,
    # --- end follow ---
    # --- portfolio pages ---
    # the portfolio is public data: submitters look for an initiative to join before filing a new one
    ("GET", "/portfolio"): PUBLIC,
    ("GET", "/portfolio/{nr}"): PUBLIC,  # staff also see who flagged it (checked in the handler)
    ("GET", "/portfolio/export"): STAFF,
    ("GET", "/portfolio/import"): STAFF,
    ("POST", "/portfolio/import"): STAFF,
    # --- end portfolio ---
    # --- forum pages ---
    ("GET", "/forums"): FORUM_AND_STAFF,
    ("GET", "/forums/{forum}"): FORUM_AND_STAFF,
    ("GET", "/forums/{forum}/agenda.pdf"): FORUM_AND_STAFF,
    ("GET", "/forums/{forum}/items/{reference}"): FORUM_AND_STAFF,  # masked, as the agenda
    ("POST", "/forums/{forum}/items/{reference}/decision"): FORUM_AND_STAFF,
    # --- end forums ---
    # API keys for other systems
    ("GET", "/admin/apikeys"): ADMIN,
    ("POST", "/admin/apikeys"): ADMIN,
    ("POST", "/admin/apikeys/{prefix}/revoke"): ADMIN,
    # personal data: register extracts and erasure (a person is named in the form, never the URL)
    ("GET", "/privacy"): STAFF,
    ("POST", "/privacy"): STAFF,
    ("POST", "/privacy/extract"): STAFF,
    ("POST", "/privacy/erase"): STAFF,
    # the glossary matching uses
    ("GET", "/glossary"): STAFF,
    ("POST", "/glossary"): STAFF,
}


class LoginRequired(NotAuthorizedException):
    """Raised for a route that needs a login when nobody is logged in: pages redirect to the login page."""


class KeyRequired(NotAuthorizedException):
    """Raised for an API route that needs a key when none (or a bad one) came: 401 with the reason."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail=detail, headers={"WWW-Authenticate": 'Bearer realm="beredning"'})


def allowed(access: Access | None, principal: Principal | None, grants: frozenset[str] = frozenset()) -> bool:
    """Tell whether `principal` (None: not logged in) or `grants` (key scopes) pass `access` (None: deny)."""
    if access is None:
        return False
    if access is PUBLIC:
        return True
    if access & grants:
        return True
    return principal is not None and principal.role in access


def _wants_key(access: Access) -> bool:
    return any(isinstance(a, str) and a.startswith("key:") for a in access)


def _grants(connection: ASGIConnection[Any, Any, Any, Any]) -> frozenset[str]:
    client = api_client(connection.scope)
    grants = {f"key:{scope}" for scope in client.scopes} if client else set()
    if connection.app.state["services"].settings.intake.open_api:
        grants.add(OPEN_API)
    return frozenset(grants)


def _key_refusal(connection: ASGIConnection[Any, Any, Any, Any], access: Access) -> Exception:
    scopes = sorted(a.removeprefix("key:") for a in access if isinstance(a, str) and a.startswith("key:"))
    wanted = " or ".join(f"`{s}`" for s in scopes)
    if api_client(connection.scope) is None:
        return KeyRequired(
            f"this route needs an API key with the {wanted} scope: send `Authorization: Bearer <key>`"
        )
    return PermissionDeniedException(f"the API key lacks the {wanted} scope")


def access_for(method: str, path_template: str) -> Access | None:
    """Return the access rule for a route, or None when the route has none."""
    method = "GET" if method == "HEAD" else method
    return POLICY.get((method, path_template))


def authorize(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """The app-wide guard: apply `POLICY` to the route being called."""
    method = str(connection.scope.get("method", "GET"))
    if method == "OPTIONS":
        return  # Litestar's automatic OPTIONS answer carries no data
    access = access_for(method, connection.scope.get("path_template", ""))
    principal: Principal | None = connection.scope.get("user")
    by_key = access is not None and access is not PUBLIC and _wants_key(access)
    if by_key and api_key_refused(connection.scope):  # a bad key is refused even where none is needed
        raise KeyRequired("the API key is unknown or revoked")
    if allowed(access, principal, _grants(connection) if by_key else frozenset()):
        return
    if by_key:
        assert access is not None
        raise _key_refusal(connection, access)
    if access is not None and principal is None:
        raise LoginRequired("log in to use this page")
    raise PermissionDeniedException("your role may not use this page")


def require_role(principal: Principal | None, access: Access) -> None:
    """Object-level check for handlers: raise unless `principal` passes `access`."""
    if not allowed(access, principal):
        if principal is None:
            raise LoginRequired("log in to use this page")
        raise PermissionDeniedException("your role may not see this")
