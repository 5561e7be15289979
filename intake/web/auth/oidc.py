"""OpenID Connect sign-in (Microsoft Entra ID or any OIDC provider): authorization code flow with PKCE.

`/login/oidc` sends the browser to the provider with a fresh `state`, `nonce` and PKCE challenge,
kept in a short-lived signed cookie; `/login/oidc/callback` checks the state, redeems the code with
the PKCE verifier and the client secret, verifies the ID token (RS256 against the provider's JWKS,
issuer, audience, expiry, nonce), maps the role claim through `role_map`, and starts the same kind
of server-side session as a local login. The role is taken from the token at every login, so access
is managed in the directory. Nothing here runs unless `auth.oidc.issuer` is set.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_403_FORBIDDEN

from intake.domain.accounts import Role
from intake.locale import N_, texts
from intake.services import accounts, auth_sessions
from intake.services.app_secrets import csrf_secret
from intake.services.auth_sessions import Principal
from intake.settings import OidcSettings
from intake.web.auth.middleware import cookie_secure, session_cookie_name
from intake.web.auth.views import (
    LoginPage,
    client_address,
    landing,
    page_language,
    render,
    safe_next,
    set_session_cookie,
)
from intake.web.state import AppServices, Services

log = logging.getLogger(__name__)

FLOW_COOKIE = "beredning_oidc"
FLOW_SECONDS = 600
LEEWAY_SECONDS = 120
ROLE_ORDER = [Role.ADMIN, Role.DIGIT, Role.FORUM, Role.SUBMITTER]
"""When the token maps to several roles, the strongest wins."""


class OidcFailed(Exception):
    """The sign-in cannot be completed; the message is for the log, the person sees a plain text."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of `verifier` (RFC 7636)."""
    return _b64url(hashlib.sha256(verifier.encode()).digest())


