"""The audit trail: one row per change, written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from intake.domain.audit import AuditAction
from intake.models import AuditEvent

SYSTEM_ACTOR = "system"
"""The actor recorded for changes made by the service itself (imports, processing)."""


def record(
    session: Session,
    *,
    actor: str,
    action: AuditAction,
    entity_kind: str,
    entity_key: str,
    changes: dict[str, Any] | None = None,
    note: str | None = None,
) -> AuditEvent:
    """Add an audit event to `session`; it commits together with the change it describes."""
    event = AuditEvent(
        actor=actor,
        action=AuditAction(action).value,  # refuses an unknown string from an untyped caller
        entity_kind=entity_kind,
        entity_key=entity_key,
        changes=changes or {},
        note=note,
    )
    session.add(event)
    return event


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Return `{field: [old, new]}` for the fields whose value differs."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
