"""The review queue: which submissions wait for DigIT, filtered and counted, for `/review`.

One SQL query reads a small row per submission (step, channel, dates, focus area from the draft,
pending duplicate candidates); open checklist gaps come from a per-process cache (`GapCounts`).
Filters, facet counts and sorting then run on those rows in Python in one pass, so that every
count shows what choosing it would give.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from intake.domain.duplicates import Decision
from intake.domain.process import ProcessDefinition
from intake.models import Draft as DraftRow
from intake.models import DuplicateCandidate, Submission, utcnow

AgeBucket = Literal["week", "month", "older"]
Sort = Literal["oldest", "newest", "step", "duplicates"]
SORTS: tuple[Sort, ...] = ("oldest", "newest", "step", "duplicates")
AGES: tuple[AgeBucket, ...] = ("week", "month", "older")
NO_FOCUS = "none"
PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueRow:
    """What the queue shows of one submission."""

    reference: str
    title: str | None
    step: str
    channel: str
    received_at: datetime
    focus: str | None
    duplicates: int
    open_gaps: int
    age_days: int

    @property
    def age(self) -> AgeBucket:
        """The age bucket: received within a week, within 30 days, or earlier."""
        if self.age_days < 7:
            return "week"
        return "month" if self.age_days <= 30 else "older"


@dataclass(frozen=True)
class QueueFilter:
    """The chosen filters; empty values mean "all". `step` empty means every active step."""

    step: str = ""
    focus: str = ""
    channel: str = ""
    duplicates: bool = False
    gaps: bool = False
    age: str = ""
    sort: str = "oldest"
    page: int = 1


@dataclass
class QueueResult:
    """One page of the queue, the number of matches, and the count behind each filter choice."""

    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    counts: dict[str, Counter[str]] = field(default_factory=dict)


class GapCounts:
    """Open checklist gaps per draft, counted in Python and kept per process until the draft changes.

    Counting inside the JSON column in SQL cost 300 ms for 10,000 drafts on SQLite at every page
    view; here a draft's gaps are read and counted again only when its `updated_at` moves.
    """

    def __init__(self) -> None:
        self._counts: dict[int, tuple[datetime, int]] = {}
        self._lock = threading.Lock()

    def get(self, engine: Engine, drafts: dict[int, datetime]) -> dict[int, int]:
        """Return the open gap count of each draft id in `drafts` (id -> updated_at)."""
        with self._lock:
            known = dict(self._counts)
        stale = [i for i, at in drafts.items() if i not in known or known[i][0] != at]
        fresh: dict[int, tuple[datetime, int]] = {}
        with Session(engine) as session:
            for start in range(0, len(stale), 500):
                chunk = stale[start : start + 500]
                query = select(DraftRow.id, DraftRow.updated_at, DraftRow.gaps).where(
                    col(DraftRow.id).in_(chunk)
                )
                for draft_id, updated_at, gaps in session.exec(query):
                    assert draft_id is not None
                    fresh[draft_id] = (updated_at, sum(1 for g in gaps or [] if g.get("status") != "covered"))
        with self._lock:
            if len(self._counts) > 4 * max(len(drafts), 1000):
                self._counts = {i: v for i, v in self._counts.items() if i in drafts}
            self._counts.update(fresh)
            known.update(fresh)
        return {i: known[i][1] for i in drafts if i in known}


_GAP_COUNTS: weakref.WeakKeyDictionary[Engine, GapCounts] = weakref.WeakKeyDictionary()


def gap_counts(engine: Engine) -> GapCounts:
    """The gap count cache of `engine` (one per database)."""
    counts = _GAP_COUNTS.get(engine)
    if counts is None:
        counts = _GAP_COUNTS.setdefault(engine, GapCounts())
    return counts


def active_places(process: ProcessDefinition) -> list[str]:
    """Steps where items wait for work: every step but those where items rest (remind after 0 days)."""
    return [s.key for s in process.steps if s.remind_after_days != 0]


CACHE_SECONDS = 60.0
"""Longest a process reuses the rows it read, even when nothing seems to have changed."""


def _version(engine: Engine) -> tuple[object, ...]:
    """Cheap aggregates that move whenever a queue row could have changed (all on indexed columns).

    Step moves and edits set `updated_at` on the submission or the draft; candidates are added
    (new id), decided (`decided_at`) or reopened (the pending count); deletions lower a count.
    """
    pending = sa.case((col(DuplicateCandidate.decision) == Decision.PENDING, 1), else_=0)
    aggregates: list[tuple[type[SQLModel], sa.ColumnElement[Any]]] = [
        (Submission, sa.func.count()),
        (Submission, sa.func.max(col(Submission.updated_at))),
        (DraftRow, sa.func.count()),
        (DraftRow, sa.func.max(col(DraftRow.updated_at))),
        (DuplicateCandidate, sa.func.count()),
        (DuplicateCandidate, sa.func.max(col(DuplicateCandidate.id))),
        (DuplicateCandidate, sa.func.max(col(DuplicateCandidate.decided_at))),
        (DuplicateCandidate, sa.func.sum(pending)),
    ]
    columns: list[sa.ColumnElement[Any]] = [
        sa.select(value).select_from(table).scalar_subquery() for table, value in aggregates
    ]
    query = sa.select(*columns)
    with engine.connect() as connection:
        row = connection.execute(query).one()
    return tuple(row)


@dataclass
class _Cached:
    version: tuple[object, ...]
    loaded: float
    rows: list[QueueRow]


_ROWS: weakref.WeakKeyDictionary[Engine, _Cached] = weakref.WeakKeyDictionary()


def load_rows(engine: Engine, process: ProcessDefinition, now: datetime | None = None) -> list[QueueRow]:
    """The queue rows, read again only when the data moved (or after `CACHE_SECONDS`).

    Every process checks `_version` at each call, so a change made by another process or a worker
    shows at the next page view; reading all rows costs far more than that check.
    """
    if now is not None:
        return read_rows(engine, process, now)
    version = _version(engine)
    cached = _ROWS.get(engine)
    if cached is not None and cached.version == version and time.monotonic() - cached.loaded < CACHE_SECONDS:
        return cached.rows
    rows = read_rows(engine, process)
    _ROWS[engine] = _Cached(version=version, loaded=time.monotonic(), rows=rows)
    return rows


def read_rows(engine: Engine, process: ProcessDefinition, now: datetime | None = None) -> list[QueueRow]:
    """Read one row per submission in a step or state of the process."""
    now = now or utcnow()
    places = [s.key for s in process.steps] + [s.key for s in process.transitions.states]
    pending = (
        select(sa.func.count())
        .select_from(DuplicateCandidate)
        .where(col(DuplicateCandidate.submission_id) == col(Submission.id))
        .where(col(DuplicateCandidate.decision) == Decision.PENDING)
        .correlate(Submission)
        .scalar_subquery()
    )
    focus = col(DraftRow.content)["focus_area"]["value"].as_string()
    draft_title = col(DraftRow.content)["title"]["value"].as_string()
    query = (
        sa.select(
            col(Submission.reference),
            sa.func.coalesce(col(Submission.title), draft_title),
            col(Submission.step),
            col(Submission.channel),
            col(Submission.received_at),
            focus,
            pending,
            col(DraftRow.id),
            col(DraftRow.updated_at),
        )
        .select_from(Submission)
        .outerjoin(DraftRow, col(DraftRow.submission_id) == col(Submission.id))
        .where(col(Submission.step).in_(places))
    )
    with Session(engine) as session:
        result = session.execute(query).all()
    open_gaps = gap_counts(engine).get(engine, {r[7]: r[8] for r in result if r[7] is not None})
    rows = []
    for reference, title, step, channel, received_at, focus_key, dups, draft_id, _ in result:
        received = received_at if received_at.tzinfo else received_at.replace(tzinfo=now.tzinfo)
        rows.append(
            QueueRow(
                reference=reference,
                title=title,
                step=step,
                channel=str(getattr(channel, "value", channel)),
                received_at=received,
                focus=focus_key or None,
                duplicates=int(dups or 0),
                open_gaps=open_gaps.get(draft_id, 0),
                age_days=max(0, (now - received).days),
            )
        )
    return rows


FACETS = ("step", "focus", "channel", "duplicates", "gaps", "age")


def _tests(chosen: QueueFilter, active: set[str]) -> list[Callable[[QueueRow], bool]]:
    """One test per facet, in the order of `FACETS`."""
    return [
        (lambda r: r.step == chosen.step) if chosen.step else (lambda r: r.step in active),
        (lambda r: (r.focus or NO_FOCUS) == chosen.focus) if chosen.focus else (lambda r: True),
        (lambda r: r.channel == chosen.channel) if chosen.channel else (lambda r: True),
        (lambda r: r.duplicates > 0) if chosen.duplicates else (lambda r: True),
        (lambda r: r.open_gaps > 0) if chosen.gaps else (lambda r: True),
        (lambda r: r.age == chosen.age) if chosen.age else (lambda r: True),
    ]


def _facet_values(r: QueueRow) -> tuple[str | None, ...]:
    return (
        r.step,
        r.focus or NO_FOCUS,
        r.channel,
        "yes" if r.duplicates else None,
        "yes" if r.open_gaps else None,
        r.age,
    )


def _sorted(rows: list[QueueRow], sort: str, step_order: dict[str, int]) -> list[QueueRow]:
    if sort == "newest":
        return sorted(rows, key=lambda r: (r.received_at, r.reference), reverse=True)
    if sort == "step":
        return sorted(rows, key=lambda r: (step_order.get(r.step, 99), r.received_at, r.reference))
    if sort == "duplicates":
        return sorted(rows, key=lambda r: (-r.duplicates, -r.open_gaps, r.received_at, r.reference))
    # oldest first: whoever has waited longest is served first
    return sorted(rows, key=lambda r: (r.received_at, r.reference))


def select_queue(rows: list[QueueRow], chosen: QueueFilter, process: ProcessDefinition) -> QueueResult:
    """Filter, count and sort `rows` as `chosen` says, and cut out the asked-for page.

    The count of each choice of a facet is taken with every *other* filter applied, so a row that
    fails only one facet's filter still counts for that facet. One pass over the rows.
    """
    active = set(active_places(process))
    tests = _tests(chosen, active)
    step_index = FACETS.index("step")
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    matched = []
    for r in rows:
        failed = [i for i, test in enumerate(tests) if not test(r)]
        values = _facet_values(r)
        if not failed:
            matched.append(r)
        # the step counts show every place, not only the active ones: step is judged without its test
        others = [i for i in failed if i != step_index]
        for i, value in enumerate(values):
            if value is None:
                continue
            if (i == step_index and not others) or (i != step_index and (not failed or failed == [i])):
                counts[FACETS[i]][value] += 1
    counts["step"]["active"] = sum(n for key, n in counts["step"].items() if key in active)
    step_order = {s.key: i for i, s in enumerate(process.steps)}
    ordered = _sorted(matched, chosen.sort, step_order)
    pages = max(1, -(-len(ordered) // PAGE_SIZE))
    page = min(max(1, chosen.page), pages)
    start = (page - 1) * PAGE_SIZE
    return QueueResult(
        rows=ordered[start : start + PAGE_SIZE], total=len(ordered), page=page, pages=pages, counts=counts
    )


def clean_filter(chosen: QueueFilter, process: ProcessDefinition, channels: Iterable[str]) -> QueueFilter:
    """Drop values that are not choices (a hand-edited URL), so that they read as "all"."""
    places = {s.key for s in process.steps} | {s.key for s in process.transitions.states}
    focus_keys = {a.key for a in process.focus_areas} | {NO_FOCUS}
    return replace(
        chosen,
        step=chosen.step if chosen.step in places else "",
        focus=chosen.focus if chosen.focus in focus_keys else "",
        channel=chosen.channel if chosen.channel in set(channels) else "",
        age=chosen.age if chosen.age in AGES else "",
        sort=chosen.sort if chosen.sort in SORTS else "oldest",
        page=max(1, chosen.page),
    )
