"""`/forums`: each forum's next agenda as a page to read, print or download as PDF, and the
forum's decisions recorded from it (through `workflow.decide`, which checks and audits them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
)

from intake.agenda import Agenda, UnknownForum, build_agenda, find_forum
from intake.agenda import formats as agenda_formats
from intake.agenda import view as agenda_view
from intake.agenda.pdf import render_pdf
from intake.domain.accounts import Role
from intake.domain.process import Forum, ProcessDefinition
from intake.domain.workflow import decision_reason
from intake.drafting.checklists import ChecklistConfig, load_checklists
from intake.locale import Texts, texts
from intake.reminders.digest import local_day
from intake.services import forum_pages as forum_data
from intake.services import workflow
from intake.services.accounts import forums_of
from intake.services.auth_sessions import Principal
from intake.services.similarity import glossary_for_reasons
from intake.web.auth.policy import FORUM_AND_STAFF, STAFF, require_role
from intake.web.auth.views import language_template, page_language, page_texts
from intake.web.state import AppServices, Services

NOTE_MAX = 2000
MERGE_MAX = 32


@dataclass
class DecisionForm:
    """The decision form as posted."""

    decision: str = ""
    note: str = ""
    merge_into: str = ""


@dataclass
class Refused:
    """A decision that was not recorded: why, and what the person had chosen (to show it again)."""

    reference: str
    reasons: list[str]
    form: DecisionForm


@dataclass
class AgendaPage:
    """What `forums/agenda.html` needs."""

    forum: Forum
    day: date
    agenda: Agenda | None
    """The live agenda of the next meeting; None when a stored past agenda is shown."""
    stored: forum_data.StoredAgenda | None
    decided: list[forum_data.RecordedDecision]
    decisions: list[tuple[str, str]]
    """(key, name) of the decisions the forum can make, in the page's language."""
    can_decide: bool
    notice: str | None = None
    refused: Refused | None = None
    anchors: set[str] = field(default_factory=set)
    """References whose decided row carries the `item-REF` anchor (those no longer on the agenda)."""

    @property
    def on_agenda(self) -> set[str]:
        """References of the items on the live agenda."""
        return {i.reference for i in self.agenda.items} if self.agenda else set()

    def form_for(self, reference: str) -> DecisionForm:
        """The values to fill the item's form with: those just refused, else empty."""
        if self.refused is not None and self.refused.reference == reference:
            return self.refused.form
        return DecisionForm()


