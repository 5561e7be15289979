"""The agenda of one forum meeting as plain typed data, built once and rendered many ways.

Everything a renderer shows is here already decided (order, grouping, readiness), so the HTML,
Markdown, iCalendar and e-mail outputs cannot disagree. Texts from submissions are masked; labels
from the process and checklist files keep both languages (`Label`) and renderers pick one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from intake.domain.process import Label

SummarySource = Literal["draft", "text"]
"""Where a summary came from: the draft's summary, or the first sentences of the masked text."""


@dataclass(frozen=True)
class Meeting:
    """One meeting of a forum; `start` and `end` are None when the forum has no cadence."""

    forum_key: str
    day: date
    start: datetime | None = None
    end: datetime | None = None
    location: str | None = None


@dataclass(frozen=True)
class DuplicateWarning:
    """Another item that may describe the same need, with the score the comparison gave.

    The stored reason is left out on purpose: its shared words come from the unmasked texts and
    can hold a name ("Karin" in two signatures); the review pages show it to DigIT staff instead.
    """

    other_kind: Literal["submission", "portfolio"]
    other_key: str
    other_title: str
    score: float
    decision: Literal["pending", "confirmed"]
    on_agenda: bool = False
    """Whether the other item is on this same agenda (then both sit in one group)."""


@dataclass(frozen=True)
class OpenGap:
    """A checklist item the submission does not answer yet, and what to ask the submitter."""

    checklist_id: str
    item_id: str
    label: Label
    status: Literal["partly", "missing"]
    mandatory: bool
    question: str | None


@dataclass(frozen=True)
class AgendaItem:
    """One submission on the agenda, in its place."""

    number: int
    reference: str
    title: str
    summary: str
    summary_source: SummarySource
    step: Label
    received_at: datetime
    drafted: bool
    ready: bool
    """Whether the forum can decide on it now; a duplicate group is ready only when all members are."""
    group: int | None
    """Number of the duplicate group the item belongs to, or None when it stands alone."""
    duplicates: tuple[DuplicateWarning, ...] = ()
    gaps: tuple[OpenGap, ...] = ()
    facts: tuple[tuple[Label, Label], ...] = ()
    """Known classifications as (name, value): initiative type, kind, focus area."""

    @property
    def mandatory_gaps(self) -> tuple[OpenGap, ...]:
        """The open gaps that must be closed before the item is raised for decision."""
        return tuple(g for g in self.gaps if g.mandatory)

    @property
    def other_gaps(self) -> tuple[OpenGap, ...]:
        """The open gaps that are not mandatory."""
        return tuple(g for g in self.gaps if not g.mandatory)

    @property
    def pending_duplicates(self) -> tuple[DuplicateWarning, ...]:
        """Duplicate candidates nobody has confirmed or dismissed yet."""
        return tuple(d for d in self.duplicates if d.decision == "pending")


@dataclass(frozen=True)
class Agenda:
    """A forum's agenda for one meeting: ready items first, then those that need more work."""

    process_name: Label
    forum_key: str
    forum_name: Label
    purpose: Label | None
    questions: tuple[Label, ...]
    members: tuple[str, ...]
    meeting: Meeting
    generated_at: datetime
    items: tuple[AgendaItem, ...] = field(default=())

    @property
    def ready(self) -> tuple[AgendaItem, ...]:
        """Items with no open mandatory gap and no undecided duplicate: the forum can decide."""
        return tuple(i for i in self.items if i.ready)

    @property
    def not_ready(self) -> tuple[AgendaItem, ...]:
        """Items that still need preparation; the forum may help them on."""
        return tuple(i for i in self.items if not i.ready)
