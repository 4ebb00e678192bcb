"""The reporting entity's pages: notice link, report form, draft, submit, receipt, history.

``GET /r/{token}`` turns the notice link into a session cookie and redirects to ``/report``
so the token leaves the address bar. When the browser is signed in as someone else (another
recipient, an organization, a regulator user), the link first asks: only the confirming
``POST /r`` (CSRF token of the current session, the notice token in the body, not the
address) ends that session and opens the recipient's. The same recipient just goes on.

The form works without JavaScript (every button posts the whole form); with htmx the line
buttons and the inline check swap fragments only. Every post carries the CSRF token.
"""

from __future__ import annotations

import json
import re
import secrets
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from hashwatch.accounts.principal import Principal
from hashwatch.errors import InputError, PermissionDeniedError
from hashwatch.reporting.rules import ValidationResult, explanation_for
from hashwatch.services.accounts import enter_with_token, notice_link_target
from hashwatch.services.notices import open_notice
from hashwatch.services.reporter import own_recipient, reporter_overview
from hashwatch.services.submissions import check_report, file_report, get_receipt, save_draft
from hashwatch.web.csrf import CsrfDep, SameOriginDep
from hashwatch.web.deps import DbDep, SessionDep
from hashwatch.web.pages import report_form
from hashwatch.web.pages.common import (
    PageContext,
    is_htmx,
    page_context,
    render,
    set_session_cookie,
)
from hashwatch.web.pages.report_form import FormState
from hashwatch.web.pages.routing import PageRoute

router = APIRouter(route_class=PageRoute)


def _reporter(request: Request, session: SessionDep) -> tuple[PageContext, Principal]:
    ctx = page_context(request, session)
    if session is None or session.principal.kind != "recipient":
        raise PermissionDeniedError(ctx._("Open the link in your notice to report."))
    return ctx, session.principal


def findings_view(result: ValidationResult | None, state: FormState) -> list[dict[str, Any]]:
    """Findings for the template, each warning with its explanation key and text."""
    if result is None:
        return []
    given = {**result.explanations, **state.explanations}
    shown = []
    for finding in result.findings:
        key = f"{finding.code}@{finding.field}" if finding.field else finding.code
        shown.append(
            {
                **finding.as_dict(),
                "key": key,
                "explanation": explanation_for(finding, given) or "",
            }
        )
    return shown


def _page(
    ctx: PageContext,
    overview: dict[str, Any],
    state: FormState,
    result: ValidationResult | None = None,
    *,
    status_code: int = 200,
    submitted: bool = False,
) -> Response:
    values = {
        "o": overview,
        "n": overview["notice"],
        "form": state,
        "findings": findings_view(result, state),
        "checked": result is not None,
        "accepted": result is not None and result.accepted,
        "rejected": submitted,
        "idempotency_key": secrets.token_urlsafe(18),
        "rf": report_form,
    }
    name = "reporter/_form.html" if is_htmx(ctx.request) else "reporter/report.html"
    return render(ctx, name, values, status_code=status_code)


async def _posted(request: Request) -> tuple[FormData, FormState]:
    form = await request.form()
    return form, report_form.from_form(form)


def _signed_in_as(ctx: PageContext, principal: Principal) -> str:
    """Who the browser is signed in as, in words."""
    if principal.kind == "user":
        return ctx._("the regulator's user %(name)s") % {"name": principal.name}
    if principal.kind == "organization":
        uscc = principal.name.removeprefix("org:")
        return ctx._("organization %(uscc)s (all its facilities)") % {"uscc": uscc}
    code = principal.name.removeprefix("recipient:")
    return ctx._("the report of facility %(code)s") % {"code": code}


def _home(principal: Principal) -> str:
    return {"user": "/notices", "organization": "/org"}.get(principal.kind, "/report")


def _enter(ctx: PageContext, db: DbDep, token: str) -> Response:
    """Open the recipient's session (ending the browser's current one) and go to the form."""
    session = ctx.session
    try:
        open_notice(db, token)
        entered = enter_with_token(
            db,
            token,
            locale=session.locale if session else None,
            ending=session.session_id if session else None,  # one live session per browser
        )
    except PermissionDeniedError as exc:
        return render(ctx, "reporter/bad_link.html", {"reason": exc.message}, status_code=403)
    response = RedirectResponse("/report", status_code=303)
    set_session_cookie(response, ctx.request, entered.session_id, entered.expires_at)
    return response


@router.get("/r/{token}")
def notice_link(token: str, request: Request, db: DbDep, session: SessionDep) -> Response:
    """The notice link: open a session for the recipient and go to the report page; when
    someone else is signed in, ask first."""
    ctx = page_context(request, session)
    if session is None:
        return _enter(ctx, db, token)
    try:
        target = notice_link_target(db, token)
    except PermissionDeniedError as exc:
        return render(ctx, "reporter/bad_link.html", {"reason": exc.message}, status_code=403)
    principal = session.principal
    if principal.kind == "recipient" and principal.recipient_id == target.recipient_id:
        return RedirectResponse("/report", status_code=303)  # already in: go on
    values = {
        "target": target,
        "token": token,
        "signed_in_as": _signed_in_as(ctx, principal),
        "stay_url": _home(principal),
    }
    return render(ctx, "reporter/switch_session.html", values)


