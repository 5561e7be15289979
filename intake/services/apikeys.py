"""API keys: how a machine (another system, a mail gateway) is let into the JSON API.

A key reads `bk_<prefix>_<secret>`. It is shown once when made; only the SHA-256 of the whole key
is stored, found by its public `prefix` and compared in constant time. Each key grants scopes:
`submit` (POST /api/submissions), `mail` (POST /api/mail) and `read` (matches between submissions
explained in full, as staff see them). A revoked key opens nothing, at once, in every process.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.models import ApiKey, utcnow
from intake.services import audit
from intake.services.follow import token_hash

SCOPES: tuple[str, ...] = ("submit", "mail", "read")
"""Every scope a key can grant."""

_KEY = re.compile(r"^bk_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")
_TOUCH_EVERY = timedelta(minutes=1)
"""`last_used_at` is written at most this often per key, so a busy client costs no write per request."""


class ApiKeyProblem(ValueError):
    """A key cannot be made or revoked as asked; the message says why."""


@dataclass(frozen=True)
class ApiClient:
    """A verified key, as the request handlers see it (never the secret)."""

    prefix: str
    name: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class KeyRecord:
    """A stored key as lists show it: its public prefix, never the secret or its hash."""

    prefix: str
    name: str
    scopes: list[str]
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None


def _record(row: ApiKey) -> KeyRecord:
    return KeyRecord(
        prefix=row.prefix,
        name=row.name,
        scopes=list(row.scopes),
        created_at=row.created_at,
        created_by=row.created_by,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


@dataclass(frozen=True)
class NewKey:
    """A key just made: `key` is the only copy of the secret and is shown once."""

    key: str
    row: KeyRecord


def add(engine: Engine, name: str, scopes: list[str], *, created_by: str) -> NewKey:
    """Make a key for `name` with `scopes`; the returned `key` is not stored anywhere.

    Raises:
        ApiKeyProblem: no name, no scope or an unknown scope.
    """
    name = name.strip()
    chosen = sorted({s.strip().lower() for s in scopes if s.strip()})
    if not name:
        raise ApiKeyProblem("give the key a name: what system or person uses it")
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown or not chosen:
        raise ApiKeyProblem(f"scopes must be among {', '.join(SCOPES)} (got {', '.join(unknown) or 'none'})")
    prefix = secrets.token_hex(4)
    key = f"bk_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        name=name[:200], prefix=prefix, key_hash=token_hash(key), scopes=chosen, created_by=created_by[:320]
    )
    with session_scope(engine) as session:
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=created_by,
            action=AuditAction.APIKEY_ADDED,
            entity_kind="api_key",
            entity_key=prefix,
            changes={"name": row.name, "scopes": chosen},
        )
    return NewKey(key, _record(row))


def listed(engine: Engine) -> list[KeyRecord]:
    """Return every key, newest first, revoked ones included (they show when and are kept for audit)."""
    with Session(engine, expire_on_commit=False) as session:
        rows = session.exec(select(ApiKey).order_by(col(ApiKey.created_at).desc(), col(ApiKey.id).desc()))
        return [_record(row) for row in rows]


def revoke(engine: Engine, prefix: str, *, by: str) -> KeyRecord:
    """Revoke the key with `prefix` (revoking twice is harmless).

    Raises:
        ApiKeyProblem: no key has that prefix.
    """
    prefix = prefix.strip().lower().removeprefix("bk_")[:8]
    with session_scope(engine) as session:
        row = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if row is None:
            raise ApiKeyProblem(f"no API key with prefix {prefix!r} (see `beredning apikey list`)")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(row)
            audit.record(
                session,
                actor=by,
                action=AuditAction.APIKEY_REVOKED,
                entity_kind="api_key",
                entity_key=prefix,
                changes={},
            )
        return _record(row)


def verify(engine: Engine, presented: str, now: datetime | None = None) -> ApiClient | None:
    """Return the client a presented key belongs to; None when it is malformed, unknown or revoked."""
    found = _KEY.match(presented.strip())
    if found is None:
        return None
    now = now or utcnow()
    with Session(engine, expire_on_commit=False) as session:
        row = session.exec(select(ApiKey).where(ApiKey.prefix == found.group(1))).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.key_hash, token_hash(presented.strip())):
            return None
        if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
            row.last_used_at = now
            session.add(row)
            session.commit()
        return ApiClient(prefix=row.prefix, name=row.name, scopes=frozenset(row.scopes))


def presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    """Return the key a request carries: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return (x_api_key or "").strip() or None
