"""The login and logout pages, and what a refused request shows (login redirect, 403 page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_429_TOO_MANY_REQUESTS,
)

from intake.locale import N_, Texts, texts
from intake.services import accounts, auth_sessions
from intake.services.auth_sessions import Principal
from intake.web.auth.middleware import API_PREFIX, cookie_secure, session_cookie_name
from intake.web.auth.policy import STAFF, LoginRequired, access_for, allowed
from intake.web.client import client_ip
from intake.web.i18n import pick_language
from intake.web.pages import LANG_COOKIE
from intake.web.state import AppServices, Services


@dataclass
class LoginForm:
    """The login form as posted."""

    email: str = ""
    password: str = ""
    next: str = ""


@dataclass
class LoginPage:
    """What `login.html` needs."""

    email: str = ""
    next: str = ""
    error: str | None = None
    notice: str | None = None
    oidc: bool = False


def page_language(request: Request[Any, Any, Any], default: str) -> str:
    """The language of a page: `?lang=`, then the cookie, then the default."""
    return pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE), default)


def page_texts(request: Request[Any, Any, Any], services: AppServices) -> tuple[str, Texts]:
    """The page's language and its texts (`_("Skicka")`) in it."""
    lang = page_language(request, services.settings.default_language)
    return lang, texts(lang)


def safe_next(value: str | None) -> str | None:
    """Return `value` if it is a path on this site (no scheme, no host), else None."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or "\n" in value
        or "\r" in value
    ):
        return None
    return value


def request_actor(request: Request[Any, Any, Any], fallback: str) -> str:
    """Who made the request, for the audit trail: the logged-in person's address, else `fallback`."""
    principal: Principal | None = request.scope.get("user")
    return principal.email if principal else fallback


def landing(principal: Principal) -> str:
    """Where a person goes after logging in when no page was asked for."""
    return "/review/" if allowed(access_for("GET", "/review"), principal) and principal.role in STAFF else "/"


def render(
    request: Request[Any, Any, Any], services: AppServices, name: str, page: Any, status_code: int = 200
) -> Template:
    """Render one of the access pages in the visitor's language."""
    lang = page_language(request, services.settings.default_language)
    return language_template(
        request,
        lang,
        name,
        {"page": page, "user": request.scope.get("user")},
        status_code=status_code,
    )


def language_template(
    request: Request[Any, Any, Any],
    lang: str,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    **kwargs: Any,
) -> Template:
    """Render page `name` in `lang` (added to `context` as `lang`) and keep an explicit `?lang=` choice.

    Every page handler ends this way, so the language cookie is set the same everywhere; `kwargs`
    go to `Template` (headers, background tasks).
    """
    response = Template(
        template_name=name, context={"lang": lang, **context}, status_code=status_code, **kwargs
    )
    remember_language(response, request, lang)
    return response


def remember_language(response: Response[Any], request: Request[Any, Any, Any], lang: str) -> None:
    """Keep an explicit `?lang=` choice in the cookie the submitter's pages use too."""
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)


def set_session_cookie(
    response: Response[Any], request: Request[Any, Any, Any], services: AppServices, token: str
) -> None:
    """Attach the session cookie: HttpOnly, SameSite=Lax, Secure over https (or as configured)."""
    forget_csrf_cookie(response)
    response.set_cookie(
        session_cookie_name(request.scope, services.settings),
        token,
        path="/",
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request.scope, services.settings),
    )


def forget_csrf_cookie(response: Response[Any]) -> None:
    """Drop the CSRF cookie at login and logout: the next page gets a new token (no fixation)."""
    from intake.web.auth import CSRF_COOKIE

    response.set_cookie(CSRF_COOKIE, "", max_age=0, path="/", httponly=True, samesite="lax")


def clear_session_cookie(
    response: Response[Any], request: Request[Any, Any, Any], services: AppServices
) -> None:
    """Tell the browser to forget the session cookie."""
    forget_csrf_cookie(response)
    response.set_cookie(
        session_cookie_name(request.scope, services.settings),
        "",
        max_age=0,
        path="/",
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request.scope, services.settings),
    )


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's address, through the trusted proxies (`server.trusted_proxies`)."""
    return client_ip(dict(request.scope), _services(request).settings.server.trusted_proxies)


