"""What the duplicates panel of the staff item page compares: the item, its candidates, its merges.

One read per panel: the item, its candidates best first, the items they point at and the merges
the item is in or holds, as frozen records. The panel (`intake.web.review.duplicates`) shapes them
into the page's language; it holds no ORM row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.domain.duplicates import Decision, ItemKind
from intake.models import DuplicateCandidate, PortfolioItem, Submission
from intake.services import merging, workflow
from intake.services.merging import MergedHere


@dataclass(frozen=True)
class ComparedItem:
    """One side of a comparison: a submission or a portfolio initiative, with the text staff compare."""

    kind: ItemKind
    key: str
    """The submission's reference or the initiative's Nr."""
    title: str | None
    text: str
    step: str
    """The submission's step, or the initiative's ("" when it has none)."""
    submitter_name: str | None = None
    submitter_email: str | None = None

    @property
    def is_submission(self) -> bool:
        """Whether this side is a submission (a portfolio initiative has no submitter)."""
        return self.kind == ItemKind.SUBMISSION


@dataclass(frozen=True)
class CandidateRecord:
    """One stored duplicate candidate of the item, with the item it points at (None: gone since)."""

    other_kind: ItemKind
    other_key: str
    score: float
    parts: dict[str, float]
    reason: str
    shared_terms: list[str]
    judge_verdict: str | None
    judge_reason: str | None
    decision: Decision
    decided_by: str | None
    decided_at: datetime | None
    other: ComparedItem | None


@dataclass(frozen=True)
class CurrentMerge:
    """The merge the item is in now: into which key, by whom and when."""

    into_key: str | None
    actor: str
    at: datetime


@dataclass(frozen=True)
class DuplicatesRecord:
    """Everything the duplicates panel shows of one item, read in one go."""

    item: ComparedItem
    candidates: list[CandidateRecord]
    merged: CurrentMerge | None
    merged_here: list[MergedHere] = field(default_factory=list)


def submission_text(submission: Submission) -> str:
    """What staff compare: the title, the text as sent, and what the submitter added later."""
    parts = [submission.title or "", submission.raw_text, submission.follow_up_text or ""]
    return "\n\n".join(p for p in parts if p.strip())


def portfolio_text(item: PortfolioItem) -> str:
    """What staff compare of a portfolio initiative: its title and description."""
    return "\n\n".join(p for p in (item.title, item.description or "") if p.strip())


def load_duplicates(engine: Engine, reference: str) -> DuplicatesRecord:
    """Read the item `reference`, its candidates (best first), what they point at, and its merges.

    Raises:
        SubmissionNotFound: no submission has that reference.
    """
    current = merging.current_merge(engine, reference)
    with Session(engine) as session:
        item = workflow.load_submission(session, reference)
        rows = session.exec(
            select(DuplicateCandidate)
            .where(col(DuplicateCandidate.submission_id) == item.id)
            .order_by(col(DuplicateCandidate.score).desc(), col(DuplicateCandidate.id))
        ).all()
        others = _others(session, rows)
        candidates = [_candidate(c, others.get((c.other_kind, c.other_key))) for c in rows]
        compared = _submission(item)
    merged = (
        CurrentMerge(into_key=current.merged_into_key, actor=current.actor, at=current.at)
        if current is not None
        else None
    )
    return DuplicatesRecord(
        item=compared,
        candidates=candidates,
        merged=merged,
        merged_here=merging.merged_into_here(engine, compared.key),
    )


def _submission(row: Submission) -> ComparedItem:
    return ComparedItem(
        kind=ItemKind.SUBMISSION,
        key=row.reference,
        title=row.title,
        text=submission_text(row),
        step=row.step,
        submitter_name=row.submitter_name,
        submitter_email=row.submitter_email,
    )


def _portfolio(row: PortfolioItem) -> ComparedItem:
    return ComparedItem(
        kind=ItemKind.PORTFOLIO, key=row.nr, title=row.title, text=portfolio_text(row), step=row.step or ""
    )


def _others(session: Session, rows: Sequence[DuplicateCandidate]) -> dict[tuple[ItemKind, str], ComparedItem]:
    refs = [c.other_key for c in rows if c.other_kind == ItemKind.SUBMISSION]
    nrs = [c.other_key for c in rows if c.other_kind == ItemKind.PORTFOLIO]
    found: dict[tuple[ItemKind, str], ComparedItem] = {}
    if refs:
        for s in session.exec(select(Submission).where(col(Submission.reference).in_(refs))).all():
            found[(ItemKind.SUBMISSION, s.reference)] = _submission(s)
    if nrs:
        for p in session.exec(select(PortfolioItem).where(col(PortfolioItem.nr).in_(nrs))).all():
            found[(ItemKind.PORTFOLIO, p.nr)] = _portfolio(p)
    return found


def _candidate(row: DuplicateCandidate, other: ComparedItem | None) -> CandidateRecord:
    return CandidateRecord(
        other_kind=row.other_kind,
        other_key=row.other_key,
        score=row.score,
        parts=dict(row.parts),
        reason=row.reason,
        shared_terms=list(row.shared_terms),
        judge_verdict=row.judge_verdict,
        judge_reason=row.judge_reason,
        decision=row.decision,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        other=other,
    )
