"""The duplicates panel of the staff item page: candidates side by side, decisions, merge and undo.

The item page (`intake/web/review/item.py`) includes `review/_duplicates.html` with
`dups=load_panel(services, reference, lang)`; the actions in `duplicate_actions.py` answer an htmx
request with the same partial. The panel carries its own translator (`dups.t`), so the partial does
not depend on the catalogue of the page that includes it. `load_panel` reads the database: call it
from a worker thread in an async handler.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from intake.domain.process import ProcessDefinition
from intake.models import Decision, DuplicateCandidate, ItemKind, PortfolioItem, StepChange, Submission
from intake.services import merging, workflow
from intake.web.auth.texts import translator
from intake.web.review import duplicates_texts
from intake.web.review.highlight import Segment, highlight_pair
from intake.web.state import AppServices

ACTIONS: Final = ("confirm", "dismiss", "link", "merge")
"""The actions on one candidate, as the form posts them."""
DONE: Final = (*ACTIONS, "unmerge")
"""What a message after a redirect (`?dups_done=`) may report."""


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
    t: Callable[[str], str]
    candidates: list[CandidateView] = field(default_factory=list)
    merged: MergeView | None = None
    merged_here: list[MergedHereView] = field(default_factory=list)
    done: str | None = None
    error: str | None = None

    def notice(self, done: str | None = None) -> str | None:
        """The message for a finished action (`done`, or the panel's own); None for anything unknown."""
        chosen = done or self.done
        return self.t(f"done_{chosen}") if chosen in DONE else None


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
    t = translator(lang, duplicates_texts.CATALOGUES)
    process = services.process
    merged = merging.current_merge(services.engine, reference)
    with Session(services.engine) as session:
        item = workflow.load_submission(session, reference)
        rows = session.exec(
            select(DuplicateCandidate)
            .where(col(DuplicateCandidate.submission_id) == item.id)
            .order_by(col(DuplicateCandidate.score).desc(), col(DuplicateCandidate.id))
        ).all()
        others = _others(session, rows)
        when = _clock(process)
        merge_open = merged is None and _merge_possible(process, item.step)
        merged_states = _merge_states(process)
        candidates = [
            _candidate(t, lang, when, item, c, others, merge_open, merged_states, merged is None)
            for c in rows
        ]
    here = merging.merged_into_here(services.engine, item.reference)
    return DuplicatesPanel(
        reference=item.reference,
        lang=lang,
        t=t,
        candidates=candidates,
        merged=_merge_view(t, when, item.reference, merged),
        merged_here=[
            MergedHereView(
                reference=m.reference,
                text=t("merged_here_item").format(
                    reference=m.reference, submitter=m.submitter_name or m.submitter_email or t("anonymous")
                ),
                by=t("merged_here_by").format(who=m.merged_by, when=when(m.merged_at)),
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


def submission_text(submission: Submission) -> str:
    """What staff compare: the title, the text as sent, and what the submitter added later."""
    parts = [submission.title or "", submission.raw_text, submission.follow_up_text or ""]
    return "\n\n".join(p for p in parts if p.strip())


def portfolio_text(item: PortfolioItem) -> str:
    """What staff compare of a portfolio initiative: its title and description."""
    return "\n\n".join(p for p in (item.title, item.description or "") if p.strip())


Others = dict[tuple[ItemKind, str], Submission | PortfolioItem]


def _others(session: Session, rows: Sequence[DuplicateCandidate]) -> Others:
    refs = [c.other_key for c in rows if c.other_kind == ItemKind.SUBMISSION]
    nrs = [c.other_key for c in rows if c.other_kind == ItemKind.PORTFOLIO]
    found: Others = {}
    if refs:
        for s in session.exec(select(Submission).where(col(Submission.reference).in_(refs))).all():
            found[(ItemKind.SUBMISSION, s.reference)] = s
    if nrs:
        for p in session.exec(select(PortfolioItem).where(col(PortfolioItem.nr).in_(nrs))).all():
            found[(ItemKind.PORTFOLIO, p.nr)] = p
    return found


def _candidate(
    t: Callable[[str], str],
    lang: str,
    when: Callable[[datetime | None], str],
    item: Submission,
    candidate: DuplicateCandidate,
    others: Others,
    merge_open: bool,
    merged_states: set[str],
    can_decide: bool,
) -> CandidateView:
    kind_label = t(f"kind_{candidate.other_kind.value}")
    other = others.get((candidate.other_kind, candidate.other_key))
    other_text = _text_of(other)
    mine, theirs = highlight_pair(submission_text(item), other_text)
    decision = candidate.decision.value
    decision_label = t(f"decision_{decision}")
    if candidate.decision != Decision.PENDING and candidate.decided_by:
        decision_label = t("decided_by").format(
            decision=decision_label, who=candidate.decided_by, when=when(candidate.decided_at)
        )
    other_merged = isinstance(other, Submission) and other.step in merged_states
    return CandidateView(
        kind=candidate.other_kind.value,
        key=candidate.other_key,
        anchor="dup-" + "".join(ch if ch.isalnum() else "-" for ch in candidate.other_key.lower()),
        heading=t("dups_candidate").format(kind=kind_label, key=candidate.other_key),
        score=_number(candidate.score, lang),
        parts=[
            (_known(t, f"part_{name}", name), _number(value, lang)) for name, value in candidate.parts.items()
        ],
        reason=candidate.reason,
        shared_terms=list(candidate.shared_terms),
        judge=_known(t, f"judge_{candidate.judge_verdict}", candidate.judge_verdict)
        if candidate.judge_verdict
        else None,
        judge_reason=candidate.judge_reason,
        decision=decision,
        decision_text=decision_label,
        item=TextSide(
            heading=t("this_item").format(reference=item.reference),
            title=item.title or t("untitled"),
            segments=mine,
            submitter=_submitter(t, item),
        ),
        other=TextSide(
            heading=t("other_item").format(kind=kind_label, key=candidate.other_key),
            title=_title_of(t, other),
            segments=theirs,
            submitter=_submitter(t, other) if isinstance(other, Submission) else None,
            href=item_url(other.reference) if isinstance(other, Submission) else None,
            missing=other is None,
        ),
        can_decide=can_decide,
        can_merge=merge_open and other is not None and not other_merged,
        action_url=f"{item_url(item.reference)}/duplicates/{quote(candidate.other_key, safe='')}",
    )


def _text_of(other: Submission | PortfolioItem | None) -> str:
    if isinstance(other, Submission):
        return submission_text(other)
    if isinstance(other, PortfolioItem):
        return portfolio_text(other)
    return ""


def _title_of(t: Callable[[str], str], other: Submission | PortfolioItem | None) -> str:
    if other is None:
        return t("other_missing")
    return other.title or t("untitled")


def _submitter(t: Callable[[str], str], submission: Submission | PortfolioItem | None) -> str | None:
    if not isinstance(submission, Submission):
        return None
    name = submission.submitter_name or submission.submitter_email or t("anonymous")
    return t("submitted_by").format(name=name)


def _merge_view(
    t: Callable[[str], str], when: Callable[[datetime | None], str], reference: str, merged: StepChange | None
) -> MergeView | None:
    if merged is None:
        return None
    key = merged.merged_into_key or "?"
    return MergeView(
        key=key,
        text=t("merged_into").format(key=key, who=merged.actor, when=when(merged.at)),
        undo_url=f"{item_url(reference)}/unmerge",
    )


def _merge_states(process: ProcessDefinition) -> set[str]:
    return {m.to for m in process.transitions.moves if m.kind == "merge" and m.to}


def _merge_possible(process: ProcessDefinition, step: str) -> bool:
    return any(m.kind == "merge" and step in m.sources for m in process.transitions.moves)


def _known(t: Callable[[str], str], key: str, fallback: str) -> str:
    """Translate `key` if the catalogue has it, else show `fallback` (a part or verdict added later)."""
    return t(key) if key in duplicates_texts.SV else fallback


def _number(value: float, lang: str) -> str:
    text = f"{value:.2f}"
    return text.replace(".", ",") if lang == "sv" else text


def _clock(process: ProcessDefinition) -> Callable[[datetime | None], str]:
    zone = ZoneInfo(process.timezone)

    def when(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""

    return when
