"""OpenID Connect sign-in against a small local OIDC provider (authorization code flow with PKCE).

The fake provider is a real HTTP server on loopback with its own RSA key: discovery, authorize
(it signs in whoever the test chose, at once), token (it checks the client secret and the PKCE
verifier against the challenge) and JWKS. The app is the real server process.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from playwright.sync_api import Page, expect

from tests.browser import check_page, seed_accounts
from tests.server import cli, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLIENT_ID = "beredning-test"
CLIENT_SECRET = "hemligt-klientlösen"
ROLE_MAP = {"Beredning.DigIT": "digit", "Beredning.Forum": "forum", "Beredning.Admin": "admin"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeProvider:
    """The state of the fake OIDC provider: its key, the next person to sign in, issued codes."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.issuer = ""
        self.person: dict[str, Any] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.redeemed: list[dict[str, str]] = []
        self.sign_with_other_key = False

    def id_token(self, claims: dict[str, Any]) -> str:
        header = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "k1"}).encode())
        payload = b64url(json.dumps(claims).encode())
        key = self.other_key if self.sign_with_other_key else self.key
        signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{payload}.{b64url(signature)}"

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": "k1",
                    "use": "sig",
                    "alg": "RS256",
                    "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                    "e": b64url(numbers.e.to_bytes(3, "big")),
                }
            ]
        }


