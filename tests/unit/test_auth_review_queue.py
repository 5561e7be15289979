"""The review queue's filters, counts and order, on rows made by hand (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from intake.domain.process import load_process
from intake.services.review_queue import PAGE_SIZE, QueueFilter, QueueRow, clean_filter, select_queue

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PROCESS = load_process()


def row(
    ref: str,
    *,
    step: str = "steg-0",
    days: int = 1,
    channel: str = "web",
    focus: str | None = None,
    dups: int = 0,
    gaps: int = 0,
) -> QueueRow:
    return QueueRow(
        reference=ref,
        title=None,
        step=step,
        channel=channel,
        received_at=NOW - timedelta(days=days),
        focus=focus,
        duplicates=dups,
        open_gaps=gaps,
        age_days=days,
    )


ROWS = [
    row("IN-1", days=40, channel="email", dups=2),
    row("IN-2", days=3, focus="effektiv-kommun", gaps=4),
    row("IN-3", step="steg-1", days=10, dups=1, gaps=1),
    row("IN-4", step="beslutad", days=90),  # resting: not in the default queue
    row("IN-5", step="pausad", days=20, channel="api"),  # a state: only when asked for
]


def refs(chosen: QueueFilter) -> list[str]:
    return [r.reference for r in select_queue(ROWS, chosen, PROCESS).rows]


def test_default_queue_is_the_active_steps_oldest_first() -> None:
    assert refs(QueueFilter()) == ["IN-1", "IN-3", "IN-2"]
    assert refs(QueueFilter(sort="newest")) == ["IN-2", "IN-3", "IN-1"]
    assert refs(QueueFilter(sort="duplicates")) == ["IN-1", "IN-3", "IN-2"]
    assert refs(QueueFilter(sort="step")) == ["IN-1", "IN-2", "IN-3"]


def test_each_filter_narrows_and_states_are_reachable() -> None:
    assert refs(QueueFilter(step="steg-1")) == ["IN-3"]
    assert refs(QueueFilter(step="pausad")) == ["IN-5"]
    assert refs(QueueFilter(focus="effektiv-kommun")) == ["IN-2"]
    assert refs(QueueFilter(focus="none")) == ["IN-1", "IN-3"]
    assert refs(QueueFilter(channel="email")) == ["IN-1"]
    assert refs(QueueFilter(duplicates=True)) == ["IN-1", "IN-3"]
    assert refs(QueueFilter(gaps=True)) == ["IN-3", "IN-2"]
    assert refs(QueueFilter(age="week")) == ["IN-2"]
    assert refs(QueueFilter(age="month")) == ["IN-3"]
    assert refs(QueueFilter(age="older")) == ["IN-1"]
    assert refs(QueueFilter(duplicates=True, gaps=True)) == ["IN-3"]


def test_counts_show_what_each_choice_would_give() -> None:
    result = select_queue(ROWS, QueueFilter(duplicates=True), PROCESS)
    assert result.total == 2
    assert result.counts["step"]["active"] == 2 and result.counts["step"]["steg-1"] == 1
    assert result.counts["step"]["beslutad"] == 0 and result.counts["step"]["pausad"] == 0
    assert result.counts["duplicates"]["yes"] == 2
    assert result.counts["gaps"]["yes"] == 1, "gap count under the duplicates filter"
    assert result.counts["channel"] == {"email": 1, "web": 1}
    # the duplicates count ignores its own filter
    assert select_queue(ROWS, QueueFilter(gaps=True), PROCESS).counts["duplicates"]["yes"] == 1


def test_pages_and_hand_edited_urls() -> None:
    many = [row(f"IN-{i:03d}", days=i % 50) for i in range(PAGE_SIZE + 7)]
    second = select_queue(many, QueueFilter(page=2), PROCESS)
    assert second.pages == 2 and second.page == 2 and len(second.rows) == 7
    assert select_queue(many, QueueFilter(page=99), PROCESS).page == 2
    cleaned = clean_filter(
        QueueFilter(step="steg-99", focus="x", channel="fax", age="ancient", sort="random", page=0),
        PROCESS,
        ["web"],
    )
    assert cleaned == QueueFilter()
