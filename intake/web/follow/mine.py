"""`/mine`: a logged-in person's own submissions, each opened through its follow page.

Submitters need no account: the link they are sent is enough. Someone who does log in (an
employee through Entra ID, with the `submitter` role or any other) gets the list of what they sent
from their address, and opens one through a fresh follow link, so there is one page per submission
for both ways in. A reference that is not theirs answers exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_404_NOT_FOUND

from intake.services import follow
from intake.services.auth_sessions import Principal
from intake.web.auth.policy import LOGGED_IN, require_role
from intake.web.auth.views import language_template, page_language
from intake.web.follow.pages import PRIVATE_HEADERS, place_name, short_day
from intake.web.state import Services


@dataclass(frozen=True)
class MineRow:
    """One of the person's submissions, as the list shows it."""

    reference: str
    title: str | None
    received: str
    step_name: str


def _principal(request: Request[Any, Any, Any]) -> Principal:
    principal: Principal | None = request.scope.get("user")
    require_role(principal, LOGGED_IN)  # the object rule: the list is the caller's own
    assert principal is not None
    return principal


class MinePages(Controller):
    """The list of one's own submissions, and the way into each one's follow page."""

    path = "/mine"
    include_in_schema = False

    @get("/")
    async def mine(self, request: Request[Any, Any, Any], services: Services) -> Template:
        principal = _principal(request)
        lang = page_language(request, services.settings.default_language)
        found = await anyio.to_thread.run_sync(follow.submissions_of, services.engine, principal.email)
        process = services.process
        rows = [
            MineRow(
                s.reference, s.title, short_day(s.received_at, process), place_name(process, s.step, lang)
            )
            for s in found
        ]
        return language_template(
            request,
            lang,
            "follow/mine.html",
            {
                "rows": rows,
                "email": principal.email,
                "limit": follow.MINE_LIMIT,
            },
            headers=PRIVATE_HEADERS,
        )

    @post("/{reference:str}", status_code=HTTP_303_SEE_OTHER)
    async def open_one(
        self, request: Request[Any, Any, Any], services: Services, reference: FromPath[str]
    ) -> Response[Any]:
        """Make a follow link for one of the caller's submissions and go there."""
        principal = _principal(request)
        token = await anyio.to_thread.run_sync(
            lambda: follow.issue_for_owner(services.engine, reference, principal.email, actor=principal.email)
        )
        if token is None:
            lang = page_language(request, services.settings.default_language)
            return Template(
                template_name="follow/not_found.html",
                context={"page": None, "lang": lang},
                status_code=HTTP_404_NOT_FOUND,
                headers=PRIVATE_HEADERS,
            )
        return Redirect(follow.follow_path(token), status_code=HTTP_303_SEE_OTHER, headers=PRIVATE_HEADERS)
