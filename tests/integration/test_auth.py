"""Access through a real uvicorn process: login, sessions, CSRF, rate limits, the `user` CLI.

Runs once on SQLite and once on PostgreSQL. Sessions and login attempts live in SQL, so two
server processes on one database must agree on both.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.browser import PASSWORD, csrf_token, login
from tests.server import api_key_headers, app_env, cli, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.calendar]

PARKING = "Invånare ska kunna ansöka om parkeringstillstånd digitalt och följa sitt ärende"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> dict[str, str]:
    return app_env(
        tmp_path_factory.mktemp("data"),
        module_database_url,
        accounts=[
            ("digit@kommun.se", "digit"),
            ("forum@kommun.se", "forum"),
            ("held@kommun.se", "digit"),
            ("shared@kommun.se", "digit"),
            ("renew@kommun.se", "digit"),
            ("gone@kommun.se", "digit"),
            ("byte@kommun.se", "forum"),
            ("stoppad@kommun.se", "digit"),
        ],
        BEREDNING_AUTH__MAX_FAILURES_PER_ACCOUNT="3",
        BEREDNING_AUTH__MAX_FAILURES_PER_ADDRESS="1000",
    )


@pytest.fixture(scope="module")
def server(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("log") / "server.log"
    with running_server(env, log, wait_for_model=False) as base:
        yield base


def session_cookie(response: httpx.Response) -> str:
    header = next(v for v in response.headers.get_list("set-cookie") if v.startswith("beredning_session="))
    return header


def test_the_public_form_needs_its_csrf_token_and_the_api_needs_none(
    server: str, env: dict[str, str]
) -> None:
    with httpx.Client(base_url=server, timeout=60) as client:
        form = client.get("/")
        token = csrf_token(form.text)
        refused = client.post("/", data={"text": PARKING}, headers={"accept": "text/html"})
        assert refused.status_code == 403
        assert "Formuläret har gått ut" in refused.text and "Traceback" not in refused.text
        forged = client.post("/", data={"text": PARKING, "_csrf_token": "0" * 128})
        assert forged.status_code == 403
        sent = client.post("/", data={"text": PARKING, "_csrf_token": token})
        assert sent.status_code == 201 and "IN-20" in sent.text
    # an API client sends JSON with its key, no cookie and no token; without a key it is told why
    anonymous = httpx.post(f"{server}/api/submissions", json={"text": PARKING}, timeout=60)
    assert anonymous.status_code == 401 and "submit" in anonymous.json()["detail"]
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    api = httpx.post(
        f"{server}/api/submissions", json={"text": PARKING}, headers=api_key_headers(env), timeout=60
    )
    assert api.status_code == 201, api.text


def test_wrong_password_says_so_in_swedish_and_english_then_login_works(server: str) -> None:
    with httpx.Client(base_url=server, timeout=60) as client:
        wrong = login(client, "digit@kommun.se", "inte rätt lösenord alls")
        assert wrong.status_code == 401
        assert "Fel e-postadress eller lösenord." in wrong.text
        assert 'value="digit@kommun.se"' in wrong.text, "the address stays filled in"
        client.get("/login?lang=en")
        wrong_en = login(client, "DIGIT@kommun.se", "still not the password")
        assert wrong_en.status_code == 401 and "Wrong e-mail address or password." in wrong_en.text
        ok = login(client, "Digit@Kommun.se ")
        assert ok.status_code == 303 and ok.headers["location"] == "/review/"
        cookie = session_cookie(ok).lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "secure" not in cookie, "plain http on loopback: no Secure flag in auto mode"
        page = client.get("/review/")
        assert page.status_code == 200 and "Logged in as Digit" in page.text


def test_login_renews_the_session_id_and_logout_kills_the_session(server: str) -> None:
    with httpx.Client(base_url=server, timeout=60) as client:
        client.get("/login")
        csrf_before = client.cookies["beredning_csrf"]
        first = login(client, "renew@kommun.se")
        old = client.cookies["beredning_session"]
        assert first.status_code == 303
        assert "beredning_csrf" not in client.cookies, "the CSRF cookie is dropped at login"
        client.get("/review/")
        assert client.cookies["beredning_csrf"] != csrf_before, "and a new token issued"
        second = login(client, "renew@kommun.se")
        new = client.cookies["beredning_session"]
        assert second.status_code == 303 and new != old
        stale = httpx.get(f"{server}/review/", cookies={"beredning_session": old}, timeout=30)
        assert stale.status_code == 303 and stale.headers["location"].startswith("/login?next=/review/")
        assert client.get("/review/").status_code == 200
        token = csrf_token(client.get("/review/").text)
        out = client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/login?out=1"
        assert "Du är utloggad." in client.get("/login?out=1&lang=sv").text
    # the cookie value a thief may have copied is dead too
    copied = httpx.get(f"{server}/review/", cookies={"beredning_session": new}, timeout=30)
    assert copied.status_code == 303 and "/login" in copied.headers["location"]
    # logging out needs the CSRF token like every form
    assert httpx.post(f"{server}/logout", timeout=30).status_code == 403


def test_logins_for_one_account_are_held_after_repeated_failures(server: str) -> None:
    with httpx.Client(base_url=server, timeout=60) as client:
        for _ in range(3):
            assert login(client, "held@kommun.se", "fel lösenord igen").status_code == 401
        held = login(client, "held@kommun.se")  # even the right password waits
        assert held.status_code == 429
        assert "För många misslyckade inloggningar. Försök igen om 15 minuter." in held.text
        assert 800 < int(held.headers["retry-after"]) <= 900
        # another account from the same address is not held
        assert login(client, "forum@kommun.se").status_code == 303


def test_sessions_and_limits_hold_across_processes(server: str, env: dict[str, str], tmp_path: Path) -> None:
    with httpx.Client(base_url=server, timeout=60) as client:
        assert login(client, "shared@kommun.se").status_code == 303
        cookie = client.cookies["beredning_session"]
        for _ in range(3):
            login(client, "gone@kommun.se", "gissning")
    # a second process, started after the login: nothing of the session lives in the first one's
    # memory, so this is also what a restart looks like
    with running_server(env, tmp_path / "other.log", wait_for_model=False) as other:
        page = httpx.get(f"{other}/review/", cookies={"beredning_session": cookie}, timeout=30)
        assert page.status_code == 200 and "Shared" in page.text
        with httpx.Client(base_url=other, timeout=60) as client:
            assert login(client, "gone@kommun.se").status_code == 429


def test_password_change_and_disabling_end_sessions(server: str, env: dict[str, str]) -> None:
    with httpx.Client(base_url=server, timeout=60) as a, httpx.Client(base_url=server, timeout=60) as b:
        assert login(a, "byte@kommun.se").status_code == 303
        assert login(b, "stoppad@kommun.se").status_code == 303
        assert b.get("/review/").status_code == 200
        changed = cli(
            ["user", "passwd", "byte@kommun.se", "--password-stdin"],
            env,
            input_text="ett helt nytt lösenord\n",
        )
        assert changed.returncode == 0, changed.stderr
        assert a.get("/", follow_redirects=False).text.count("Logga ut") == 0, "the session ended"
        disabled = cli(["user", "disable", "stoppad@kommun.se"], env)
        assert disabled.returncode == 0, disabled.stderr
        assert b.get("/review/", follow_redirects=False).status_code == 303
        assert login(b, "stoppad@kommun.se").status_code == 401
        assert login(a, "byte@kommun.se", "ett helt nytt lösenord").status_code == 303


def test_user_cli_gives_clear_errors_and_never_shows_hashes(env: dict[str, str]) -> None:
    short = cli(
        ["user", "add", "kort@kommun.se", "--role", "digit", "--password-stdin"], env, input_text="kort\n"
    )
    assert (
        short.returncode == 1 and "at least 12 characters" in short.stderr and "Traceback" not in short.stderr
    )
    again = cli(
        ["user", "add", "digit@kommun.se", "--role", "digit", "--password-stdin"], env, input_text=PASSWORD
    )
    assert again.returncode == 1 and "exists already" in again.stderr
    bad_role = cli(
        ["user", "add", "x@kommun.se", "--role", "boss", "--password-stdin"], env, input_text=PASSWORD
    )
    assert bad_role.returncode == 2 and "boss" in bad_role.stderr
    argv = cli(["user", "add", "x@kommun.se", "--role", "digit", "--password", PASSWORD], env)
    assert argv.returncode == 2, "a password on the command line is refused"
    not_mail = cli(
        ["user", "add", "inte-en-adress", "--role", "digit", "--password-stdin"], env, input_text=PASSWORD
    )
    assert not_mail.returncode == 1 and "not an e-mail address" in not_mail.stderr
    nobody = cli(["user", "disable", "ingen@kommun.se"], env)
    assert nobody.returncode == 1 and "no account" in nobody.stderr
    listed = cli(["user", "list", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    rows = {r["email"]: r for r in json.loads(listed.stdout)}
    assert rows["digit@kommun.se"]["role"] == "digit" and rows["digit@kommun.se"]["last_login_at"]
    assert "argon2" not in listed.stdout


def test_idle_and_absolute_expiry(env: dict[str, str], tmp_path: Path) -> None:
    short = {
        **env,
        "BEREDNING_AUTH__IDLE_TIMEOUT_SECONDS": "3",
        "BEREDNING_AUTH__ABSOLUTE_TIMEOUT_SECONDS": "7",
    }
    with ExitStack() as stack:
        base = stack.enter_context(running_server(short, tmp_path / "short.log", wait_for_model=False))
        idle = stack.enter_context(httpx.Client(base_url=base, timeout=60))
        assert login(idle, "forum@kommun.se").status_code == 303
        assert "Logga ut" in idle.get("/").text
        time.sleep(4)
        ended = idle.get("/review/", follow_redirects=False)
        assert ended.status_code == 303 and ended.headers["location"].endswith("&expired=1")
        assert "Din inloggning har gått ut" in idle.get(ended.headers["location"]).text
        busy = stack.enter_context(httpx.Client(base_url=base, timeout=60))
        assert login(busy, "digit@kommun.se").status_code == 303
        started = time.monotonic()
        while time.monotonic() - started < 5.5:  # used every second: the idle limit never bites
            assert busy.get("/review/", follow_redirects=False).status_code == 200
            time.sleep(1)
        time.sleep(max(0.0, 7.5 - (time.monotonic() - started)))
        assert busy.get("/review/", follow_redirects=False).status_code == 303, "absolute limit"
