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

Access = frozenset[Any]

POLICY: Final[dict[tuple[str, str], Access]] = {
    # the submitter's form and receipt
    ("GET", "/"): PUBLIC,
    ("POST", "/"): PUBLIC,
    # JSON API: public; it never reads the session cookie (see `middleware.py`)
    ("POST", "/api/submissions"): PUBLIC,
    ("GET", "/api/submissions/{reference}"): PUBLIC,
    ("GET", "/api/similar"): PUBLIC,
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
