"""The audit trail (regulator only): read it, verify its hash chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hashwatch.services.audit_log import list_audit, verify_audit
from hashwatch.web.api.models import AuditEntryOut, ChainOut
from hashwatch.web.api.routing import COMMON, PLAIN_TEXT, ApiRoute
from hashwatch.web.deps import DbDep, RegulatorDep

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], route_class=ApiRoute, responses=COMMON)

Filter = Annotated[str | None, Query(min_length=1, max_length=200, pattern=PLAIN_TEXT)]


@router.get("", summary="Read the audit trail", response_model=list[AuditEntryOut])
def audit_log(
    *,
    _: RegulatorDep,
    db: DbDep,
    object_type: Filter = None,
    object_id: Filter = None,
    actor: Filter = None,
    action: Filter = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[AuditEntryOut]:
    """The newest rows first, optionally of one object, actor or action."""
    rows = list_audit(
        db, limit=limit, object_type=object_type, object_id=object_id, actor=actor, action=action
    )
    return [AuditEntryOut.model_validate(r) for r in rows]


@router.post("/verify", summary="Verify the hash chain", response_model=ChainOut)
def verify(_: RegulatorDep, db: DbDep) -> ChainOut:
    """Recompute every row's hash; ``ok`` false names the first bad row."""
    report = verify_audit(db)
    return ChainOut(
        rows_checked=report.rows_checked,
        ok=report.ok,
        bad_row_id=report.bad_row_id,
        problem=report.problem,
    )
