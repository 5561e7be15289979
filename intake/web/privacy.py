"""`/privacy`: staff answer requests for a register extract or for erasure.

Every request that names a person is a POST, so an address or a name never lands in a URL, the
browser's history or an access log. The handlers are thin: `intake.services.register` finds and
renders, `intake.services.erasure` previews and erases, as for `beredning privacy`. Erasure here
leaves Prefect's runs of the items to the next periodic tick of a job loop (a request has no
Prefect context); everything else is done before the answer.
"""

from __future__ import annotations

import json
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND

from intake.domain.retention import load_schedule
from intake.locale import N_
from intake.services import erasure, register
from intake.web.auth.views import language_template, page_language, request_actor
from intake.web.state import AppServices, Services


async def _posted(request: Request[Any, Any, Any]) -> tuple[Any, register.Subject | None]:
    """Return the form and the person it names (None when not exactly one field is filled in)."""
    form = await request.form()
    try:
        subject = register.Subject.of(
            email=str(form.get("email") or "") or None,
            name=str(form.get("name") or "") or None,
            reference=str(form.get("reference") or "") or None,
        )
    except register.SubjectError:
        return form, None
    return form, subject


def _unnamed(request: Request[Any, Any, Any], services: AppServices) -> Template:
    return _page(request, services, HTTP_400_BAD_REQUEST, problem=N_("Fyll i ett av fälten."))


def _page(
    request: Request[Any, Any, Any], services: AppServices, status_code: int = 200, **context: Any
) -> Template:
    lang = page_language(request, services.settings.default_language)
    values = {"subject": None, "plan": None, "nothing": False, "done": None, "problem": None}
    return language_template(request, lang, "privacy.html", values | context, status_code=status_code)


class PrivacyPages(Controller):
    """Staff only (the route policy): look a person up, show the extract, erase."""

    path = "/privacy"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def form(self, request: Request[Any, Any, Any], services: Services) -> Template:
        return _page(request, services)

    @post("/", status_code=200)
    async def find(self, request: Request[Any, Any, Any], services: Services) -> Template:
        _, subject = await _posted(request)
        if subject is None:
            return _unnamed(request, services)
        schedule = load_schedule(services.settings.retention_file)

        def look() -> Template:
            try:
                plan = erasure.preview(services.engine, subject, schedule)
            except erasure.NothingToErase:
                return _page(request, services, subject=subject, nothing=True)
            return _page(request, services, subject=subject, plan=plan)

        return await anyio.to_thread.run_sync(look)

    @post("/extract", status_code=200)
    async def extract(self, request: Request[Any, Any, Any], services: Services) -> Response[Any] | Template:
        form, subject = await _posted(request)
        if subject is None:
            return _unnamed(request, services)
        data = await anyio.to_thread.run_sync(lambda: register.extract(services.engine, subject))
        if not register.holds_anything(data):
            return _page(request, services, HTTP_404_NOT_FOUND, subject=subject, nothing=True)
        if form.get("format") == "json":
            return Response(
                json.dumps(data, ensure_ascii=False, indent=2),
                media_type="application/json",
                headers={
                    "Content-Disposition": 'attachment; filename="registerutdrag.json"',
                    "Cache-Control": "no-store",
                },
            )
        html = register.render_html(data, services.process.timezone)
        return Response(html, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store"})

    @post("/erase", status_code=200)
    async def erase(self, request: Request[Any, Any, Any], services: Services) -> Template:
        form, subject = await _posted(request)
        if subject is None:
            return _unnamed(request, services)
        reason = str(form.get("reason") or "").strip()
        if form.get("confirm") != "yes" or not reason:
            return _page(
                request,
                services,
                HTTP_400_BAD_REQUEST,
                subject=subject,
                problem=N_("Kryssa i rutan och skriv ett skäl innan du raderar."),
            )
        schedule = load_schedule(services.settings.retention_file)

        def run() -> Template:
            try:
                done = erasure.carry_out(
                    services.engine,
                    services.similarity,
                    services.settings,
                    subject,
                    schedule,
                    actor=request_actor(request, "staff"),
                    reason=reason,
                    prefect=False,
                )
            except erasure.NothingToErase:
                return _page(request, services, HTTP_404_NOT_FOUND, subject=subject, nothing=True)
            return _page(request, services, done=done)

        return await anyio.to_thread.run_sync(run)
