"""The retention schedule ("gallringsplan") as data: how long each kind of record is kept.

Personal data may be kept no longer than needed (GDPR art. 5.1e), while what the municipality has
received is normally an allmän handling that may only be culled as its document management plan
(dokumenthanteringsplan) decides. So the schedule is a file the municipality owns, like
`process.yaml`: one rule per kind of record says from which event its time runs, after how many
days, and whether the record is then culled (deleted), anonymised (personal data replaced, the
record kept) or kept. Each rule names its source in the plan, which the audit records.

The `erasure` part says what an erasure on request (GDPR art. 17) does to a person's records:
anonymise what must be kept as an allmän handling, delete what may go. What each action means
for each record is code, in `intake.services.retention` and `intake.services.erasure`.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from intake.domain.datafile import load_data_file


class RetentionFileError(ValueError):
    """Raised when the retention file cannot be read or is not a valid schedule."""


class Record(enum.StrEnum):
    """A kind of record the service holds, as the schedule names it."""

    RAW_MAIL = "raw_mail"
    """A received mail's bytes, extracted text, subject and attachments."""
    SUBMISSION = "submission"
    """A submission's texts and submitter, with its mails, answers and the matches drawn from it."""
    DRAFT = "draft"
    """The initiative draft and checklist gaps."""
    MASKING_MAP = "masking_map"
    """The draft's map from placeholders back to the masked personal data."""
    GAP_QUESTION = "gap_question"
    """Questions to the submitter and their answers."""
    FOLLOW_LINK = "follow_link"
    """Links that let a submitter follow a submission."""
    SESSION = "session"
    """Logged-in browsers."""
    LOGIN_ATTEMPT = "login_attempt"
    """Login tries (e-mail address and network)."""
    AUDIT_EVENT = "audit_event"
    """The audit trail: who changed what."""
    INDEX = "index"
    """A submission's text and vector in the similarity index (Chroma and the lexical index)."""
    AGENDA = "agenda"
    """Forum agendas and reminder digests as sent, with their recipients."""
    SENT_MESSAGE = "sent_message"
    """Message-IDs of mails the service sent about a submission (to thread replies)."""
    REQUEST_COUNT = "request_count"
    """Rate-limit counts (client networks) and acknowledgements per address and day."""
    FLOW_RUN = "flow_run"
    """Prefect's stored flow and task runs with their logs."""
    BACKUP = "backup"
    """Backups made by `beredning backup` (deleted from their folder when a new one is made)."""


class Event(enum.StrEnum):
    """The event a rule's time is counted from."""

    RECEIVED = "received"
    """The record was made (a submission or mail received, a session opened, an event written)."""
    TRIAGED = "triaged"
    """The submission was processed: indexed, compared and drafted."""
    DECIDED = "decided"
    """A forum last decided on the submission."""
    CLOSED = "closed"
    """The submission entered one of the schedule's `closed_steps`."""
    LAST_ACTIVITY = "last_activity"
    """The record or its submission last changed or was last used."""


class Action(enum.StrEnum):
    """What a rule does once its time has run."""

    CULL = "cull"
    ANONYMISE = "anonymise"
    KEEP = "keep"


_SUBMISSION_EVENTS = frozenset(
    {Event.RECEIVED, Event.TRIAGED, Event.DECIDED, Event.CLOSED, Event.LAST_ACTIVITY}
)

