"""The authorization matrix: every route of the app, for every role and for anonymous visitors.

The route list comes from the app itself (`app.routes`), so a route added without an entry in
`intake.web.auth.policy.POLICY` fails here. Each route is then called on a real server with real
sessions and the answer compared with the policy: allowed means neither 401/403, nor a redirect
to the login page, nor a server error; refused means 303 to `/login` (pages) or 401 (API) for
anonymous visitors and 403 for logged-in people whose role is not allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.routes import HTTPRoute

from intake.domain.accounts import Role
from intake.settings import Settings
from intake.web.auth.policy import POLICY, PUBLIC, access_for
from tests.browser import csrf_token, logged_in, login, seed_accounts
from tests.server import app_env, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROLES: list[str | None] = [None, *(r.value for r in Role)]
SAMPLE_PARAMS = {"reference": "IN-2026-00001", "nr": "22-04", "file_path": "site.css", "path": "x.css"}
# Path parameters of the issue-7 pages, one block per area (`SAMPLE_PARAMS.update({...})`):
# --- item ---
# --- end item ---
# --- duplicates ---
SAMPLE_PARAMS.update({"key": "22-04"})
# --- end duplicates ---
# --- follow ---
SAMPLE_PARAMS.update({"token": "a" * 43})  # a well-formed token that opens nothing: 404
# --- end follow ---
# --- portfolio ---
# --- end portfolio ---
# --- forums ---
SAMPLE_PARAMS.update({"forum": "losningsforum"})
# --- end forums ---
SAMPLE_PARAMS.update({"prefix": "0" * 8})  # an API key that does not exist
OTHER_FORUM = "annat.forum@kommun.se"
"""A forum account with a seat in another forum than the one the matrix opens (`SAMPLE_PARAMS`)."""
LAST = {"/logout"}  # logging out ends the session the other calls use


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> dict[str, str]:
    accounts = [(f"{role}@kommun.se", role) for role in ROLES if role] + [(OTHER_FORUM, "forum")]
    env = app_env(tmp_path_factory.mktemp("data"), module_database_url)
    seed_accounts(env, accounts, forums={OTHER_FORUM: ["it-direktor"]})
    return env


@pytest.fixture(scope="module")
def routes(env: dict[str, str]) -> list[tuple[str, str]]:
    """(method, path template) of every route the app serves, OPTIONS left out (Litestar's own)."""
    from intake.web.app import create_app

    settings = Settings(
        data_dir=Path(env["BEREDNING_DATA_DIR"]), database={"url": env["BEREDNING_DATABASE__URL"]}
    )
    app = create_app(settings)
    found = set()
    for route in app.routes:
        assert isinstance(route, HTTPRoute), f"{route.path}: only HTTP routes are expected"
        for method in route.methods:
            if method not in {"OPTIONS", "HEAD"}:
                found.add((method, route.path_format))
    return sorted(found, key=lambda r: (r[1] in LAST, r[1], r[0]))


@pytest.fixture(scope="module")
def server(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(env, tmp_path_factory.mktemp("log") / "server.log", wait_for_model=False) as base:
        yield base


def test_every_route_has_a_policy_and_every_policy_a_route(routes: list[tuple[str, str]]) -> None:
    missing = [r for r in routes if access_for(*r) is None]
    assert not missing, (
        f"routes without an entry in intake.web.auth.policy.POLICY (refused to all): {missing}"
    )
    stale = sorted(set(POLICY) - set(routes))
    assert not stale, f"POLICY entries for routes the app does not have: {stale}"


def _url(template: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLE_PARAMS[m.group(1)], template)


def _call(client: httpx.Client, method: str, path: str, token: str) -> httpx.Response:
    if method == "GET":
        return client.get(path)
    if path.startswith("/api/"):
        return client.request(method, path, json={})
    return client.request(method, path, data={"_csrf_token": token})


def _expected(access: Any, role: str | None) -> str:
    if access is PUBLIC or (role is not None and Role(role) in access):
        return "allowed"
    if any(str(a).startswith("key:") for a in access):
        return "login"  # API routes that take a key: a session is no key, whatever the role (401)
    return "login" if role is None else "forbidden"


def _outcome(response: httpx.Response, path: str) -> str:
    if response.status_code in (301, 302, 303, 307) and response.headers["location"].startswith(
        "/login?next="
    ):
        return "login"
    if response.status_code == 401 and path.startswith("/api/"):
        return "login"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code >= 500:
        return f"server error {response.status_code}"
    return "allowed" if response.status_code not in (401, 403) else f"status {response.status_code}"


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_matrix(server: str, routes: list[tuple[str, str]], role: str | None) -> None:
    wrong = []
    with httpx.Client(base_url=server, timeout=60, follow_redirects=False) as client:
        if role is not None:
            assert login(client, f"{role}@kommun.se").status_code == 303
        token = csrf_token(client.get("/login").text)
        for method, template in routes:
            path = _url(template)
            response = _call(client, method, path, token)
            expected, got = _expected(access_for(method, template), role), _outcome(response, path)
            if expected != got:
                wrong.append(f"{method} {path}: expected {expected}, got {got} ({response.status_code})")
    assert not wrong, f"role {role or 'anonymous'}:\n" + "\n".join(wrong)
    assert len(routes) >= 20, "the matrix covers the app's routes"


def test_a_forbidden_page_is_explained_in_swedish(server: str) -> None:
    with logged_in(server, "forum@kommun.se") as client:
        page = client.get("/review/", headers={"accept": "text/html"})
        assert page.status_code == 403
        assert "Du har inte behörighet" in page.text and "<html" in page.text


def test_forum_versus_forum(server: str, routes: list[tuple[str, str]]) -> None:
    """Every forum route, for a forum account seated in another forum: refused (403), never shown."""
    forum_routes = [(m, t) for m, t in routes if t.startswith("/forums/{forum}")]
    assert len(forum_routes) >= 3, forum_routes
    with logged_in(server, OTHER_FORUM) as client:
        token = csrf_token(client.get("/login").text)
        wrong = [
            f"{method} {template}: {answer.status_code}"
            for method, template in forum_routes
            if (answer := _call(client, method, _url(template), token)).status_code != 403
        ]
        assert not wrong, wrong
        assert client.get("/forums/it-direktor").status_code == 200, "their own forum opens"
