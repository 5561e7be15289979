"""Audit actions are a closed set: every event is written with an `AuditAction`, never a free string."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlmodel import Session

from intake.domain.audit import AuditAction
from intake.locale import texts
from intake.services import audit
from intake.web.review.item._view import ACTION_TEXTS

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("intake", "flows", "retrieval", "prompts")

FROZEN = {
    "account_created",
    "account_disabled",
    "account_enabled",
    "account_forums",
    "account_oidc_linked",
    "apikey.added",
    "apikey.revoked",
    "draft.edited",
    "draft.stored",
    "duplicate.confirmed",
    "duplicate.dismissed",
    "duplicate.linked",
    "follow.issued",
    "follow.revoked",
    "glossary.changed",
    "mail.automatic",
    "mail.quarantined",
    "password_changed",
    "portfolio.created",
    "portfolio.updated",
    "privacy.cull",
    "privacy.erase",
    "question.answered",
    "question.asked",
    "question.mail_failed",
    "question.mailed",
    "role_changed",
    "submission.decided",
    "submission.judge_failed",
    "submission.judged",
    "submission.merged",
    "submission.moved",
    "submission.possible_reply",
    "submission.processed",
    "submission.processing_failed",
    "submission.received",
    "submission.reply_received",
    "submission.unmerged",
}
"""The values stored in existing databases: a member may be added, none renamed or removed."""

ITEM_PAGE_PREFIXES = ("submission.", "draft.", "duplicate.", "question.", "follow.")
"""Actions recorded against a submission, which the item page's audit trail shows."""


def _audit_writes(tree: ast.AST) -> list[tuple[int, ast.expr]]:
    """Return (line, action expression) of every `record(..., action=...)` and `AuditEvent(action=...)`."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name not in ("record", "AuditEvent"):
            continue
        found += [(node.lineno, kw.value) for kw in node.keywords if kw.arg == "action"]
    return found


def _string_parts(expr: ast.expr) -> list[str]:
    """Return the strings `expr` may evaluate to: literals, f-strings, and those in its branches.

    A conditional's test (`"a" if outcome == "sent" else "b"`) is not a value and is not looked at.
    """
    if isinstance(expr, ast.JoinedStr) or (isinstance(expr, ast.Constant) and isinstance(expr.value, str)):
        return [ast.unparse(expr)]
    if isinstance(expr, ast.IfExp):
        return _string_parts(expr.body) + _string_parts(expr.orelse)
    if isinstance(expr, ast.BoolOp):
        return [s for value in expr.values for s in _string_parts(value)]
    if isinstance(expr, ast.BinOp):
        return _string_parts(expr.left) + _string_parts(expr.right)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):  # "x.{}".format(...)
        return _string_parts(expr.func.value)
    return []


def test_no_audit_event_is_written_with_a_string_action() -> None:
    offenders = []
    writes = 0
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, expr in _audit_writes(ast.parse(path.read_text(encoding="utf-8"))):
                writes += 1
                offenders += [f"{path.relative_to(ROOT)}:{line}: {s}" for s in _string_parts(expr)]
    assert writes > 30, "the scan finds the audit writes (else it proves nothing)"
    assert offenders == [], "pass an AuditAction member, not a string:\n" + "\n".join(offenders)


def test_the_scan_catches_strings_in_any_form() -> None:
    source = (
        'audit.record(s, action="submission.moved")\n'
        'record(s, action=f"duplicate.{d}")\n'
        'audit.record(s, action=AuditAction.QUESTION_MAILED if ok else "question.mail_failed")\n'
        'AuditEvent(action="x")\n'
        'record(s, action="submission." + what)\n'
        'record(s, action="submission.{}".format(what))\n'
        "audit.record(s, action=AuditAction.SUBMISSION_MOVED)\n"
        'audit.record(s, action=AuditAction.A if x == "sent" else AuditAction.B)\n'
        'sent.record(engine, message, 1, "ack")\n'
    )
    flagged = [line for line, expr in _audit_writes(ast.parse(source)) if _string_parts(expr)]
    assert flagged == [1, 2, 3, 4, 5, 6]


def test_values_are_unique_and_frozen() -> None:
    values = [member.value for member in AuditAction.__members__.values()]  # aliases included
    assert len(values) == len(set(values)), "two members share a value"
    assert set(values) == FROZEN, "a stored value was renamed or removed; add a member instead"


def test_record_takes_members_and_refuses_unknown_strings() -> None:
    with Session() as session:
        event = audit.record(
            session, actor="t", action=AuditAction.ACCOUNT_CREATED, entity_kind="account", entity_key="a@b.se"
        )
        assert event.action == "account_created" and type(event.action) is str, "stored as the plain value"
        with pytest.raises(ValueError, match="not a valid AuditAction"):
            audit.record(session, actor="t", action="account.created", entity_kind="account", entity_key="a")  # type: ignore[arg-type]


def test_every_action_on_the_item_page_has_a_label_in_both_languages() -> None:
    shown = {a for a in AuditAction if a.value.startswith(ITEM_PAGE_PREFIXES)}
    assert set(ACTION_TEXTS) == shown
    for action in shown:
        assert texts("en")(ACTION_TEXTS[action]) != ACTION_TEXTS[action], action
