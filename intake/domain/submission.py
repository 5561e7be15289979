"""What a new submission must look like, whichever channel it comes through."""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field

_ADDRESS_CHAR = r"[^@\s<>()\[\],;:\"\x00-\x1f\x7f-\x9f]"
EMAIL_CORE = rf"{_ADDRESS_CHAR}+@{_ADDRESS_CHAR}+\.{_ADDRESS_CHAR}{{2,}}"
"""What the intake takes for an e-mail address, whitespace around it aside (also in the API's schema)."""
_EMAIL = re.compile(rf"^{EMAIL_CORE}$")
_CONTROL = {"Cc", "Cs"}
"""Control characters and lone surrogates: what broken clients send and PostgreSQL cannot store.
Private-use and unassigned characters pass (an emoji newer than Python's Unicode data is one)."""


class Channel(enum.StrEnum):
    """How a submission reached us (stored in `submission.channel`; `intake.models` uses it)."""

    WEB = "web"
    API = "api"
    EMAIL = "email"
    CLI = "cli"


class ProcessingState(enum.StrEnum):
    """Where a submission is in the automatic work that follows its intake (stored in `submission.state`).

    `received`: stored, not yet processed. `processed`: embedded, indexed and compared.
    `retry`: processing failed and will be tried again. `failed`: gave up after the configured
    number of attempts; a human must look.
    """

    RECEIVED = "received"
    PROCESSED = "processed"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one field, in both UI languages."""

    field: str
    sv: str
    en: str


class SubmissionInvalid(ValueError):
    """Raised when a submission cannot be accepted; carries every problem found, not just one."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.en}" for p in problems))


@dataclass(frozen=True)
class NewSubmission:
    """A submission as it arrives, before it is stored."""

    text: str
    channel: Channel
    title: str | None = None
    submitter_name: str | None = None
    submitter_email: str | None = None
    submitter_unit: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Limits:
    """Length limits, from `IntakeSettings`."""

    min_text: int
    max_text: int
    max_title: int = 300
    max_name: int = 200
    max_email: int = 320
    max_unit: int = 200


def _has_controls(value: str) -> bool:
    return any(c not in "\n\r\t" and unicodedata.category(c) in _CONTROL for c in value)


def _strip_controls(value: str) -> str:
    return "".join(c for c in value if unicodedata.category(c) not in _CONTROL)


def _clean_optional(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(_strip_controls(value).split())
    return value or None


def validate(new: NewSubmission, limits: Limits) -> NewSubmission:
    """Return the submission with whitespace tidied in its short fields, or raise with every problem."""
    problems: list[FieldProblem] = []
    # The text is stored exactly as received, so text with invisible control characters (which
    # only broken clients send, and which PostgreSQL cannot store) is refused, not altered.
    text = new.text
    if _has_controls(text):
        problems.append(
            FieldProblem(
                "text",
                "Texten innehåller otillåtna styrtecken.",
                "The text contains control characters that are not allowed.",
            )
        )
    elif len(text.strip()) < limits.min_text:
        problems.append(
            FieldProblem(
                "text",
                f"Beskriv din idé med minst {limits.min_text} tecken.",
                f"Describe your idea in at least {limits.min_text} characters.",
            )
        )
    elif len(text) > limits.max_text:
        problems.append(
            FieldProblem(
                "text",
                f"Texten är för lång ({len(text)} tecken, högst {limits.max_text}).",
                f"The text is too long ({len(text)} characters, at most {limits.max_text}).",
            )
        )
    title = _clean_optional(new.title)
    name = _clean_optional(new.submitter_name)
    email = _clean_optional(new.submitter_email)
    unit = _clean_optional(new.submitter_unit)
    # lengths as sent, so that a client can check them before sending (the API's schema says so)
    for field_name, value, most in (
        ("title", new.title, limits.max_title),
        ("submitter_name", new.submitter_name, limits.max_name),
        ("submitter_email", new.submitter_email, limits.max_email),
        ("submitter_unit", new.submitter_unit, limits.max_unit),
    ):
        if value is not None and len(value) > most:
            problems.append(
                FieldProblem(
                    field_name,
                    f"Högst {most} tecken.",
                    f"At most {most} characters.",
                )
            )
    raw_email = (new.submitter_email or "").strip()
    if email is not None and len(raw_email) <= limits.max_email and not _EMAIL.match(raw_email):
        problems.append(
            FieldProblem(
                "submitter_email",
                "Det ser inte ut som en e-postadress.",
                "That does not look like an e-mail address.",
            )
        )
    if problems:
        raise SubmissionInvalid(problems)
    return NewSubmission(
        text=text,
        channel=new.channel,
        title=title,
        submitter_name=name,
        submitter_email=email.lower() if email else None,
        submitter_unit=unit,
        extra=new.extra,
    )


def format_reference(prefix: str, year: int, number: int) -> str:
    """Return a reference such as IN-2026-00042 (five digits, more when a year runs over)."""
    return f"{prefix}-{year}-{number:05d}"
