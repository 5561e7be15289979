"""SQL tables: the source of truth. The vector index is derived from these and can be rebuilt.

Alembic migrations in `intake/migrations` create exactly these tables; a test compares the two.
The enums of the columns (`Role`, `Decision`, `JobState`, ...) are domain terms and live in
`intake.domain`, so that pages and commands can name them without importing the ORM.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from intake.domain.accounts import Role
from intake.domain.drafts import DraftState
from intake.domain.duplicates import Decision, ItemKind
from intake.domain.jobs import JobState
from intake.domain.mail import MailState
from intake.domain.submission import Channel, ProcessingState


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database.

    PostgreSQL keeps the zone; SQLite drops it, so values read back are marked UTC here and
    values written are converted to UTC first. Callers always see aware datetimes.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _timestamp(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def _enum(enum_cls: type[enum.Enum]) -> Any:
    # Store enum values as plain strings (VARCHAR) so that migrations stay simple on both databases.
    return sa.Enum(enum_cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Submission(SQLModel, table=True):
    """An idea, need, problem or challenge as received, never altered after intake."""

    __tablename__ = "submission"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=32, unique=True, index=True)
    title: str | None = Field(default=None, max_length=300)
    raw_text: str = Field(sa_type=sa.Text)
    follow_up_text: str | None = Field(
        default=None,
        sa_type=sa.Text,
        description=(
            "What the submitter added later (e-mail replies, quotes and signatures stripped), in order; "
            "compared and indexed with the original text, which stays as it was sent."
        ),
    )
    channel: Channel = Field(sa_type=_enum(Channel))
    submitter_name: str | None = Field(default=None, max_length=200)
    submitter_email: str | None = Field(default=None, max_length=320)
    submitter_unit: str | None = Field(default=None, max_length=200)
    received_at: datetime = _timestamp(default_factory=utcnow, index=True)
    language: str | None = Field(default=None, max_length=8)
    step: str = Field(default="steg-0", max_length=40)
    state: ProcessingState = Field(
        default=ProcessingState.RECEIVED, sa_type=_enum(ProcessingState), index=True
    )
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    next_attempt_at: datetime | None = _timestamp(default=None)
    processed_at: datetime | None = _timestamp(default=None)
    updated_at: datetime = _timestamp(default_factory=utcnow, index=True)
    possible_reply_to: str | None = Field(
        default=None,
        max_length=32,
        description=(
            "A mail whose subject names this reference but which answers no mail the service sent: "
            "perhaps a reply, for staff to link by merging, never linked on the sender's word."
        ),
    )
    anonymised_at: datetime | None = _timestamp(
        default=None,
        description="When the submitter and personal data were removed (retention or erasure); kept since.",
    )
    unindexed_at: datetime | None = _timestamp(
        default=None, description="When a retention rule took the submission out of the similarity index."
    )


class ReferenceCounter(SQLModel, table=True):
    """The last reference number handed out per year, so references are short and gapless."""

    __tablename__ = "reference_counter"

    year: int = Field(primary_key=True)
    last_value: int = Field(default=0)


class PortfolioItem(SQLModel, table=True):
    """An initiative of the common portfolio ("gemensam portfölj"), keyed by its Nr."""

    __tablename__ = "portfolio_item"

    id: int | None = Field(default=None, primary_key=True)
    nr: str = Field(max_length=32, unique=True, index=True)
    year: int | None = Field(default=None)
    title: str = Field(max_length=500)
    project_number: str | None = Field(default=None, max_length=100)
    cost_sek: int | None = Field(default=None, sa_type=sa.BigInteger)
    cost_text: str | None = Field(default=None, max_length=100)
    two_percent_sek: int | None = Field(default=None, sa_type=sa.BigInteger)
    two_percent_text: str | None = Field(default=None, max_length=100)
    focus_area: str | None = Field(default=None, max_length=60)
    step: str | None = Field(default=None, max_length=40)
    description: str | None = Field(default=None, sa_type=sa.Text)
    source: str | None = Field(default=None, max_length=300)
    created_at: datetime = _timestamp(default_factory=utcnow)
    updated_at: datetime = _timestamp(default_factory=utcnow, index=True)


class DuplicateCandidate(SQLModel, table=True):
    """A possible duplicate: a submission and another item, with the score and its reasons."""

    __tablename__ = "duplicate_candidate"
    __table_args__ = (
        sa.UniqueConstraint("submission_id", "other_kind", "other_key", name="uq_candidate_pair"),
    )

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True, ondelete="CASCADE")
    other_kind: ItemKind = Field(sa_type=_enum(ItemKind))
    other_key: str = Field(max_length=32, description="Portfolio Nr or submission reference.")
    score: float
    parts: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reason: str = Field(sa_type=sa.Text)
    shared_terms: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    decision: Decision = Field(default=Decision.PENDING, sa_type=_enum(Decision))
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = _timestamp(default=None)
    created_at: datetime = _timestamp(default_factory=utcnow)
    judge_verdict: str | None = Field(
        default=None, max_length=20, description="The optional model judge's verdict; advice only."
    )
    judge_reason: str | None = Field(default=None, sa_type=sa.Text)
    judge_model: str | None = Field(default=None, max_length=200)
    judged_at: datetime | None = _timestamp(default=None)


class Draft(SQLModel, table=True):
    """The initiative draft and checklist gaps of one submission: one row per submission.

    `content` is the draft (`intake.drafting.schema`), `gaps` the checklist gaps, `redaction` the
    masking: the spans with their originals, so that reviewers see the real words while the model
    only ever saw `masked_text`. Model, prompt version, tokens and latency say how it was made.
    """

    __tablename__ = "draft"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", unique=True, ondelete="CASCADE")
    state: DraftState = Field(sa_type=_enum(DraftState), index=True)
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    gaps: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    masked_text: str = Field(sa_type=sa.Text)
    redaction: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    model: str | None = Field(default=None, max_length=200)
    prompt_version: str | None = Field(default=None, max_length=64)
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: int | None = None
    attempts: int = 0
    error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _timestamp(default_factory=utcnow)
    updated_at: datetime = _timestamp(default_factory=utcnow, index=True)


class AuditEvent(SQLModel, table=True):
    """One change to one object: who, when, what, and the values before and after."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _timestamp(default_factory=utcnow, index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=60)
    entity_kind: str = Field(max_length=40)
    entity_key: str = Field(max_length=64, index=True)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str | None = Field(default=None, sa_type=sa.Text)


