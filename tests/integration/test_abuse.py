"""Abuse, tried as an outsider would against a served app on loopback (SQLite and PostgreSQL).

Bursts from one address and over keys, spoofed forwarding headers, keys of the wrong scope and
revoked keys, the admin's key page, the access log, and `/health` reporting the loops.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser import csrf_token, logged_in
from tests.server import api_key_headers, app_env, cli, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

IDEA = "Vi behöver ett enklare sätt att boka lokaler i stadshuset för möten med föreningar."
LIMIT = 4


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> dict[str, str]:
    return app_env(
        tmp_path_factory.mktemp("data"),
        module_database_url,
        accounts=[
            ("admin@kommun.se", "admin"),
            ("digit@kommun.se", "digit"),
            ("arkitekt@kommun.se", "forum"),
        ],
        BEREDNING_LIMITS__SUBMISSIONS=str(LIMIT),
        BEREDNING_LIMITS__SIMILAR_PER_MINUTE=str(LIMIT),
        BEREDNING_INTAKE__OPEN_API="true",
    )


@pytest.fixture(scope="module")
def served(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("log") / "server.log"
    with running_server(env, log) as base:
        yield base, log


def _form(client: httpx.Client, headers: dict[str, str] | None = None) -> httpx.Response:
    token = csrf_token(client.get("/").text)
    return client.post(
        "/", data={"text": IDEA, "_csrf_token": token}, headers={"accept": "text/html", **(headers or {})}
    )


def test_a_burst_from_one_address_meets_429_whatever_it_claims_to_be(
    served: tuple[str, Path], env: dict[str, str]
) -> None:
    base, _log = served
    with httpx.Client(base_url=base, timeout=60) as client:
        codes = [_form(client).status_code for _ in range(LIMIT)]
        assert codes == [201] * LIMIT
        page = _form(client)
        assert page.status_code == 429
        wait = int(page.headers["retry-after"])
        assert 0 < wait <= 600
        assert (
            "För många försök" in page.text
            and f"{wait} sekunder" in page.text
            and "Traceback" not in page.text
        )
        english = client.post(
            "/?lang=en",
            data={"text": IDEA, "_csrf_token": csrf_token(client.get("/?lang=en").text)},
            headers={"accept": "text/html"},
        )
        assert english.status_code == 429 and "Too many attempts" in english.text
        # the JSON intake shares the budget; a forged X-Forwarded-For from an untrusted peer changes nothing
        for spoof in ("10.9.8.7", "2001:db8::1", "unknown"):
            api = client.post("/api/submissions", json={"text": IDEA}, headers={"X-Forwarded-For": spoof})
            assert api.status_code == 429, api.text
            body = api.json()
            assert "För många" in body["detail"] and "Too many" in body["detail"] and body["retry_after"] > 0
    # the same burst spread over a key is counted by the key, not the address
    key = api_key_headers(env, "submit", name="burst")
    accepted = [
        httpx.post(
            f"{base}/api/submissions", json={"text": f"{IDEA} ({n})"}, headers=key, timeout=60
        ).status_code
        for n in range(LIMIT + 2)
    ]
    assert accepted == [201] * (LIMIT + 2)


def test_keys_by_scope_from_the_cli_and_revoked_at_once(
    served: tuple[str, Path], env: dict[str, str]
) -> None:
    base, _log = served
    made = cli(["apikey", "add", "Diariet", "--scope", "mail", "--json"], env)
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    assert key["scopes"] == ["mail"] and key["key"].startswith(f"bk_{key['prefix']}_")
    headers = {"Authorization": f"Bearer {key['key']}", "content-type": "message/rfc822"}
    mail = (
        b"From: a@kommun.se\r\nSubject: x\r\nMessage-ID: <k1@kommun.se>\r\n\r\n"
        b"En ide om cykelparkering vid skolan.\r\n"
    )
    submit_key = {**api_key_headers(env, "submit", name="filer"), "content-type": "message/rfc822"}
    wrong = httpx.post(f"{base}/api/mail", content=mail, headers=submit_key, timeout=60)
    assert wrong.status_code == 403 and "mail" in wrong.json()["detail"]
    assert httpx.post(f"{base}/api/mail", content=mail, headers=headers, timeout=60).status_code == 201
    listed = cli(["apikey", "list", "--json"], env)
    assert listed.returncode == 0 and key["key"] not in listed.stdout
    row = next(r for r in json.loads(listed.stdout) if r["prefix"] == key["prefix"])
    assert row["last_used_at"] and row["revoked_at"] is None
    bad = cli(["apikey", "add", "X", "--scope", "admin"], env)
    assert bad.returncode == 2 and "admin" in bad.stderr and "Traceback" not in bad.stderr
    unknown = cli(["apikey", "revoke", "ffffffff"], env)
    assert unknown.returncode == 1 and "no API key" in unknown.stderr
    assert cli(["apikey", "revoke", key["prefix"]], env).returncode == 0
    again = httpx.post(f"{base}/api/mail", content=mail, headers=headers, timeout=60)
    assert again.status_code == 401 and "revoked" in again.json()["detail"]


def test_an_admin_makes_a_key_on_the_page_and_sees_it_once(served: tuple[str, Path]) -> None:
    base, _log = served
    with logged_in(base, "digit@kommun.se") as staff:
        assert staff.get("/admin/apikeys").status_code == 403
    with logged_in(base, "admin@kommun.se") as admin:
        page = admin.get("/admin/apikeys")
        assert page.status_code == 200 and "API-nycklar" in page.text
        empty = admin.post("/admin/apikeys", data={"_csrf_token": csrf_token(page.text), "name": "Nyckel"})
        assert empty.status_code == 400 and "scopes must be among" in empty.text
        created = admin.post(
            "/admin/apikeys",
            data={
                "_csrf_token": csrf_token(page.text),
                "name": "E-tjänsteplattformen",
                "scope": ["submit", "read"],
            },
        )
        assert created.status_code == 200
        found = re.search(r"<code>(bk_([0-9a-f]{8})_[A-Za-z0-9_-]{43})</code>", created.text)
        assert found, created.text
        secret, prefix = found.groups()
        assert secret not in admin.get("/admin/apikeys").text, "a key is shown once"
        headers = {"Authorization": f"Bearer {secret}"}
        assert (
            httpx.post(
                f"{base}/api/submissions", json={"text": IDEA}, headers=headers, timeout=60
            ).status_code
            == 201
        )
        revoked = admin.post(f"/admin/apikeys/{prefix}/revoke", data={"_csrf_token": csrf_token(page.text)})
        assert revoked.status_code == 303
        assert (
            httpx.post(
                f"{base}/api/submissions", json={"text": IDEA}, headers=headers, timeout=60
            ).status_code
            == 401
        )


def test_a_read_key_sees_matches_in_full_and_the_public_does_not(
    served: tuple[str, Path], env: dict[str, str]
) -> None:
    base, _log = served
    text = "Ordning och reda på cykelparkeringen vid Kvarnbackaskolan, skriven av Agnetha Lindqvist."
    submit = api_key_headers(env, "submit", name="filer")
    assert (
        httpx.post(f"{base}/api/submissions", json={"text": text}, headers=submit, timeout=60).status_code
        == 201
    )
    probe = {"text": "cykelparkeringen vid Kvarnbackaskolan Lindqvi", "kind": "submission"}
    public = httpx.post(f"{base}/api/similar", json=probe, timeout=60)
    reader = httpx.post(
        f"{base}/api/similar", json=probe, headers=api_key_headers(env, "read", name="reader"), timeout=60
    )
    assert public.status_code == reader.status_code == 200
    assert public.json()["results"] and reader.json()["results"]
    assert "Lindqvist" not in public.text and all(not r["shared_terms"] for r in public.json()["results"])
    assert any(r["shared_terms"] for r in reader.json()["results"]), reader.text


def test_access_log_holds_neither_follow_tokens_nor_typed_text(served: tuple[str, Path]) -> None:
    base, log = served
    token = "T0k3n" + "x" * 38
    httpx.get(f"{base}/follow/{token}", timeout=30)
    httpx.get(f"{base}/api/similar", params={"text": "Agnetha Lindqvist parkering"}, timeout=60)
    text = log.read_text()
    assert "GET /follow/…" in text and "GET /api/similar?…" in text, "the requests were logged"
    assert token not in text and "Lindqvist" not in text


def test_a_forum_member_sees_and_decides_only_in_their_own_forums(
    served: tuple[str, Path], env: dict[str, str]
) -> None:
    base, _log = served
    seated = cli(["user", "forums", "arkitekt@kommun.se", "--forum", "arkitektforum"], env)
    assert seated.returncode == 0 and "arkitektforum" in seated.stdout, seated.stderr
    unknown = cli(["user", "forums", "arkitekt@kommun.se", "--forum", "hemligt-forum"], env)
    assert unknown.returncode == 1 and "no forum hemligt-forum" in unknown.stderr
    with logged_in(base, "arkitekt@kommun.se") as member:
        listed = member.get("/forums").text
        assert 'href="/forums/arkitektforum"' in listed and 'href="/forums/losningsforum"' not in listed
        assert member.get("/forums/arkitektforum").status_code == 200
        token = csrf_token(member.get("/forums/arkitektforum").text)
        for path in (
            "/forums/losningsforum",
            "/forums/losningsforum/agenda.pdf",
            "/forums/losningsforum/items/IN-2026-00001",
        ):
            assert member.get(path).status_code == 403, path
        # an item of another forum asked for under their own forum's address is not on its agenda
        sideways = member.get("/forums/arkitektforum/items/IN-2026-00001")
        assert sideways.status_code == 404 and "agenda-item" not in sideways.text
        unknown_forum = member.get("/forums/no-such-forum")
        assert unknown_forum.status_code == 404 and "losningsforum" not in unknown_forum.text
        decided = member.post(
            "/forums/losningsforum/items/IN-2026-00001/decision",
            data={"_csrf_token": token, "decision": "go-on"},
        )
        assert decided.status_code == 403
    assert cli(["user", "forums", "arkitekt@kommun.se", "--none"], env).returncode == 0
    with logged_in(base, "arkitekt@kommun.se") as member:
        assert member.get("/forums/arkitektforum").status_code == 403, "a seat taken away is gone at once"
    with logged_in(base, "digit@kommun.se") as staff:
        assert staff.get("/forums/losningsforum").status_code == 200, "DigIT sees every forum"


def test_enumerating_references_yields_states_and_nothing_of_anyone_s_words(
    served: tuple[str, Path], env: dict[str, str]
) -> None:
    base, _log = served
    key = api_key_headers(env, "submit", name="enumerated")
    made = [
        httpx.post(
            f"{base}/api/submissions",
            json={"text": f"{IDEA} Ring anna@kommun.se ({n})"},
            headers=key,
            timeout=60,
        )
        for n in range(2)
    ]
    last = max(int(m.json()["reference"].rsplit("-", 1)[1]) for m in made)
    seen = 0
    for n in range(1, last + 3):
        answer = httpx.get(f"{base}/api/submissions/IN-2026-{n:05d}", timeout=30)
        assert answer.status_code in (200, 404), answer.text
        if answer.status_code == 200:
            seen += 1
            assert set(answer.json()) == {"reference", "received_at", "state", "step"}, answer.text
            assert "boka lokaler" not in answer.text and "@" not in answer.text
        page = httpx.get(f"{base}/follow/IN-2026-{n:05d}", timeout=30)
        assert page.status_code == 404, "a reference is no follow token"
    assert seen >= 2, "the submissions made here were found"


def test_health_reports_the_background_loops(served: tuple[str, Path]) -> None:
    base, _log = served
    health = httpx.get(f"{base}/health", timeout=30).json()
    assert health["loops"]["ok"] and "jobs running" in health["loops"]["detail"], health


def test_similar_items_are_limited_per_address(served: tuple[str, Path], env: dict[str, str]) -> None:
    """Last in the module: the tests above used some of the minute's lookups of the test address."""
    base, _log = served
    answers = [
        httpx.post(f"{base}/api/similar", json={"text": "boka lokaler"}, timeout=60) for _ in range(LIMIT + 1)
    ]
    codes = [a.status_code for a in answers]
    first = codes.index(429)  # LIMIT + 1 lookups in a minute cannot all pass
    assert set(codes[:first]) <= {200} and set(codes[first:]) == {429}, codes
    assert 0 < int(answers[first].headers["retry-after"]) <= 60
    # a key's lookups are counted apart from the address's
    keyed = httpx.post(
        f"{base}/api/similar",
        json={"text": "boka lokaler"},
        headers=api_key_headers(env, "read", name="lookups"),
        timeout=60,
    )
    assert keyed.status_code == 200
