"""The item page's handlers: render, save the draft, ask a question, move the item."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import anyio.to_thread
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from intake.locale import N_, Texts, texts
from intake.services import draft_edits, notify, questions, workflow
from intake.services.auth_sessions import Principal
from intake.web.auth.policy import STAFF, require_role
from intake.web.auth.views import language_template, page_language, page_texts
from intake.web.review.item._form import DraftForm
from intake.web.review.item._view import (
    FIELD_TEXTS,
    ItemView,
    blocker_text,
    checklists_of,
    load_item,
)
from intake.web.state import AppServices, Services

MAX_REASON = 4000
"""Longest reason for a move, in characters."""


@dataclass
class Alert:
    """A problem shown at the top of the page or section: a heading line and its details."""

    text: str
    lines: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What a page render needs beyond the item: the form as posted, errors and messages."""

    form: DraftForm | None = None
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    alert: Alert | None = None
    alert_at: str = "page"
    """Where the alert belongs: `page`, `draft`, `gaps` or `moves`."""
    move_input: dict[str, str] = field(default_factory=dict)
    """What the reviewer typed into a question or move form, kept when it is refused."""
    done: str = ""
    """The confirmation to show after a form was sent and the browser came back (`?done=`)."""


DONE = {
    "saved": N_("Utkastet är sparat."),
    "unchanged": N_("Inget ändrades, så inget sparades."),
    "asked": N_("Frågan är skickad till inskickaren."),
    "moved": N_("Ärendet är flyttat. Det är nu i: {step}."),
}


