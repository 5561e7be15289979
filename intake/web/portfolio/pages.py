"""`/portfolio`: browse, search and open the common portfolio; staff export and import it.

The list and the item pages are public: submitters look here for an initiative to join before they
file a new one. Export and import are for DigIT staff. The handlers stay thin: searching,
importing and the duplicate look-up are `intake.services.portfolio`.
"""

from __future__ import annotations

import io
import logging
import tempfile
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from intake.domain.process import ProcessDefinition
from intake.locale import N_
from intake.portfolio import write_csv, write_xlsx
from intake.services import portfolio as service
from intake.services import portfolio_upload as upload_service
from intake.services.auth_sessions import Principal
from intake.services.review_queue import active_places
from intake.services.similarity import SimilarityUnavailable
from intake.services.storage import StorageConflict
from intake.web.auth.policy import STAFF, allowed, require_role
from intake.web.auth.views import language_template, page_language
from intake.web.portfolio.view import ItemView, ListPage, UploadError, item_url, item_view
from intake.web.state import AppServices, Services
from retrieval import EmbeddingError, IndexUnavailable

log = logging.getLogger(__name__)

PAGE_SIZE = 25
MAX_SEARCH = 200
"""Characters of a search that count; the box allows as many."""
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
"""Largest portfolio file accepted (a few thousand rows as XLSX); the app's limit is for forms."""

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_REFUSED_STATUS = {
    "type": HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    "empty": HTTP_400_BAD_REQUEST,
    "unreadable": HTTP_422_UNPROCESSABLE_ENTITY,
}

_UPLOAD_TEXTS: dict[str, str] = {
    "heading": N_("Ladda upp en fil"),
    "error_heading": N_("Filen kunde inte importeras"),
    "missing": N_("Välj en fil att importera."),
    "type": N_("Filen är varken CSV eller Excel (.xlsx). Spara den i något av de formaten och försök igen."),
    "empty": N_("Filen är tom eller har inga rader med initiativ."),
    "unreadable": N_("Filen gick inte att läsa som en portfölj. Inget har sparats."),
    "too_large": N_("Filen är för stor. Den får vara högst {size} MB."),
    "bad_form": N_("Formuläret kunde inte läsas. Ladda om sidan och försök igen."),
    "detail": N_("Detaljer"),
    "conflict": N_("Någon annan ändrade portföljen samtidigt, så inget har sparats. Försök igen."),
}
"""What the import page says about each refused upload."""


def _render(
    request: Request[Any, Any, Any],
    services: AppServices,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
    **kwargs: Any,
) -> Template:
    """Render a portfolio template in the visitor's language."""
    lang = page_language(request, services.settings.default_language)
    return language_template(
        request,
        lang,
        name,
        {
            "staff": allowed(STAFF, request.scope.get("user")),
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
            "item_url": item_url,
            **context,
        },
        status_code=status_code,
        **kwargs,
    )


