"""Rate limits on the routes that cost something: intake, similar-items, mail upload and login.

One table says which route counts in which bucket; the guard counts the request in SQL (shared by
every process) under the API key that came with it, or else the client's network as seen through
the trusted proxies. Past the limit the answer is 429 with `Retry-After` and a Swedish and English
reason: JSON for the API, a page in the visitor's language for the forms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import anyio.to_thread
from litestar import Request, Response
from litestar.exceptions import TooManyRequestsException
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS

from intake.locale import N_
from intake.services import ratelimit
from intake.web.auth.middleware import API_PREFIX, api_client
from intake.web.client import client_network

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler

    from intake.settings import Settings

BUCKETS: Final[dict[tuple[str, str], str]] = {
    ("POST", "/"): "submit",
    ("POST", "/api/submissions"): "submit",
    ("POST", "/api/mail"): "submit",
    ("GET", "/api/similar"): "similar",
    ("POST", "/api/similar"): "similar",
    ("POST", "/login"): "login",
}
"""Route (method, path template) -> bucket. The form and the JSON intake share one budget."""


class RateLimited(TooManyRequestsException):
    """A client went past a limit; `seconds` until it may try again."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        super().__init__(
            detail=(
                f"För många förfrågningar; försök igen om {seconds} s. / "
                f"Too many requests; try again in {seconds} s."
            ),
            headers={"Retry-After": str(seconds)},
        )


def limit_for(bucket: str, settings: Settings, by_key: bool) -> ratelimit.Limit:
    """Return the limit of `bucket` for a client counted by key or by address."""
    limits = settings.limits
    if bucket == "similar":
        count = limits.similar_per_minute * (10 if by_key else 1)
        return ratelimit.Limit(bucket, count, 60)
    if bucket == "login":
        return ratelimit.Limit(bucket, limits.logins_per_window, settings.auth.login_window_seconds)
    count = limits.key_submissions if by_key else limits.submissions
    return ratelimit.Limit(bucket, count, limits.submission_window_seconds)


async def limit_requests(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """The app-wide guard after `authorize`: count the request, refuse it past its limit."""
    method = str(connection.scope.get("method", "GET"))
    bucket = BUCKETS.get((method, connection.scope.get("path_template", "")))
    if bucket is None:
        return
    services = connection.app.state["services"]
    settings: Settings = services.settings
    client = api_client(connection.scope)
    if client is not None:
        who = f"key:{client.prefix}"
    else:
        who = client_network(dict(connection.scope), settings.server.trusted_proxies)
    limit = limit_for(bucket, settings, client is not None)
    wait = await anyio.to_thread.run_sync(ratelimit.hit, services.engine, limit, who)
    if wait:
        raise RateLimited(wait)


def rate_limited_handler(request: Request[Any, Any, Any], exc: RateLimited) -> Response[Any]:
    """429 with `Retry-After`: JSON for the API and scripts, a page for a person at a form."""
    from intake.web.auth.views import render

    headers = {"Retry-After": str(exc.seconds)}
    if request.url.path.startswith(API_PREFIX) or "text/html" not in request.headers.get("accept", ""):
        body = {"status_code": HTTP_429_TOO_MANY_REQUESTS, "detail": exc.detail, "retry_after": exc.seconds}
        return Response(body, status_code=HTTP_429_TOO_MANY_REQUESTS, headers=headers)
    services = request.app.state["services"]
    page = {
        "heading": N_("För många försök just nu"),
        "text": N_(
            "Vi har tagit emot många förfrågningar från din adress. Vänta {seconds} sekunder och försök "
            "igen; det du skrev finns kvar om du går tillbaka."
        ),
        "seconds": exc.seconds,
    }
    template = render(request, services, "too_many.html", page, HTTP_429_TOO_MANY_REQUESTS)
    template.headers.update(headers)
    return template