@router.post("/r")
def switch_to_link(
    request: Request,
    db: DbDep,
    session: SessionDep,
    _csrf: CsrfDep,
    _origin: SameOriginDep,
    token: Annotated[str, Form(max_length=200)],
) -> Response:
    """Confirmed on the page above: end the current session, open the link's."""
    return _enter(page_context(request, session), db, token)


@router.get("/report")
def report_page(request: Request, db: DbDep, session: SessionDep) -> Response:
    ctx, principal = _reporter(request, session)
    overview = reporter_overview(db, principal)
    state = report_form.from_raw(overview["prefill"], overview["notice"]["timezone"])
    return _page(ctx, overview, state)


@router.post("/report/edit")
async def edit_lines(request: Request, db: DbDep, session: SessionDep, _csrf: CsrfDep) -> Response:
    """Add or remove a coin or equipment line (``action`` = ``add:coins``, ...)."""
    ctx, principal = _reporter(request, session)
    form, state = await _posted(request)
    state.edit(str(form.get("action", "")))
    overview = await run_in_threadpool(reporter_overview, db, principal)
    return _page(ctx, overview, state)


@router.post("/report/check")
async def check(request: Request, db: DbDep, session: SessionDep, _csrf: CsrfDep) -> Response:
    """Inline validation: the findings fragment (htmx) or the whole page."""
    ctx, principal = _reporter(request, session)
    _form, state = await _posted(request)
    overview = await run_in_threadpool(reporter_overview, db, principal)
    raw = report_form.to_raw(state, overview["notice"]["timezone"])
    result = await run_in_threadpool(check_report, db, own_recipient(principal), raw)
    if is_htmx(request):
        return render(
            ctx,
            "reporter/_findings.html",
            {"findings": findings_view(result, state), "checked": True},
        )
    return _page(ctx, overview, state, result)


@router.post("/report/draft")
async def draft(request: Request, db: DbDep, session: SessionDep, _csrf: CsrfDep) -> Response:
    _ctx, principal = _reporter(request, session)
    _form, state = await _posted(request)
    overview = await run_in_threadpool(reporter_overview, db, principal)
    raw = report_form.to_raw(state, overview["notice"]["timezone"])
    await run_in_threadpool(save_draft, db, own_recipient(principal), raw)
    return RedirectResponse("/report?done=draft_saved", status_code=303)


@router.post("/report/submit")
async def submit(request: Request, db: DbDep, session: SessionDep, _csrf: CsrfDep) -> Response:
    """File the report; a refused report comes back with its findings."""
    ctx, principal = _reporter(request, session)
    form, state = await _posted(request)
    overview = await run_in_threadpool(reporter_overview, db, principal)
    raw = report_form.to_raw(state, overview["notice"]["timezone"])
    key = str(form.get("idempotency_key", "")) or None
    try:  # the database work runs off the event loop, as in the plain ``def`` routes
        receipt = await run_in_threadpool(
            partial(file_report, idempotency_key=key), db, own_recipient(principal), raw
        )
    except InputError:
        result = await run_in_threadpool(check_report, db, own_recipient(principal), raw)
        return _page(ctx, overview, state, result, status_code=422, submitted=True)
    return RedirectResponse(f"/report/receipt/{receipt.version}?done=submitted", status_code=303)


@router.get("/report/receipt/{version}")
def receipt_page(version: int, request: Request, db: DbDep, session: SessionDep) -> Response:
    ctx, principal = _reporter(request, session)
    receipt = get_receipt(db, own_recipient(principal), version)
    record = json.loads(receipt.record_json)
    overview = reporter_overview(db, principal)
    return render(
        ctx,
        "reporter/receipt.html",
        {"receipt": receipt, "record": record, "report": record["report"], "o": overview},
    )


@router.get("/report/receipt/{version}/record.json")
def receipt_download(version: int, request: Request, db: DbDep, session: SessionDep) -> Response:
    """The copy of record, byte for byte: its SHA-256 is the receipt's."""
    _ctx, principal = _reporter(request, session)
    receipt = get_receipt(db, own_recipient(principal), version)
    stem = f"{receipt.notice_ref}-{receipt.facility_code}-v{receipt.version}"
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", stem) + ".json"
    return Response(
        receipt.record_json.encode("utf-8"),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/report/history")
def history(request: Request, db: DbDep, session: SessionDep) -> Response:
    ctx, principal = _reporter(request, session)
    return render(ctx, "reporter/history.html", {"o": reporter_overview(db, principal)})
