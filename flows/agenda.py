"""The scheduled forum agendas: find those due, build, store and send each one, exactly once.

`PERIODIC` runs from every job loop (`flows.periodic`). A look finds the agendas due today from
each forum's cadence (`intake.agenda.agendas_due`), going back `schedule.catch_up_days` so that
agendas missed while the service was down still go out, but never for a meeting that has begun.
When one of them is not sent yet, the `forum-agendas` flow runs: `find-due` claims each agenda's
row (`intake.reminders.claims`; another process that claimed it first keeps it), `build` reads
the agenda from the database, `store` keeps the HTML and Markdown in the row, and `send` mails it
with the invitation to the forum's members. A failed send keeps its error in the row and is tried
again on a later look. `beredning agenda due --send` runs the same flow.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from flows.periodic import Periodic, PeriodicContext, bound, current
from intake.agenda import (
    Agenda,
    AgendaMailError,
    agendas_due,
    build_agenda,
    find_forum,
    render_html,
    render_markdown,
    send_agenda,
)
from intake.agenda.schedule import meeting_cutoff
from intake.domain.process import ProcessDefinition
from intake.drafting.checklists import load_checklists
from intake.models import AgendaDispatch, utcnow
from intake.reminders import claims
from intake.reminders.digest import local_day
from intake.services.similarity import glossary_for_reasons
from intake.settings import Settings

log = logging.getLogger(__name__)

LANGUAGE = "sv"
"""Language of the agenda mails (the forums work in Swedish)."""


@dataclass(frozen=True)
class DueAgenda:
    """An agenda this process has claimed, to build and send."""

    forum_key: str
    meeting_day: date
    held: claims.Held


# --- the steps, as plain functions -----------------------------------------------------------


def due(process: ProcessDefinition, today: date, now: datetime, catch_up_days: int) -> list[tuple[str, date]]:
    """Return (forum, meeting day) of the agendas due on `today`, missed ones of the last days included.

    A meeting that has begun by `now` is left out: its agenda is of no use any more.
    """
    since = today - timedelta(days=catch_up_days + 1)
    found = []
    for forum_key, day in agendas_due(process, today, since=since):
        if meeting_cutoff(find_forum(process, forum_key), day) > now:
            found.append((forum_key, day))
    return found


def unsent(engine: Engine, agendas: list[tuple[str, date]]) -> list[tuple[str, date]]:
    """Return those of `agendas` not sent yet (a cheap look before a flow run is started)."""
    if not agendas:
        return []
    with Session(engine) as session:
        done = {
            (forum_key, day)
            for forum_key, day in session.exec(
                select(col(AgendaDispatch.forum_key), col(AgendaDispatch.meeting_day))
                .where(col(AgendaDispatch.meeting_day).in_([d for _, d in agendas]))
                .where(col(AgendaDispatch.sent_at).is_not(None))
            ).all()
        }
    return [a for a in agendas if a not in done]


def rows(engine: Engine, agendas: list[tuple[str, date]]) -> dict[tuple[str, date], AgendaDispatch]:
    """Return the stored rows of `agendas`, for showing what was sent."""
    if not agendas:
        return {}
    with Session(engine) as session:
        found = session.exec(
            select(AgendaDispatch).where(col(AgendaDispatch.meeting_day).in_([d for _, d in agendas]))
        ).all()
    return {(r.forum_key, r.meeting_day): r for r in found if (r.forum_key, r.meeting_day) in agendas}


def claim_due(context: PeriodicContext, today: date, now: datetime) -> list[DueAgenda]:
    """Find the agendas due and claim each one's row; return those this process holds."""
    lease = timedelta(seconds=context.settings.schedule.claim_seconds)
    found = due(context.process, today, now, context.settings.schedule.catch_up_days)
    held: list[DueAgenda] = []
    for forum_key, day in unsent(context.engine, found):
        claim = claims.claim(
            context.engine, claims.AGENDAS, {"forum_key": forum_key, "meeting_day": day}, lease=lease
        )
        if claim is not None:
            held.append(DueAgenda(forum_key, day, claim))
    return held


def build(context: PeriodicContext, forum_key: str, day: date, now: datetime) -> Agenda:
    """Build the agenda from the database as it stands now."""
    checklists = load_checklists(context.settings.checklists_file)
    return build_agenda(
        context.engine,
        context.process,
        forum_key,
        day,
        checklists=checklists,
        glossary=glossary_for_reasons(context.settings),
        base_url=context.settings.public_base_url,
        now=now,
    )


