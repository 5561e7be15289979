"""Access: staff accounts and roles, server-side sessions, CSRF, one route policy.

`access_config(services)` returns what `create_app` passes to Litestar, so the app factory needs
one line per piece and nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar.config.csrf import CSRFConfig
    from litestar.types import ControllerRouterHandler, ExceptionHandlersMap, Guard, Middleware

    from intake.web.state import AppServices

CSRF_COOKIE = "beredning_csrf"


@dataclass
class AccessConfig:
    """The Litestar pieces of access control."""

    route_handlers: list[ControllerRouterHandler]
    middleware: list[Middleware]
    guards: list[Guard]
    csrf_config: CSRFConfig
    exception_handlers: ExceptionHandlersMap = field(default_factory=dict)


def access_config(services: AppServices) -> AccessConfig:
    """Build the login pages, session middleware, guard and CSRF settings for the app."""
    from litestar.config.csrf import CSRFConfig
    from litestar.exceptions import PermissionDeniedException

    from intake.services.app_secrets import csrf_secret
    from intake.web.auth.limits import RateLimited, limit_requests, rate_limited_handler
    from intake.web.auth.middleware import SessionMiddleware
    from intake.web.auth.oidc import OidcPages
    from intake.web.auth.policy import LoginRequired, authorize
    from intake.web.auth.views import LoginPages, forbidden_handler, login_required_handler

    settings = services.settings.auth
    return AccessConfig(
        route_handlers=[LoginPages, OidcPages],
        middleware=[SessionMiddleware()],
        guards=[authorize, limit_requests],
        csrf_config=CSRFConfig(
            secret=csrf_secret(services.engine, settings),
            cookie_name=CSRF_COOKIE,
            cookie_httponly=True,
            cookie_samesite="lax",
            cookie_secure=bool(settings.cookie_secure),
            # the API never reads the session cookie, so a forged request gains nothing there
            exclude=["^/api/"],
        ),
        exception_handlers={
            LoginRequired: login_required_handler,
            RateLimited: rate_limited_handler,
            PermissionDeniedException: forbidden_handler,
        },
    )
