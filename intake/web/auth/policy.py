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

from intake.models import Role
from intake.web.auth.sessions import Principal

PUBLIC: Final = frozenset({"*"})
"""Anyone, not logged in included."""

STAFF: Final = frozenset({Role.DIGIT, Role.ADMIN})
FORUM_AND_STAFF: Final = frozenset({Role.DIGIT, Role.FORUM, Role.ADMIN})
ADMIN: Final = frozenset({Role.ADMIN})
LOGGED_IN: Final = frozenset(Role)
"""Anyone with an account, whatever the role (their own things only: the handler checks)."""

Access = frozenset[Any]

POLICY: Final[dict[tuple[str, str], Access]] = {
    # the submitter's form and receipt
    ("GET", "/"): PUBLIC,
    ("POST", "/"): PUBLIC,
    # JSON API: public; it never reads the session cookie (see `middleware.py`)
    ("POST", "/api/submissions"): PUBLIC,
    ("GET", "/api/submissions/{reference}"): PUBLIC,
    ("GET", "/api/similar"): PUBLIC,
    ("POST", "/api/similar"): PUBLIC,  # the same, with the text in the body
    ("GET", "/api/portfolio"): PUBLIC,
    ("GET", "/api/portfolio/{nr}"): PUBLIC,
    # mail upload (issue 6): public like the submissions API for now. It acknowledges to the mail's
    # From address, so it should become staff-only once the API has its own credentials.
    ("POST", "/api/mail"): PUBLIC,
    ("GET", "/health"): PUBLIC,
    ("GET", "/static/{file_path}"): PUBLIC,
    # OpenAPI documentation (Litestar's schema routes)
    ("GET", "/schema"): PUBLIC,
    ("GET", "/schema/openapi.json"): PUBLIC,
    ("GET", "/schema/openapi.yaml"): PUBLIC,
    ("GET", "/schema/openapi.yml"): PUBLIC,
    ("GET", "/schema/swagger"): PUBLIC,
    ("GET", "/schema/redoc"): PUBLIC,
    ("GET", "/schema/rapidoc"): PUBLIC,
    ("GET", "/schema/elements"): PUBLIC,
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
    # --- item page (issue 7, item) ---
    ("GET", "/review/items/{reference}"): STAFF,
    ("POST", "/review/items/{reference}/draft"): STAFF,
    ("POST", "/review/items/{reference}/questions"): STAFF,
    ("POST", "/review/items/{reference}/move"): STAFF,
    # --- end item page ---
    # --- duplicates and merge (issue 7, duplicates) ---
    ("POST", "/review/items/{reference}/duplicates/{key}"): STAFF,
    ("POST", "/review/items/{reference}/unmerge"): STAFF,
    # --- end duplicates ---
    # --- follow by link (issue 7, follow): the token in the path is the credential ---
    ("GET", "/follow/{token}"): PUBLIC,  # the handler resolves the token: unknown -> 404
    ("GET", "/follow/{token}/answers"): PUBLIC,  # back to the page (a language switch after an error)
    ("POST", "/follow/{token}/answers"): PUBLIC,
    # a logged-in person's own submissions, each opened through a fresh follow link
    ("GET", "/mine"): LOGGED_IN,
    ("POST", "/mine/{reference}"): LOGGED_IN,
    # --- end follow ---
    # --- portfolio pages (issue 7, portfolio) ---
    # the portfolio is public data: submitters look for an initiative to join before filing a new one
    ("GET", "/portfolio"): PUBLIC,
    ("GET", "/portfolio/{nr}"): PUBLIC,  # staff also see who flagged it (checked in the handler)
    ("GET", "/portfolio/export"): STAFF,
    ("GET", "/portfolio/import"): STAFF,
    ("POST", "/portfolio/import"): STAFF,
    # --- end portfolio ---
    # --- forum pages (issue 7, forums) ---
    ("GET", "/forums"): FORUM_AND_STAFF,
    ("GET", "/forums/{forum}"): FORUM_AND_STAFF,
    ("GET", "/forums/{forum}/agenda.pdf"): FORUM_AND_STAFF,
    ("POST", "/forums/{forum}/items/{reference}/decision"): FORUM_AND_STAFF,
    # --- end forums ---
}


class LoginRequired(NotAuthorizedException):
    """Raised for a route that needs a login when nobody is logged in: pages redirect to the login page."""


def allowed(access: Access | None, principal: Principal | None) -> bool:
    """Tell whether `principal` (None: not logged in) passes `access` (None: no policy, deny)."""
    if access is None:
        return False
    if access is PUBLIC:
        return True
    return principal is not None and principal.role in access


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
    if allowed(access, principal):
        return
    if access is not None and principal is None:
        raise LoginRequired("log in to use this page")
    raise PermissionDeniedException("your role may not use this page")


def require_role(principal: Principal | None, access: Access) -> None:
    """Object-level check for handlers: raise unless `principal` passes `access`."""
    if not allowed(access, principal):
        if principal is None:
            raise LoginRequired("log in to use this page")
        raise PermissionDeniedException("your role may not see this")
