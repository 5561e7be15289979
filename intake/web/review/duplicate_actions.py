"""The reviewer's actions on duplicate candidates: confirm, dismiss, link, merge, and undo a merge.

Thin handlers: the rules are in `intake.services.merging`. A plain form post answers 303 back to the
item page's panel with a message; an htmx request gets the panel itself, re-rendered. A refused
action answers 4xx with the reason in the page's language, never a stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Final
from urllib.parse import quote

import anyio.to_thread
from litestar import Controller, Request, Response, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
)

from intake.domain.duplicates import Decision
from intake.domain.workflow import TransitionRefused
from intake.drafting.checklists import load_checklists
from intake.locale import Texts
from intake.services import merging
from intake.services.auth_sessions import Principal
from intake.services.workflow import SubmissionNotFound
from intake.web.auth.policy import STAFF, require_role
from intake.web.auth.views import page_texts
from intake.web.review.duplicates import ACTIONS, item_url, load_panel
from intake.web.state import AppServices, Services

NOTE_MAX: Final = 2000
_DECISIONS: Final = {
    "confirm": Decision.CONFIRMED,
    "dismiss": Decision.DISMISSED,
    "link": Decision.LINKED,
}


@dataclass
class ActionForm:
    """A candidate action as posted: which one, and the reviewer's optional note."""

    action: str = ""
    note: str = ""


@dataclass
class UndoForm:
    """The undo form carries nothing but the CSRF token."""


class Refused(Exception):
    """An action that cannot be done: the status and the reason, in the page's language."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class DuplicateActions(Controller):
    """`POST /review/items/{reference}/duplicates/{key}` and `POST /review/items/{reference}/unmerge`."""

    path = "/review/items"
    include_in_schema = False

    @post("/{reference:str}/duplicates/{key:str}", status_code=HTTP_303_SEE_OTHER)
    async def act(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        reference: FromPath[str],
        key: FromPath[str],
        data: URLEncodedBody[ActionForm],
    ) -> Response[Any]:
        """Confirm, dismiss, link or merge the candidate `key` of the item."""
        actor = _actor(request)
        lang, _ = page_texts(request, services)
        action, note = data.action.strip(), data.note.strip() or None
        try:
            if action not in ACTIONS:
                raise Refused(
                    HTTP_400_BAD_REQUEST, _("Okänd åtgärd. Välj bekräfta, avfärda, länka eller slå ihop.")
                )
            if note is not None and len(note) > NOTE_MAX:
                raise Refused(HTTP_400_BAD_REQUEST, _("Anteckningen är för lång (högst 2000 tecken)."))
            work = partial(_act, services, reference, key, action, actor, note)
            await anyio.to_thread.run_sync(_refusing(work, lang, _))
        except Refused as refused:
            return await _refused(request, services, reference, lang, refused)
        return await _done(request, services, reference, lang, action)

    @post("/{reference:str}/unmerge", status_code=HTTP_303_SEE_OTHER)
    async def unmerge(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        reference: FromPath[str],
        data: URLEncodedBody[UndoForm],
    ) -> Response[Any]:
        """Undo the item's merge."""
        actor = _actor(request)
        lang, _ = page_texts(request, services)
        try:
            work = partial(merging.undo_merge, services.engine, reference, actor)
            await anyio.to_thread.run_sync(_refusing(work, lang, _))
        except Refused as refused:
            return await _refused(request, services, reference, lang, refused)
        return await _done(request, services, reference, lang, "unmerge")


def _actor(request: Request[Any, Any, Any]) -> str:
    principal: Principal | None = request.scope.get("user")
    require_role(principal, STAFF)  # the object rule: duplicates are decided by staff only
    assert principal is not None
    return principal.email


def _act(services: AppServices, reference: str, key: str, action: str, actor: str, note: str | None) -> None:
    if action == "merge":
        merging.merge(
            services.engine,
            reference,
            key,
            actor,
            process=services.process,
            checklists=load_checklists(services.settings.checklists_file),
            note=note,
        )
    else:
        merging.decide(services.engine, reference, key, _DECISIONS[action], actor, note=note)


def _refusing(work: Any, lang: str, _: Texts) -> Any:
    """Wrap `work` so that the service's refusals become `Refused` with a reason in `lang`."""

    def run() -> None:
        try:
            work()
        except SubmissionNotFound as exc:
            raise Refused(
                HTTP_404_NOT_FOUND, _("Det finns inget sådant ärende eller ingen sådan dubblettkandidat.")
            ) from exc
        except merging.MergeError as exc:
            raise Refused(HTTP_409_CONFLICT, exc.en if lang == "en" else exc.sv) from exc
        except TransitionRefused as exc:
            reasons = "; ".join(b.en if lang == "en" else b.sv for b in exc.blockers)
            raise Refused(HTTP_409_CONFLICT, reasons) from exc

    return run


def _htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


async def _done(
    request: Request[Any, Any, Any], services: AppServices, reference: str, lang: str, done: str
) -> Response[Any]:
    if _htmx(request):
        panel = await anyio.to_thread.run_sync(partial(load_panel, services, reference, lang, done=done))
        return Template(template_name="review/_duplicates.html", context={"dups": panel, "lang": lang})
    canonical = reference.strip().upper()
    return Redirect(
        f"{item_url(canonical)}?dups_done={quote(done)}#duplicates", status_code=HTTP_303_SEE_OTHER
    )


async def _refused(
    request: Request[Any, Any, Any], services: AppServices, reference: str, lang: str, refused: Refused
) -> Response[Any]:
    back = item_url(reference.strip().upper()) + "#duplicates"
    if _htmx(request) and refused.status != HTTP_404_NOT_FOUND:
        panel = await anyio.to_thread.run_sync(
            partial(load_panel, services, reference, lang, error=refused.message)
        )
        return Template(
            template_name="review/_duplicates.html",
            context={"dups": panel, "lang": lang},
            status_code=refused.status,
        )
    return Template(
        template_name="review/_duplicates_error.html" if _htmx(request) else "review/duplicates_error.html",
        context={"lang": lang, "message": refused.message, "back": back},
        status_code=refused.status,
    )
