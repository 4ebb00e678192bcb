"""The audit log: filters, pages, and a button that verifies the whole hash chain."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response

from hashwatch.errors import HashwatchError
from hashwatch.services.audit_log import verify_audit
from hashwatch.services.dashboard import AuditFilter, audit_object_types, audit_page
from hashwatch.web.csrf import CsrfDep
from hashwatch.web.deps import DbDep
from hashwatch.web.errors import status_for
from hashwatch.web.pages.common import is_htmx
from hashwatch.web.pages.regulator_common import RegulatorPage, RegulatorRoute, show

router = APIRouter(route_class=RegulatorRoute)
Text = Annotated[str, Query(max_length=200)]
PER_PAGE = 50


@router.get("/audit")
def audit_log(
    *,
    staff: RegulatorPage,
    db: DbDep,
    actor: Text = "",
    action: Text = "",
    object_type: Text = "",
    object_id: Text = "",
    page: Annotated[int, Query(ge=1, le=10_000_000)] = 1,
) -> Response:
    """The audit trail, newest first."""
    filters = {
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
    }
    values: dict[str, Any] = {
        "filters": filters,
        "query_string": urlencode({k: v for k, v in filters.items() if v}),
        "object_types": audit_object_types(db),
        "result": None,
        "chain": None,
    }
    try:
        values["result"] = audit_page(db, AuditFilter(**filters, page=page, per_page=PER_PAGE))
    except HashwatchError as exc:
        values["error"] = exc
    status_code = status_for(values["error"]) if values.get("error") else 200
    return show(staff, "regulator/audit.html", values, status_code=status_code)


@router.post("/audit/verify")
def verify(staff: RegulatorPage, db: DbDep, _: CsrfDep) -> Response:
    """Recompute every row's hash: intact, or the first bad row."""
    chain = verify_audit(db)
    if is_htmx(staff.ctx.request):
        return show(staff, "regulator/_verify.html", {"chain": chain})
    values = {
        "filters": {},
        "query_string": "",
        "object_types": audit_object_types(db),
        "result": audit_page(db, AuditFilter(per_page=PER_PAGE)),
        "chain": chain,
    }
    return show(staff, "regulator/audit.html", values)
