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
from intake.web.auth.views import language_template, page_texts, request_actor
from intake.web.state import AppServices, Services

SV: dict[str, str] = {
    "apikeys_heading": "API-nycklar",
    "apikeys_intro": (
        "Andra system använder JSON-API:t med en nyckel. Scopet avgör vad nyckeln får göra: submit "
        "(skicka in idéer), mail (ladda upp e-post) och read (se matchningar i sin helhet)."
    ),
    "apikeys_none": "Inga nycklar ännu.",
    "apikeys_new_heading": "Ny nyckel",
    "apikeys_name": "Namn (vilket system använder nyckeln)",
    "apikeys_scopes": "Scope",
    "apikeys_add": "Skapa nyckel",
    "apikeys_created": "Nyckeln är skapad. Kopiera den nu: den visas aldrig igen.",
    "apikeys_col_prefix": "Prefix",
    "apikeys_col_name": "Namn",
    "apikeys_col_scopes": "Scope",
    "apikeys_col_last": "Senast använd",
    "apikeys_col_state": "Status",
    "apikeys_active": "Aktiv",
    "apikeys_revoked": "Återkallad",
    "apikeys_revoke": "Återkalla",
    "apikeys_never": "Aldrig",
    "apikeys_problem": "Nyckeln kunde inte skapas",
}
EN: dict[str, str] = {
    "apikeys_heading": "API keys",
    "apikeys_intro": (
        "Other systems use the JSON API with a key. The scope decides what the key may do: submit "
        "(send in ideas), mail (upload e-mail) and read (see matches in full)."
    ),
    "apikeys_none": "No keys yet.",
    "apikeys_new_heading": "New key",
    "apikeys_name": "Name (which system uses the key)",
    "apikeys_scopes": "Scopes",
    "apikeys_add": "Create key",
    "apikeys_created": "The key is created. Copy it now: it is never shown again.",
    "apikeys_col_prefix": "Prefix",
    "apikeys_col_name": "Name",
    "apikeys_col_scopes": "Scopes",
    "apikeys_col_last": "Last used",
    "apikeys_col_state": "State",
    "apikeys_active": "Active",
    "apikeys_revoked": "Revoked",
    "apikeys_revoke": "Revoke",
    "apikeys_never": "Never",
    "apikeys_problem": "The key could not be created",
}
CATALOGUES = {"sv": SV, "en": EN}


def _page(
    request: Request[Any, Any, Any],
    services: AppServices,
    *,
    created: apikeys.NewKey | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Template:
    lang, t = page_texts(request, services, CATALOGUES)
    keys = apikeys.listed(services.engine)
    context = {"t": t, "keys": keys, "scopes": apikeys.SCOPES, "created": created, "problem": problem}
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
