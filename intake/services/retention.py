"""Culling by the retention schedule: each rule applied to the records whose time has run.

`cull(engine, schedule, now)` applies every rule once, in file order, in one transaction per
rule, and returns the count per rule; `dry_run` counts without changing anything. What it
changed leaves the similarity index (`index_removal`, or a re-index of the anonymised text) and
the files (`intake.services.scrubbing`); the audit keeps one event per run with the counts per
rule and their sources, never a value.

Records that belong to a submission count their time from the submission's events: `received`
(`received_at`), `triaged` (`processed_at`), `decided` (the last forum decision), `closed` (when it
entered its current step, if that is one of the schedule's `closed_steps`) and `last_activity`
(`updated_at`). Work in progress is never culled: a mail not yet handled keeps its bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, func, select, update

from intake.db import session_scope
from intake.domain.audit import AuditAction
from intake.domain.mail import MailState
from intake.domain.retention import Action, Event, Record, Rule, Schedule
from intake.models import (
    AgendaDispatch,
    AuditEvent,
    AuthSession,
    Draft,
    FollowLink,
    GapQuestion,
    InboundMail,
    LoginAttempt,
    MailAckCount,
    RateHit,
    ReminderDigest,
    SentMessage,
    StepChange,
    Submission,
    utcnow,
)
from intake.services import audit, personal_data

log = logging.getLogger(__name__)

PRIVACY_ENTITY = "privacy"
"""`entity_kind` of the audit events of culling runs and erasures: they hold counts, never values."""

_BATCH = 500
"""Submissions anonymised or deleted per transaction, so a first run over years of data stays small."""


@dataclass
class CullReport:
    """What one run did (or, dry, would do): rows per rule, and the references that left the index."""

    at: datetime
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    reindex: bool = False

    def total_changed(self) -> int:
        """Return how many rows the run changed (failed rules, -1, count as none)."""
        return sum(n for n in self.counts.values() if n > 0)

    def as_json(self) -> dict[str, Any]:
        """Return the report as JSON (the `--json` output and the audit record's changes)."""
        return {
            "at": self.at.isoformat(),
            "dry_run": self.dry_run,
            "counts": self.counts,
            "total": self.total_changed(),
            "sources": self.sources,
        }


def event_time(event: Event, schedule: Schedule) -> sa.ColumnElement[Any]:
    """Return the SQL expression for when `event` happened to a submission (NULL: not yet)."""
    simple: dict[Event, Any] = {
        Event.RECEIVED: Submission.received_at,
        Event.TRIAGED: Submission.processed_at,
        Event.LAST_ACTIVITY: Submission.updated_at,
    }
    if event in simple:
        return cast("sa.ColumnElement[Any]", col(simple[event]))
    if event == Event.DECIDED:
        return (
            select(func.max(StepChange.at))
            .where(col(StepChange.submission_id) == col(Submission.id), col(StepChange.decision).is_not(None))
            .scalar_subquery()
        )
    entered = (
        select(func.max(StepChange.at))
        .where(
            col(StepChange.submission_id) == col(Submission.id),
            col(StepChange.to_step) == col(Submission.step),
        )
        .scalar_subquery()
    )
    return sa.case(
        (
            col(Submission.step).in_(list(schedule.closed_steps)),
            func.coalesce(entered, col(Submission.updated_at)),
        ),
        else_=sa.null(),
    )


def _due_ids(session: Session, rule: Rule, schedule: Schedule, now: datetime, *where: Any) -> list[int]:
    moment = event_time(rule.from_event, schedule)
    query = select(Submission.id).where(moment.is_not(None), moment < rule.cutoff(now), *where)
    return [i for i in session.exec(query.order_by(col(Submission.id))) if i is not None]


Handler = Callable[[Session, Rule, Schedule, datetime, bool, "CullReport"], int]


def _submissions(
    session: Session, rule: Rule, schedule: Schedule, now: datetime, dry: bool, report: CullReport
) -> int:
    ids = _due_ids(session, rule, schedule, now, col(Submission.anonymised_at).is_(None))
    if dry:
        return len(ids)
    for submission_id in ids:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        if rule.action == Action.ANONYMISE:
            personal_data.anonymise_submission(session, submission, now)
            report.reindex = True
        else:
            report.removed.append(submission.reference)
            personal_data.delete_submission(session, submission, now)
    return len(ids)


def _drafts(
    session: Session, rule: Rule, schedule: Schedule, now: datetime, dry: bool, report: CullReport
) -> int:
    ids = _due_ids(session, rule, schedule, now)
    drafts = session.exec(select(Draft).where(col(Draft.submission_id).in_(ids))).all() if ids else []
    changed = 0
    for draft in drafts:
        if rule.record == Record.MASKING_MAP:
            if not draft.redaction.get("spans"):
                continue  # culled before, or the draft is anonymised
            changed += 1
            if not dry:
                draft.redaction = {}
                session.add(draft)
        elif rule.action == Action.ANONYMISE:
            if personal_data.ANONYMISED_AT in draft.redaction:
                continue
            changed += 1
            if dry:
                continue
            submission = session.get(Submission, draft.submission_id)
            assert submission is not None
            names = personal_data.person_names(
                submission, personal_data.mails_of(session, draft.submission_id)
            )
            personal_data.anonymise_draft(draft, names, now)
            session.add(draft)
        else:
            changed += 1
            if not dry:
                session.delete(draft)
    return changed


def _questions(
    session: Session, rule: Rule, schedule: Schedule, now: datetime, dry: bool, report: CullReport
) -> int:
    ids = _due_ids(session, rule, schedule, now)
    if not ids:
        return 0
    if rule.action == Action.CULL:
        if dry:
            return int(
                session.exec(select(func.count()).where(col(GapQuestion.submission_id).in_(ids))).one()
            )
        return _deleted(session, delete(GapQuestion).where(col(GapQuestion.submission_id).in_(ids)))
    changed = 0
    for submission_id in ids:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        names = personal_data.person_names(submission, personal_data.mails_of(session, submission_id))
        if dry:
            changed += sum(
                1
                for q in session.exec(
                    select(GapQuestion).where(col(GapQuestion.submission_id) == submission_id)
                )
                if personal_data.scrub(q.answer, names) != q.answer
                or personal_data.scrub(q.question, names) != q.question
            )
        else:
            changed += personal_data.anonymise_questions(session, submission_id, names)
    return changed


def _follow_links(
    session: Session, rule: Rule, schedule: Schedule, now: datetime, dry: bool, report: CullReport
) -> int:
    cutoff = rule.cutoff(now)
    if rule.from_event == Event.LAST_ACTIVITY:
        where: Any = func.coalesce(col(FollowLink.last_used_at), col(FollowLink.created_at)) < cutoff
    elif rule.from_event == Event.RECEIVED:
        where = col(FollowLink.created_at) < cutoff
    else:
        where = col(FollowLink.submission_id).in_(_due_ids(session, rule, schedule, now) or [-1])
    return _delete_or_count(session, FollowLink, where, dry)


def _raw_mail(
    session: Session, rule: Rule, schedule: Schedule, now: datetime, dry: bool, report: CullReport
) -> int:
    handled = col(InboundMail.state).not_in([MailState.RECEIVED, MailState.HANDLING])
    if rule.from_event == Event.TRIAGED:
        ids = _due_ids(session, rule, schedule, now)
        mails = session.exec(
            select(InboundMail).where(col(InboundMail.submission_id).in_(ids or [-1]), handled)
        )
    else:
        mails = session.exec(
            select(InboundMail).where(col(InboundMail.received_at) < rule.cutoff(now), handled)
        )
    changed = 0
    for mail in mails:
        if mail.submission_id is None:
            changed += 1  # an auto-reply, bounce or quarantined mail: nothing refers to it
            if not dry:
                session.delete(mail)
        elif dry:
            changed += int(bool(mail.raw or mail.text or mail.subject or mail.attachments))
        elif personal_data.blank_mail(mail):
            session.add(mail)
            changed += 1
    return changed


def _index(
    session: Session, rule: Rule, schedule: Schedule, now: datetime, dry: bool, report: CullReport
) -> int:
    ids = _due_ids(session, rule, schedule, now, col(Submission.unindexed_at).is_(None))
    if dry or not ids:
        return len(ids)
    references = list(session.exec(select(Submission.reference).where(col(Submission.id).in_(ids))))
    session.exec(
        update(Submission).where(col(Submission.id).in_(ids)).values(unindexed_at=now, updated_at=now)
    )
    personal_data.remove_from_index(session, references, now)
    report.removed.extend(references)
    return len(ids)


def _audit_events(
    session: Session, rule: Rule, schedule: Schedule, now: datetime, dry: bool, report: CullReport
) -> int:
    where = (col(AuditEvent.at) < rule.cutoff(now), col(AuditEvent.entity_kind) != PRIVACY_ENTITY)
    if rule.action == Action.CULL:
        return _delete_or_count(session, AuditEvent, sa.and_(*where), dry)
    pending = col(AuditEvent.actor) != personal_data.ANONYMISED
    changed = 0
    for event in session.exec(select(AuditEvent).where(*where, pending)):
        changed += 1
        if not dry:
            event.actor, event.changes, event.note = personal_data.ANONYMISED, {}, None
            session.add(event)
    return changed


def _simple(table: Any, moment: Any) -> Handler:
    """A handler that deletes the rows of `table` whose `moment` lies before the rule's cutoff."""

    def handle(
        session: Session, rule: Rule, schedule: Schedule, now: datetime, dry: bool, report: CullReport
    ) -> int:
        return _delete_or_count(session, table, moment(rule) < rule.cutoff(now), dry)

    return handle


def _sessions(
    session: Session, rule: Rule, schedule: Schedule, now: datetime, dry: bool, report: CullReport
) -> int:
    moment = AuthSession.last_seen_at if rule.from_event == Event.LAST_ACTIVITY else AuthSession.created_at
    return _delete_or_count(session, AuthSession, col(moment) < rule.cutoff(now), dry)


def _agendas(
    session: Session, rule: Rule, schedule: Schedule, now: datetime, dry: bool, report: CullReport
) -> int:
    cutoff = rule.cutoff(now)
    agendas = _delete_or_count(session, AgendaDispatch, col(AgendaDispatch.created_at) < cutoff, dry)
    return agendas + _delete_or_count(session, ReminderDigest, col(ReminderDigest.created_at) < cutoff, dry)


def _request_counts(
    session: Session, rule: Rule, schedule: Schedule, now: datetime, dry: bool, report: CullReport
) -> int:
    cutoff = rule.cutoff(now)
    hits = _delete_or_count(session, RateHit, col(RateHit.at) < cutoff, dry)
    day = cutoff.date().isoformat()
    return hits + _delete_or_count(session, MailAckCount, col(MailAckCount.day) < day, dry)


HANDLERS: dict[Record, Handler] = {
    Record.RAW_MAIL: _raw_mail,
    Record.SUBMISSION: _submissions,
    Record.DRAFT: _drafts,
    Record.MASKING_MAP: _drafts,
    Record.GAP_QUESTION: _questions,
    Record.FOLLOW_LINK: _follow_links,
    Record.SESSION: _sessions,
    Record.LOGIN_ATTEMPT: _simple(LoginAttempt, lambda rule: col(LoginAttempt.at)),
    Record.AUDIT_EVENT: _audit_events,
    Record.INDEX: _index,
    Record.AGENDA: _agendas,
    Record.SENT_MESSAGE: _simple(SentMessage, lambda rule: col(SentMessage.sent_at)),
    Record.REQUEST_COUNT: _request_counts,
}
"""What each record's rule does in SQL. `flow_run` is Prefect's store: `intake.services.scrubbing`."""


def _delete_or_count(session: Session, table: Any, where: Any, dry: bool) -> int:
    if dry:
        return int(session.exec(select(func.count()).select_from(table).where(where)).one())
    return _deleted(session, delete(table).where(where))


def _deleted(session: Session, statement: Any) -> int:
    return int(session.exec(statement).rowcount)


def cull(
    engine: Engine, schedule: Schedule, *, now: datetime | None = None, dry_run: bool = False
) -> CullReport:
    """Apply every rule of the schedule once; return the counts per rule.

    Each rule runs in its own transaction, so a failing rule (logged, and counted as -1) leaves the
    others done. The audit event of the run commits with the last rule's work.
    """
    now = now or utcnow()
    report = CullReport(at=now, dry_run=dry_run)
    for rule in schedule.rules:
        if rule.action == Action.KEEP:
            continue
        if rule.record == Record.BACKUP:
            continue  # backups are outside the service: `beredning backup` ages them out in their folder
        report.sources[rule.id] = rule.source
        if rule.record == Record.FLOW_RUN:
            report.counts[rule.id] = 0  # counted by the caller that reaches Prefect's store
            continue
        try:
            with session_scope(engine) as session:
                report.counts[rule.id] = HANDLERS[rule.record](session, rule, schedule, now, dry_run, report)
                if dry_run:
                    session.rollback()
        except sa.exc.SQLAlchemyError:  # one rule's database error must not keep the others from running
            log.exception("retention rule %s failed; the others ran", rule.id)
            report.counts[rule.id] = -1
    return report


def record_run(
    engine: Engine, report: CullReport, schedule: Schedule, actor: str = audit.SYSTEM_ACTOR
) -> None:
    """Write the run's audit event: counts per rule and their sources, no values."""
    if report.dry_run:
        return
    with session_scope(engine) as session:
        audit.record(
            session,
            actor=actor,
            action=AuditAction.PRIVACY_CULL,
            entity_kind=PRIVACY_ENTITY,
            entity_key=f"cull-{report.at.date().isoformat()}",
            changes={"counts": report.counts, "sources": report.sources, "plan": schedule.plan},
        )
