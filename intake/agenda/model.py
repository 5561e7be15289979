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

MAX_MATCHES = 3
"""Matches named under an item; the rest are on the item page."""
MAX_QUESTIONS = 3
"""Open questions put to the forum for an item; the full gap list is on the item page."""


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
    common: tuple[str, ...] = ()
    """Up to three words the two masked texts share: the reason in a few words."""
    explanation: str | None = None
    """What the glossary says links them ("Heroma är kommunens HR- och lönesystem."), if anything."""


@dataclass(frozen=True)
class OpenGap:
    """A checklist item the submission does not answer yet, and what to ask the submitter."""

    checklist_id: str
    item_id: str
    label: Label
    status: Literal["partly", "missing"]
    mandatory: bool
    question: str | None
    weight: int = 0
    """How much the checklist item weighs in the forum's decision (the checklists file's `weight`)."""
    asked: Label | None = None
    """The checklist's own question for this status in both languages; `question` is what the
    draft stored (that text, or one a reviewer wrote), shown as is when it is not the checklist's."""

    def question_in(self, lang: str) -> str | None:
        """The question in `lang` when it is the checklist's own; a reviewer's wording as written."""
        if self.asked is not None and self.question in (None, self.asked.sv, self.asked.en):
            return self.asked.get(lang)
        return self.question


@dataclass(frozen=True)
class Recommendation:
    """What the agenda suggests the forum does with an item, and why (`grounds`, a text key).

    `merge` names the item to merge with (`other`); `prepare` says what is missing; `decide` says
    that the checklist is complete and no duplicate waits.
    """

    action: Literal["decide", "prepare", "merge"]
    grounds: Literal["complete", "confirmed", "pending", "not_drafted", "gaps", "group"]
    other: str | None = None
    score: float | None = None
    count: int = 0


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
    link: str | None = None
    """The item's page in the service (the full gap list), absolute when the public address is known."""

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

    @property
    def top_matches(self) -> tuple[DuplicateWarning, ...]:
        """The matches an agenda names: confirmed first, then by score, at most `MAX_MATCHES`."""
        ranked = sorted(self.duplicates, key=lambda d: (d.decision != "confirmed", -d.score, d.other_key))
        return tuple(ranked[:MAX_MATCHES])

    @property
    def key_questions(self) -> tuple[OpenGap, ...]:
        """The open questions that matter most for the decision, at most `MAX_QUESTIONS`.

        Heaviest checklist item first (its `weight`), then missing before partly, mandatory before
        the rest; ties keep the checklist's order.
        """
        ranked = sorted(
            enumerate(self.gaps),
            key=lambda p: (-p[1].weight, p[1].status != "missing", not p[1].mandatory, p[0]),
        )
        return tuple(g for _, g in ranked[:MAX_QUESTIONS])

    @property
    def recommendation(self) -> Recommendation:
        """Ready to decide, prepare more, or merge with another item, by the agenda's own rules.

        A confirmed duplicate is merged; an undecided one is put to the forum as a merge to try;
        otherwise an item without a draft or with open mandatory points is prepared more, and one
        whose group is not ready waits with its group.
        """
        confirmed = [d for d in self.top_matches if d.decision == "confirmed"]
        if confirmed:
            return Recommendation("merge", "confirmed", confirmed[0].other_key, confirmed[0].score)
        if self.pending_duplicates:
            best = max(self.pending_duplicates, key=lambda d: (d.score, d.other_key))
            return Recommendation("merge", "pending", best.other_key, best.score)
        if not self.drafted:
            return Recommendation("prepare", "not_drafted")
        if self.mandatory_gaps:
            return Recommendation("prepare", "gaps", count=len(self.mandatory_gaps))
        if not self.ready:
            return Recommendation("prepare", "group")
        return Recommendation("decide", "complete")


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
