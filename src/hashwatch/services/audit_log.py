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
        return [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "before": e.before_json,
                "after": e.after_json,
                "row_sha256": e.row_sha256,
            }
            for e in session.execute(stmt).scalars()
        ]