class ForumPages(Controller):
    """The forums' agendas and decisions, for forum members and DigIT."""

    path = "/forums"
    include_in_schema = False

    @get("/")
    async def forums(self, request: Request[Any, Any, Any], services: Services) -> Template:
        principal = _principal(request)
        now = datetime.now(UTC)
        rows = await anyio.to_thread.run_sync(
            forum_data.forum_rows, services.engine, services.process, local_day(services.process, now), now
        )
        seats = await anyio.to_thread.run_sync(_seats, services, principal)
        if seats is not None:
            rows = [r for r in rows if r.forum.key in seats]
        return _render(request, services, "forums/list.html", {"rows": rows})

    @get("/{forum:str}")
    async def agenda(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        forum: FromPath[str],
        day: FromQuery[str] = "",
    ) -> Template:
        principal = _principal(request)
        found = await _forum(request, services, forum, principal)
        if isinstance(found, Template):
            return found
        lang, _ = page_texts(request, services)
        next_day = _next_meeting(services, found)
        wanted = next_day
        if day:
            try:
                wanted = date.fromisoformat(day)
            except ValueError:
                return _error(
                    request,
                    services,
                    _("Datumet ska skrivas ÅÅÅÅ-MM-DD, till exempel 2026-12-01."),
                    HTTP_400_BAD_REQUEST,
                )
        if wanted != next_day:
            stored = await anyio.to_thread.run_sync(
                forum_data.stored_agenda, services.engine, found.key, wanted
            )
            if stored is None:
                message = _("Ingen sparad dagordning för {forum} den {day}.").format(
                    forum=found.name.get(lang), day=wanted.isoformat()
                )
                return _error(request, services, message, HTTP_404_NOT_FOUND)
            page = await anyio.to_thread.run_sync(_stored_page, services, found, stored, lang)
            return _render(request, services, "forums/agenda.html", {"page": page})
        page = await anyio.to_thread.run_sync(_live_page, services, found, next_day, lang, principal)
        decided = request.query_params.get("decided")
        if decided:
            page.notice = _notice(services.process, page, decided, lang, _)
        return _render(request, services, "forums/agenda.html", {"page": page})

    @get("/{forum:str}/agenda.pdf")
    async def agenda_pdf(
        self, request: Request[Any, Any, Any], services: Services, forum: FromPath[str]
    ) -> Response[Any]:
        found = await _forum(request, services, forum, _principal(request))
        if isinstance(found, Template):
            return found
        lang = page_language(request, services.settings.default_language)
        day = _next_meeting(services, found)

        def build() -> bytes:
            agenda = _build(services, found, day)
            names = [d.name.get(lang) for d in services.process.decisions]
            return render_pdf(agenda, lang, decisions=names)

        pdf = await anyio.to_thread.run_sync(build)
        name = f"{texts(lang).gettext('Dagordning').lower()}-{found.key}-{day.isoformat()}.pdf"
        return Response(
            content=pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="{name}"',
                "Cache-Control": "private, no-store",
            },
        )

    @get("/{forum:str}/items/{reference:str}")
    async def item(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        forum: FromPath[str],
        reference: FromPath[str],
    ) -> Template:
        """One item of the live agenda in full: every open checklist point, every match, masked texts only.

        The agenda names at most three matches and three questions and links here; DigIT also get
        the link to the staff page with the unmasked text.
        """
        principal = _principal(request)
        found = await _forum(request, services, forum, principal)
        if isinstance(found, Template):
            return found
        _lang, _ = page_texts(request, services)
        reference = reference.strip().upper()
        day = _next_meeting(services, found)
        agenda = await anyio.to_thread.run_sync(_build, services, found, day)
        item = next((i for i in agenda.items if i.reference == reference), None)
        if item is None:
            message = _("{reference} står inte på nästa dagordning för {forum}.").format(
                reference=reference, forum=found.name.get(_lang)
            )
            return _error(request, services, message, HTTP_404_NOT_FOUND)
        staff = principal is not None and principal.role in STAFF
        return _render(
            request,
            services,
            "forums/item.html",
            {"agenda": agenda, "item": item, "forum": found, "staff_link": staff},
        )

    @post("/{forum:str}/items/{reference:str}/decision", status_code=HTTP_303_SEE_OTHER)
    async def decide(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        forum: FromPath[str],
        reference: FromPath[str],
        data: URLEncodedBody[DecisionForm],
    ) -> Response[Any]:
        principal = _principal(request)
        found = await _forum(request, services, forum, principal)
        if isinstance(found, Template):
            return found
        lang, _ = page_texts(request, services)
        form = DecisionForm(
            decision=data.decision.strip(),
            note=data.note.strip()[:NOTE_MAX],
            merge_into=data.merge_into.strip()[:MERGE_MAX],
        )
        reference = reference.strip().upper()
        status = HTTP_409_CONFLICT
        if not form.decision:
            reasons, status = [_("Välj ett beslut.")], HTTP_400_BAD_REQUEST
        else:
            try:
                await anyio.to_thread.run_sync(_record, services, found, reference, form, principal)
            except workflow.SubmissionNotFound:
                return _error(
                    request,
                    services,
                    _("Det finns inget ärende med referensen {reference}.").format(reference=reference),
                    HTTP_404_NOT_FOUND,
                )
            except workflow.TransitionRefused as refused:
                reasons = [b.en if lang == "en" else b.sv for b in refused.blockers]
            else:
                target = f"/forums/{found.key}?decided={reference}#item-{reference}"
                return Redirect(target, status_code=HTTP_303_SEE_OTHER)
        day = _next_meeting(services, found)
        page = await anyio.to_thread.run_sync(_live_page, services, found, day, lang, principal)
        page.refused = Refused(reference, reasons, form)
        return _render(request, services, "forums/agenda.html", {"page": page}, status)


# --- the work behind the handlers, run in a worker thread ----------------------------------------


def _checklists(services: AppServices) -> ChecklistConfig:
    if services.drafting is not None:
        return services.drafting.checklists
    return load_checklists(services.settings.checklists_file)


def _build(services: AppServices, forum: Forum, day: date) -> Agenda:
    return build_agenda(
        services.engine,
        services.process,
        forum.key,
        day,
        checklists=_checklists(services),
        glossary=glossary_for_reasons(services.settings),
        base_url=services.settings.public_base_url,
    )


def _decision_names(process: ProcessDefinition, lang: str) -> list[tuple[str, str]]:
    return [(d.key, d.name.get(lang)) for d in process.decisions]


def _live_page(
    services: AppServices, forum: Forum, day: date, lang: str, principal: Principal | None
) -> AgendaPage:
    agenda = _build(services, forum, day)
    stored = forum_data.stored_agenda(services.engine, forum.key, day)
    start, _ = forum_data.decision_window(forum, day, stored)
    decided = forum_data.recorded_decisions(services.engine, forum.key, start)
    page = AgendaPage(
        forum=forum,
        day=day,
        agenda=agenda,
        stored=None,
        decided=decided,
        decisions=_decision_names(services.process, lang),
        can_decide=principal is not None and principal.role in FORUM_AND_STAFF,
    )
    # the latest decision on an item that left the agenda is where the redirect's anchor lands
    page.anchors = {d.reference for d in decided} - page.on_agenda
    return page


