"""Time Decidim's similar-proposals query on the same portfolio, in PostgreSQL with pg_trgm.

The table, its GIN trigram indexes and the `pg_trgm` set-up are the evaluation's own
(`retrieval.evaluation.load_items` and `with_trigrams`), so the figure is for the same peer that
`beredning eval` scores. What differs is the shape of the query: the evaluation ranks items already
in the table, while here a new text is compared with all of them, as Decidim does when someone
writes a proposal. The text is both title and body, as the evaluation does for a text without a
title.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from beredning_bench.benchmark._build import nr_of
from beredning_bench.benchmark._corpus import SourceText
from retrieval.evaluation import (
    DECIDIM_LIMIT,
    DECIDIM_THRESHOLD,
    Item,
    load_items,
    scratch_schema,
    with_trigrams,
)

_SIMILAR = sa.text(
    """
    SELECT id, GREATEST(similarity(title, :text), similarity(body, :text)) AS score
    FROM eval_items
    WHERE title % :text OR body % :text
    ORDER BY score DESC, id
    LIMIT :limit
    """
)
"""Decidim's formula for one new text; `%` (at the 0.25 threshold) lets the GIN indexes find them."""


@dataclass(frozen=True)
class DecidimTiming:
    """Load time of the table with its indexes, and one timing per query (ms)."""

    load_seconds: float
    timings_ms: list[float]


def decidim_latencies(
    url: str, texts: Sequence[SourceText], warmup: Sequence[str], queries: Sequence[str]
) -> DecidimTiming:
    """Load the texts into a scratch schema and time Decidim's query for each text, one at a time.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: PostgreSQL is unreachable or lacks pg_trgm; the caller
            reports the figure as skipped.
    """
    items = [Item(id=nr_of(i), title=t.title, body=t.body, group=nr_of(i)) for i, t in enumerate(texts)]
    with scratch_schema(url) as engine:
        began = time.perf_counter()
        load_items(engine, items)
        load_seconds = time.perf_counter() - began
        timings: list[float] = []
        with engine.begin() as connection:
            with_trigrams(connection)
            connection.execute(sa.text(f"SET LOCAL pg_trgm.similarity_threshold = {DECIDIM_THRESHOLD}"))
            for text in warmup:
                connection.execute(_SIMILAR, {"text": text, "limit": DECIDIM_LIMIT}).all()
            for text in queries:
                started = time.perf_counter()
                connection.execute(_SIMILAR, {"text": text, "limit": DECIDIM_LIMIT}).all()
                timings.append((time.perf_counter() - started) * 1000)
    return DecidimTiming(load_seconds, timings)
