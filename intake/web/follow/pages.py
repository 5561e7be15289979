"""`/follow/{token}`: a submitter follows their own submission and answers DigIT's questions.

No account: the random token in the link is the credential, so the handlers are the object check.
A token opens exactly one submission, and an unknown or revoked token gets the same 404 page as a
malformed one, so the page says nothing about which references exist. No rate limit is needed:
a token has 256 random bits (`intake.services.follow`), beyond any guessing over HTTP.

Since the token is in the address, every answer carries `Referrer-Policy: no-referrer` (links
out never reveal it), `Cache-Control: no-store` (no shared or back-button copy) and `noindex`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from intake.domain.process import ProcessDefinition
from intake.locale import N_, texts
from intake.services import follow, questions
from intake.web.auth.views import language_template, page_language
from intake.web.state import AppServices, Services

ANSWER_PROBLEMS: Final[dict[str, str]] = {
    "empty": N_("Skriv ett svar innan du skickar."),
    "long": N_("Svaret är för långt: högst {n} tecken."),
}
"""What the page says about each problem `follow.answer_problem` finds in an answer."""

PRIVATE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
}
"""Headers of every follow page: the token in the URL must not travel on, be cached or indexed."""


@dataclass
class AnswerForm:
    """One answer as posted: the gap it answers and the text."""

    gap: str = ""
    answer: str = ""


@dataclass
class QuestionView:
    """One question as the submitter sees it."""

    gap: str
    question: str
    asked: str
    answer: str = ""
    answered: str = ""
    error: str | None = None

    @property
    def field_id(self) -> str:
        """The answer field's id, unique on the page (one open question per gap)."""
        return "answer-" + "".join(c if c.isalnum() else "-" for c in self.gap)


@dataclass
class FollowPage:
    """What `follow/status.html` needs: one submission, nothing of anyone else's."""

    token: str
    reference: str
    title: str | None
    received: str
    step_name: str
    step_about: str | None
    open_questions: list[QuestionView]
    answered: list[QuestionView]
    history: list[tuple[str, str]]
    max_answer: int = questions.MAX_TEXT
    thanks: bool = False
    notice: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)


def short_day(value: datetime, process: ProcessDefinition) -> str:
    """The day of `value` in the process's time zone (YYYY-MM-DD): what submitters are shown."""
    return value.astimezone(ZoneInfo(process.timezone)).strftime("%Y-%m-%d")


def place_name(process: ProcessDefinition, key: str, lang: str) -> str:
    """The name of a step or state in `lang`, or the key itself for one the process no longer has."""
    try:
        return process.place_label(key).get(lang)
    except KeyError:
        return key


def build_page(
    services: AppServices, submission: follow.FollowedSubmission, token: str, lang: str, **extra: Any
) -> FollowPage:
    """Read the submission's status and shape it for the page (in a worker thread: blocking)."""
    process = services.process
    found = follow.status(services.engine, submission.id)
    _ = texts(lang)
    about = process.place_about(submission.step)
    history = [(short_day(submission.received_at, process), _("Förslaget kom in"))] + [
        (
            short_day(c.at, process),
            _("Flyttat till: {place}").format(place=place_name(process, c.to_step, lang)),
        )
        for c in found.history
    ]
    return FollowPage(
        token=token,
        reference=submission.reference,
        title=submission.title,
        received=short_day(submission.received_at, process),
        step_name=place_name(process, submission.step, lang),
        step_about=about.get(lang) if about else None,
        open_questions=[
            QuestionView(gap=q.gap_key, question=q.question, asked=short_day(q.asked_at, process))
            for q in found.open_questions
        ],
        answered=[
            QuestionView(
                gap=q.gap_key,
                question=q.question,
                asked=short_day(q.asked_at, process),
                answer=q.answer or "",
                answered=short_day(q.answered_at, process) if q.answered_at else "",
            )
            for q in found.answered
        ],
        history=history,
        **extra,
    )


def _render(request: Request[Any, Any, Any], lang: str, name: str, page: Any, status_code: int) -> Template:
    return language_template(
        request,
        lang,
        name,
        {"page": page},
        status_code=status_code,
        headers=PRIVATE_HEADERS,
    )


def _not_found(request: Request[Any, Any, Any], lang: str) -> Template:
    return _render(request, lang, "follow/not_found.html", None, HTTP_404_NOT_FOUND)


class FollowPages(Controller):
    """The submitter's follow page and its answer form."""

    path = "/follow"
    include_in_schema = False

    @get("/{token:str}")
    async def status(
        self, request: Request[Any, Any, Any], services: Services, token: FromPath[str]
    ) -> Template:
        lang = page_language(request, services.settings.default_language)
        submission = await anyio.to_thread.run_sync(follow.resolve, services.engine, token)
        if submission is None:  # the object check: this token opens no submission
            return _not_found(request, lang)
        thanks = request.query_params.get("answered") == "1"
        page = await anyio.to_thread.run_sync(
            lambda: build_page(services, submission, token, lang, thanks=thanks)
        )
        return _render(request, lang, "follow/status.html", page, 200)

    @get("/{token:str}/answers", status_code=HTTP_303_SEE_OTHER, sync_to_thread=False)
    def answers_page(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Redirect:
        """Send a GET of the answer address (the language link on a refused answer) to the page itself."""
        lang = request.query_params.get("lang")
        query = f"?lang={lang}" if lang in ("sv", "en") else ""
        return Redirect(
            follow.follow_path(token) + query, status_code=HTTP_303_SEE_OTHER, headers=PRIVATE_HEADERS
        )

    @post("/{token:str}/answers", status_code=HTTP_303_SEE_OTHER)
    async def answer(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        token: FromPath[str],
        data: URLEncodedBody[AnswerForm],
    ) -> Response[Any]:
        lang = page_language(request, services.settings.default_language)
        submission = await anyio.to_thread.run_sync(follow.resolve, services.engine, token)
        if submission is None:
            return _not_found(request, lang)
        _ = texts(lang)
        problem = follow.answer_problem(data.answer)
        if problem is None:
            try:
                await anyio.to_thread.run_sync(
                    lambda: questions.answer(
                        services.engine, submission.reference, data.gap, data.answer, follow.SUBMITTER
                    )
                )
            except questions.QuestionError:
                # answered in another tab, or a gap that is not this submission's open question
                page = await anyio.to_thread.run_sync(
                    lambda: build_page(
                        services,
                        submission,
                        token,
                        lang,
                        notice=_("Frågan är redan besvarad eller stängd. Sidan visar hur det ser ut nu."),
                    )
                )
                return _render(request, lang, "follow/status.html", page, HTTP_409_CONFLICT)
            return Redirect(
                f"{follow.follow_path(token)}?answered=1",
                status_code=HTTP_303_SEE_OTHER,
                headers=PRIVATE_HEADERS,
            )
        message = _(ANSWER_PROBLEMS[problem]).format(n=questions.MAX_TEXT)
        page = await anyio.to_thread.run_sync(lambda: build_page(services, submission, token, lang))
        for view in page.open_questions:
            if view.gap == data.gap:
                view.answer, view.error = data.answer, message
                page.errors.append((view.field_id, message))
        if not page.errors:  # the gap is not an open question here: nothing to keep the text in
            page.notice = _("Frågan är redan besvarad eller stängd. Sidan visar hur det ser ut nu.")
            return _render(request, lang, "follow/status.html", page, HTTP_409_CONFLICT)
        return _render(request, lang, "follow/status.html", page, HTTP_422_UNPROCESSABLE_ENTITY)
