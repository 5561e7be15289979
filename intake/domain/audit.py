"""What an audit event may say happened: the closed set of actions the audit trail records."""

from __future__ import annotations

import enum


@enum.unique
class AuditAction(enum.StrEnum):
    """One kind of change the audit trail records; `intake.services.audit.record` takes only these.

    The values are frozen: they are stored as plain strings in `audit_event.action`, years of rows
    in existing databases carry them, and register extracts, the item page's labels and the
    queries that find earlier events (a merge's state before, a mail's submission) match on them.
    Renaming a value would orphan those rows, so a new name is a new member and the old one stays.
    The mixed spelling (`submission.merged` beside `account_created`) is history, kept for that
    reason.
    """

    # submissions: intake, processing, the workflow
    SUBMISSION_RECEIVED = "submission.received"
    SUBMISSION_PROCESSED = "submission.processed"
    SUBMISSION_PROCESSING_FAILED = "submission.processing_failed"
    SUBMISSION_REPLY_RECEIVED = "submission.reply_received"
    SUBMISSION_POSSIBLE_REPLY = "submission.possible_reply"
    SUBMISSION_MOVED = "submission.moved"
    SUBMISSION_DECIDED = "submission.decided"
    SUBMISSION_MERGED = "submission.merged"
    SUBMISSION_UNMERGED = "submission.unmerged"
    SUBMISSION_JUDGED = "submission.judged"
    SUBMISSION_JUDGE_FAILED = "submission.judge_failed"
    # a reviewer's decision on a duplicate candidate (one per `Decision` but `pending`)
    DUPLICATE_CONFIRMED = "duplicate.confirmed"
    DUPLICATE_DISMISSED = "duplicate.dismissed"
    DUPLICATE_LINKED = "duplicate.linked"
    # the initiative draft
    DRAFT_STORED = "draft.stored"
    DRAFT_EDITED = "draft.edited"
    # questions to the submitter and the follow link
    QUESTION_ASKED = "question.asked"
    QUESTION_ANSWERED = "question.answered"
    QUESTION_MAILED = "question.mailed"
    QUESTION_MAIL_FAILED = "question.mail_failed"
    FOLLOW_ISSUED = "follow.issued"
    FOLLOW_REVOKED = "follow.revoked"
    # received mails that did not become a submission
    MAIL_QUARANTINED = "mail.quarantined"
    MAIL_AUTOMATIC = "mail.automatic"
    # the portfolio and the glossary
    PORTFOLIO_CREATED = "portfolio.created"
    PORTFOLIO_UPDATED = "portfolio.updated"
    GLOSSARY_CHANGED = "glossary.changed"
    # personal data: erasure on request and the retention schedule
    PRIVACY_ERASE = "privacy.erase"
    PRIVACY_CULL = "privacy.cull"
    # staff accounts and API keys
    ACCOUNT_CREATED = "account_created"
    ACCOUNT_ENABLED = "account_enabled"
    ACCOUNT_DISABLED = "account_disabled"
    ACCOUNT_FORUMS = "account_forums"
    ACCOUNT_OIDC_LINKED = "account_oidc_linked"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name, not a password)
    ROLE_CHANGED = "role_changed"
    APIKEY_ADDED = "apikey.added"
    APIKEY_REVOKED = "apikey.revoked"
