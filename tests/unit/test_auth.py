"""Access rules without a server: password hashes, the route policy, redirects, session limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from litestar.exceptions import PermissionDeniedException

from intake.domain.accounts import Role
from intake.models import AuthSession
from intake.services.auth_sessions import Principal, expired
from intake.services.passwords import (
    PasswordTooShort,
    check_new_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from intake.settings import AuthSettings
from intake.web.auth.policy import PUBLIC, STAFF, LoginRequired, access_for, allowed, authorize
from intake.web.auth.views import safe_next

# small parameters keep the unit tests quick; the integration tests use the defaults
FAST = AuthSettings(argon2_time_cost=1, argon2_memory_kib=8 * 1024, argon2_parallelism=1)


def person(role: Role) -> Principal:
    return Principal(account_id=1, email=f"{role.value}@kommun.se", name=None, role=role)


def test_hash_is_argon2id_with_its_parameters_and_a_salt() -> None:
    first, second = hash_password("ett långt lösenord", FAST), hash_password("ett långt lösenord", FAST)
    assert first.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert first != second, "each hash has its own salt"
    assert verify_password(first, "ett långt lösenord", FAST)
    assert not verify_password(first, "ett långt lösenorD", FAST)
    assert not verify_password("not a hash", "ett långt lösenord", FAST)
    assert not verify_password(None, "ett långt lösenord", FAST), (
        "an account without a password never matches"
    )


def test_raised_parameters_ask_for_a_rehash_and_old_hashes_still_verify() -> None:
    old = hash_password("ett långt lösenord", FAST)
    stronger = FAST.model_copy(update={"argon2_time_cost": 2, "argon2_memory_kib": 16 * 1024})
    assert needs_rehash(old, stronger) and not needs_rehash(old, FAST)
    assert verify_password(old, "ett långt lösenord", stronger)


def test_short_passwords_are_refused() -> None:
    with pytest.raises(PasswordTooShort, match="at least 12"):
        check_new_password("elva tecken", AuthSettings())
    check_new_password("tolv tecken!", AuthSettings())


def test_policy_default_denies_unknown_routes_even_to_admins() -> None:
    assert access_for("GET", "/not-in-the-table") is None
    assert not allowed(None, person(Role.ADMIN))
    assert allowed(access_for("HEAD", "/static/{file_path}"), None), "HEAD follows GET"
    assert allowed(PUBLIC, None)
    assert allowed(STAFF, person(Role.DIGIT)) and allowed(STAFF, person(Role.ADMIN))
    assert not allowed(STAFF, person(Role.FORUM)) and not allowed(STAFF, person(Role.SUBMITTER))
    assert not allowed(STAFF, None)


def _connection(method: str, template: str, user: Principal | None) -> Any:
    return SimpleNamespace(scope={"method": method, "path_template": template, "user": user})


def test_the_guard_asks_anonymous_visitors_to_log_in_and_refuses_wrong_roles() -> None:
    handler: Any = None
    authorize(_connection("GET", "/review", person(Role.DIGIT)), handler)
    authorize(_connection("POST", "/", None), handler)
    authorize(_connection("OPTIONS", "/review", None), handler)
    with pytest.raises(LoginRequired):
        authorize(_connection("GET", "/review", None), handler)
    with pytest.raises(PermissionDeniedException):
        authorize(_connection("GET", "/review", person(Role.FORUM)), handler)
    with pytest.raises(PermissionDeniedException) as refused:
        authorize(_connection("GET", "/brand-new-page", person(Role.ADMIN)), handler)
    assert not isinstance(refused.value, LoginRequired)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/review/?step=steg-1", "/review/?step=steg-1"),
        ("/", "/"),
        ("", None),
        (None, None),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("review", None),
        ("/ok\r\nSet-Cookie: x=1", None),
    ],
)
def test_only_local_paths_are_followed_after_login(value: str | None, expected: str | None) -> None:
    assert safe_next(value) == expected


def test_sessions_end_when_idle_or_too_old() -> None:
    settings = AuthSettings(idle_timeout_seconds=600, absolute_timeout_seconds=3600)
    start = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    row = AuthSession(id="x", account_id=1, created_at=start, last_seen_at=start)
    assert not expired(row, settings, start + timedelta(seconds=599))
    assert expired(row, settings, start + timedelta(seconds=601)), "idle"
    row.last_seen_at = start + timedelta(seconds=3590)
    assert not expired(row, settings, start + timedelta(seconds=3599))
    assert expired(row, settings, start + timedelta(seconds=3601)), "absolute, though just used"


def test_access_and_review_texts_exist_in_both_languages() -> None:
    from intake.locale import texts

    _ = texts("en")
    assert _("Logga in") == "Log in" and _("Att bereda") == "To review" and _("Skicka") == "Send"