def _stored_page(
    services: AppServices, forum: Forum, stored: forum_data.StoredAgenda, lang: str
) -> AgendaPage:
    start, until = forum_data.decision_window(forum, stored.meeting_day, stored, past=True)
    return AgendaPage(
        forum=forum,
        day=stored.meeting_day,
        agenda=None,
        stored=stored,
        decided=forum_data.recorded_decisions(services.engine, forum.key, start, until),
        decisions=_decision_names(services.process, lang),
        can_decide=False,
    )


def _record(
    services: AppServices, forum: Forum, reference: str, form: DecisionForm, principal: Principal | None
) -> None:
    assert principal is not None  # the route's policy lets nobody else in
    workflow.decide(
        services.engine,
        reference,
        forum.key,
        form.decision,
        principal.email,
        note=form.note or None,
        merge_into=form.merge_into or None,
        process=services.process,
        checklists=_checklists(services),
    )


# --- small helpers ---------------------------------------------------------------------------------


def _principal(request: Request[Any, Any, Any]) -> Principal | None:
    principal: Principal | None = request.scope.get("user")
    require_role(principal, FORUM_AND_STAFF)  # the object rule: agendas are for forum members and DigIT
    return principal


def _next_meeting(services: AppServices, forum: Forum) -> date:
    """The day of `forum`'s next meeting, now in the process's time zone: the day its live agenda is for."""
    now = datetime.now(UTC)
    return forum_data.meeting_day(forum, local_day(services.process, now), now)


def _seats(services: AppServices, principal: Principal | None) -> set[str] | None:
    """The forums a forum account has a seat in; None for DigIT and admins, who see every forum."""
    if principal is None or principal.role != Role.FORUM:
        return None
    return set(forums_of(services.engine, principal.account_id))


async def _forum(
    request: Request[Any, Any, Any], services: AppServices, key: str, principal: Principal | None
) -> Forum | Template:
    """The forum with `key` if `principal` has a seat in it; else the 404 page.

    Raises:
        PermissionDeniedException: a forum account without a seat in this forum. An unknown key is
        a 404 that names only the forums the person may open.
    """
    seats = await anyio.to_thread.run_sync(_seats, services, principal)
    try:
        forum = find_forum(services.process, key)
    except UnknownForum as exc:
        _lang, _ = page_texts(request, services)
        known = [k for k in exc.known if seats is None or k in seats]  # only the forums theirs to see
        message = _("Det finns inget forum med nyckeln {key}. Kända forum: {known}.").format(
            key=key, known=", ".join(known) or "-"
        )
        return _error(request, services, message, HTTP_404_NOT_FOUND)
    if seats is not None and forum.key not in seats:
        raise PermissionDeniedException("you have no seat in this forum")
    return forum


def _notice(process: ProcessDefinition, page: AgendaPage, reference: str, lang: str, _: Texts) -> str | None:
    """The confirmation after a decision, from the decision as recorded (None if there is none)."""
    latest = next((d for d in reversed(page.decided) if d.reference == reference.upper()), None)
    if latest is None:
        return None
    return (_("Beslutet {decision} för {reference} är registrerat. Ärendet är nu i {step}.")).format(
        decision=decision_label(process, latest.decision, lang),
        reference=latest.reference,
        step=place_label(process, latest.to_step, lang),
    )


def decision_label(process: ProcessDefinition, key: str, lang: str) -> str:
    """The decision's name in `lang`, or its key when the process file no longer has it."""
    rule = next((d for d in process.decisions if d.key == key), None)
    return rule.name.get(lang) if rule else key


def place_label(process: ProcessDefinition, key: str, lang: str) -> str:
    """The step's or state's name in `lang`, or its key when the process file no longer has it."""
    try:
        return process.place_label(key).get(lang)
    except KeyError:
        return key


def decision_note(process: ProcessDefinition, forum: str, decided: forum_data.RecordedDecision) -> str:
    """The note the forum wrote, without the "Beslut i …: …" that every decision's reason starts with."""
    rule = next((d for d in process.decisions if d.key == decided.decision), None)
    reason = decided.reason or ""
    if rule is not None:
        stated = decision_reason(process, forum, rule, None)
        if reason.startswith(stated):
            return reason[len(stated) :].lstrip(". ").strip()
    return reason


def _render(
    request: Request[Any, Any, Any],
    services: AppServices,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Template:
    lang = page_language(request, services.settings.default_language)
    process = services.process
    return language_template(
        request,
        lang,
        name,
        {
            **context,
            "view": agenda_view,
            "long_date": lambda day: agenda_formats.long_date(day, lang),
            "local": lambda moment: moment.astimezone(agenda_view.DEFAULT_ZONE).strftime("%Y-%m-%d %H:%M"),
            "decision_label": lambda key: decision_label(process, key, lang),
            "place_label": lambda key: place_label(process, key, lang),
            "decision_note": lambda forum, decided: decision_note(process, forum, decided),
        },
        status_code=status_code,
    )


def _error(
    request: Request[Any, Any, Any], services: AppServices, message: str, status_code: int
) -> Template:
    return _render(request, services, "forums/error.html", {"message": message}, status_code)