def _labels(process: ProcessDefinition, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """Focus area and step names by key, in `lang`; a step is named by its portfolio board column."""
    focus = {a.key: a.name.get(lang) for a in process.focus_areas}
    steps = {s.key: s.board_column.get(lang) for s in process.steps}
    return focus, steps


def _year(value: str) -> int | None:
    """The year filter's value, or None for "all" and anything that is not a year."""
    text = value.strip()
    return int(text) if text.isdigit() and len(text) == 4 else None


def _upload_error(
    request: Request[Any, Any, Any], services: AppServices, error: UploadError, status_code: int
) -> Template:
    return _render(request, services, "portfolio/import.html", {"error": error}, status_code)


def _too_large(request: Request[Any, Any, Any], _exc: RequestEntityTooLarge) -> Response[Any]:
    """A file over `MAX_UPLOAD_BYTES`: the import page with the reason, not a bare 413."""
    services: AppServices = request.app.state["services"]
    return _upload_error(
        request, services, UploadError(_UPLOAD_TEXTS["too_large"]), HTTP_413_REQUEST_ENTITY_TOO_LARGE
    )


async def _sync_index(services: AppServices) -> None:
    """Bring the similarity index up to date after an import, so suggestions include the changes."""
    if services.model.state != "ready":
        return  # the warm-up (or its retry loop) syncs everything once the model is there
    try:
        await anyio.to_thread.run_sync(services.similarity.sync)
    except (SimilarityUnavailable, EmbeddingError, IndexUnavailable) as exc:
        log.warning("search index not updated after the portfolio import: %s", exc)


def _export_bytes(services: AppServices, fmt: str) -> bytes:
    items = service.export_items(services.engine)
    if fmt == "xlsx":
        with tempfile.TemporaryDirectory(prefix="beredning-export-") as folder:
            path = Path(folder) / "portfolj.xlsx"
            write_xlsx(items, path, services.process)
            return path.read_bytes()
    stream = io.BytesIO()
    write_csv(items, stream, services.process)  # UTF-8 with BOM: Excel opens it right
    return stream.getvalue()


class PortfolioPages(Controller):
    """The portfolio's pages."""

    path = "/portfolio"
    include_in_schema = False

    @get("/")
    async def list_page(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        q: FromQuery[str] = "",
        focus: FromQuery[str] = "",
        year: FromQuery[str] = "",
        sort: FromQuery[str] = "nr",
        page: FromQuery[str] = "1",
    ) -> Template:
        # Hand-edited URLs get the nearest sensible list rather than an error: this page is public.
        number = min(int(page), 100_000) if page.isdigit() and int(page) > 0 else 1
        process = services.process
        lang = page_language(request, services.settings.default_language)
        focus_names, step_names = _labels(process, lang)
        chosen = service.PortfolioQuery(
            search=" ".join(q[:MAX_SEARCH].split()),
            focus_area=focus if focus in focus_names or focus == service.NO_FOCUS else "",
            year=_year(year),
            sort=sort if sort in service.SORTS else "nr",
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
        found = await anyio.to_thread.run_sync(service.browse, services.engine, chosen)
        if not found.items and found.total and number > 1:
            # a page past the end (fewer matches since the link was made): show the last one
            last = -(-found.total // PAGE_SIZE)
            chosen = replace(chosen, offset=(last - 1) * PAGE_SIZE)
            found = await anyio.to_thread.run_sync(service.browse, services.engine, chosen)
        view = ListPage(
            chosen=chosen,
            found=found,
            page_size=PAGE_SIZE,
            lang=lang,
            focus_names=focus_names,
            step_names=step_names,
        )
        headers = request.headers
        partial_swap = (
            headers.get("hx-request") == "true"
            and headers.get("hx-target") == "results"
            and not headers.get("hx-history-restore-request")
        )
        return _render(
            request,
            services,
            "portfolio/_results.html" if partial_swap else "portfolio/list.html",
            {"page": view, "partial": partial_swap, "sorts": service.SORTS, "no_focus": service.NO_FOCUS},
            # the same URL answers a fragment or a page: caches must keep them apart
            headers={"Vary": "HX-Request, HX-Target"},
        )

    @get("/{nr:str}")
    async def item_page(
        self, request: Request[Any, Any, Any], services: Services, nr: FromPath[str]
    ) -> Template:
        principal: Principal | None = request.scope.get("user")
        lang = page_language(request, services.settings.default_language)
        item = await anyio.to_thread.run_sync(service.get_item, services.engine, nr)
        if item is None:
            return _render(request, services, "portfolio/not_found.html", {"nr": nr}, HTTP_404_NOT_FOUND)
        # Object rule: who flagged the item is staff business (submissions are not public).
        staff = allowed(STAFF, principal)
        flagged: list[service.FlaggedBy] = []
        if staff:
            steps = active_places(services.process)
            flagged = await anyio.to_thread.run_sync(service.flagged_by, services.engine, item.nr, steps)
        focus_names, step_names = _labels(services.process, lang)
        view: ItemView = item_view(item, lang, focus_names, step_names)
        place_names = {s.key: s.name.get(lang) for s in services.process.steps}
        return _render(
            request,
            services,
            "portfolio/item.html",
            {"item": view, "flagged": flagged, "place_names": place_names},
        )

    @get("/export")
    async def export(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        fmt: Annotated[str, QueryParameter(name="format")] = "csv",
    ) -> Response[Any]:
        require_role(request.scope.get("user"), STAFF)
        if fmt not in MEDIA_TYPES:
            page = {
                "heading": N_("Okänt format"),
                "text": N_("Portföljen kan laddas ned som CSV eller Excel (format=csv eller format=xlsx)."),
            }
            return _render(request, services, "portfolio/error.html", {"page": page}, HTTP_400_BAD_REQUEST)
        data = await anyio.to_thread.run_sync(_export_bytes, services, fmt)
        today = datetime.now(ZoneInfo(services.process.timezone)).date().isoformat()
        return Response(
            content=data,
            media_type=MEDIA_TYPES[fmt],
            headers={
                "Content-Disposition": f'attachment; filename="portfolj-{today}.{fmt}"',
                "Cache-Control": "no-store",
            },
        )

    @get("/import")
    async def import_form(self, request: Request[Any, Any, Any], services: Services) -> Template:
        require_role(request.scope.get("user"), STAFF)
        return _render(request, services, "portfolio/import.html", {})

    @post(
        "/import",
        status_code=200,
        request_max_body_size=MAX_UPLOAD_BYTES,
        exception_handlers={RequestEntityTooLarge: _too_large},
    )
    async def import_file(self, request: Request[Any, Any, Any], services: Services) -> Template:
        principal: Principal | None = request.scope.get("user")
        require_role(principal, STAFF)
        assert principal is not None
        try:
            form = await request.form()
        except ClientException:
            return _upload_error(
                request, services, UploadError(_UPLOAD_TEXTS["bad_form"]), HTTP_400_BAD_REQUEST
            )
        upload = form.get("file")
        dry_run = form.get("dry_run") in ("1", "on", "true")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _upload_error(
                request, services, UploadError(_UPLOAD_TEXTS["missing"]), HTTP_400_BAD_REQUEST
            )
        data = await upload.read()
        run = partial(
            upload_service.import_upload,
            services.engine,
            upload.filename,
            data,
            services.process,
            actor=principal.email,
            dry_run=dry_run,
        )
        try:
            outcome = await anyio.to_thread.run_sync(run)
        except upload_service.UploadRefused as exc:
            error = UploadError(_UPLOAD_TEXTS[exc.kind], detail=exc.detail)
            return _upload_error(
                request, services, error, _REFUSED_STATUS.get(exc.kind, HTTP_400_BAD_REQUEST)
            )
        except StorageConflict:
            # another import added the same Nr meanwhile; the transaction rolled back whole
            return _upload_error(request, services, UploadError(_UPLOAD_TEXTS["conflict"]), HTTP_409_CONFLICT)
        report = outcome.report
        changed = not report.dry_run and (report.created or report.updated)
        return _render(
            request,
            services,
            "portfolio/import.html",
            {"outcome": outcome},
            HTTP_422_UNPROCESSABLE_ENTITY if outcome.refused else 200,
            background=BackgroundTask(_sync_index, services) if changed else None,
        )
