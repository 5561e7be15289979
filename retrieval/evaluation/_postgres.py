"""The peers as they run: Decidim's pg_trgm formula and Fider's full-text search, on PostgreSQL.

Both load the texts into a table of a scratch schema (`load_items` in a `scratch_schema`), build the
indexes the peers rely on and let PostgreSQL do the scoring; nothing is imitated in Python.

- `decidim`: `GREATEST(similarity(title, :title), similarity(body, :body))`, results at or above
  0.25, at most 10 (Decidim's `similarity_threshold` and `similarity_limit`). The candidates are
  found through GIN trigram indexes with `%`, which at `pg_trgm.similarity_threshold = 0.25` keeps
  exactly the rows where one of the two similarities reaches 0.25. A pair has no title: its
  sentence is both title and body, so the formula is `similarity(a, b)`.
- `fider`: `to_tsvector(cfg, title) @@ query` ranked by `ts_rank`, at most 5 results. The query is
  the query item's title as `plainto_tsquery(cfg, ...)` with its terms joined by OR (`|`), so that
  a whole title can match a post sharing some of its words. `cfg` is `swedish`, `english` or
  `finnish` from the item's `lang`, else `simple`. Every returned result counts as flagged. For a
  pair, the score is `ts_rank(to_tsvector(cfg, b), OR-query of a)` (0 without a match), divided
  by the largest such rank in the file, so that scores lie in [0, 1].
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from retrieval.evaluation._data import Item
from retrieval.evaluation._metrics import Ranking

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DECIDIM_THRESHOLD = 0.25
DECIDIM_LIMIT = 10
FIDER_LIMIT = 5
TEXT_SEARCH_CONFIGS = {"sv": "swedish", "en": "english", "fi": "finnish"}


def text_search_config(lang: str) -> str:
    """Return the PostgreSQL text search configuration for a language code."""
    return TEXT_SEARCH_CONFIGS.get(lang.strip().lower()[:2], "simple")


@contextmanager
def scratch_schema(url: str = DEFAULT_PG_URL) -> Iterator[Engine]:
    """Yield an engine whose connections use a fresh schema (then `public`); drop it afterwards."""
    name = f"eval_{secrets.token_hex(6)}"
    admin = sa.create_engine(url, connect_args={"connect_timeout": 5})
    engine: Engine | None = None
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={name},public"})
        yield engine
    finally:
        if engine is not None:
            engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def with_trigrams(connection: sa.Connection) -> None:
    """Install pg_trgm if missing and put the schema that holds it on this session's search path.

    The extension lives in one schema per database (usually `public`); a scratch schema selected
    through `search_path` would otherwise not see its functions and operator classes.
    """
    # `IF NOT EXISTS` is not safe against a concurrent CREATE: two evaluations starting together
    # failed on pg_extension's unique index. A transaction-scoped advisory lock serialises them.
    connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('beredning:pg_trgm'))"))
    connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    home = connection.execute(
        sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
    ).scalar_one()
    if home not in connection.execute(sa.text("SELECT current_schemas(false)::text[]")).scalar_one():
        path = connection.execute(sa.text("SELECT current_setting('search_path')")).scalar_one()
        connection.execute(
            sa.text("SELECT set_config('search_path', :path, false)"), {"path": f"{path}, {home}"}
        )


def load_items(engine: Engine, items: Sequence[Item]) -> None:
    """Create the table `eval_items` (id, title, body, cfg) with the peers' indexes and fill it."""
    with engine.begin() as connection:
        with_trigrams(connection)
        connection.execute(sa.text("DROP TABLE IF EXISTS eval_items"))
        connection.execute(
            sa.text(
                "CREATE TABLE eval_items (id text PRIMARY KEY, title text NOT NULL, "
                "body text NOT NULL, cfg regconfig NOT NULL)"
            )
        )
        connection.execute(
            sa.text("INSERT INTO eval_items VALUES (:id, :title, :body, CAST(:cfg AS regconfig))"),
            [
                {"id": i.id, "title": i.title, "body": i.body, "cfg": text_search_config(i.lang)}
                for i in items
            ],
        )
        connection.execute(sa.text("CREATE INDEX ON eval_items USING gin (title gin_trgm_ops)"))
        connection.execute(sa.text("CREATE INDEX ON eval_items USING gin (body gin_trgm_ops)"))
        connection.execute(sa.text("CREATE INDEX ON eval_items USING gin (to_tsvector(cfg, title))"))
        connection.execute(sa.text("ANALYZE eval_items"))


def _rankings(rows: Sequence[Any], queries: Sequence[str], k: int) -> dict[str, Ranking]:
    out: dict[str, Ranking] = {q: [] for q in queries}
    for row in rows:
        out[str(row[0])].append((str(row[1]), float(row[2])))
    for ranking in out.values():
        ranking.sort(key=lambda hit: (-hit[1], hit[0]))
        del ranking[k:]
    return out


