"""The regulator's notice pages: list, creation, the dashboard and its charts, and the
actions on a notice (add recipients, issue, remind, resend a token, close).

Each action posts a form (with the CSRF field) and redirects back to the dashboard with a
message; a refused action shows the dashboard again with the reason (409 or 422). Creating a
notice, adding recipients, issuing, resending a token and closing are for admins
(:data:`~hashwatch.web.deps.AdminDep`, 403 for analysts); reminding is for every regulator
user.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from hashwatch.charts.notice import (
    StatusChartLabels,
    district_mining_chart,
    status_chart,
)
from hashwatch.documents.assessment_report import district_chart_labels
from hashwatch.errors import HashwatchError, InputError
from hashwatch.services import notices
from hashwatch.services.dashboard import notice_dashboard, organizations
from hashwatch.web.csrf import CsrfDep
from hashwatch.web.deps import AdminDep, DbDep, SettingsDep
from hashwatch.web.errors import status_for
from hashwatch.web.pages.regulator_common import (
    RegulatorPage,
    RegulatorRoute,
    Staff,
    done,
    show,
    status_labels,
)

router = APIRouter(route_class=RegulatorRoute)
TIMEZONES = ("Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "UTC")


@router.get("/notices")
def notice_list(staff: RegulatorPage, db: DbDep) -> Response:
    return show(staff, "regulator/notices.html", {"notices": notices.list_notices(db)})


def _date(form: Mapping[str, str], name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(form.get(name, "").strip())
    except ValueError:
        raise InputError(f"{name}: give a date such as 2021-04-30", field=name) from None


def notice_draft(form: Mapping[str, str]) -> notices.NoticeDraft:
    """A notice from the creation form; the deadline is local to the notice's time zone."""
    timezone = form.get("timezone", "").strip() or "Asia/Shanghai"
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"timezone {timezone!r} is not an IANA time zone", field="timezone"
        ) from None
    try:
        deadline = dt.datetime.fromisoformat(form.get("deadline", "").strip())
    except ValueError:
        raise InputError(
            "deadline: give a date and time such as 2021-05-07T18:00", field="deadline"
        ) from None
    return notices.NoticeDraft(
        ref=form.get("ref", "").strip(),
        title=form.get("title", "").strip(),
        legal_basis=form.get("legal_basis", "").strip(),
        issuer=form.get("issuer", "").strip(),
        period_start=_date(form, "period_start"),
        period_end=_date(form, "period_end"),
        deadline=deadline.replace(tzinfo=zone) if deadline.tzinfo is None else deadline,
        timezone=timezone,
        urgent=form.get("urgent") == "yes",
    )


def _new_form(
    staff: Staff, values: Mapping[str, str], error: HashwatchError | None = None
) -> Response:
    status = status_for(error) if error else 200
    return show(
        staff,
        "regulator/notice_new.html",
        {"form": values, "timezones": TIMEZONES, "error": error},
        status_code=status,
    )


@router.get("/notices/new")
def new_notice(staff: RegulatorPage, _admin: AdminDep) -> Response:
    return _new_form(staff, {"timezone": "Asia/Shanghai"})