@dataclass(frozen=True)
class Provider:
    """The endpoints from the provider's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


_DISCOVERED: dict[str, tuple[float, Provider]] = {}
DISCOVERY_SECONDS = 3600


def discover(issuer: str) -> Provider:
    """Read (and cache for an hour) `{issuer}/.well-known/openid-configuration`."""
    cached = _DISCOVERED.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_SECONDS:
        return cached[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = httpx.get(url, timeout=10)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcFailed(f"discovery at {url} failed: {exc}") from exc
    if document.get("issuer") != issuer:
        raise OidcFailed(f"discovery names issuer {document.get('issuer')!r}, configured {issuer!r}")
    provider = Provider(
        issuer=issuer,
        authorization_endpoint=str(document["authorization_endpoint"]),
        token_endpoint=str(document["token_endpoint"]),
        jwks_uri=str(document["jwks_uri"]),
    )
    _DISCOVERED[issuer] = (time.monotonic(), provider)
    return provider


def _signing_key(provider: Provider, kid: str | None) -> rsa.RSAPublicKey:
    try:
        keys = httpx.get(provider.jwks_uri, timeout=10).raise_for_status().json()["keys"]
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise OidcFailed(f"reading the JWKS failed: {exc}") from exc
    for jwk in keys:
        if jwk.get("kty") == "RSA" and (kid is None or jwk.get("kid") == kid):
            numbers = rsa.RSAPublicNumbers(
                e=int.from_bytes(_b64url_decode(jwk["e"]), "big"),
                n=int.from_bytes(_b64url_decode(jwk["n"]), "big"),
            )
            return numbers.public_key()
    raise OidcFailed(f"no RSA key {kid!r} in the provider's JWKS")


def verify_id_token(token: str, provider: Provider, client_id: str, nonce: str) -> dict[str, Any]:
    """Check the ID token's signature (RS256 only) and claims; return the claims."""
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(_b64url_decode(header_b64))
        claims: dict[str, Any] = json.loads(_b64url_decode(payload_b64))
        signature = _b64url_decode(signature_b64)
    except ValueError as exc:
        raise OidcFailed("the ID token is not a JWT") from exc
    if header.get("alg") != "RS256":
        raise OidcFailed(f"ID token algorithm {header.get('alg')!r} refused; only RS256")
    key = _signing_key(provider, header.get("kid"))
    try:
        key.verify(signature, f"{header_b64}.{payload_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise OidcFailed("the ID token's signature does not verify") from exc
    now = time.time()
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    problems = [
        "issuer" if claims.get("iss") != provider.issuer else "",
        "audience" if client_id not in audiences else "",
        "expired" if float(claims.get("exp", 0)) < now - LEEWAY_SECONDS else "",
        "issued in the future" if float(claims.get("iat", 0)) > now + LEEWAY_SECONDS else "",
        "nonce" if not hmac.compare_digest(str(claims.get("nonce", "")), nonce) else "",
        "subject" if not claims.get("sub") else "",
    ]
    wrong = [p for p in problems if p]
    if wrong:
        raise OidcFailed(f"ID token refused: {', '.join(wrong)}")
    return claims


def role_from_claims(claims: dict[str, Any], settings: OidcSettings) -> Role | None:
    """The strongest role that `role_map` gives the values of the role claim, or None."""
    values = claims.get(settings.role_claim) or []
    if isinstance(values, str):
        values = [values]
    mapped = set()
    for value in values:
        role = settings.role_map.get(str(value))
        if role in {r.value for r in Role}:
            mapped.add(Role(str(role)))
    return next((r for r in ROLE_ORDER if r in mapped), None)


def _sign(secret: str, payload: str) -> str:
    return hmac.new(
        hashlib.sha256(("oidc-flow:" + secret).encode()).digest(), payload.encode(), "sha256"
    ).hexdigest()


def _flow_cookie(secret: str, flow: dict[str, Any]) -> str:
    payload = _b64url(json.dumps(flow, separators=(",", ":")).encode())
    return f"{payload}.{_sign(secret, payload)}"


def _read_flow(secret: str, cookie: str | None) -> dict[str, Any]:
    if not cookie or "." not in cookie:
        raise OidcFailed("no sign-in in progress (cookie missing)")
    payload, signature = cookie.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        raise OidcFailed("the sign-in cookie was altered")
    flow: dict[str, Any] = json.loads(_b64url_decode(payload))
    if float(flow.get("exp", 0)) < time.time():
        raise OidcFailed("the sign-in took too long")
    return flow


def _redirect_uri(request: Request[Any, Any, Any], settings: OidcSettings) -> str:
    return settings.redirect_uri or str(request.base_url).rstrip("/") + "/login/oidc/callback"


def _settings(services: AppServices) -> OidcSettings:
    settings = services.settings.auth.oidc
    if not settings.issuer or not settings.client_id:
        raise NotFoundException("OpenID Connect is not configured")
    return settings


def _refused(
    request: Request[Any, Any, Any], services: AppServices, message: str, status: int
) -> Response[Any]:
    _ = texts(page_language(request, services.settings.default_language))
    page = LoginPage(error=_(message), oidc=True)
    return render(request, services, "login.html", page, status)


class OidcPages(Controller):
    """`/login/oidc` and its callback."""

    path = "/login/oidc"
    include_in_schema = False

    @get("/")
    async def start(self, request: Request[Any, Any, Any], services: Services) -> Response[Any]:
        settings = _settings(services)
        assert settings.issuer is not None and settings.client_id is not None
        try:
            provider = await anyio.to_thread.run_sync(discover, settings.issuer)
        except OidcFailed as exc:
            log.warning("OIDC sign-in could not start: %s", exc)
            return _refused(
                request,
                services,
                N_("Inloggningen hos kommunens konto misslyckades. Försök igen."),
                HTTP_400_BAD_REQUEST,
            )
        verifier = secrets.token_urlsafe(48)
        flow = {
            "state": secrets.token_urlsafe(24),
            "nonce": secrets.token_urlsafe(24),
            "verifier": verifier,
            "next": safe_next(request.query_params.get("next")) or "",
            "exp": time.time() + FLOW_SECONDS,
        }
        query = urlencode(
            {
                "response_type": "code",
                "client_id": settings.client_id,
                "redirect_uri": _redirect_uri(request, settings),
                "scope": settings.scopes,
                "state": flow["state"],
                "nonce": flow["nonce"],
                "code_challenge": pkce_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        secret = await anyio.to_thread.run_sync(csrf_secret, services.engine, services.settings.auth)
        response: Response[Any] = Redirect(
            f"{provider.authorization_endpoint}?{query}", status_code=HTTP_303_SEE_OTHER
        )
        response.set_cookie(
            FLOW_COOKIE,
            _flow_cookie(secret, flow),
            max_age=FLOW_SECONDS,
            path="/login/oidc",
            httponly=True,
            samesite="lax",
            secure=cookie_secure(request.scope, services.settings),
        )
        return response

    @get("/callback")
    async def callback(self, request: Request[Any, Any, Any], services: Services) -> Response[Any]:
        settings = _settings(services)
        try:
            secret = await anyio.to_thread.run_sync(csrf_secret, services.engine, services.settings.auth)
            flow = _read_flow(secret, request.cookies.get(FLOW_COOKIE))
            if request.query_params.get("error"):
                raise OidcFailed(f"the provider said {request.query_params.get('error')!r}")
            state = request.query_params.get("state") or ""
            if not hmac.compare_digest(state, str(flow["state"])):
                raise OidcFailed("state does not match")
            code = request.query_params.get("code")
            if not code:
                raise OidcFailed("no code in the callback")
            claims = await anyio.to_thread.run_sync(
                self._redeem,
                settings,
                code,
                str(flow["verifier"]),
                str(flow["nonce"]),
                _redirect_uri(request, settings),
            )
        except (OidcFailed, KeyError, ValueError) as exc:
            log.warning("OIDC sign-in refused: %s", exc)
            return _refused(
                request,
                services,
                N_("Inloggningen hos kommunens konto misslyckades. Försök igen."),
                HTTP_400_BAD_REQUEST,
            )
        role = role_from_claims(claims, settings)
        if role is None:
            log.warning("OIDC sign-in of %s refused: no mapped role", claims.get("sub"))
            return _refused(
                request,
                services,
                N_("Ditt konto har ingen roll i Beredning. Kontakta DigIT."),
                HTTP_403_FORBIDDEN,
            )
        try:
            account = await anyio.to_thread.run_sync(accounts.oidc_account, services.engine, claims, role)
        except accounts.NotLinked:
            log.warning("OIDC sign-in of %s refused: its address is a local account's", claims.get("sub"))
            return _refused(
                request,
                services,
                N_(
                    "Ett lokalt konto har redan din e-postadress. En administratör måste koppla det till "
                    "ditt kommunkonto innan du kan logga in på det här sättet."
                ),
                HTTP_403_FORBIDDEN,
            )
        except accounts.LinkedElsewhere:
            log.warning(
                "OIDC sign-in of %s refused: its address is linked to another subject", claims.get("sub")
            )
            return _refused(
                request,
                services,
                N_("Inloggningen hos kommunens konto misslyckades. Försök igen."),
                HTTP_403_FORBIDDEN,
            )
        if account.disabled:
            return _refused(
                request,
                services,
                N_("Ditt konto har ingen roll i Beredning. Kontakta DigIT."),
                HTTP_403_FORBIDDEN,
            )
        token = await anyio.to_thread.run_sync(
            auth_sessions.create_session,
            services.engine,
            account.id,
            client_address(request),
            request.cookies.get(session_cookie_name(request.scope, services.settings)),
        )
        principal = Principal(
            account_id=account.id, email=account.email, name=account.name, role=account.role
        )
        done: Response[Any] = Redirect(
            str(flow.get("next") or landing(principal)), status_code=HTTP_303_SEE_OTHER
        )
        set_session_cookie(done, request, services, token)
        done.set_cookie(FLOW_COOKIE, "", max_age=0, path="/login/oidc", httponly=True, samesite="lax")
        return done

    @staticmethod
    def _redeem(
        settings: OidcSettings, code: str, verifier: str, nonce: str, redirect_uri: str
    ) -> dict[str, Any]:
        assert settings.issuer is not None and settings.client_id is not None
        provider = discover(settings.issuer)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": settings.client_id,
            "code_verifier": verifier,
        }
        if settings.client_secret is not None:
            form["client_secret"] = settings.client_secret.get_secret_value()
        try:
            response = httpx.post(provider.token_endpoint, data=form, timeout=15)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcFailed(f"the token request failed: {exc}") from exc
        if response.status_code != 200 or "id_token" not in body:
            raise OidcFailed(f"the token endpoint answered {response.status_code}: {str(body)[:200]}")
        return verify_id_token(str(body["id_token"]), provider, settings.client_id, nonce)
