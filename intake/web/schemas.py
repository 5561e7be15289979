"""Request and response bodies of the JSON API, with the examples shown in the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from intake.domain.portfolio import PortfolioEntry
from intake.domain.submission import EMAIL_CORE
from intake.privacy import mask
from retrieval import Match

if TYPE_CHECKING:
    from intake.services.submissions import StatusRecord

SUBMISSION_EXAMPLE = {
    "text": "Invånare ska kunna ansöka om parkeringstillstånd digitalt och följa sitt ärende.",
    "title": "Digitalt parkeringstillstånd",
    "submitter_name": "Anna Andersson",
    "submitter_email": "anna.andersson@kommunen.se",
    "submitter_unit": "Stadsbyggnadskontoret",
}


_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
"""Characters the intake refuses in a text: control characters (and lone surrogates, which no
UTF-8 JSON carries)."""
TEXT_PATTERN = rf"^[ \t\n\r]*[^\s{_CONTROLS}][^{_CONTROLS}]{{8,19998}}[^\s{_CONTROLS}][ \t\n\r]*$"
"""What the intake rules accept (`domain.submission.validate` with the default 10 characters),
stated in the schema so that a client knows before sending: ten characters or more once the
surrounding whitespace is gone, none of them a control character."""


class SubmissionIn(BaseModel):
    """A new idea, need, problem or challenge.

    The limits in the schema are the shipped defaults of `BEREDNING_INTAKE__MIN_TEXT_CHARS` and
    `MAX_TEXT_CHARS`; a value the intake rules still refuse is answered 422 with every problem.
    """

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        description="The idea in the submitter's own words; stored exactly as sent.",
        json_schema_extra={"pattern": TEXT_PATTERN},  # a length beside it would make generators drop it
    )
    title: str | None = Field(
        default=None,
        description="A short title, if the submitter gave one.",
        json_schema_extra={"maxLength": 300},
    )
    submitter_name: str | None = Field(
        default=None, description="Who sent it.", json_schema_extra={"maxLength": 200}
    )
    submitter_email: str | None = Field(
        default=None,
        description="Where to reach the submitter.",
        json_schema_extra={"maxLength": 320, "pattern": rf"^[\s{_CONTROLS}]*$|^\s*{EMAIL_CORE}\s*$"},
    )
    submitter_unit: str | None = Field(
        default=None, description="Department or company.", json_schema_extra={"maxLength": 200}
    )


class MatchOut(BaseModel):
    """A similar portfolio item or submission, with the parts of its score and why."""

    kind: Literal["portfolio", "submission"] = Field(description="What was found.")
    ref: str = Field(description="Portfolio Nr (22-04) or submission reference.")
    title: str = Field(
        description="Title of the item found; a submission's with personal data masked, empty without one."
    )
    score: float = Field(description="Combined similarity in [0, 1].")
    parts: dict[str, float] = Field(
        description="The parts of the score (`dense`, `lexical`); empty for another person's submission."
    )
    shared_terms: list[str] = Field(
        description="Words the two texts share, compounds included; empty for another person's submission."
    )
    reason: str = Field(
        description="The reason in words (Swedish); for a submission it never quotes the other text."
    )
    possible_duplicate: bool = Field(description="Whether the score reaches the flag threshold.")

    @classmethod
    def from_match(cls, match: Match, threshold: float, *, full: bool = False) -> MatchOut:
        """Build the public view of a match.

        A portfolio initiative is public and explained in full. Another person's submission may
        hold personal data, and every word of it that a caller gets back can be probed: a shared
        term such as "Lindqvi ≈ Lindqvist" completes a surname, a quoted passage hands out the
        text, and the lexical part of the score rises as a guess gets closer. So a submission is
        shown by its reference, its title with personal data masked, and its score to whole
        percent, nothing else. `full`: a caller entitled to the text (an API key with the `read`
        scope) gets a submission explained like a portfolio item.
        """
        doc = match.document
        possible_duplicate = match.score >= threshold
        if doc.kind == "portfolio" or full:
            return cls(
                kind=doc.kind,
                ref=doc.ref,
                title=doc.title,
                score=round(match.score, 4),
                parts={k: round(v, 4) for k, v in match.parts.items()},
                shared_terms=match.shared_terms,
                reason=match.reason,
                possible_duplicate=possible_duplicate,
            )
        percent = round(match.score * 100)
        reason = (
            f"Liknar en annan inskickad idé ({percent} %); möjlig dubblett."
            if possible_duplicate
            else f"Liknar en annan inskickad idé ({percent} %)."
        )
        return cls(
            kind="submission",
            ref=doc.ref,
            title=mask(doc.title).text if doc.title else "",
            score=percent / 100,
            parts={},
            shared_terms=[],
            reason=reason,
            possible_duplicate=possible_duplicate,
        )


class SubmissionReceipt(BaseModel):
    """The answer to a new submission: its reference and what it resembles."""

    reference: str = Field(description="Tracking reference, e.g. IN-2026-00042.")
    received_at: datetime
    language: str | None = Field(description="Detected language (ISO 639-1), None if unsure.")
    state: str = Field(description="received, processed, retry (will be retried) or failed.")
    similar: list[MatchOut] = Field(description="The most similar items, best first.")
    message: str | None = Field(default=None, description="A note when processing must be retried.")


class SubmissionStatus(BaseModel):
    """Where a submission is; no personal data."""

    reference: str
    received_at: datetime
    state: str
    step: str

    @classmethod
    def from_row(cls, row: StatusRecord) -> SubmissionStatus:
        """Build the status view of a stored submission."""
        return cls(reference=row.reference, received_at=row.received_at, state=row.state.value, step=row.step)


class SimilarIn(BaseModel):
    """A text being typed, sent in the body so that it never lands in a URL or an access log."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=3, max_length=5000, description="The text.")
    limit: int = Field(default=5, ge=1, le=50, description="How many results.")
    kind: Literal["portfolio", "submission"] | None = Field(default=None, description="Only this kind.")


