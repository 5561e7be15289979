"""Password hashing with Argon2id (memory-hard), parameters read from the settings.

The hash string carries its own parameters and salt (`$argon2id$v=19$m=65536,t=3,p=4$...`), so
raising the parameters needs no migration: a login with an older hash is rehashed on the spot.
"""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from intake.settings import AuthSettings


class PasswordTooShort(ValueError):
    """Raised for a new password shorter than the configured minimum."""


def hasher(settings: AuthSettings) -> PasswordHasher:
    """Return the Argon2id hasher for the configured parameters."""
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        type=Type.ID,
    )


def check_new_password(password: str, settings: AuthSettings) -> None:
    """Refuse a password that is too short (length is what matters; no composition rules)."""
    if len(password) < settings.min_password_length:
        raise PasswordTooShort(
            f"the password must be at least {settings.min_password_length} characters long"
        )


def hash_password(password: str, settings: AuthSettings) -> str:
    """Return the Argon2id hash string of `password` (salted, parameters included)."""
    return hasher(settings).hash(password)


def verify_password(stored: str | None, password: str, settings: AuthSettings) -> bool:
    """Tell whether `password` matches `stored`; an account without a hash never matches.

    An unknown account still costs one hash computation (see `dummy_verify`), so that timing does
    not tell which e-mail addresses have accounts.
    """
    if not stored:
        dummy_verify(password, settings)
        return False
    try:
        return hasher(settings).verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str, settings: AuthSettings) -> bool:
    """Tell whether `stored` was made with other parameters than the configured ones."""
    try:
        return hasher(settings).check_needs_rehash(stored)
    except InvalidHashError:
        return True


_DUMMY: dict[tuple[int, int, int], str] = {}


def dummy_verify(password: str, settings: AuthSettings) -> None:
    """Spend the time of one verification, for logins to accounts that do not exist."""
    key = (settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)
    if key not in _DUMMY:
        _DUMMY[key] = hash_password("not a real password, only for timing", settings)
    with contextlib.suppress(VerificationError):
        hasher(settings).verify(_DUMMY[key], password)