@router.post("/notices")
async def create_notice(
    request: Request, staff: RegulatorPage, _admin: AdminDep, db: DbDep, _: CsrfDep
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        draft = notice_draft(values)
        created = await run_in_threadpool(
            partial(notices.create_notice, actor=staff.actor), db, draft
        )
    except HashwatchError as exc:
        return _new_form(staff, values, exc)
    return done(f"/notices/{created['ref']}", "created")


def _dashboard(staff: Staff, db: DbDep, ref: str, error: HashwatchError | None = None) -> Response:
    board = notice_dashboard(db, ref, districts=staff.districts)
    values: dict[str, Any] = {
        "board": board,
        "n": board.notice,
        "error": error,
        "organizations": organizations(db),
        "districts": staff.districts,
        "exports": ("csv", "xlsx", "json"),
    }
    status = status_for(error) if error else 200
    return show(staff, "regulator/dashboard.html", values, status_code=status)


@router.get("/notices/{ref}")
def dashboard(ref: str, staff: RegulatorPage, db: DbDep) -> Response:
    return _dashboard(staff, db, ref)


@router.get("/notices/{ref}/charts/districts.json")
def districts_chart(ref: str, staff: RegulatorPage, db: DbDep) -> JSONResponse:
    """The Vega-Lite spec of the district chart, data inline."""
    board = notice_dashboard(db, ref, districts=staff.districts)
    rows = [
        {**d.as_dict(), "district": staff.district_name(d.district_code)} for d in board.districts
    ]
    return JSONResponse(district_mining_chart(rows, district_chart_labels(staff.ctx._)))


@router.get("/notices/{ref}/charts/status.json")
def status_chart_spec(ref: str, staff: RegulatorPage, db: DbDep) -> JSONResponse:
    """The Vega-Lite spec of the recipients-by-status chart."""
    board = notice_dashboard(db, ref, districts=staff.districts)
    names = status_labels(staff.ctx)
    counts = [(s, names.get(s, s), n) for s, n in board.counts]
    _ = staff.ctx._
    labels = StatusChartLabels(title=_("Recipients by status"), status=_("Status"))
    return JSONResponse(status_chart(counts, labels))


_CODES = re.compile(r"[\s,;，；]+")


@router.post("/notices/{ref}/recipients")
def add_recipients(
    *,
    ref: str,
    staff: RegulatorPage,
    _admin: AdminDep,
    db: DbDep,
    settings: SettingsDep,
    _: CsrfDep,
    facility_codes: str = Form(""),
    organization_uscc: str = Form(""),
    district: str = Form(""),
    everyone: str = Form(""),
) -> Response:
    """Add recipients by facility codes, an organization, a district, or all facilities."""
    try:
        result = notices.add_recipients(
            db,
            ref,
            actor=staff.actor,
            settings=settings,
            facility_codes=[c for c in _CODES.split(facility_codes) if c],
            organization_uscc=organization_uscc.strip() or None,
            district_code=district.strip() or None,
            all_facilities=everyone == "yes",
        )
    except HashwatchError as exc:
        return _dashboard(staff, db, ref, exc)
    return done(f"/notices/{ref}", "recipients", result["added"])


@router.post("/notices/{ref}/issue")
def issue(
    ref: str,
    staff: RegulatorPage,
    _admin: AdminDep,
    db: DbDep,
    settings: SettingsDep,
    _: CsrfDep,
) -> Response:
    try:
        result = notices.issue_notice(db, ref, actor=staff.actor, settings=settings)
    except HashwatchError as exc:
        return _dashboard(staff, db, ref, exc)
    return done(f"/notices/{ref}", "issued", result.recipients)


@router.post("/notices/{ref}/remind")
def remind(
    ref: str, staff: RegulatorPage, db: DbDep, settings: SettingsDep, _: CsrfDep
) -> Response:
    """Remind every recipient that has not submitted (the overdue ones among them)."""
    try:
        report = notices.remind(db, ref, actor=staff.actor, settings=settings)
    except HashwatchError as exc:
        return _dashboard(staff, db, ref, exc)
    sent = report.sent_by_smtp + report.written_to_outbox
    return done(f"/notices/{ref}", "reminded", sent)


@router.post("/notices/{ref}/facilities/{code}/token")
def resend_token(
    ref: str,
    code: str,
    staff: RegulatorPage,
    _admin: AdminDep,
    db: DbDep,
    settings: SettingsDep,
    _: CsrfDep,
) -> Response:
    """A new access token for one recipient; the old one stops working."""
    try:
        notices.resend_token(db, ref, code, actor=staff.actor, settings=settings)
    except HashwatchError as exc:
        return _dashboard(staff, db, ref, exc)
    return done(f"/notices/{ref}", "token")


@router.post("/notices/{ref}/close")
def close(ref: str, staff: RegulatorPage, _admin: AdminDep, db: DbDep, _: CsrfDep) -> Response:
    try:
        notices.close_notice(db, ref, actor=staff.actor)
    except HashwatchError as exc:
        return _dashboard(staff, db, ref, exc)
    return done(f"/notices/{ref}", "closed")
