"""The JSON API: thin handlers over the services."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_503_SERVICE_UNAVAILABLE

from intake.domain.submission import Channel, NewSubmission
from intake.services import portfolio as portfolio_service
from intake.services import submissions
from intake.services.similarity import SimilarityUnavailable
from intake.web.auth.middleware import api_client
from intake.web.health import check_health
from intake.web.schemas import (
    SUBMISSION_EXAMPLE,
    HealthOut,
    MatchOut,
    PortfolioItemOut,
    SimilarIn,
    SimilarOut,
    SubmissionIn,
    SubmissionReceipt,
    SubmissionStatus,
    problem_responses,
)
from intake.web.state import Services

NO_OTHER_FIELDS = {"additionalProperties": False}
"""The request models refuse unknown fields (400); Litestar's schema says so only when told here."""

SubmissionBody = Annotated[
    SubmissionIn,
    Body(
        title="A new submission",
        schema_extra=NO_OTHER_FIELDS,
        examples=[
            Example(summary="A need from a department", value=SUBMISSION_EXAMPLE),
            Example(summary="Just the text", value={"text": SUBMISSION_EXAMPLE["text"]}),
        ],
    ),
]

log = logging.getLogger(__name__)

RETRY_MESSAGE = "Stored. Comparison with the portfolio failed and will be retried automatically."


def receipt(outcome: submissions.Outcome, threshold: float, *, full: bool = False) -> SubmissionReceipt:
    """Build the answer to a new submission from what processing produced (`full`: see `MatchOut`)."""
    row = outcome.submission
    return SubmissionReceipt(
        reference=row.reference,
        received_at=row.received_at,
        language=row.language,
        state=row.state.value,
        similar=[MatchOut.from_match(m, threshold, full=full) for m in outcome.matches if m.relevant],
        message=None if outcome.processed else RETRY_MESSAGE,
    )


class SubmissionController(Controller):
    """Intake of new submissions."""

    path = "/api/submissions"
    tags = ["submissions"]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        security=[{"apiKey": []}],
        responses=problem_responses(400, 401, 403, 413, 422, 429),
        summary="Submit an idea",
        description=(
            "Stores the submission at once (committed before any model work), then compares it "
            "with the portfolio and open submissions. If comparison fails the submission is kept, "
            "`state` is `retry` and it is processed later. Needs an API key with the `submit` scope "
            "unless the service runs with `BEREDNING_INTAKE__OPEN_API=true`."
        ),
    )
    def create(
        self, request: Request[Any, Any, Any], data: SubmissionBody, services: Services
    ) -> SubmissionReceipt:
        new = NewSubmission(
            text=data.text,
            channel=Channel.API,
            title=data.title,
            submitter_name=data.submitter_name,
            submitter_email=data.submitter_email,
            submitter_unit=data.submitter_unit,
        )
        outcome = submissions.submit(
            services.engine, services.similarity, new, services.settings.intake, actor="api"
        )
        return receipt(outcome, services.similarity.flag_threshold, full=reads_everything(request))

    @get(
        "/{reference:str}",
        sync_to_thread=True,
        responses=problem_responses(404),
        summary="Status of a submission",
    )
    def status(self, reference: FromPath[str], services: Services) -> SubmissionStatus:
        row = submissions.status_of(services.engine, reference)
        if row is None:
            raise NotFoundException(f"no submission with reference {reference!r}")
        return SubmissionStatus.from_row(row)


SIMILAR_REFUSALS = {
    **problem_responses(400, 429),
    503: ResponseSpec(
        data_container=SimilarOut, description="The index is unavailable for now; `Retry-After` says when"
    ),
}


class SimilarController(Controller):
    """Suggestions while someone types."""

    path = "/api/similar"
    tags = ["similar"]

    @get(
        "/",
        sync_to_thread=True,
        responses=SIMILAR_REFUSALS,
        summary="Items similar to a text",
        description=(
            "Portfolio items and open submissions most similar to `text`, best first. The text ends up "
            "in the URL and so in access logs: prefer `POST /api/similar`."
        ),
    )
    def similar(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        text: Annotated[str, Parameter(min_length=3, max_length=5000, description="The text.")],
        limit: Annotated[int, Parameter(ge=1, le=50, description="How many results.")] = 5,
        kind: Annotated[
            str | None,
            Parameter(pattern="^(portfolio|submission)$", description="Only this kind of item."),
        ] = None,
    ) -> Response[SimilarOut]:
        return _similar(services, SimilarIn(text=text, limit=limit, kind=kind), reads_everything(request))

    @post(
        "/",
        sync_to_thread=True,
        status_code=200,
        responses=SIMILAR_REFUSALS,
        summary="Items similar to a text (in the body)",
        description="As `GET /api/similar`, with the text in the body: what the live suggestions use.",
    )
    def similar_post(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        data: Annotated[SimilarIn, Body(schema_extra=NO_OTHER_FIELDS)],
    ) -> Response[SimilarOut]:
        return _similar(services, data, reads_everything(request))


def reads_everything(request: Request[Any, Any, Any]) -> bool:
    """Tell whether the caller's API key has the `read` scope (matches explained in full)."""
    client = api_client(request.scope)
    return client is not None and "read" in client.scopes


def _similar(services: Services, query: SimilarIn, full: bool) -> Response[SimilarOut]:
    """Find, and answer with the public view; 503 with `Retry-After` when the index is down."""
    kinds = [query.kind] if query.kind else None
    try:
        matches = services.similarity.find_similar(query.text, limit=query.limit, kinds=kinds)
    except SimilarityUnavailable as exc:
        log.warning("similar items unavailable: %s", exc)
        return Response(
            SimilarOut(query=query.text, results=[]),
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "30"},
        )
    threshold = services.similarity.flag_threshold
    results = [MatchOut.from_match(m, threshold, full=full) for m in matches if m.relevant]
    return Response(SimilarOut(query=query.text, results=results))


MAX_OFFSET = 1_000_000_000
"""Far beyond any portfolio; a larger offset is refused (400) rather than sent to the database."""


class PortfolioController(Controller):
    """The common portfolio, read-only here (import with the CLI)."""

    path = "/api/portfolio"
    tags = ["portfolio"]

    @get("/", sync_to_thread=True, responses=problem_responses(400), summary="List portfolio items")
    def list_items(
        self,
        services: Services,
        search: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        # bounded: a 64-bit database integer overflows past 2**63 (a 500 schemathesis found)
        offset: Annotated[int, Parameter(ge=0, le=MAX_OFFSET)] = 0,
    ) -> list[PortfolioItemOut]:
        rows = portfolio_service.list_items(services.engine, search=search, limit=limit, offset=offset)
        return [PortfolioItemOut.from_row(r) for r in rows]

    @get("/{nr:str}", sync_to_thread=True, responses=problem_responses(404), summary="One portfolio item")
    def get_item(self, nr: FromPath[str], services: Services) -> PortfolioItemOut:
        row = portfolio_service.get_item(services.engine, nr)
        if row is None:
            raise NotFoundException(f"no portfolio item with Nr {nr!r}")
        return PortfolioItemOut.from_row(row)


@get("/health", sync_to_thread=True, tags=["operations"], summary="Database, index and model state")
def health(services: Services) -> Response[HealthOut]:
    """Report each dependency; 503 when the service cannot take submissions."""
    report = check_health(services)
    code = HTTP_503_SERVICE_UNAVAILABLE if report.status == "down" else 200
    return Response(report, status_code=code)
