"""Reading and verifying the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hashwatch.reporting.audit import ChainReport, verify_chain
from hashwatch.reporting.models import AuditEntry
from hashwatch.store.engine import Database


def verify_audit(db: Database) -> ChainReport:
    """Recompute the whole hash chain."""
    with db.read() as session:
        return verify_chain(session)


def list_audit(
    db: Database,
    *,
    limit: int = 50,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
) -> list[dict[str, Any]]:
    """The newest audit rows first, optionally for one object, actor or action."""
    with db.read() as session:
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if object_type:
            stmt = stmt.where(AuditEntry.object_type == object_type)
        if object_id:
            stmt = stmt.where(AuditEntry.object_id == object_id)
        if actor:
            stmt = stmt.where(AuditEntry.actor == actor)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        return [audit_row(e) for e in session.execute(stmt).scalars()]


def audit_row(entry: AuditEntry) -> dict[str, Any]:
    """One audit entry as plain data (before/after stay the canonical JSON that was hashed)."""
    return {
        "id": entry.id,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before_json,
        "after": entry.after_json,
        "row_sha256": entry.row_sha256,
    }
