"""Register extracts (GDPR art. 15): everything the service holds about one person.

A person is found by e-mail address (their submissions, the mails they sent, their account,
login attempts, audit events where they acted), by name (submissions and mails signed so, an
account of that name) or by reference (one submission and what hangs on it). The same search
decides what an erasure reaches (`intake.services.erasure`), so an extract shows exactly what an
erasure would remove.

`extract` returns plain JSON-ready data; `render_html` turns it into a Swedish document that
prints well. Both include the masking maps and raw mails' attachment names, but never the raw
bytes (their size is given) and never secrets (token hashes, password hashes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, or_, select

from intake.models import (
    Account,
    AgendaDispatch,
    ApiKey,
    AuditEvent,
    AuthSession,
    Draft,
    DuplicateCandidate,
    FollowLink,
    ForumMembership,
    GapQuestion,
    InboundMail,
    LoginAttempt,
    MailAckCount,
    SentMessage,
    StepChange,
    Submission,
    utcnow,
)


class SubjectError(ValueError):
    """Raised when a subject is not given exactly one way, or is not well-formed."""


@dataclass(frozen=True)
class Subject:
    """Whom an extract or erasure is about: exactly one of e-mail, name or reference."""

    email: str | None = None
    name: str | None = None
    reference: str | None = None

    @classmethod
    def of(
        cls, *, email: str | None = None, name: str | None = None, reference: str | None = None
    ) -> Subject:
        """Return the subject, normalised; raise SubjectError unless exactly one is given."""
        given = [v for v in (email, name, reference) if v is not None and v.strip()]
        if len(given) != 1:
            raise SubjectError("give exactly one of --email, --name or --reference")
        if email is not None and email.strip():
            address = email.strip().lower()
            if "@" not in address or any(c.isspace() for c in address):
                raise SubjectError(f"not an e-mail address: {email!r}")
            return cls(email=address)
        if name is not None and name.strip():
            return cls(name=" ".join(name.split()))
        assert reference is not None
        return cls(reference=reference.strip().upper())

    def describe(self) -> dict[str, str | None]:
        """Return the subject as given (the extract's `subject`)."""
        return {"email": self.email, "name": self.name, "reference": self.reference}


def submissions_of(session: Session, subject: Subject) -> list[Submission]:
    """Return the subject's submissions, oldest first."""
    if subject.reference:
        query = select(Submission).where(col(Submission.reference) == subject.reference)
    elif subject.email:
        by_mail = select(InboundMail.submission_id).where(
            func.lower(col(InboundMail.sender)) == subject.email
        )
        query = select(Submission).where(
            or_(func.lower(col(Submission.submitter_email)) == subject.email, col(Submission.id).in_(by_mail))
        )
    else:
        assert subject.name is not None
        name = subject.name.lower()
        by_mail = select(InboundMail.submission_id).where(func.lower(col(InboundMail.sender_name)) == name)
        query = select(Submission).where(
            or_(func.lower(col(Submission.submitter_name)) == name, col(Submission.id).in_(by_mail))
        )
    return list(session.exec(query.order_by(col(Submission.id))))


def account_of(session: Session, subject: Subject) -> Account | None:
    """Return the subject's account, if they have one (never for a reference)."""
    if subject.email:
        return session.exec(select(Account).where(col(Account.email) == subject.email)).first()
    if subject.name:
        return session.exec(
            select(Account).where(func.lower(col(Account.name)) == subject.name.lower())
        ).first()
    return None


def loose_mails_of(session: Session, subject: Subject) -> list[InboundMail]:
    """Return mails from the subject that made no submission (auto-replies, quarantined mails)."""
    if subject.reference:
        return []
    column = InboundMail.sender if subject.email else InboundMail.sender_name
    value = subject.email or (subject.name or "").lower()
    query = select(InboundMail).where(
        col(InboundMail.submission_id).is_(None), func.lower(col(column)) == value
    )
    return list(session.exec(query.order_by(col(InboundMail.id))))


def _when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _mail(mail: InboundMail) -> dict[str, Any]:
    return {
        "message_id": mail.message_id,
        "received_at": _when(mail.received_at),
        "sender": mail.sender,
        "sender_name": mail.sender_name,
        "subject": mail.subject,
        "text": mail.text,
        "size_bytes": mail.size,
        "raw_kept": bool(mail.raw),
        "attachments": [
            {k: a.get(k) for k in ("filename", "content_type", "size") if k in a} for a in mail.attachments
        ],
        "state": mail.state.value,
        "acknowledged": mail.ack_state,
    }


def _audit(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": _when(event.at),
        "actor": event.actor,
        "action": event.action,
        "entity": f"{event.entity_kind}:{event.entity_key}",
        "changes": event.changes,
        "note": event.note,
    }


def _submission(session: Session, s: Submission) -> dict[str, Any]:
    sid = s.id
    draft = session.exec(select(Draft).where(col(Draft.submission_id) == sid)).first()
    spans = (draft.redaction.get("spans") or []) if draft else []
    return {
        "reference": s.reference,
        "title": s.title,
        "text": s.raw_text,
        "follow_up_text": s.follow_up_text,
        "channel": s.channel.value,
        "submitter": {"name": s.submitter_name, "email": s.submitter_email, "unit": s.submitter_unit},
        "received_at": _when(s.received_at),
        "language": s.language,
        "step": s.step,
        "anonymised_at": _when(s.anonymised_at),
        "mails": [
            _mail(m) for m in session.exec(select(InboundMail).where(col(InboundMail.submission_id) == sid))
        ],
        "draft": None
        if draft is None
        else {
            "state": draft.state.value,
            "content": draft.content,
            "gaps": draft.gaps,
            "masked_text": draft.masked_text,
            "masking_map": [
                {"placeholder": x.get("placeholder"), "kind": x.get("kind"), "original": x.get("original")}
                for x in spans
            ],
            "model": draft.model,
            "updated_at": _when(draft.updated_at),
        },
        "questions": [
            {
                "question": q.question,
                "asked_at": _when(q.asked_at),
                "asked_by": q.asked_by,
                "answer": q.answer,
                "answered_at": _when(q.answered_at),
            }
            for q in session.exec(select(GapQuestion).where(col(GapQuestion.submission_id) == sid))
        ],
        "follow_links": [
            {
                "created_at": _when(f.created_at),
                "last_used_at": _when(f.last_used_at),
                "revoked_at": _when(f.revoked_at),
            }
            for f in session.exec(select(FollowLink).where(col(FollowLink.submission_id) == sid))
        ],
        "sent_messages": [
            {"kind": m.kind, "sent_at": _when(m.sent_at)}
            for m in session.exec(select(SentMessage).where(col(SentMessage.submission_id) == sid))
        ],
        "similar_items": [
            {
                "kind": c.other_kind.value,
                "key": c.other_key,
                "score": c.score,
                "reason": c.reason,
                "decision": c.decision.value,
            }
            for c in session.exec(
                select(DuplicateCandidate).where(col(DuplicateCandidate.submission_id) == sid)
            )
        ],
        "step_changes": [
            {"at": _when(c.at), "from": c.from_step, "to": c.to_step, "actor": c.actor, "reason": c.reason}
            for c in session.exec(
                select(StepChange).where(col(StepChange.submission_id) == sid).order_by(col(StepChange.at))
            )
        ],
    }


def _account(session: Session, account: Account) -> dict[str, Any]:
    aid = account.id
    return {
        "email": account.email,
        "name": account.name,
        "role": account.role.value,
        "sign_in": "oidc" if account.oidc_subject else "password",
        "disabled": account.disabled,
        "created_at": _when(account.created_at),
        "last_login_at": _when(account.last_login_at),
        "forums": sorted(
            session.exec(select(ForumMembership.forum_key).where(col(ForumMembership.account_id) == aid))
        ),
        "sessions": [
            {"created_at": _when(x.created_at), "last_seen_at": _when(x.last_seen_at), "address": x.address}
            for x in session.exec(select(AuthSession).where(col(AuthSession.account_id) == aid))
        ],
        "api_keys_made": [
            {
                "name": k.name,
                "prefix": k.prefix,
                "created_at": _when(k.created_at),
                "revoked_at": _when(k.revoked_at),
            }
            for k in session.exec(select(ApiKey).where(col(ApiKey.created_by) == account.email))
        ],
    }


def extract(engine: Engine, subject: Subject) -> dict[str, Any]:
    """Return everything held about the subject, as JSON-ready data."""
    with Session(engine) as session:
        submissions = submissions_of(session, subject)
        references = [s.reference for s in submissions]
        account = account_of(session, subject)
        address = subject.email or (account.email if account else None)
        events: list[AuditEvent] = []
        conditions: list[Any] = []
        if references:
            conditions.append(col(AuditEvent.entity_key).in_(references))
        if address:
            conditions.append(col(AuditEvent.actor) == address)
            conditions.append(col(AuditEvent.entity_key) == address)
        if conditions:
            events = list(
                session.exec(select(AuditEvent).where(or_(*conditions)).order_by(col(AuditEvent.at)))
            )
        attempts: list[LoginAttempt] = []
        acks: list[MailAckCount] = []
        agendas: list[AgendaDispatch] = []
        if address:
            attempts = list(session.exec(select(LoginAttempt).where(col(LoginAttempt.email) == address)))
            acks = list(session.exec(select(MailAckCount).where(col(MailAckCount.address) == address)))
            agendas = [a for a in session.exec(select(AgendaDispatch)) if address in a.recipients]
        return {
            "subject": subject.describe(),
            "generated_at": utcnow().isoformat(),
            "submissions": [_submission(session, s) for s in submissions],
            "mails": [_mail(m) for m in loose_mails_of(session, subject)],
            "account": _account(session, account) if account else None,
            "login_attempts": [
                {"at": _when(a.at), "address": a.address, "success": a.success} for a in attempts
            ],
            "acknowledgement_counts": [{"day": a.day, "count": a.count} for a in acks],
            "agendas_received": [
                {"forum": a.forum_key, "meeting_day": _when(a.meeting_day), "sent_at": _when(a.sent_at)}
                for a in agendas
            ],
            "audit_events": [_audit(e) for e in events],
        }


def holds_anything(data: dict[str, Any]) -> bool:
    """Tell whether an extract found anything at all."""
    return any(data[k] for k in ("submissions", "mails", "account", "login_attempts", "audit_events"))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("intake.services", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render_html(data: dict[str, Any], timezone: str) -> str:
    """Return the extract as a Swedish HTML document made to be read and printed; times in `timezone`."""
    zone = ZoneInfo(timezone)

    def when(value: str | None) -> str:
        if not value:
            return "–"
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None:
            return value
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return _environment().get_template("register_extract.html").render(data=data, when=when)
