"""`/glossary`: staff read and edit the glossary matching uses (`intake.services.glossary`).

The page lists the entries and offers the whole file as text to edit: an edit that is not a
valid glossary is refused with the reason and the text kept in the form, so nothing typed is lost.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Controller, Request, get, post
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from intake.domain.glossary import GlossaryFileError
from intake.services import glossary
from intake.web.auth.views import language_template, page_language, request_actor
from intake.web.state import AppServices, Services


def _page(
    request: Request[Any, Any, Any],
    services: AppServices,
    *,
    text: str | None = None,
    problem: str | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> Template:
    lang = page_language(request, services.settings.default_language)
    try:
        current = glossary.in_force(services.settings)
        entries, source, raw = current.glossary.terms, current.source, current.text
    except GlossaryFileError as exc:  # a broken file in force: show why, and let staff repair it
        source, raw = glossary.source_text(services.settings)
        entries, problem = [], problem or str(exc)
    context = {
        "entries": entries,
        "source": source,
        "editable": services.settings.glossary_file is None,
        "text": raw if text is None else text,
        "problem": problem,
        "saved": saved,
    }
    return language_template(request, lang, "glossary.html", context, status_code=status_code)


class GlossaryPages(Controller):
    """Staff only (the route policy): read and edit the glossary."""

    path = "/glossary"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def show(self, request: Request[Any, Any, Any], services: Services) -> Template:
        return _page(request, services)

    @post("/", status_code=200)
    async def save(self, request: Request[Any, Any, Any], services: Services) -> Template:
        form = await request.form()
        text = str(form.get("glossary") or "")
        actor = request_actor(request, "staff")

        def run() -> Template:
            try:
                glossary.save(services.settings, services.engine, text, actor=actor)
            except glossary.GlossaryNotEditable as exc:
                return _page(request, services, problem=str(exc), status_code=HTTP_409_CONFLICT)
            except GlossaryFileError as exc:
                return _page(request, services, text=text, problem=str(exc), status_code=HTTP_400_BAD_REQUEST)
            return _page(request, services, saved=True)

        return await anyio.to_thread.run_sync(run)