def handler_for(provider: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(
                    200,
                    {
                        "issuer": provider.issuer,
                        "authorization_endpoint": provider.issuer + "/authorize",
                        "token_endpoint": provider.issuer + "/token",
                        "jwks_uri": provider.issuer + "/jwks",
                    },
                )
            elif url.path == "/jwks":
                self._json(200, provider.jwks())
            elif url.path == "/authorize":
                assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
                assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
                code = secrets.token_urlsafe(16)
                provider.codes[code] = {**query, "person": dict(provider.person)}
                target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
                self.send_response(302)
                self.send_header("location", target)
                self.end_headers()
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            provider.redeemed.append(form)
            issued = provider.codes.pop(form.get("code", ""), None)
            challenge = b64url(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
            if (
                issued is None
                or form.get("client_secret") != CLIENT_SECRET
                or form.get("redirect_uri") != issued["redirect_uri"]
                or challenge != issued["code_challenge"]
            ):
                self._json(400, {"error": "invalid_grant"})
                return
            now = int(time.time())
            claims = {
                "iss": provider.issuer,
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 600,
                "nonce": issued["nonce"],
                **issued["person"],
            }
            self._json(
                200, {"access_token": "x", "token_type": "Bearer", "id_token": provider.id_token(claims)}
            )

    return Handler


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    state = FakeProvider()
    http = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    state.issuer = f"http://127.0.0.1:{http.server_address[1]}"
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        http.shutdown()
        http.server_close()


@pytest.fixture(scope="module")
def env(provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data_dir = tmp_path_factory.mktemp("data")
    return {
        "BEREDNING_DATA_DIR": str(data_dir),
        "BEREDNING_DATABASE__URL": f"sqlite:///{data_dir / 'oidc.sqlite3'}",
        "BEREDNING_LLM__POLL_SECONDS": "0",
        "BEREDNING_AUTH__OIDC__ISSUER": provider.issuer,
        "BEREDNING_AUTH__OIDC__CLIENT_ID": CLIENT_ID,
        "BEREDNING_AUTH__OIDC__CLIENT_SECRET": CLIENT_SECRET,
        "BEREDNING_AUTH__OIDC__ROLE_MAP": json.dumps(ROLE_MAP),
    }


@pytest.fixture(scope="module")
def server(env: dict[str, str]) -> Iterator[str]:
    seed_accounts(env, [("lokal.person@kommun.se", "forum")])
    with running_server(env, Path(env["BEREDNING_DATA_DIR"]) / "server.log", wait_for_model=False) as base:
        yield base


def person(sub: str, roles: list[str], email: str, name: str) -> dict[str, Any]:
    return {"sub": sub, "roles": roles, "preferred_username": email, "name": name}


def sign_in(client: httpx.Client, server: str, next_path: str = "/review/") -> httpx.Response:
    start = client.get(f"{server}/login/oidc", params={"next": next_path})
    assert start.status_code == 303, start.text
    at_provider = client.get(start.headers["location"])
    assert at_provider.status_code == 302
    return client.get(at_provider.headers["location"])


def test_code_flow_with_pkce_signs_staff_in_with_the_mapped_role(server: str, provider: FakeProvider) -> None:
    provider.person = person("u-1", ["Beredning.DigIT", "Everyone"], "Eva.Ek@kommun.se", "Eva Ek")
    with httpx.Client(timeout=60, follow_redirects=False) as client:
        start = client.get(f"{server}/login/oidc", params={"next": "/review/?step=steg-1"})
        query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
        assert start.headers["location"].startswith(provider.issuer + "/authorize?")
        assert (
            query["code_challenge_method"] == "S256"
            and query["redirect_uri"] == f"{server}/login/oidc/callback"
        )
        assert query["scope"] == "openid profile email" and query["state"] and query["nonce"]
        back = client.get(client.get(start.headers["location"]).headers["location"])
        assert back.status_code == 303 and back.headers["location"] == "/review/?step=steg-1"
        assert provider.redeemed[-1]["code_verifier"], "the verifier went to the token endpoint"
        page = client.get(f"{server}/review/")
        assert page.status_code == 200 and "Eva Ek" in page.text
        # replaying the callback signs nobody in: the flow cookie is gone and the code spent
        replay = httpx.get(str(back.request.url), cookies=dict(client.cookies), timeout=30)
        assert replay.status_code == 400


def test_the_role_follows_the_token_and_an_unmapped_person_is_refused(
    server: str, provider: FakeProvider
) -> None:
    provider.person = person("u-2", ["Beredning.Forum"], "forum.person@kommun.se", "Fia Forum")
    with httpx.Client(timeout=60, follow_redirects=False) as client:
        assert sign_in(client, server).status_code == 303
        assert client.get(f"{server}/review/").status_code == 403
    provider.person = person("u-2", ["Beredning.DigIT"], "forum.person@kommun.se", "Fia Forum")
    with httpx.Client(timeout=60, follow_redirects=False) as client:
        assert sign_in(client, server).status_code == 303
        assert client.get(f"{server}/review/").status_code == 200, "promoted in the directory"
    provider.person = person("u-3", ["Everyone"], "nobody@kommun.se", "Ingen Roll")
    with httpx.Client(timeout=60, follow_redirects=False) as client:
        refused = sign_in(client, server)
        assert refused.status_code == 403 and "Ditt konto har ingen roll i Beredning" in refused.text


def test_a_local_account_is_linked_by_an_admin_only_and_keeps_its_role(
    server: str, provider: FakeProvider, env: dict[str, str]
) -> None:
    # the address is a claim a person may be able to change: it never takes over a local account
    provider.person = person("u-4", ["Beredning.Admin"], "Lokal.Person@kommun.se", "Lokal Person")
    with httpx.Client(timeout=60, follow_redirects=False) as client:
        refused = sign_in(client, server)
        assert refused.status_code == 403 and "En administratör måste koppla" in refused.text
        assert client.get(f"{server}/review/").status_code in (303, 401)
    bad = cli(["user", "link", "lokal.person@kommun.se", "u-4"], env)
    assert bad.returncode == 1 and "ISSUER|SUB" in bad.stderr
    linked = cli(["user", "link", "lokal.person@kommun.se", f"{provider.issuer}|u-4"], env)
    assert linked.returncode == 0, linked.stderr
    with httpx.Client(timeout=60, follow_redirects=False) as client:
        assert sign_in(client, server, "/forums").status_code == 303
        assert client.get(f"{server}/forums").status_code == 200
        # a password account keeps the role an admin gave it, whatever the token says (Admin here)
        assert client.get(f"{server}/review/").status_code == 403


def test_forged_state_foreign_signatures_and_missing_cookies_are_refused(
    server: str, provider: FakeProvider
) -> None:
    provider.person = person("u-5", ["Beredning.DigIT"], "x@kommun.se", "X")
    with httpx.Client(timeout=60, follow_redirects=False) as client:
        start = client.get(f"{server}/login/oidc")
        at_provider = client.get(start.headers["location"]).headers["location"]
        forged = at_provider.replace("state=", "state=forged")
        refused = client.get(forged)
        assert refused.status_code == 400 and "misslyckades" in refused.text
        assert "beredning_session" not in client.cookies
    with httpx.Client(timeout=60, follow_redirects=False) as client:
        start = client.get(f"{server}/login/oidc")
        callback = client.get(start.headers["location"]).headers["location"]
        assert httpx.get(callback, timeout=30).status_code == 400, "no flow cookie: another browser"
    provider.sign_with_other_key = True
    try:
        with httpx.Client(timeout=60, follow_redirects=False) as client:
            assert sign_in(client, server).status_code == 400
            assert "beredning_session" not in client.cookies
    finally:
        provider.sign_with_other_key = False


def test_sign_in_from_the_login_page_in_a_browser(server: str, provider: FakeProvider, page: Page) -> None:
    provider.person = person("u-6", ["Beredning.DigIT"], "browser@kommun.se", "Bo Browser")
    page.goto(f"{server}/login")
    check_page(page, "login-with-oidc")
    page.get_by_role("link", name="Logga in med kommunens konto (Microsoft)").click()
    expect(page).to_have_url(f"{server}/review/")
    expect(page.get_by_text("Inloggad som Bo Browser")).to_be_visible()