class SimilarOut(BaseModel):
    """Suggestions for a text being typed."""

    query: str
    results: list[MatchOut]


class PortfolioItemOut(BaseModel):
    """An initiative of the common portfolio."""

    nr: str
    year: int | None
    title: str
    project_number: str | None
    cost_sek: int | None
    cost_text: str | None
    two_percent_sek: int | None
    two_percent_text: str | None
    focus_area: str | None
    step: str | None
    description: str | None

    @classmethod
    def from_row(cls, row: PortfolioEntry) -> PortfolioItemOut:
        """Build the public view of a portfolio row."""
        return cls.model_validate(row, from_attributes=True)


class ComponentHealth(BaseModel):
    """The state of one dependency."""

    ok: bool
    detail: str


class HealthOut(BaseModel):
    """Whether the service can take submissions and search."""

    status: Literal["ok", "degraded", "down"]
    database: ComponentHealth
    index: ComponentHealth
    model: ComponentHealth
    jobs: ComponentHealth
    loops: ComponentHealth = Field(description="The background loops of this process: running or stopped.")


class ProblemOut(BaseModel):
    """Why a request was refused (Litestar's error body)."""

    status_code: int
    detail: str = Field(description="The reason, in English; a 429 gives it in Swedish and English.")
    retry_after: int | None = Field(
        default=None, description="429: seconds until a new try (as `Retry-After`)."
    )


def problem_responses(*codes: int) -> dict[int, Any]:
    """OpenAPI entries for the refusals a route may answer with (401, 403, 429, ...)."""
    from litestar.openapi.datastructures import ResponseSpec

    described = {
        400: "Malformed request",
        401: "No API key, or one that is unknown or revoked (`WWW-Authenticate: Bearer`)",
        404: "Not found",
        422: "Refused by the intake rules; `errors` lists every problem in Swedish and English",
        403: "The key lacks the scope the route needs",
        413: "The body is too large",
        429: "Past the rate limit; `Retry-After` says when to try again",
        503: "The index or the database is unavailable for now; `Retry-After` says when to try again",
    }
    return {code: ResponseSpec(data_container=ProblemOut, description=described[code]) for code in codes}
