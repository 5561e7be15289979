"""The Litestar application factory. Nothing is created at import time."""

from __future__ import annotations

import importlib.util
from importlib import resources
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY, HTTP_503_SERVICE_UNAVAILABLE
from litestar.template.config import TemplateConfig

from intake.domain.process import load_process
from intake.domain.retention import load_schedule
from intake.domain.submission import SubmissionInvalid
from intake.locale import install
from intake.services.drafting import drafting_from_settings
from intake.services.similarity import SimilarityService
from intake.services.storage import DatabaseUnavailable, close_engine, open_engine
from intake.settings import Settings
from intake.web.admin import ApiKeyPages
from intake.web.api import (
    PortfolioController,
    SimilarController,
    SubmissionController,
    health,
)
from intake.web.auth import access_config
from intake.web.background import BackgroundWork, JobFlows
from intake.web.follow.mine import MinePages
from intake.web.follow.pages import FollowPages
from intake.web.forums import ForumPages
from intake.web.glossary import GlossaryPages
from intake.web.mail_api import MailController
from intake.web.pages import IntakePages
from intake.web.portfolio import PortfolioPages
from intake.web.privacy import PrivacyPages
from intake.web.review.duplicate_actions import DuplicateActions
from intake.web.review.item import ItemPages
from intake.web.review.pages import ReviewPages
from intake.web.security_headers import add_security_headers
from intake.web.state import AppServices


def build_services(settings: Settings) -> AppServices:
    """Open the database (creating a fresh schema if empty) and set up similarity search."""
    engine = open_engine(settings, ensure_schema=True)
    process = load_process(settings.process_file)
    load_schedule(settings.retention_file)  # a broken retention file stops the start, not a request
    return AppServices(
        settings=settings,
        engine=engine,
        similarity=SimilarityService.from_settings(settings, engine),
        process=process,
        drafting=drafting_from_settings(settings, engine, process),
    )


def _invalid_submission(_: Request[Any, Any, Any], exc: SubmissionInvalid) -> Response[Any]:
    return Response(
        {
            "status_code": HTTP_422_UNPROCESSABLE_ENTITY,
            "detail": "The submission was not accepted: " + str(exc),
            "errors": [{"field": p.field, "message": p.en, "message_sv": p.sv} for p in exc.problems],
        },
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
    )


def _database_unavailable(_: Request[Any, Any, Any], exc: DatabaseUnavailable) -> Response[Any]:
    return Response(
        {"status_code": HTTP_503_SERVICE_UNAVAILABLE, "detail": "The database is unavailable; try again."},
        status_code=HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "10"},
    )


def _install_gettext(engine: JinjaTemplateEngine) -> None:
    """Give the pages gettext functions that follow each render's `lang` (one environment for both)."""
    install(engine.engine)


SCHEMA_ASSETS = "/schema-assets"
"""Where the OpenAPI viewer's script and styles are served from (the `swagger-ui-py` package)."""


def create_app(
    settings: Settings | None = None,
    *,
    services: AppServices | None = None,
    job_flows: JobFlows | None = None,
) -> Litestar:
    """Build the app from `settings`, or around ready-made `services` (tests inject fakes).

    `job_flows` are the flows its job runner runs (`beredning serve` passes Prefect's); without
    them the app runs no triage jobs or periodic flows, and leaves them to `beredning worker`.
    """
    if services is None:
        services = build_services(settings or Settings())
    background = BackgroundWork(services, job_flows)
    access = access_config(services)
    web_dir = Path(str(resources.files("intake.web")))
    return Litestar(
        route_handlers=[
            IntakePages,
            SubmissionController,
            SimilarController,
            PortfolioController,
            MailController,
            health,
            *access.route_handlers,
            ReviewPages,
            ApiKeyPages,
            PrivacyPages,
            GlossaryPages,
            # --- page controllers: one line per area ---
            ItemPages,  # item:
            DuplicateActions,  # duplicates:
            FollowPages,  # follow:
            MinePages,
            PortfolioPages,  # portfolio:
            ForumPages,  # forums:
            # --- end page controllers ---
            create_static_files_router(
                path="/static", directories=[web_dir / "static"], include_in_schema=False
            ),
            create_static_files_router(
                path=SCHEMA_ASSETS, directories=[_swagger_ui_files()], include_in_schema=False
            ),
        ],
        dependencies={"services": Provide(lambda: services, use_cache=True, sync_to_thread=False)},
        exception_handlers={
            SubmissionInvalid: _invalid_submission,
            DatabaseUnavailable: _database_unavailable,
            **access.exception_handlers,
        },
        middleware=access.middleware,
        before_send=[add_security_headers],
        guards=access.guards,
        csrf_config=access.csrf_config,
        template_config=TemplateConfig(
            directory=web_dir / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=_install_gettext,
        ),
        request_max_body_size=services.settings.intake.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Beredning API",
            version=_version(),
            description=(
                "Intake and triage of ideas for the IT development portfolio. Submissions are "
                "stored before any processing; similar portfolio items and open submissions "
                "come back with the parts of their score and the reason."
            ),
            tags=[
                Tag(name="submissions", description="Intake of ideas, needs, problems, challenges"),
                Tag(name="similar", description="Suggestions while someone types"),
                Tag(name="portfolio", description="The common portfolio"),
                Tag(name="operations", description="Health"),
            ],
            path="/schema",
            render_plugins=[
                # the viewer from the installed package, not a CDN: the page loads nothing from elsewhere
                SwaggerRenderPlugin(
                    js_url=f"{SCHEMA_ASSETS}/swagger-ui-bundle.js",
                    css_url=f"{SCHEMA_ASSETS}/swagger-ui.css",
                    standalone_preset_js_url=f"{SCHEMA_ASSETS}/swagger-ui-standalone-preset.js",
                    path=["/", "/swagger"],
                    favicon=f'<link rel="icon" href="{SCHEMA_ASSETS}/favicon-32x32.png">',
                ),
                YamlRenderPlugin(path=["/openapi.yaml", "/openapi.yml"]),
            ],
            components=Components(
                security_schemes={
                    "apiKey": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An API key (`beredning apikey add NAME --scope submit|mail|read`).",
                    )
                }
            ),
        ),
        on_startup=[background.start],
        on_shutdown=[background.stop, lambda: close_engine(services.engine)],
        state=State({"services": services}),
    )


def _swagger_ui_files() -> Path:
    """The folder of Swagger UI's files in the `swagger-ui-py` package (found, not imported)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is missing: run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("beredning")
    except PackageNotFoundError:
        return "0+unknown"
