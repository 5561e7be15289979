"""`/admin/apikeys`: an admin makes, lists and revokes the keys other systems use for the JSON API.

A new key is shown once, on the page that answers the form, and never again (only its hash is
kept). The handlers are thin: `intake.services.apikeys` holds the rules, as for the CLI.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND

from intake.services import apikeys
from intake.web.auth.views import language_template, page_language, request_actor
from intake.web.state import AppServices, Services


def _page(
    request: Request[Any, Any, Any],
    services: AppServices,
    *,
    created: apikeys.NewKey | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Template:
    lang = page_language(request, services.settings.default_language)
    keys = apikeys.listed(services.engine)
    context = {"keys": keys, "scopes": apikeys.SCOPES, "created": created, "problem": problem}
    return language_template(request, lang, "admin/apikeys.html", context, status_code=status_code)


class ApiKeyPages(Controller):
    """Admin only (the route policy): list, add and revoke API keys."""

    path = "/admin/apikeys"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def list_keys(self, request: Request[Any, Any, Any], services: Services) -> Template:
        return _page(request, services)

    @post("/", status_code=200)
    async def add_key(self, request: Request[Any, Any, Any], services: Services) -> Template:
        form = await request.form()
        name = str(form.get("name") or "")
        scopes = [str(s) for s in form.getall("scope", [])]
        try:
            made = await anyio.to_thread.run_sync(
                lambda: apikeys.add(services.engine, name, scopes, created_by=request_actor(request, "admin"))
            )
        except apikeys.ApiKeyProblem as exc:
            problem = str(exc)
            return await anyio.to_thread.run_sync(
                lambda: _page(request, services, problem=problem, status_code=HTTP_400_BAD_REQUEST)
            )
        return await anyio.to_thread.run_sync(lambda: _page(request, services, created=made))

    @post("/{prefix:str}/revoke", status_code=HTTP_303_SEE_OTHER)
    async def revoke_key(
        self, request: Request[Any, Any, Any], services: Services, prefix: FromPath[str]
    ) -> Redirect | Template:
        try:
            await anyio.to_thread.run_sync(
                lambda: apikeys.revoke(services.engine, prefix, by=request_actor(request, "admin"))
            )
        except apikeys.ApiKeyProblem as exc:
            problem = str(exc)
            return await anyio.to_thread.run_sync(
                lambda: _page(request, services, problem=problem, status_code=HTTP_404_NOT_FOUND)
            )
        return Redirect("/admin/apikeys", status_code=HTTP_303_SEE_OTHER)
