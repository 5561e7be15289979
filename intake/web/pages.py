"""Server-rendered pages for submitters: the form at `/` and the receipt after sending."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import URLEncodedBody
from litestar.response import Template
from litestar.status_codes import HTTP_201_CREATED, HTTP_422_UNPROCESSABLE_ENTITY

from intake.domain.submission import Channel, FieldProblem, NewSubmission, SubmissionInvalid
from intake.locale import texts
from intake.services import follow, submissions
from intake.services.storage import StorageError
from intake.web.i18n import pick_language
from intake.web.schemas import MatchOut
from intake.web.state import Services

LANG_COOKIE = "lang"

_NR = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-/.]{0,31}")
"""What a portfolio Nr looks like (22-04): short, plain characters; anything else is not one."""


def mention(about: str | None, lang: str) -> str:
    """The opening words of an intake text that joins initiative `about`; empty if it is no Nr.

    The form starts with them for `/?about=22-04`, the link on an initiative's page.
    """
    nr = (about or "").strip()
    if not _NR.fullmatch(nr):
        return ""
    return texts(lang).gettext("Jag vill ansluta mig till initiativ {nr} i portföljen. ").format(nr=nr)


@dataclass
class SubmissionForm:
    """The fields of the intake form, as posted."""

    text: str = ""
    title: str = ""
    submitter_name: str = ""
    submitter_email: str = ""
    submitter_unit: str = ""


@dataclass
class FormPage:
    """What the form template needs."""

    lang: str
    form: SubmissionForm = field(default_factory=SubmissionForm)
    problems: list[FieldProblem] = field(default_factory=list)
    max_text: int = 0


@dataclass
class ReceiptPage:
    """What the receipt template needs."""

    lang: str
    reference: str
    similar: list[MatchOut]
    retry: bool
    follow_url: str | None = None


def _lang(request: Request[Any, Any, Any], services: Services) -> str:
    return pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        services.settings.default_language,
    )


def _render(
    name: str, page: FormPage | ReceiptPage, status_code: int = 200, headers: dict[str, str] | None = None
) -> Template:
    response = Template(
        template_name=name,
        context={"page": page, "lang": page.lang},
        status_code=status_code,
        headers=headers,
    )
    response.set_cookie(LANG_COOKIE, page.lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


class IntakePages(Controller):
    """The submitter's pages."""

    path = "/"
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def form(self, request: Request[Any, Any, Any], services: Services) -> Template:
        page = FormPage(lang=_lang(request, services), max_text=services.settings.intake.max_text_chars)
        # --- portfolio ---
        page.form.text = mention(request.query_params.get("about"), page.lang)  # `/?about=22-04`
        # --- end portfolio ---
        return _render("form.html", page)

    @post("/", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def send(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        data: URLEncodedBody[SubmissionForm],
    ) -> Template | Response[Any]:
        lang = _lang(request, services)
        new = NewSubmission(
            text=data.text,
            channel=Channel.WEB,
            title=data.title or None,
            submitter_name=data.submitter_name or None,
            submitter_email=data.submitter_email or None,
            submitter_unit=data.submitter_unit or None,
        )
        try:
            outcome = submissions.submit(
                services.engine, services.similarity, new, services.settings.intake, actor="web"
            )
        except SubmissionInvalid as exc:
            page = FormPage(
                lang=lang,
                form=data,
                problems=exc.problems,
                max_text=services.settings.intake.max_text_chars,
            )
            return _render("form.html", page, HTTP_422_UNPROCESSABLE_ENTITY)
        threshold = services.similarity.flag_threshold
        receipt = ReceiptPage(
            lang=lang,
            reference=outcome.submission.reference,
            similar=[MatchOut.from_match(m, threshold) for m in outcome.matches if m.relevant],
            retry=not outcome.processed,
            follow_url=_follow_url(services, outcome.submission.id, str(request.base_url)),
        )
        # The receipt holds the follow link, whose token is the submitter's only credential.
        private = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        return _render("receipt.html", receipt, HTTP_201_CREATED, private)


def _follow_url(services: Services, submission_id: int | None, base: str) -> str | None:
    """Make the submitter's follow link; without one (the database failed) the receipt still stands."""
    if submission_id is None:
        return None
    try:
        token = follow.issue(services.engine, submission_id, actor="web")
    except StorageError:
        return None
    return follow.follow_url(services.settings, token, base=base)
