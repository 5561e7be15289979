"""The duplicates panel of the staff item page: candidates side by side, decisions, merge and undo.

The item page (`intake/web/review/item.py`) includes `review/_duplicates.html` with
`dups=load_panel(services, reference, lang)`; the actions in `duplicate_actions.py` answer an htmx
request with the same partial, whose texts follow the render's `lang`. `load_panel` reads the
database (through `intake.services.review_duplicates`): call it from a worker thread in an async
handler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from urllib.parse import quote
from zoneinfo import ZoneInfo

from intake.domain.duplicates import Decision
from intake.domain.process import ProcessDefinition
from intake.locale import N_, Texts, texts
from intake.services.review_duplicates import CandidateRecord, ComparedItem, CurrentMerge, load_duplicates
from intake.web.review.highlight import Segment, highlight_pair
from intake.web.state import AppServices

ACTIONS: Final = ("confirm", "dismiss", "link", "merge")
"""The actions on one candidate, as the form posts them."""
DONE: Final = (*ACTIONS, "unmerge")
"""What a message after a redirect (`?dups_done=`) may report."""

DONE_TEXTS: Final[dict[str, str]] = {
    "confirm": N_("Dubbletten är bekräftad."),
    "dismiss": N_("Kandidaten är avfärdad."),
    "link": N_("Ärendena är länkade som relaterade."),
    "merge": N_("Ärendet är sammanslaget. Du kan ångra det nedan."),
    "unmerge": N_("Sammanslagningen är ångrad och ärendet är tillbaka i sitt steg."),
}
"""The message after each finished action."""

KIND_TEXTS: Final[dict[str, str]] = {
    "submission": N_("Inskickat ärende"),
    "portfolio": N_("Portföljinitiativ"),
}
"""What the panel calls each kind of candidate."""

DECISION_TEXTS: Final[dict[str, str]] = {
    "pending": N_("Väntar på beslut"),
    "confirmed": N_("Bekräftad dubblett"),
    "dismissed": N_("Avfärdad, inte en dubblett"),
    "linked": N_("Länkad: relaterad men inte en dubblett"),
}
"""What the panel calls each decision on a candidate."""

PART_TEXTS: Final[dict[str, str]] = {
    "dense": N_("Semantisk likhet"),
    "lexical": N_("Textlikhet"),
    "judge": N_("Modellens bedömning"),
}
"""The parts of a score; a part added later shows its own name."""

JUDGE_TEXTS: Final[dict[str, str]] = {
    "duplicate": N_("dubblett"),
    "related": N_("relaterat"),
    "different": N_("olika"),
    "unsure": N_("osäker"),
}
"""The model's verdicts; a verdict added later shows as it is stored."""


@dataclass(frozen=True)
class TextSide:
    """One of the two texts compared: a heading, the title, the text with its shared parts marked."""

    heading: str
    title: str
    segments: list[Segment]
    submitter: str | None = None
    href: str | None = None
    missing: bool = False


@dataclass(frozen=True)
class CandidateView:
    """One duplicate candidate as the panel shows it."""

    kind: str
    key: str
    anchor: str
    heading: str
    score: str
    parts: list[tuple[str, str]]
    reason: str
    shared_terms: list[str]
    judge: str | None
    judge_reason: str | None
    decision: str
    decision_text: str
    item: TextSide
    other: TextSide
    can_decide: bool
    can_merge: bool
    action_url: str


@dataclass(frozen=True)
class MergeView:
    """The merge the item is in now, and where to post its undo."""

    key: str
    text: str
    undo_url: str


@dataclass(frozen=True)
class MergedHereView:
    """A submission merged into this item, with its submitter: both texts and people stay."""

    reference: str
    text: str
    by: str
    href: str


@dataclass(frozen=True)
class DuplicatesPanel:
    """Everything `review/_duplicates.html` renders for one item, already in the page's language."""

    reference: str
    lang: str
    candidates: list[CandidateView] = field(default_factory=list)
    merged: MergeView | None = None
    merged_here: list[MergedHereView] = field(default_factory=list)
    done: str | None = None
    error: str | None = None

    def notice(self, done: str | None = None) -> str | None:
        """The message for a finished action (`done`, or the panel's own); None for anything unknown."""
        chosen = done or self.done
        return texts(self.lang)(DONE_TEXTS[chosen]) if chosen in DONE else None


