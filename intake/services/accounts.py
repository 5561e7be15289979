"""Staff accounts: create, list, change password, disable, check a login under the rate limit, and
find or create the account of an OpenID Connect sign-in.

The CLI (`beredning user ...`) and the login pages share these functions. Every change to an account
is audited in the same transaction; passwords never leave this module in clear. Callers get an
`AccountRecord`, never the row: the pages hold no ORM object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from intake.db import session_scope
from intake.domain.accounts import Role
from intake.domain.audit import AuditAction
from intake.models import Account, AuthSession, ForumMembership, LoginAttempt, utcnow
from intake.services import audit
from intake.services.passwords import check_new_password, hash_password, needs_rehash, verify_password
from intake.settings import AuthSettings

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """A request about accounts that cannot be done, with a message for the person who asked."""


@dataclass(frozen=True)
class AccountRecord:
    """An account as the pages and the CLI see it: no password hash, no ORM row."""

    id: int
    email: str
    name: str | None
    role: Role
    disabled: bool
    has_password: bool
    oidc_subject: str | None
    last_login_at: datetime | None


def _record(account: Account) -> AccountRecord:
    assert account.id is not None
    return AccountRecord(
        id=account.id,
        email=account.email,
        name=account.name,
        role=account.role,
        disabled=account.disabled,
        has_password=account.password_hash is not None,
        oidc_subject=account.oidc_subject,
        last_login_at=account.last_login_at,
    )


def normalize_email(email: str) -> str:
    """Return the login name: the address trimmed and lower-cased."""
    return email.strip().lower()


def _valid_email(email: str) -> str:
    normalized = normalize_email(email)
    if not _EMAIL.match(normalized) or len(normalized) > 320:
        raise AccountError(f"{email!r} is not an e-mail address")
    return normalized


def _get(session: Session, email: str) -> Account:
    account = session.exec(select(Account).where(Account.email == normalize_email(email))).first()
    if account is None:
        raise AccountError(f"no account {normalize_email(email)!r}")
    return account


def add_account(
    engine: Engine,
    email: str,
    role: Role,
    password: str | None,
    settings: AuthSettings,
    *,
    name: str | None = None,
    actor: str,
) -> AccountRecord:
    """Create a local account; `password` None makes an account that can log in only through OIDC."""
    normalized = _valid_email(email)
    if password is not None:
        check_new_password(password, settings)
    with session_scope(engine) as session:
        if session.exec(select(Account.id).where(Account.email == normalized)).first() is not None:
            raise AccountError(f"an account {normalized!r} exists already")
        account = Account(
            email=normalized,
            name=name,
            role=role,
            password_hash=hash_password(password, settings) if password is not None else None,
        )
        session.add(account)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.ACCOUNT_CREATED,
            entity_kind="account",
            entity_key=normalized,
            changes={"role": [None, role.value], "name": [None, name]},
        )
        session.flush()
        return _record(account)


def list_accounts(engine: Engine) -> list[AccountRecord]:
    """Return every account, by e-mail address."""
    with Session(engine) as session:
        return [_record(a) for a in session.exec(select(Account).order_by(Account.email))]


def set_password(engine: Engine, email: str, password: str, settings: AuthSettings, *, actor: str) -> None:
    """Give an account a new password and end its sessions (a stolen session dies with the old password)."""
    check_new_password(password, settings)
    with session_scope(engine) as session:
        account = _get(session, email)
        account.password_hash = hash_password(password, settings)
        account.updated_at = utcnow()
        _end_sessions(session, account)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.PASSWORD_CHANGED,
            entity_kind="account",
            entity_key=account.email,
        )


def set_disabled(engine: Engine, email: str, disabled: bool, *, actor: str) -> None:
    """Disable (or enable again) an account; disabling ends its sessions at once."""
    with session_scope(engine) as session:
        account = _get(session, email)
        before = account.disabled
        account.disabled = disabled
        account.updated_at = utcnow()
        if disabled:
            _end_sessions(session, account)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.ACCOUNT_DISABLED if disabled else AuditAction.ACCOUNT_ENABLED,
            entity_kind="account",
            entity_key=account.email,
            changes={"disabled": [before, disabled]},
        )


def set_forums(engine: Engine, email: str, forums: list[str], known: list[str], *, actor: str) -> list[str]:
    """Give the account seats in exactly `forums` (keys from `known`); return them sorted.

    Raises:
        AccountError: no such account, or a forum key that the process does not have.
    """
    wanted = sorted({f.strip() for f in forums if f.strip()})
    unknown = [f for f in wanted if f not in known]
    if unknown:
        raise AccountError(f"no forum {', '.join(unknown)} in the process (forums: {', '.join(known)})")
    with session_scope(engine) as session:
        account = _get(session, email)
        assert account.id is not None
        before = forums_of(session, account.id)
        session.execute(sa.delete(ForumMembership).where(col(ForumMembership.account_id) == account.id))
        for key in wanted:
            session.add(ForumMembership(account_id=account.id, forum_key=key))
        audit.record(
            session,
            actor=actor,
            action=AuditAction.ACCOUNT_FORUMS,
            entity_kind="account",
            entity_key=account.email,
            changes={"forums": [before, wanted]},
        )
    return wanted


def account_forums(engine: Engine, email: str) -> list[str]:
    """Return the forums the account of `email` has a seat in.

    Raises:
        AccountError: no such account.
    """
    with Session(engine) as session:
        account = _get(session, email)
        assert account.id is not None
        return forums_of(session, account.id)


def forums_of(target: Engine | Session, account_id: int) -> list[str]:
    """Return the keys of the forums the account has a seat in, sorted."""
    query = select(ForumMembership.forum_key).where(col(ForumMembership.account_id) == account_id)
    if isinstance(target, Session):
        return sorted(target.exec(query))
    with Session(target) as session:
        return sorted(session.exec(query))


def link_oidc(engine: Engine, email: str, subject: str, *, actor: str) -> None:
    """Let the OIDC subject `issuer|sub` sign in as the account of `email` (an admin's decision).

    Raises:
        AccountError: no such account, a malformed subject, or one already linked elsewhere.
    """
    subject = subject.strip()
    if "|" not in subject or subject.startswith("|") or subject.endswith("|"):
        raise AccountError("the subject is `ISSUER|SUB`, as the ID token's iss and sub claims read")
    with session_scope(engine) as session:
        other = session.exec(select(Account).where(col(Account.oidc_subject) == subject)).first()
        account = _get(session, email)
        if other is not None and other.id != account.id:
            raise AccountError(f"that subject already signs in as {other.email}")
        before = account.oidc_subject
        account.oidc_subject = subject
        account.updated_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.ACCOUNT_OIDC_LINKED,
            entity_kind="account",
            entity_key=account.email,
            changes={"oidc_subject": [before, subject]},
        )


class NotLinked(Exception):
    """The token's address belongs to a local account that no admin has linked to this subject."""


class LinkedElsewhere(Exception):
    """The token's address belongs to an account linked to another subject: a person must look."""


def oidc_account(engine: Engine, claims: dict[str, Any], role: Role) -> AccountRecord:
    """Find or create the account of an ID token's subject, and record the sign-in.

    Only the subject (`iss|sub`) finds an account: an address is a claim the person may be able
    to change, so a local account with the same address is never taken over by it; an admin links
    the two (`beredning user link`). The role follows the token for accounts made by OIDC; an
    account with a password keeps the role an admin gave it.

    Raises:
        NotLinked: the address belongs to a local account not linked to this subject.
        LinkedElsewhere: the address belongs to an account linked to another subject.
    """
    subject = f"{claims['iss']}|{claims['sub']}"
    email = str(claims.get("email") or claims.get("preferred_username") or "").strip().lower()
    name = claims.get("name")
    try:
        with session_scope(engine) as session:
            account = session.exec(select(Account).where(col(Account.oidc_subject) == subject)).first()
            taken = email and session.exec(select(Account).where(col(Account.email) == email)).first()
            if account is None and taken:
                raise NotLinked(email)
            if account is None:
                account = Account(email=email or subject[:320], name=name, role=role, oidc_subject=subject)
                session.add(account)
                audit.record(
                    session,
                    actor="oidc",
                    action=AuditAction.ACCOUNT_CREATED,
                    entity_kind="account",
                    entity_key=account.email,
                    changes={"role": [None, role.value]},
                )
            else:
                if account.role != role and account.password_hash is None:
                    audit.record(
                        session,
                        actor="oidc",
                        action=AuditAction.ROLE_CHANGED,
                        entity_kind="account",
                        entity_key=account.email,
                        changes={"role": [account.role.value, role.value]},
                    )
                    account.role = role
                account.name = name or account.name
            account.last_login_at = utcnow()
            account.updated_at = utcnow()
            session.flush()
            return _record(account)
    except IntegrityError as exc:
        raise LinkedElsewhere(email) from exc


def _end_sessions(session: Session, account: Account) -> None:
    session.execute(sa.delete(AuthSession).where(col(AuthSession.account_id) == account.id))


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login: the account, or why not (`wrong`, `held` with seconds to wait)."""

    account: AccountRecord | None = None
    held_seconds: int = 0

    @property
    def ok(self) -> bool:
        """Return whether the login succeeded."""
        return self.account is not None


def _failures_since(session: Session, by: str, value: str, since: datetime) -> list[datetime]:
    column = col(LoginAttempt.email) if by == "email" else col(LoginAttempt.address)
    rows = session.exec(
        select(LoginAttempt.at)
        .where(column == value, col(LoginAttempt.at) >= since, col(LoginAttempt.success).is_(False))
        .order_by(col(LoginAttempt.at))
    )
    return list(rows)


def held_for(
    engine: Engine,
    email: str,
    address: str,
    settings: AuthSettings,
    now: datetime | None = None,
    *,
    counting_own: bool = False,
) -> int:
    """Return how many seconds logins for `email` or from `address` are held (0: not held).

    `counting_own`: the attempt being checked is already recorded as a failure (so one more is allowed).

    Counted in SQL, so the limit holds across every app process. A success clears the account's
    count but not the address's, so that logging in to one's own account does not reset a guesser.
    """
    now = now or utcnow()
    window = timedelta(seconds=settings.login_window_seconds)
    start = now - window
    with Session(engine) as session:
        last_success = session.exec(
            select(sa.func.max(LoginAttempt.at)).where(
                LoginAttempt.email == email,
                col(LoginAttempt.success).is_(True),
            )
        ).first()
        account_since = max(start, last_success) if last_success is not None else start
        per_account = _failures_since(session, "email", email, account_since)
        per_address = _failures_since(session, "address", address, start)
    held = 0.0
    own = 1 if counting_own else 0
    for failures, limit in (
        (per_account, settings.max_failures_per_account + own),
        (per_address, settings.max_failures_per_address + own),
    ):
        if len(failures) >= limit:
            # held until the failure that tipped the count leaves the window
            tipping = failures[len(failures) - limit]
            held = max(held, (tipping + window - now).total_seconds())
    return max(int(held + 0.999), 1) if held > 0 else 0


def authenticate(
    engine: Engine, email: str, password: str, address: str, settings: AuthSettings
) -> LoginResult:
    """Check a local login, under the per-account and per-address limits, and record the attempt."""
    normalized = normalize_email(email)[:320]
    address = address[:64]
    held = held_for(engine, normalized, address, settings)
    if held:
        return LoginResult(held_seconds=held)
    # Counted as a failure before the password is hashed: guesses sent in parallel all see each
    # other's attempts, instead of passing the check together while the hashes run.
    with session_scope(engine) as session:
        attempt = LoginAttempt(email=normalized, address=address, success=False)
        session.add(attempt)
        # keep the table small: nothing older than a day (or the window, if longer) is ever counted
        keep = timedelta(seconds=max(settings.login_window_seconds, 86400))
        session.execute(sa.delete(LoginAttempt).where(col(LoginAttempt.at) < utcnow() - keep))
    held = held_for(engine, normalized, address, settings, counting_own=True)
    if held:  # parallel guesses got in between the check above and this attempt's row
        return LoginResult(held_seconds=held)
    with Session(engine, expire_on_commit=False) as session:
        account = session.exec(select(Account).where(Account.email == normalized)).first()
    ok = verify_password(account.password_hash if account else None, password, settings)
    ok = ok and account is not None and not account.disabled
    with session_scope(engine) as session:
        if ok:
            session.execute(
                sa.update(LoginAttempt).where(col(LoginAttempt.id) == attempt.id).values(success=True)
            )
        if ok and account is not None:
            stored = session.get(Account, account.id)
            assert stored is not None
            stored.last_login_at = utcnow()
            if stored.password_hash and needs_rehash(stored.password_hash, settings):
                stored.password_hash = hash_password(password, settings)
            return LoginResult(account=_record(stored))
    return LoginResult()