ALLOWED: dict[Record, tuple[frozenset[Event], frozenset[Action]]] = {
    Record.RAW_MAIL: (frozenset({Event.RECEIVED, Event.TRIAGED}), frozenset({Action.CULL, Action.KEEP})),
    Record.SUBMISSION: (_SUBMISSION_EVENTS, frozenset(Action)),
    Record.DRAFT: (_SUBMISSION_EVENTS, frozenset(Action)),
    Record.MASKING_MAP: (_SUBMISSION_EVENTS, frozenset({Action.CULL, Action.KEEP})),
    Record.GAP_QUESTION: (_SUBMISSION_EVENTS, frozenset(Action)),
    Record.FOLLOW_LINK: (_SUBMISSION_EVENTS, frozenset({Action.CULL, Action.KEEP})),
    Record.SESSION: (frozenset({Event.RECEIVED, Event.LAST_ACTIVITY}), frozenset({Action.CULL, Action.KEEP})),
    Record.LOGIN_ATTEMPT: (frozenset({Event.RECEIVED}), frozenset({Action.CULL, Action.KEEP})),
    Record.AUDIT_EVENT: (frozenset({Event.RECEIVED}), frozenset(Action)),
    Record.INDEX: (_SUBMISSION_EVENTS, frozenset({Action.CULL, Action.KEEP})),
    Record.AGENDA: (frozenset({Event.RECEIVED}), frozenset({Action.CULL, Action.KEEP})),
    Record.SENT_MESSAGE: (frozenset({Event.RECEIVED}), frozenset({Action.CULL, Action.KEEP})),
    Record.REQUEST_COUNT: (frozenset({Event.RECEIVED}), frozenset({Action.CULL, Action.KEEP})),
    Record.FLOW_RUN: (frozenset({Event.RECEIVED}), frozenset({Action.CULL, Action.KEEP})),
    Record.BACKUP: (frozenset({Event.RECEIVED}), frozenset({Action.CULL, Action.KEEP})),
}
"""For each record, the events its time may run from and the actions that mean something for it."""


class Rule(BaseModel):
    """One line of the schedule: `record` is `action`ed `after_days` after `from`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,59}$", description="Named in audit records and counts.")
    record: Record
    action: Action
    after_days: int = Field(default=0, ge=0, le=100 * 366)
    from_event: Event = Field(alias="from")
    source: str = Field(min_length=1, max_length=300, description="Where the plan says so, for the audit.")
    why: str | None = None

    @model_validator(mode="after")
    def _meaningful(self) -> Rule:
        events, actions = ALLOWED[self.record]
        if self.from_event not in events:
            allowed = ", ".join(sorted(events))
            raise ValueError(
                f"rule {self.id}: {self.record} is not counted from {self.from_event} ({allowed})"
            )
        if self.action not in actions:
            allowed = ", ".join(sorted(actions))
            raise ValueError(f"rule {self.id}: {self.record} cannot be {self.action}d ({allowed})")
        return self

    def cutoff(self, now: datetime) -> datetime:
        """Return the moment before which the rule's event must lie for the rule to apply now."""
        return now - timedelta(days=self.after_days)


class ErasureRule(BaseModel):
    """What an erasure on request does to one kind of record: the first rule that fits applies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,59}$")
    record: Literal["submission"] = "submission"
    action: Literal["delete", "anonymise"]
    only_if: Literal["always", "decided", "closed"] = "always"
    source: str = Field(min_length=1, max_length=300)
    why: str | None = None


class Schedule(BaseModel):
    """The whole retention schedule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plan: str = Field(min_length=1, description="The document management plan the rules come from.")
    closed_steps: tuple[str, ...] = Field(
        min_length=1, description="Steps or states where an item is closed."
    )
    rules: tuple[Rule, ...]
    erasure: tuple[ErasureRule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Schedule:
        ids = [r.id for r in self.rules] + [r.id for r in self.erasure]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"rule ids used twice: {', '.join(twice)}")
        if self.erasure[-1].only_if != "always":
            raise ValueError("the last erasure rule must apply always (only_if: always)")
        return self

    def rules_for(self, record: Record) -> list[Rule]:
        """Return the rules of `record` that do something, in file order."""
        return [r for r in self.rules if r.record == record and r.action != Action.KEEP]

    def backup_days(self) -> int | None:
        """Return how many days a backup is kept (the shortest `backup` rule), or None: kept."""
        days = [r.after_days for r in self.rules_for(Record.BACKUP)]
        return min(days) if days else None

    def erasure_rule(self, *, decided: bool, closed: bool) -> ErasureRule:
        """Return the erasure rule for a submission that is (or is not) decided or closed."""
        for rule in self.erasure:
            if (
                rule.only_if == "always"
                or (rule.only_if == "decided" and decided)
                or (rule.only_if == "closed" and closed)
            ):
                return rule
        raise AssertionError("the validator keeps an `always` rule last")


def load_schedule(path: Path | None = None) -> Schedule:
    """Load the schedule from `path`, or the one shipped with the package when `path` is None."""
    return _load_cached(str(path) if path else None)


@lru_cache(maxsize=8)
def _load_cached(path: str | None) -> Schedule:
    return load_data_file(path, "retention.yaml", Schedule, RetentionFileError, "retention")