class LoginPages(Controller):
    """`/login` and `/logout`."""

    path = "/"
    include_in_schema = False

    @get("/login", sync_to_thread=False)
    def login_form(self, request: Request[Any, Any, Any], services: Services) -> Template:
        notice = None
        if request.query_params.get("out"):
            notice = N_("Du är utloggad.")
        elif request.query_params.get("expired") or request.scope.get("state", {}).get("session_ended"):
            notice = N_("Din inloggning har gått ut. Logga in igen.")
        page = LoginPage(
            next=safe_next(request.query_params.get("next")) or "",
            notice=notice,
            oidc=services.settings.auth.oidc.issuer is not None,
        )
        return render(request, services, "login.html", page)

    @post("/login", status_code=HTTP_303_SEE_OTHER)
    async def login(
        self, request: Request[Any, Any, Any], services: Services, data: URLEncodedBody[LoginForm]
    ) -> Response[Any]:
        settings = services.settings.auth
        page = LoginPage(
            email=data.email.strip(), next=safe_next(data.next) or "", oidc=settings.oidc.issuer is not None
        )
        lang = page_language(request, services.settings.default_language)
        _ = texts(lang)
        if not data.email.strip() or not data.password:
            page.error = _("Fyll i både e-postadress och lösenord.")
            return render(request, services, "login.html", page, HTTP_400_BAD_REQUEST)
        result = await anyio.to_thread.run_sync(
            accounts.authenticate,
            services.engine,
            data.email,
            data.password,
            client_address(request),
            settings,
        )
        if result.held_seconds:
            minutes = max(1, -(-result.held_seconds // 60))
            page.error = _("För många misslyckade inloggningar. Försök igen om {minutes} minuter.").format(
                minutes=minutes
            )
            held = render(request, services, "login.html", page, HTTP_429_TOO_MANY_REQUESTS)
            held.headers["Retry-After"] = str(result.held_seconds)
            return held
        if result.account is None or result.account.id is None:
            page.error = _("Fel e-postadress eller lösenord.")
            return render(request, services, "login.html", page, HTTP_401_UNAUTHORIZED)
        account = result.account
        old = request.cookies.get(session_cookie_name(request.scope, services.settings))
        assert account.id is not None
        token = await anyio.to_thread.run_sync(
            auth_sessions.create_session, services.engine, account.id, client_address(request), old
        )
        await anyio.to_thread.run_sync(auth_sessions.purge_expired, services.engine, settings)
        principal = Principal(
            account_id=account.id, email=account.email, name=account.name, role=account.role
        )
        done: Response[Any] = Redirect(page.next or landing(principal), status_code=HTTP_303_SEE_OTHER)
        set_session_cookie(done, request, services, token)
        return done

    @post("/logout", status_code=HTTP_303_SEE_OTHER)
    async def logout(self, request: Request[Any, Any, Any], services: Services) -> Response[Any]:
        token = request.cookies.get(session_cookie_name(request.scope, services.settings))
        if token:
            await anyio.to_thread.run_sync(auth_sessions.end_session, services.engine, token)
        response: Response[Any] = Redirect("/login?out=1", status_code=HTTP_303_SEE_OTHER)
        clear_session_cookie(response, request, services)
        return response


def _services(request: Request[Any, Any, Any]) -> AppServices:
    services: AppServices = request.app.state["services"]
    return services


def login_required_handler(request: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    """Pages send the visitor to the login page (and back afterwards); the API answers 401."""
    if request.url.path.startswith(API_PREFIX):
        return Response(
            {"status_code": HTTP_401_UNAUTHORIZED, "detail": exc.detail}, status_code=HTTP_401_UNAUTHORIZED
        )
    raw = request.scope.get("raw_path") or b""
    path = raw.decode("latin-1") if isinstance(raw, bytes) and raw else request.url.path
    target = path + (f"?{request.url.query}" if request.url.query else "")
    expired = "&expired=1" if request.scope.get("state", {}).get("session_ended") else ""
    return Redirect(f"/login?next={quote(target, safe='/')}{expired}", status_code=HTTP_303_SEE_OTHER)


def forbidden_handler(request: Request[Any, Any, Any], exc: PermissionDeniedException) -> Response[Any]:
    """A refused request: a page in the visitor's language, or JSON for the API.

    CSRF failures arrive here too (Litestar raises the same exception): they get their own text,
    since the usual cause is a form left open past its cookie, not a missing right.
    """
    csrf = "CSRF" in (exc.detail or "")
    if request.url.path.startswith(API_PREFIX) or "text/html" not in request.headers.get("accept", ""):
        return Response(
            {"status_code": HTTP_403_FORBIDDEN, "detail": exc.detail}, status_code=HTTP_403_FORBIDDEN
        )
    services = _services(request)
    page = {
        "heading": N_("Formuläret har gått ut") if csrf else N_("Du har inte behörighet"),
        "text": N_("Ladda om sidan och skicka formuläret igen.")
        if csrf
        else N_("Din roll ger inte tillgång till den här sidan."),
    }
    return render(request, services, "forbidden.html", page, HTTP_403_FORBIDDEN)
