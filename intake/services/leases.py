"""Expiring claims on rows: the one definition of a lease, used by every kind of claimed work.

Four kinds of work are claimed in the database: jobs (a worker runs a submission's flow), stored
mails (one handler each), sends (an agenda, a digest, the day's culling) and a mailbox folder's
poll. Each has its own table and its own idea of "done", but the lease is the same thing in all
of them: a row is held by one owner until a time; once that time has passed anyone may take it;
only the owner may write the outcome; and an owner that works for long renews its hold first.
Those rules live here, so that the clock, the comparison, the owner's name and the renewal
cadence cannot drift apart between the four.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

log = logging.getLogger(__name__)

RENEWALS_PER_LEASE = 3
"""An owner renews this many times per lease length, so one missed renewal never loses it."""


def worker_name() -> str:
    """Return a name for this process (host and pid), shown to operators as a claim's owner."""
    return f"{socket.gethostname()}:{os.getpid()}"


def new_owner(name: str | None = None) -> str:
    """Return a claim owner: `name` (default this process) and a random token per claim.

    The token tells two claims of one process apart, so a thread whose claim ran out and was
    taken again cannot write over its successor's outcome.
    """
    return f"{name or worker_name()}/{uuid.uuid4().hex[:12]}"


def lapsed(until: sa.ColumnElement[datetime], now: datetime) -> sa.ColumnElement[bool]:
    """A held row whose lease has run out: its owner stopped renewing (died or hung)."""
    return until < now


def running(until: sa.ColumnElement[datetime], now: datetime) -> sa.ColumnElement[bool]:
    """A held row whose lease has not run out yet: its owner may still write."""
    return until >= now


def free(until: sa.ColumnElement[datetime], now: datetime) -> sa.ColumnElement[bool]:
    """A row nobody holds: never claimed (or released), or its lease has run out."""
    return sa.or_(until.is_(None), lapsed(until, now))


def renewal_due(renewed_at: float, now: float, lease: timedelta) -> bool:
    """Tell whether an owner that renewed at monotonic time `renewed_at` should renew again."""
    return now - renewed_at >= renew_every(lease)


def renew_every(lease: timedelta) -> float:
    """Seconds between renewals of a lease of length `lease`."""
    return max(lease.total_seconds() / RENEWALS_PER_LEASE, 0.05)


class Keeper:
    """Renews a lease in a daemon thread while the work under it runs (`with Keeper(...):`).

    `renew` returns False when the lease was lost (another owner took it after it ran out); the
    keeper then stops and logs it: the work goes on, but its outcome will not be recorded.
    """

    def __init__(self, renew: Callable[[], bool], lease: timedelta, name: str) -> None:
        self._renew = renew
        self._lease = lease
        self._name = name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease-{name}", daemon=True)

    def __enter__(self) -> Keeper:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(renew_every(self._lease)):
            try:
                if not self._renew():
                    log.warning("%s: lease lost; another process may do the work too", self._name)
                    return
            except sa.exc.SQLAlchemyError as exc:
                log.warning("%s: could not renew the lease: %s", self._name, exc)