async def _posted(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The posted form, the first value of each name (a form field is never repeated here)."""
    form = await request.form()
    return {key: str(form.get(key, "")) for key in form}


def _htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def _actor(request: Request[Any, Any, Any]) -> str:
    principal: Principal | None = request.scope.get("user")
    assert principal is not None  # require_role ran first
    return principal.email


def _back(reference: str, done: str, anchor: str) -> Redirect:
    return Redirect(f"/review/items/{quote(reference)}?done={done}#{anchor}", status_code=HTTP_303_SEE_OTHER)


class ItemPages(Controller):
    """The staff item page and its forms."""

    path = "/review/items"
    include_in_schema = False

    async def _render(
        self,
        request: Request[Any, Any, Any],
        services: AppServices,
        reference: str,
        outcome: Outcome,
        status_code: int = 200,
        partial: str | None = None,
    ) -> Template:
        lang = page_language(request, services.settings.default_language)
        view = await anyio.to_thread.run_sync(load_item, services, reference, lang)
        if view is None:
            status_code, partial = HTTP_404_NOT_FOUND, None
        _ = texts(lang)
        message = outcome.message
        if message is None and outcome.done in DONE and view is not None:
            message = _(DONE[outcome.done]).format(step=view.step_label)
        form = outcome.form
        if view is not None and view.draft is not None and form is None:
            form = DraftForm.from_content(view.draft.content, view.draft.updated_at)
        zone = ZoneInfo(services.process.timezone)
        return language_template(
            request,
            lang,
            f"review/_item_swap_{partial}.html" if partial else "review/item.html",
            {
                "view": view,
                "reference": reference.strip().upper(),
                "form": form,
                "errors": outcome.errors,
                "message": message,
                "alert": outcome.alert,
                "alert_at": outcome.alert_at,
                "move_input": outcome.move_input,
                "dups": view.dups if view is not None else None,
                "when": lambda at: at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else "",
                "max_question": questions.MAX_TEXT,
            },
            status_code=status_code,
        )

    @get("/{reference:str}")
    async def item(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        reference: FromPath[str],
        done: FromQuery[str] = "",
    ) -> Template:
        """The item page; `done` names the confirmation to show after a form was sent."""
        require_role(request.scope.get("user"), STAFF)
        return await self._render(request, services, reference, Outcome(done=done))

    @post("/{reference:str}/draft", status_code=HTTP_303_SEE_OTHER)
    async def save_draft(
        self, request: Request[Any, Any, Any], services: Services, reference: FromPath[str]
    ) -> Template | Redirect:
        """Save the edited draft; 422 with the errors per field, 409 when someone saved meanwhile."""
        require_role(request.scope.get("user"), STAFF)
        lang, _ = page_texts(request, services)
        form = DraftForm.from_post(await _posted(request))
        partial = "draft" if _htmx(request) else None
        try:
            seen = datetime.fromisoformat(form.updated_at)
        except ValueError:
            outcome = Outcome(
                form=form,
                alert=Alert(_("Formuläret var ofullständigt. Ladda om sidan och försök igen.")),
                alert_at="draft",
            )
            return await self._render(request, services, reference, outcome, HTTP_400_BAD_REQUEST, partial)
        try:
            result = await anyio.to_thread.run_sync(
                lambda: draft_edits.edit(
                    services.engine,
                    reference,
                    form.to_values(),
                    _actor(request),
                    seen_updated_at=seen,
                    process=services.process,
                    checklists=checklists_of(services),
                )
            )
        except draft_edits.DraftEditInvalid as exc:
            errors = {e.field: (e.en if lang == "en" else e.sv) for e in exc.errors}
            summary = [
                f"{_(FIELD_TEXTS[name]) if name in FIELD_TEXTS else name}: {text}"
                for name, text in errors.items()
            ]
            outcome = Outcome(
                form=form,
                errors=errors,
                alert=Alert(_("Utkastet sparades inte. Rätta fälten som är markerade."), summary),
                alert_at="draft",
            )
            return await self._render(
                request, services, reference, outcome, HTTP_422_UNPROCESSABLE_ENTITY, partial
            )
        except draft_edits.DraftEditConflict as exc:
            zone = ZoneInfo(services.process.timezone)
            at = exc.current.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
            form.updated_at = exc.current.isoformat()
            outcome = Outcome(
                form=form,
                alert=Alert(
                    _(
                        "Någon annan ändrade utkastet {at}, efter att du öppnade sidan. Dina ändringar är "
                        "inte sparade men står kvar i formuläret. Öppna ärendet i en ny flik för att se den "
                        "sparade versionen; sparar du igen ersätter dina värden den."
                    ).format(at=at)
                ),
                alert_at="draft",
            )
            return await self._render(request, services, reference, outcome, HTTP_409_CONFLICT, partial)
        except draft_edits.DraftMissing:
            outcome = Outcome(alert=Alert(_("Det finns inget utkast att ändra än.")), alert_at="draft")
            return await self._render(request, services, reference, outcome, HTTP_409_CONFLICT, partial)
        done = "saved" if result.changed else "unchanged"
        if partial:
            message = _(DONE["saved"] if result.changed else DONE["unchanged"])
            return await self._render(request, services, reference, Outcome(message=message), 200, partial)
        return _back(reference, done, "draft")

    @post("/{reference:str}/questions", status_code=HTTP_303_SEE_OTHER)
    async def ask(
        self, request: Request[Any, Any, Any], services: Services, reference: FromPath[str]
    ) -> Template | Redirect:
        """Send the submitter the question about one open gap (the suggested one, or as edited)."""
        require_role(request.scope.get("user"), STAFF)
        lang, _ = page_texts(request, services)
        posted = await _posted(request)
        gap, text = posted.get("gap", "").strip(), " ".join(posted.get("question", "").split())
        partial = "gaps" if _htmx(request) else None
        view = await anyio.to_thread.run_sync(load_item, services, reference, lang)
        if view is None:
            return await self._render(request, services, reference, Outcome(), HTTP_404_NOT_FOUND)
        problem = _question_problem(view, gap, text, _)
        if problem is None:
            try:
                await anyio.to_thread.run_sync(
                    lambda: questions.ask(
                        services.engine,
                        reference,
                        gap,
                        _actor(request),
                        question=text or None,
                        checklists=checklists_of(services),
                        lang=lang,
                        # the submitter gets the question and their follow link by mail, when
                        # they left an address and SMTP is configured; a failed mail is audited
                        notify=notify.question_by_mail(services.engine, services.settings),
                    )
                )
            except questions.QuestionError as exc:
                # checked above; what is left is a race (asked meanwhile) or a rule added later
                problem = (
                    _("Frågan kunde inte ställas: {reason}").format(reason=str(exc)),
                    HTTP_409_CONFLICT,
                )
        if problem is not None:
            outcome = Outcome(
                alert=Alert(_("Frågan skickades inte."), [problem[0]]),
                alert_at="gaps",
                move_input={"gap": gap, "question": text},
            )
            return await self._render(request, services, reference, outcome, problem[1], partial)
        if partial:
            return await self._render(request, services, reference, Outcome(done="asked"), 200, partial)
        return _back(reference, "asked", "gaps")

    @post("/{reference:str}/move", status_code=HTTP_303_SEE_OTHER)
    async def move(
        self, request: Request[Any, Any, Any], services: Services, reference: FromPath[str]
    ) -> Template | Redirect:
        """Move the item as the process allows; 409 with every blocker when it is refused."""
        require_role(request.scope.get("user"), STAFF)
        lang, _ = page_texts(request, services)
        posted = await _posted(request)
        target, reason = str(posted.get("to", "")).strip(), str(posted.get("reason", "")).strip()
        override = str(posted.get("override", "")) in ("1", "on", "true")
        keep = {"to": target, "reason": reason}
        if not target or len(reason) > MAX_REASON:
            text = (
                _("Välj vart ärendet ska flyttas.")
                if not target
                else _("Anledningen får vara högst {n} tecken.").format(n=MAX_REASON)
            )
            outcome = Outcome(
                alert=Alert(_("Flytten gjordes inte."), [text]), alert_at="moves", move_input=keep
            )
            return await self._render(request, services, reference, outcome, HTTP_422_UNPROCESSABLE_ENTITY)
        try:
            await anyio.to_thread.run_sync(
                lambda: workflow.move(
                    services.engine,
                    reference,
                    target,
                    _actor(request),
                    reason=reason or None,
                    override=override,
                    process=services.process,
                    checklists=checklists_of(services),
                )
            )
        except workflow.SubmissionNotFound:
            return await self._render(request, services, reference, Outcome(), HTTP_404_NOT_FOUND)
        except workflow.TransitionRefused as exc:
            lines = [blocker_text(b, lang) for b in exc.blockers]
            outcome = Outcome(
                alert=Alert(_("Flytten gjordes inte."), lines), alert_at="moves", move_input=keep
            )
            return await self._render(request, services, reference, outcome, HTTP_409_CONFLICT)
        return _back(reference, "moved", "moves")


def _question_problem(view: ItemView, gap: str, text: str, _: Texts) -> tuple[str, int] | None:
    """Why the question cannot be sent, in the page language, with its status; None when it can.

    An empty `text` is fine: the service then asks the gap's suggested question.
    """
    found = next((g for g in view.gaps if g.key == gap and g.is_open), None)
    if found is None:
        return _("Det finns ingen sådan lucka i utkastet."), HTTP_422_UNPROCESSABLE_ENTITY
    if found.waiting:
        return _("En fråga om den här luckan väntar redan på svar."), HTTP_409_CONFLICT
    if len(text) > questions.MAX_TEXT:
        return _("Frågan får vara högst {n} tecken.").format(
            n=questions.MAX_TEXT
        ), HTTP_422_UNPROCESSABLE_ENTITY
    if not text and not found.question:
        return _("Skriv en fråga."), HTTP_422_UNPROCESSABLE_ENTITY
    return None
