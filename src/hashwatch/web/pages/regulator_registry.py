"""The registry pages: facility list (filters, search, pages), organizations, and imports.

An import is two steps. The upload is kept under a random id and checked (a dry run that
lists every row error, nothing written); only a clean file can then be imported, by
confirming that id. The template and the export are the API's downloads. Checking and
importing are for admins (:data:`~hashwatch.web.deps.AdminDep`); analysts read the lists.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hashwatch.errors import HashwatchError, InputError
from hashwatch.reporting.models import OrganizationKind
from hashwatch.services.dashboard import (
    FACILITY_SORTS,
    STATUSES,
    FacilityFilter,
    discard_staged_file,
    organizations,
    search_facilities,
    stage_registry_file,
    staged_registry_file,
)
from hashwatch.services.notices import list_notices
from hashwatch.services.registry import ImportResult, check_registry, import_registry
from hashwatch.web.csrf import CsrfDep
from hashwatch.web.deps import AdminDep, DbDep, SettingsDep
from hashwatch.web.errors import status_for
from hashwatch.web.pages.common import is_htmx
from hashwatch.web.pages.regulator_common import RegulatorPage, RegulatorRoute, Staff, done, show

router = APIRouter(route_class=RegulatorRoute)
Text = Annotated[str, Query(max_length=200)]
PER_PAGE = 50
KINDS = tuple(k.value for k in OrganizationKind)


@router.get("/facilities")
def facility_list(
    *,
    staff: RegulatorPage,
    db: DbDep,
    district: Text = "",
    organization: Text = "",
    kind: Text = "",
    notice: Text = "",
    status: Text = "",
    q: Text = "",
    candidates: Annotated[bool, Query()] = False,
    sort: Text = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """Facilities by code (or by detection score); with htmx only the results are swapped."""
    filters = {
        "district": district,
        "organization": organization,
        "kind": kind,
        "notice": notice,
        "status": status,
        "q": q,
        "candidates": "1" if candidates else "",
        "sort": sort,
    }
    query = FacilityFilter(
        district=district or None,
        organization_uscc=organization or None,
        kind=kind or None,
        notice_ref=notice or None,
        status=status or None,
        search=q or None,
        candidates_only=candidates,
        sort=sort or "code",
        page=page,
        per_page=PER_PAGE,
    )
    values: dict[str, Any] = {
        "filters": filters,
        "query_string": urlencode({k: v for k, v in filters.items() if v}),
        "result": None,
    }
    try:
        values["result"] = search_facilities(db, query, districts=staff.districts)
    except HashwatchError as exc:
        values["filter_error"] = exc
    status_code = status_for(values["filter_error"]) if values.get("filter_error") else 200
    if is_htmx(staff.ctx.request):
        return show(staff, "regulator/_facility_results.html", values, status_code=status_code)
    values |= {
        "kinds": KINDS,
        "statuses": STATUSES,
        "sorts": FACILITY_SORTS,
        "notices": list_notices(db),
        "organizations": organizations(db),
        "districts": staff.districts,
    }
    return show(staff, "regulator/facilities.html", values, status_code=status_code)


@router.get("/organizations")
def organization_list(staff: RegulatorPage, db: DbDep) -> Response:
    return show(staff, "regulator/organizations.html", {"organizations": organizations(db)})


@router.get("/registry")
def registry_page(staff: RegulatorPage) -> Response:
    return show(staff, "regulator/registry.html")


def _checked(
    staff: Staff,
    *,
    result: ImportResult | None = None,
    upload_id: str | None = None,
    filename: str = "",
    error: HashwatchError | None = None,
) -> Response:
    problems: list[dict[str, Any]] = []
    if result is not None:
        problems = [e.as_dict() for e in result.errors]
    if isinstance(error, InputError):
        problems = problems or list(error.problems)
    values = {
        "result": result,
        "upload_id": upload_id if result is not None and not problems else None,
        "filename": filename,
        "problems": problems,
        "error": error,
    }
    failed = error is not None or bool(problems)
    status_code = (status_for(error) if error else 422) if failed else 200
    return show(staff, "regulator/registry_check.html", values, status_code=status_code)


@router.post("/registry/check")
async def check_upload(
    staff: RegulatorPage,
    _admin: AdminDep,
    db: DbDep,
    settings: SettingsDep,
    _: CsrfDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Step 1: keep the file and check every row against the registry; nothing is written."""
    filename = file.filename or ""
    try:
        upload_id = stage_registry_file(settings, filename, await file.read())
    except HashwatchError as exc:
        return _checked(staff, filename=filename, error=exc)
    try:  # parsing blocks: keep it off the event loop
        result = await run_in_threadpool(
            check_registry,
            db,
            staged_registry_file(settings, upload_id),
            districts=staff.districts,
        )
    except HashwatchError as exc:
        discard_staged_file(settings, upload_id)
        return _checked(staff, filename=filename, error=exc)
    if result.errors:
        discard_staged_file(settings, upload_id)
    return _checked(staff, result=result, upload_id=upload_id, filename=filename)


@router.post("/registry/import")
def confirm_import(
    staff: RegulatorPage,
    _admin: AdminDep,
    db: DbDep,
    settings: SettingsDep,
    _: CsrfDep,
    upload_id: Annotated[str, Form(max_length=100)],
) -> Response:
    """Step 2: import the checked file (all rows or none)."""
    try:
        path = staged_registry_file(settings, upload_id)
        result = import_registry(db, path, actor=staff.actor, districts=staff.districts)
    except HashwatchError as exc:
        return _checked(staff, error=exc)
    discard_staged_file(settings, upload_id)
    changed = result.facilities.created + result.facilities.updated
    return done("/registry", "imported", changed)
