"""Server-side sessions in SQL: they survive restarts and every app process sees the same ones.

The browser holds a random token (256 bits); the table holds only its SHA-256. A login always
makes a new token and deletes the one the browser had (no session fixation); logout deletes the
row, so a copied cookie is worthless afterwards. The web's session middleware and login pages call
these and get a `Principal`, never a row.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.db import session_scope
from intake.domain.accounts import Role
from intake.models import Account, AuthSession, utcnow
from intake.settings import AuthSettings

TOUCH_EVERY = timedelta(seconds=15)
"""`last_seen_at` is written at most this often per session (or a tenth of the idle limit, if shorter)."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: the logged-in account, as the policy and the pages see it."""

    account_id: int
    email: str
    name: str | None
    role: Role

    @property
    def display_name(self) -> str:
        """Return the name to show, or the e-mail address."""
        return self.name or self.email


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(engine: Engine, account_id: int, address: str | None, replaces: str | None = None) -> str:
    """Start a session for `account_id` and return the token for the cookie.

    `replaces` is the token the browser sent, if any: it is deleted, so that the session id is
    always new after a login.
    """
    token = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        if replaces:
            session.execute(sa.delete(AuthSession).where(col(AuthSession.id) == _digest(replaces)))
        session.add(
            AuthSession(id=_digest(token), account_id=account_id, address=(address or "")[:64] or None)
        )
    return token


def end_session(engine: Engine, token: str) -> None:
    """Delete the session of `token` (logout); unknown tokens are ignored."""
    with session_scope(engine) as session:
        session.execute(sa.delete(AuthSession).where(col(AuthSession.id) == _digest(token)))


def expired(row: AuthSession, settings: AuthSettings, now: datetime) -> bool:
    """Tell whether a session is past its idle or its absolute limit."""
    idle = now - row.last_seen_at > timedelta(seconds=settings.idle_timeout_seconds)
    absolute = now - row.created_at > timedelta(seconds=settings.absolute_timeout_seconds)
    return idle or absolute


def load_session(
    engine: Engine, token: str, settings: AuthSettings, now: datetime | None = None
) -> Principal | None:
    """Return who `token` belongs to, or None; an expired session (or disabled account) is deleted.

    Using a session moves its idle limit forward.
    """
    now = now or utcnow()
    digest = _digest(token)
    with Session(engine) as session:
        found = session.exec(
            select(AuthSession, Account)
            .join(Account, col(Account.id) == col(AuthSession.account_id))
            .where(col(AuthSession.id) == digest)
        ).first()
        if found is None:
            return None
        row, account = found
        if expired(row, settings, now) or account.disabled:
            session.execute(sa.delete(AuthSession).where(col(AuthSession.id) == digest))
            session.commit()
            return None
        if now - row.last_seen_at > min(TOUCH_EVERY, timedelta(seconds=settings.idle_timeout_seconds / 10)):
            session.execute(
                sa.update(AuthSession).where(col(AuthSession.id) == digest).values(last_seen_at=now)
            )
            session.commit()
        assert account.id is not None
        return Principal(account_id=account.id, email=account.email, name=account.name, role=account.role)


def purge_expired(engine: Engine, settings: AuthSettings, now: datetime | None = None) -> int:
    """Delete every expired session; return how many. Called after logins to keep the table small."""
    now = now or utcnow()
    idle_before = now - timedelta(seconds=settings.idle_timeout_seconds)
    created_before = now - timedelta(seconds=settings.absolute_timeout_seconds)
    with session_scope(engine) as session:
        result = session.execute(
            sa.delete(AuthSession).where(
                sa.or_(
                    col(AuthSession.last_seen_at) < idle_before, col(AuthSession.created_at) < created_before
                )
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