class StepChange(SQLModel, table=True):
    """One move of a submission between steps or states: the history behind `Submission.step`.

    Written only by `intake.services.workflow`, in the same transaction as the step itself and its
    audit event. It says where a paused item resumes, how long an item has waited in its step, and
    which forum decided what; a merge keeps both items and records here which one it joined.
    """

    __tablename__ = "step_change"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True, ondelete="CASCADE")
    from_step: str = Field(max_length=40)
    to_step: str = Field(max_length=40)
    kind: str = Field(max_length=20, description="The move's kind in the process file: forward, back, ...")
    actor: str = Field(max_length=200)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    override: bool = Field(default=False, description="Whether the person overrode guards.")
    overridden: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    forum: str | None = Field(default=None, max_length=40, description="The forum that decided, if any.")
    decision: str | None = Field(default=None, max_length=40)
    merged_into_kind: ItemKind | None = Field(default=None, sa_type=_enum(ItemKind))
    merged_into_key: str | None = Field(default=None, max_length=32, index=True)
    at: datetime = _timestamp(default_factory=utcnow, index=True)


class Job(SQLModel, table=True):
    """Work still owed to a submission, such as its triage flow; committed with the submission.

    One row per submission and kind: queueing the same work again re-opens the row, so a
    submission never has two triage jobs. Workers take a lease on the row while they run it.
    """

    __tablename__ = "job"
    __table_args__ = (sa.UniqueConstraint("submission_id", "kind", name="uq_job_submission_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=40)
    state: JobState = Field(default=JobState.QUEUED, sa_type=_enum(JobState), index=True)
    run_after: datetime | None = _timestamp(default=None)
    lease_until: datetime | None = _timestamp(default=None)
    lease_owner: str | None = Field(
        default=None, max_length=200, description="Worker and claim token that hold the lease."
    )
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    flow_run_id: str | None = Field(
        default=None, max_length=64, description="The Prefect flow run of the last attempt."
    )
    created_at: datetime = _timestamp(default_factory=utcnow)
    updated_at: datetime = _timestamp(default_factory=utcnow)
    finished_at: datetime | None = _timestamp(default=None)


# --- periodic flows: agendas sent, reminder digests, gap questions ---


class AgendaDispatch(SQLModel, table=True):
    """A forum meeting's agenda as the scheduled flow built and sent it: one row per forum and day.

    The unique key makes the row the place where processes agree: the one that claims it (sets
    `claimed_by` and `claim_until`) builds and sends, the others skip it. A claim that runs out
    means its process died, and another may send; a failed send releases the claim and keeps the
    error, and a later look tries again until `sent_at` is set or the meeting has been held.
    """

    __tablename__ = "agenda_dispatch"
    __table_args__ = (sa.UniqueConstraint("forum_key", "meeting_day", name="uq_agenda_dispatch_forum_day"),)

    id: int | None = Field(default=None, primary_key=True)
    forum_key: str = Field(max_length=40)
    meeting_day: date
    item_count: int = Field(default=0)
    markdown: str | None = Field(default=None, sa_type=sa.Text)
    html: str | None = Field(default=None, sa_type=sa.Text)
    built_at: datetime | None = _timestamp(default=None)
    recipients: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="The forum's members when built; once sent, those the SMTP server accepted.",
    )
    sent_at: datetime | None = _timestamp(default=None, index=True)
    error: str | None = Field(default=None, sa_type=sa.Text, description="The last failed attempt's error.")
    attempts: int = Field(default=0)
    claimed_by: str | None = Field(default=None, max_length=200)
    claim_until: datetime | None = _timestamp(default=None)
    created_at: datetime = _timestamp(default_factory=utcnow)
    updated_at: datetime = _timestamp(default_factory=utcnow)


class ReminderDigest(SQLModel, table=True):
    """The reminder digest of one day: built once, sent once to DigIT, claimed like an agenda.

    `empty` marks a day whose digest had nothing to list: it was looked at and not sent.
    """

    __tablename__ = "reminder_digest"
    __table_args__ = (sa.UniqueConstraint("day", name="uq_reminder_digest_day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    stale_count: int = Field(default=0)
    question_count: int = Field(default=0)
    markdown: str | None = Field(default=None, sa_type=sa.Text)
    built_at: datetime | None = _timestamp(default=None)
    empty: bool = Field(default=False)
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sent_at: datetime | None = _timestamp(default=None)
    error: str | None = Field(default=None, sa_type=sa.Text, description="The last failed attempt's error.")
    attempts: int = Field(default=0)
    claimed_by: str | None = Field(default=None, max_length=200)
    claim_until: datetime | None = _timestamp(default=None)
    created_at: datetime = _timestamp(default_factory=utcnow)
    updated_at: datetime = _timestamp(default_factory=utcnow)


class GapQuestion(SQLModel, table=True):
    """A question to the submitter about one open checklist gap, and the answer once it comes.

    `gap_key` is `checklist_id/item_id` as in the draft's gaps. An item may be asked about the same
    gap again after an answer; one question per gap is open at a time.
    """

    __tablename__ = "gap_question"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True, ondelete="CASCADE")
    gap_key: str = Field(max_length=120)
    question: str = Field(sa_type=sa.Text)
    asked_at: datetime = _timestamp(default_factory=utcnow, index=True)
    asked_by: str = Field(max_length=200)
    answered_at: datetime | None = _timestamp(default=None)
    answer: str | None = Field(default=None, sa_type=sa.Text)
    answered_by: str | None = Field(default=None, max_length=200)


# --- e-mail intake ---


class InboundMail(SQLModel, table=True):
    """One mail as received, raw bytes first: stored before it is parsed, so nothing is lost.

    The unique key (Message-ID, SHA-256 of the raw bytes) makes intake exactly-once: the same
    mail fetched twice finds its row, while two different mails that reuse a Message-ID (broken
    clients, forwarded copies) are two rows.
    """

    __tablename__ = "inbound_mail"
    __table_args__ = (sa.UniqueConstraint("message_id", "sha256", name="uq_inbound_mail_key"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=500, index=True, description="Empty when the mail has none.")
    sha256: str = Field(max_length=64)
    raw: bytes = Field(sa_type=sa.LargeBinary)
    size: int = Field(description="Bytes of the mail as received (`raw` is cut at the parse limit).")
    source: str = Field(max_length=40, description="imap, upload or cli.")
    state: MailState = Field(default=MailState.RECEIVED, sa_type=_enum(MailState), index=True)
    lease_until: datetime | None = _timestamp(default=None)
    sender: str | None = Field(default=None, max_length=320, index=True)
    sender_name: str | None = Field(default=None, max_length=200)
    subject: str | None = Field(default=None, max_length=1000)
    text: str | None = Field(default=None, sa_type=sa.Text, description="The plain text that was extracted.")
    automatic_reason: str | None = Field(default=None, max_length=200)
    degraded: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    submission_id: int | None = Field(
        default=None, foreign_key="submission.id", index=True, ondelete="SET NULL"
    )
    ack_message_id: str | None = Field(
        default=None, max_length=500, index=True, description="Message-ID of our acknowledgement."
    )
    ack_state: str | None = Field(default=None, max_length=20, description="sent, limited, failed, off.")
    note: str | None = Field(default=None, sa_type=sa.Text)
    received_at: datetime = _timestamp(default_factory=utcnow, index=True)
    handled_at: datetime | None = _timestamp(default=None)


class MailboxLease(SQLModel, table=True):
    """Which process is polling a mailbox folder now, so that two never move the same mails at once.

    Storing is exactly-once without it (the unique key on `inbound_mail`); the lease spares the
    mailbox the duplicate copies that two concurrent IMAP MOVEs of one mail leave behind.
    """

    __tablename__ = "mailbox_lease"

    name: str = Field(primary_key=True, max_length=500, description="host/user/folder")
    owner: str = Field(max_length=200)
    lease_until: datetime = _timestamp()


class MailAckCount(SQLModel, table=True):
    """Acknowledgements sent to one address on one UTC day: the loop guard, shared by every process."""

    __tablename__ = "mail_ack_count"

    address: str = Field(primary_key=True, max_length=320)
    day: str = Field(primary_key=True, max_length=10, description="YYYY-MM-DD in UTC.")
    count: int = Field(default=0)


# --- accounts and sessions ---


class Account(SQLModel, table=True):
    """A person who logs in: a local account with a password hash, or one first seen through OIDC.

    `password_hash` is a self-describing Argon2id string (parameters and salt inside), so stronger
    parameters apply at the next login without a migration. OIDC accounts have no password.
    """

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True, description="Lower-cased; the login name.")
    name: str | None = Field(default=None, max_length=200)
    role: Role = Field(sa_type=_enum(Role))
    password_hash: str | None = Field(default=None, max_length=512)
    oidc_subject: str | None = Field(
        default=None, max_length=400, unique=True, description="Issuer and subject of an OIDC account."
    )
    disabled: bool = Field(default=False)
    created_at: datetime = _timestamp(default_factory=utcnow)
    updated_at: datetime = _timestamp(default_factory=utcnow)
    last_login_at: datetime | None = _timestamp(default=None)


class ForumMembership(SQLModel, table=True):
    """A forum account's seat in one forum: it sees, prints and decides only where it has a seat.

    Data an admin edits (`beredning user forums`), not the mail lists in `process.yaml`. DigIT and
    admin accounts need none: they see every forum.
    """

    __tablename__ = "forum_membership"
    __table_args__ = (sa.UniqueConstraint("account_id", "forum_key", name="uq_forum_membership"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    forum_key: str = Field(max_length=40)
    created_at: datetime = _timestamp(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    """A logged-in browser. Kept in SQL so that it survives restarts and every app process sees it.

    The cookie holds a random token; only its SHA-256 is stored, so a copy of the table opens no
    session. Idle expiry is measured from `last_seen_at`, absolute expiry from `created_at`.
    """

    __tablename__ = "auth_session"

    id: str = Field(primary_key=True, max_length=64, description="SHA-256 (hex) of the cookie token.")
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    created_at: datetime = _timestamp(default_factory=utcnow)
    last_seen_at: datetime = _timestamp(default_factory=utcnow)
    address: str | None = Field(default=None, max_length=64)


class LoginAttempt(SQLModel, table=True):
    """One login try, kept for the login window: the rate limit counts the failures here."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _timestamp(default_factory=utcnow, index=True)
    email: str = Field(max_length=320, index=True)
    address: str = Field(max_length=64, index=True)
    success: bool = Field(default=False)


class AppSecret(SQLModel, table=True):
    """A random key made once and shared by every process through the database (the CSRF key)."""

    __tablename__ = "app_secret"

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)
    created_at: datetime = _timestamp(default_factory=utcnow)


# --- following a submission by link ---


class FollowLink(SQLModel, table=True):
    """A link that lets a submitter follow one submission and answer its questions, without an account.

    The link's random token is the credential; only its SHA-256 is stored (as for sessions), so a
    copy of the table opens nothing. A submission may have several links (the receipt, each mail);
    a revoked link opens nothing.
    """

    __tablename__ = "follow_link"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True, index=True, description="SHA-256 (hex) of the token.")
    created_at: datetime = _timestamp(default_factory=utcnow)
    last_used_at: datetime | None = _timestamp(default=None)
    revoked_at: datetime | None = _timestamp(default=None)


# --- machine access and abuse limits: API keys, request counts, sent Message-IDs ---


class ApiKey(SQLModel, table=True):
    """A key a machine sends to the JSON API, with the scopes it grants (`submit`, `mail`, `read`).

    The key is shown once when it is made; only its SHA-256 is stored (a key has 256 random bits,
    so a slow hash adds nothing), and `prefix` names it in lists and logs without opening anything.
    """

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, description="What the key is for, e.g. the system that uses it.")
    prefix: str = Field(max_length=16, unique=True, index=True, description="The key's public first part.")
    key_hash: str = Field(max_length=64, description="SHA-256 (hex) of the whole key.")
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _timestamp(default_factory=utcnow)
    created_by: str = Field(max_length=320, description="Who made it (an account's e-mail or `cli`).")
    last_used_at: datetime | None = _timestamp(default=None)
    revoked_at: datetime | None = _timestamp(default=None)


class SentMessage(SQLModel, table=True):
    """The Message-ID of a mail the service sent about a submission (acknowledgement, question).

    Only a reply whose In-Reply-To or References names one of these is linked to the submission
    directly: the service made these ids, so a stranger cannot claim a thread with one.
    """

    __tablename__ = "sent_message"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=500, unique=True, index=True)
    submission_id: int = Field(foreign_key="submission.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20, description="ack or question.")
    sent_at: datetime = _timestamp(default_factory=utcnow)


class RateHit(SQLModel, table=True):
    """One counted request: the rate limits count rows per bucket and client within their window.

    In SQL so that every app process shares the count. `client` is a network (an IPv4 address or an
    IPv6 /64) or `key:<prefix>`, never a person's name or text; rows older than the longest window
    are deleted as new ones arrive.
    """

    __tablename__ = "rate_hit"
    __table_args__ = (sa.Index("ix_rate_hit_bucket_client_at", "bucket", "client", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=40)
    client: str = Field(max_length=80)
    at: datetime = _timestamp(default_factory=utcnow, index=True)


# --- the personal-data lifecycle: erasures, index removals, the daily culling ---


class Erasure(SQLModel, table=True):
    """That an erasure on request happened: when, by whom, under which rules, with counts.

    Never what was erased. `references` and `subject_hash` (a keyed hash of the e-mail address)
    are kept so that a restore from an older backup can erase the same records again before it
    serves; neither says anything about the person without the rows they point at.
    """

    __tablename__ = "erasure"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _timestamp(default_factory=utcnow, index=True)
    actor: str = Field(max_length=320)
    rules: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reason: str | None = Field(default=None, sa_type=sa.Text, description="Masked before it is stored.")
    references: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    subject_hash: str | None = Field(default=None, max_length=64, index=True)
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    pending_flow_runs: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="Prefect flow runs (`triage-<id>`) still to delete; the periodic tick does it.",
    )


class IndexRemoval(SQLModel, table=True):
    """A document taken out of the similarity index: every process drops it from its copy at its next sync."""

    __tablename__ = "index_removal"

    key: str = Field(primary_key=True, max_length=80)
    at: datetime = _timestamp(default_factory=utcnow, index=True)


class RetentionRun(SQLModel, table=True):
    """The culling of one day: claimed by one process, run once, with its counts per rule."""

    __tablename__ = "retention_run"
    __table_args__ = (sa.UniqueConstraint("day", name="uq_retention_run_day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    claimed_by: str | None = Field(default=None, max_length=200)
    claim_until: datetime | None = _timestamp(default=None)
    finished_at: datetime | None = _timestamp(default=None)
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, sa_type=sa.Text)
    attempts: int = Field(default=0)