class DecidimScorer:
    """Decidim's similar proposals: pg_trgm `similarity` of title and body, >= 0.25, top 10."""

    name = "decidim"

    def __init__(self, engine: Engine, threshold: float | None = DECIDIM_THRESHOLD) -> None:
        self.engine = engine
        self.threshold = threshold

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Return pg_trgm `similarity(a, b)` of each pair."""
        if not pairs:
            return []
        with self.engine.connect() as connection:
            with_trigrams(connection)
            rows = connection.execute(
                sa.text(
                    "SELECT similarity(a, b) FROM unnest(CAST(:a AS text[]), CAST(:b AS text[])) "
                    "WITH ORDINALITY AS p(a, b, n) ORDER BY n"
                ),
                {"a": [a for a, _ in pairs], "b": [b for _, b in pairs]},
            ).all()
            connection.commit()
        return [float(score) for (score,) in rows]

    def rank(self, items: Sequence[Item], queries: Sequence[str], k: int) -> dict[str, Ranking]:
        """Return Decidim's similar proposals for each query item (itself excluded)."""
        load_items(self.engine, items)
        sql = sa.text(
            """
            SELECT q.id, hit.id, hit.score
            FROM eval_items AS q
            CROSS JOIN LATERAL (
                SELECT c.id, GREATEST(similarity(c.title, q.title), similarity(c.body, q.body)) AS score
                FROM eval_items AS c
                WHERE c.id <> q.id AND (c.title % q.title OR c.body % q.body)
                ORDER BY score DESC, c.id
                LIMIT :limit
            ) AS hit
            WHERE q.id = ANY(:queries) AND hit.score >= :floor
            """
        )
        with self.engine.begin() as connection:
            with_trigrams(connection)
            connection.execute(sa.text(f"SET LOCAL pg_trgm.similarity_threshold = {DECIDIM_THRESHOLD}"))
            rows = connection.execute(
                sql, {"limit": min(k, DECIDIM_LIMIT), "queries": list(queries), "floor": DECIDIM_THRESHOLD}
            ).all()
        return _rankings(rows, queries, k)


class FiderScorer:
    """Fider's search: full-text search on titles with the item's language, by `ts_rank`, top 5."""

    name = "fider"

    def __init__(self, engine: Engine, lang: str = "sv") -> None:
        self.engine = engine
        self.lang = lang
        self.threshold: float | None = None

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Return the rank of b for a's OR-query, divided by the largest rank among the pairs."""
        if not pairs:
            return []
        sql = sa.text(
            """
            WITH p AS (
                SELECT b, n,
                    CAST(replace(replace(CAST(plainto_tsquery(CAST(:cfg AS regconfig), a) AS text),
                        ' & ', ' | '), ' <-> ', ' | ') AS tsquery) AS query
                FROM unnest(CAST(:a AS text[]), CAST(:b AS text[])) WITH ORDINALITY AS t(a, b, n)
            )
            SELECT CASE WHEN to_tsvector(CAST(:cfg AS regconfig), b) @@ query
                THEN ts_rank(to_tsvector(CAST(:cfg AS regconfig), b), query) ELSE 0 END
            FROM p ORDER BY n
            """
        )
        with self.engine.connect() as connection:
            rows = connection.execute(
                sql,
                {
                    "cfg": text_search_config(self.lang),
                    "a": [a for a, _ in pairs],
                    "b": [b for _, b in pairs],
                },
            ).all()
        ranks = [float(score) for (score,) in rows]
        top = max(ranks, default=0.0)
        return [r / top if top > 0 else 0.0 for r in ranks]

    def rank(self, items: Sequence[Item], queries: Sequence[str], k: int) -> dict[str, Ranking]:
        """Return Fider's search results for each query item's title (itself excluded)."""
        load_items(self.engine, items)
        sql = sa.text(
            """
            WITH q AS (
                SELECT id, CAST(replace(replace(CAST(plainto_tsquery(cfg, title) AS text),
                    ' & ', ' | '), ' <-> ', ' | ') AS tsquery) AS query
                FROM eval_items WHERE id = ANY(:queries)
            )
            SELECT q.id, hit.id, hit.score
            FROM q
            CROSS JOIN LATERAL (
                SELECT c.id, ts_rank(to_tsvector(c.cfg, c.title), q.query) AS score
                FROM eval_items AS c
                WHERE c.id <> q.id AND to_tsvector(c.cfg, c.title) @@ q.query
                ORDER BY score DESC, c.id
                LIMIT :limit
            ) AS hit
            """
        )
        with self.engine.connect() as connection:
            rows = connection.execute(sql, {"limit": min(k, FIDER_LIMIT), "queries": list(queries)}).all()
        return _rankings(rows, queries, k)
