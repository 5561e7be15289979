"""Request limits counted in SQL, so that every app process and every worker shares one count.

A hit is one row (bucket, client, time). `hit` adds the row and counts the client's rows in the
window in one transaction; past the limit the row is taken back and the caller is told how long
to wait until the oldest counted hit leaves the window. Two processes racing at the limit may
both be refused (never both let through past it on PostgreSQL's default isolation, where each
sees its own row and the other's committed one). Rows older than the window are deleted by the
hits of the same bucket.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from intake.models import RateHit, utcnow

_TABLE: sa.Table = RateHit.__table__  # type: ignore[attr-defined]
_C = _TABLE.c


@dataclass(frozen=True)
class Limit:
    """`count` hits per `window_seconds` in `bucket`."""

    bucket: str
    count: int
    window_seconds: int


def hit(engine: Engine, limit: Limit, client: str, now: datetime | None = None) -> int:
    """Count one request of `client`; return 0 when it is allowed, else the seconds to wait."""
    now = now or utcnow()
    start = now - timedelta(seconds=limit.window_seconds)
    client = client[:80]
    with engine.begin() as connection:
        connection.execute(sa.delete(_TABLE).where(_C.bucket == limit.bucket, _C.at < start))
        new_id = connection.execute(
            sa.insert(_TABLE).values(bucket=limit.bucket, client=client, at=now).returning(_C.id)
        ).scalar_one()
        times = (
            connection.execute(
                sa.select(_C.at)
                .where(_C.bucket == limit.bucket, _C.client == client, _C.at >= start)
                .order_by(_C.at.desc())
                .limit(limit.count + 1)
            )
            .scalars()
            .all()
        )
        if len(times) <= limit.count:
            return 0
        connection.execute(sa.delete(_TABLE).where(_C.id == new_id))
    oldest: datetime = times[limit.count]  # the hit whose leaving the window frees a place
    return max(1, math.ceil((oldest + timedelta(seconds=limit.window_seconds) - now).total_seconds()))