def load_panel(
    services: AppServices,
    reference: str,
    lang: str,
    *,
    done: str | None = None,
    error: str | None = None,
) -> DuplicatesPanel:
    """Build the duplicates panel of the item `reference` in `lang`.

    Raises:
        SubmissionNotFound: no submission has that reference.
    """
    _ = texts(lang)
    process = services.process
    found = load_duplicates(services.engine, reference)
    item, merged = found.item, found.merged
    when = _clock(process)
    merge_open = merged is None and _merge_possible(process, item.step)
    merged_states = _merge_states(process)
    candidates = [
        _candidate(_, lang, when, item, c, merge_open, merged_states, merged is None)
        for c in found.candidates
    ]
    here = found.merged_here
    return DuplicatesPanel(
        reference=item.key,
        lang=lang,
        candidates=candidates,
        merged=_merge_view(_, when, item.key, merged),
        merged_here=[
            MergedHereView(
                reference=m.reference,
                text=_("{reference} ({submitter})").format(
                    reference=m.reference,
                    submitter=m.submitter_name or m.submitter_email or _("okänd avsändare"),
                ),
                by=_("av {who} {when}").format(who=m.merged_by, when=when(m.merged_at)),
                href=item_url(m.reference),
            )
            for m in here
        ],
        done=done if done in DONE else None,
        error=error,
    )


def item_url(reference: str) -> str:
    """The staff page of a submission."""
    return f"/review/items/{quote(reference, safe='')}"


def _candidate(
    _: Texts,
    lang: str,
    when: Callable[[datetime | None], str],
    item: ComparedItem,
    candidate: CandidateRecord,
    merge_open: bool,
    merged_states: set[str],
    can_decide: bool,
) -> CandidateView:
    kind_label = _(KIND_TEXTS[candidate.other_kind.value])
    other = candidate.other
    other_text = _text_of(other)
    mine, theirs = highlight_pair(item.text, other_text)
    decision = candidate.decision.value
    decision_label = _(DECISION_TEXTS[decision])
    if candidate.decision != Decision.PENDING and candidate.decided_by:
        decision_label = _("{decision}, av {who} {when}").format(
            decision=decision_label, who=candidate.decided_by, when=when(candidate.decided_at)
        )
    other_merged = other is not None and other.is_submission and other.step in merged_states
    return CandidateView(
        kind=candidate.other_kind.value,
        key=candidate.other_key,
        anchor="dup-" + "".join(ch if ch.isalnum() else "-" for ch in candidate.other_key.lower()),
        heading=_("{kind} {key}").format(kind=kind_label, key=candidate.other_key),
        score=_number(candidate.score, lang),
        parts=[
            (_known(_, PART_TEXTS, name), _number(value, lang)) for name, value in candidate.parts.items()
        ],
        reason=candidate.reason,
        shared_terms=list(candidate.shared_terms),
        judge=_known(_, JUDGE_TEXTS, candidate.judge_verdict) if candidate.judge_verdict else None,
        judge_reason=candidate.judge_reason,
        decision=decision,
        decision_text=decision_label,
        item=TextSide(
            heading=_("Det här ärendet, {reference}").format(reference=item.key),
            title=item.title or _("(utan rubrik)"),
            segments=mine,
            submitter=_submitter(_, item),
        ),
        other=TextSide(
            heading=_("{kind} {key}").format(kind=kind_label, key=candidate.other_key),
            title=_title_of(_, other),
            segments=theirs,
            submitter=_submitter(_, other),
            href=item_url(other.key) if other is not None and other.is_submission else None,
            missing=other is None,
        ),
        can_decide=can_decide,
        can_merge=merge_open and other is not None and not other_merged,
        action_url=f"{item_url(item.key)}/duplicates/{quote(candidate.other_key, safe='')}",
    )


def _text_of(other: ComparedItem | None) -> str:
    return other.text if other is not None else ""


def _title_of(_: Texts, other: ComparedItem | None) -> str:
    if other is None:
        return _("Texten finns inte längre (borttagen eller ändrad referens).")
    return other.title or _("(utan rubrik)")


def _submitter(_: Texts, submission: ComparedItem | None) -> str | None:
    if submission is None or not submission.is_submission:
        return None
    name = submission.submitter_name or submission.submitter_email or _("okänd avsändare")
    return _("Inskickat av {name}").format(name=name)


def _merge_view(
    _: Texts, when: Callable[[datetime | None], str], reference: str, merged: CurrentMerge | None
) -> MergeView | None:
    if merged is None:
        return None
    key = merged.into_key or "?"
    return MergeView(
        key=key,
        text=_("Det här ärendet är sammanslaget med {key} av {who} {when}.").format(
            key=key, who=merged.actor, when=when(merged.at)
        ),
        undo_url=f"{item_url(reference)}/unmerge",
    )


def _merge_states(process: ProcessDefinition) -> set[str]:
    return {m.to for m in process.transitions.moves if m.kind == "merge" and m.to}


def _merge_possible(process: ProcessDefinition, step: str) -> bool:
    return any(m.kind == "merge" and step in m.sources for m in process.transitions.moves)


def _known(_: Texts, labels: dict[str, str], key: str) -> str:
    """Translate the label of `key`, else show `key` itself (a part or verdict added later)."""
    return _(labels[key]) if key in labels else key


def _number(value: float, lang: str) -> str:
    return texts(lang).number(value, decimals=2)


def _clock(process: ProcessDefinition) -> Callable[[datetime | None], str]:
    zone = ZoneInfo(process.timezone)

    def when(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""

    return when
