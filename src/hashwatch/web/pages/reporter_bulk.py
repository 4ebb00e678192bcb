"""Bulk upload for organizations with many sites (``/org``): sign in, templates, upload.

The organization signs in by pasting one of its API tokens; the session acts for all of
its facilities. An upload is read by :mod:`hashwatch.io.report_files` and filed by
:func:`hashwatch.services.bulk.bulk_file`: all rows or none, with a per-row error report.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hashwatch.errors import InputError, PermissionDeniedError
from hashwatch.io.report_files import SHEETS, read_report_upload, template_csv, template_xlsx
from hashwatch.services.accounts import end_session
from hashwatch.services.api_tokens import enter_with_api_token
from hashwatch.services.bulk import bulk_file, facility_codes, organization_overview, upload_digest
from hashwatch.web.csrf import CsrfDep, SameOriginDep
from hashwatch.web.deps import DbDep, SessionDep
from hashwatch.web.pages.common import PageContext, page_context, render, set_session_cookie
from hashwatch.web.pages.routing import PageRoute

router = APIRouter(route_class=PageRoute)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _organization(request: Request, session: SessionDep) -> PageContext:
    ctx = page_context(request, session)
    if session is None or session.principal.kind != "organization":
        raise PermissionDeniedError(ctx._("Sign in with your organization's API token."))
    return ctx


def _overview_page(
    ctx: PageContext, db: DbDep, *, status_code: int = 200, **values: Any
) -> Response:
    assert ctx.session is not None
    notices = organization_overview(db, ctx.session.principal)
    return render(
        ctx,
        "reporter/org.html",
        {"notices": notices, "result": None, "upload_error": None, **values},
        status_code=status_code,
    )


@router.get("/org")
def org_home(request: Request, db: DbDep, session: SessionDep) -> Response:
    ctx = page_context(request, session)
    if session is None or session.principal.kind != "organization":
        return render(ctx, "reporter/org_enter.html", {"error": None})
    return _overview_page(ctx, db)


@router.post("/org/enter")
def org_enter(
    request: Request,
    db: DbDep,
    session: SessionDep,
    _same_origin: SameOriginDep,
    api_token: str = Form(""),
) -> Response:
    ctx = page_context(request, session)
    try:
        entered = enter_with_api_token(db, api_token, locale=ctx.locale)
    except PermissionDeniedError:
        error = ctx._("This API token is not valid or has been revoked.")
        return render(ctx, "reporter/org_enter.html", {"error": error}, status_code=403)
    if session is not None:
        end_session(db, session.session_id)  # one live session per browser
    response = RedirectResponse("/org", status_code=303)
    set_session_cookie(response, request, entered.session_id, entered.expires_at)
    return response


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


@router.get("/org/template.xlsx")
def template_workbook(notice: str, request: Request, db: DbDep, session: SessionDep) -> Response:
    ctx = _organization(request, session)
    assert ctx.session is not None
    codes = facility_codes(db, ctx.session.principal, notice)
    return Response(
        template_xlsx(codes),
        media_type=XLSX_TYPE,
        headers={"content-disposition": f'attachment; filename="{_safe(notice)}-reports.xlsx"'},
    )


@router.get("/org/template/{sheet}.csv")
def template_table(
    sheet: str, notice: str, request: Request, db: DbDep, session: SessionDep
) -> Response:
    ctx = _organization(request, session)
    assert ctx.session is not None
    if sheet not in SHEETS:
        raise InputError(f"no template {sheet!r}", field="sheet")
    codes = facility_codes(db, ctx.session.principal, notice)
    filename = f"{_safe(notice)}-{sheet}.csv"
    return Response(
        template_csv(sheet, codes),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


async def _files(uploads: dict[str, UploadFile | None]) -> dict[str, tuple[str, bytes]]:
    return {
        sheet: (upload.filename, await upload.read())
        for sheet, upload in uploads.items()
        if upload is not None and upload.filename
    }


@router.post("/org/upload")
async def upload(
    *,
    request: Request,
    db: DbDep,
    session: SessionDep,
    _csrf: CsrfDep,
    notice_ref: Annotated[str, Form()] = "",
    reports: Annotated[UploadFile | None, File()] = None,
    coins: Annotated[UploadFile | None, File()] = None,
    equipment: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Read the upload, check every row, then file all or none."""
    ctx = _organization(request, session)
    assert ctx.session is not None
    files = await _files({"reports": reports, "coins": coins, "equipment": equipment})
    if "reports" not in files:
        error = ctx._("Choose the file with the sheet or table of reports.")
        return _overview_page(ctx, db, status_code=422, upload_error=error)
    try:  # parsing and filing block: keep them off the event loop
        rows = await run_in_threadpool(read_report_upload, files)
    except InputError as exc:
        return _overview_page(ctx, db, status_code=422, upload_error=exc.message)
    result = await run_in_threadpool(
        bulk_file, db, ctx.session.principal, notice_ref, rows, upload_sha256=upload_digest(files)
    )
    return _overview_page(
        ctx, db, status_code=200 if result.filed else 422, result=result, notice_ref=notice_ref
    )