def store(context: PeriodicContext, due_agenda: DueAgenda, agenda: Agenda) -> bool:
    """Keep the agenda's HTML and Markdown in its row; False when the claim was lost meanwhile."""
    return claims.update(
        context.engine,
        due_agenda.held,
        item_count=len(agenda.items),
        markdown=render_markdown(agenda, LANGUAGE),
        html=render_html(agenda, LANGUAGE),
        recipients=list(agenda.members),
        built_at=utcnow(),
        updated_at=utcnow(),
    )


def send(context: PeriodicContext, due_agenda: DueAgenda, agenda: Agenda) -> list[str]:
    """Mail the agenda to the members if the claim still holds; record the outcome in the row.

    Raises:
        AgendaMailError: no members, or the SMTP server is down or refused them; kept in the row.
    """
    lease = timedelta(seconds=context.settings.schedule.claim_seconds)
    if not claims.renew(context.engine, due_agenda.held, lease):
        log.warning("agenda %s %s: claim lost before sending; left to its new holder", *_key(due_agenda))
        return []
    try:
        accepted = send_agenda(agenda, context.settings.smtp, lang=LANGUAGE)
    except AgendaMailError as exc:
        claims.failed(context.engine, due_agenda.held, str(exc))
        raise
    if not claims.sent(context.engine, due_agenda.held, accepted):
        log.error("agenda %s %s was sent, but its row could not be marked sent", *_key(due_agenda))
    return accepted


def _key(due_agenda: DueAgenda) -> tuple[str, str]:
    return due_agenda.forum_key, due_agenda.meeting_day.isoformat()


# --- the flow ------------------------------------------------------------------------------------


@task(name="find-due", cache_policy=NO_CACHE)
def find_due_task(today: date, now: datetime) -> list[DueAgenda]:
    """Find the agendas due today (and missed ones) and claim those no other process holds."""
    return claim_due(current(), today, now)


@task(name="build", cache_policy=NO_CACHE)
def build_task(forum_key: str, meeting_day: date, now: datetime) -> Agenda:
    """Build one forum's agenda: the items due, ready ones first, duplicates grouped."""
    return build(current(), forum_key, meeting_day, now)


@task(name="store", cache_policy=NO_CACHE)
def store_task(due_agenda: DueAgenda, agenda: Agenda) -> bool:
    """Store the agenda's HTML and Markdown in its row."""
    return store(current(), due_agenda, agenda)


@task(name="send", cache_policy=NO_CACHE)
def send_task(due_agenda: DueAgenda, agenda: Agenda) -> list[str]:
    """E-mail the agenda with the invitation to the forum's members."""
    return send(current(), due_agenda, agenda)


@flow(name="forum-agendas", flow_run_name="forum-agendas-{today}", persist_result=False)
def forum_agendas(today: date, now: datetime) -> list[dict[str, Any]]:
    """Build, store and send every agenda due on `today` that no other process has taken."""
    results: list[dict[str, Any]] = []
    for due_agenda in find_due_task(today, now):
        result: dict[str, Any] = {"forum": due_agenda.forum_key, "day": due_agenda.meeting_day.isoformat()}
        try:
            agenda = build_task(due_agenda.forum_key, due_agenda.meeting_day, now)
            if store_task(due_agenda, agenda):
                result["items"] = len(agenda.items)
                result["sent_to"] = send_task(due_agenda, agenda)
        except Exception as exc:  # noqa: BLE001  # one agenda's failure must not hold back the others
            claims.failed(current().engine, due_agenda.held, f"{type(exc).__name__}: {exc}")
            result["error"] = str(exc)
            log.warning("agenda %s %s not sent, tried again later: %s", *_key(due_agenda), exc)
        results.append(result)
    return results


# --- the periodic entry --------------------------------------------------------------------------


def today_and_now(process: ProcessDefinition, given: date | None = None) -> tuple[date, datetime]:
    """Return the day to look at and the moment: today and now, or the start of a given later day."""
    now = datetime.now(UTC)
    if given is None:
        return local_day(process, now), now
    start = datetime.combine(given, time(), tzinfo=ZoneInfo(process.timezone)).astimezone(UTC)
    return given, max(now, start)


def run(context: PeriodicContext, now: datetime) -> list[dict[str, Any]]:
    """Send the agendas due now; start a flow run only when one of them is not sent yet."""
    today = local_day(context.process, now)
    pending = unsent(
        context.engine, due(context.process, today, now, context.settings.schedule.catch_up_days)
    )
    if not pending:
        return []
    with bound(context):
        return forum_agendas(today, now)


def _interval(settings: Settings) -> float:
    """Off while no SMTP server is configured: there is nobody to send to."""
    return settings.schedule.agenda_check_seconds if settings.smtp.configured else 0.0


PERIODIC = Periodic(name="forum-agendas", interval=_interval, run=run)
