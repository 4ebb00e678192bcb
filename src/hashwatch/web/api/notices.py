"""Notices (regulator only): create, recipients, issue, status, remind, resend, close, export.

Creating, adding recipients, issuing, resending a token and closing are for admins
(:data:`~hashwatch.web.deps.AdminDep`); analysts read, export and remind.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from hashwatch.services import notices, status, views
from hashwatch.services.exports import ExportFormat, export_notice
from hashwatch.services.registry import district_code_for
from hashwatch.web.api.files import download, file_responses
from hashwatch.web.api.models import (
    AddRecipientsOut,
    DeliveryOut,
    IssueOut,
    NoticeIn,
    NoticeOut,
    RecipientsIn,
    StatusOut,
)
from hashwatch.web.api.routing import COMMON, ApiRoute, CodePath, RefPath
from hashwatch.web.deps import AdminDep, DbDep, RegulatorDep, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["notices"], route_class=ApiRoute, responses=COMMON)


@router.get("/notices", summary="List notices", response_model=list[NoticeOut])
def list_notices(_: RegulatorDep, db: DbDep) -> list[NoticeOut]:
    """Every notice, oldest first, with its number of recipients."""
    return [NoticeOut(**n) for n in notices.list_notices(db)]


@router.post("/notices", summary="Create a notice", status_code=201, response_model=NoticeOut)
def create_notice(body: NoticeIn, principal: AdminDep, db: DbDep) -> NoticeOut:
    """A new notice in the draft state; add recipients, then issue it."""
    fields = body.model_dump(exclude={"rule_settings"})
    draft = notices.NoticeDraft(**fields, rule_settings=body.rule_settings)
    return NoticeOut(**notices.create_notice(db, draft, actor=principal.name), recipients=0)


@router.get("/notices/{ref}", summary="One notice", response_model=NoticeOut)
def get_notice(ref: RefPath, _: RegulatorDep, db: DbDep) -> NoticeOut:
    """A notice with its number of recipients."""
    return NoticeOut(**views.notice_detail(db, ref))


@router.post("/notices/{ref}/recipients", summary="Add recipients", response_model=AddRecipientsOut)
def add_recipients(
    ref: RefPath, body: RecipientsIn, principal: AdminDep, db: DbDep, settings: SettingsDep
) -> AddRecipientsOut:
    """Add facilities by code, organization, district or all; on an issued notice the new
    recipients get their access tokens at once."""
    district = district_code_for(body.district, settings) if body.district else None
    result = notices.add_recipients(
        db,
        ref,
        actor=principal.name,
        settings=settings,
        facility_codes=body.facility_codes,
        organization_uscc=body.organization_uscc,
        district_code=district,
        all_facilities=body.all,
    )
    delivery = result.get("delivery")
    return AddRecipientsOut(
        notice_ref=result["notice_ref"],
        added=result["added"],
        already_recipients=result["already_recipients"],
        delivery=DeliveryOut.of(delivery) if delivery else None,
    )


@router.post("/notices/{ref}/issue", summary="Issue a notice", response_model=IssueOut)
def issue_notice(ref: RefPath, principal: AdminDep, db: DbDep, settings: SettingsDep) -> IssueOut:
    """Freeze the questionnaire and send every recipient its access token (once: 409 after)."""
    result = notices.issue_notice(db, ref, actor=principal.name, settings=settings)
    return IssueOut(
        notice_ref=result.notice_ref,
        recipients=result.recipients,
        delivery=DeliveryOut.of(result.delivery),
    )


@router.get("/notices/{ref}/status", summary="Where a notice stands", response_model=StatusOut)
def notice_status(ref: RefPath, _: RegulatorDep, db: DbDep) -> StatusOut:
    """Each recipient's status, counts by status, response rates and headline figures."""
    found = status.notice_status(db, ref)
    return StatusOut.model_validate(
        {
            "notice": found.notice,
            "rows": found.rows,
            "counts": found.counts,
            "summary": found.summary,
        }
    )


@router.post("/notices/{ref}/remind", summary="Remind non-responders", response_model=DeliveryOut)
def remind(ref: RefPath, principal: RegulatorDep, db: DbDep, settings: SettingsDep) -> DeliveryOut:
    """Remind every recipient that has not submitted yet."""
    return DeliveryOut.of(notices.remind(db, ref, actor=principal.name, settings=settings))


@router.post(
    "/notices/{ref}/recipients/{code}/token",
    summary="Resend a recipient's token",
    response_model=DeliveryOut,
)
def resend_token(
    ref: RefPath, code: CodePath, principal: AdminDep, db: DbDep, settings: SettingsDep
) -> DeliveryOut:
    """Give the recipient a new access token (the old one stops working) and send it."""
    report = notices.resend_token(db, ref, code, actor=principal.name, settings=settings)
    return DeliveryOut.of(report)


@router.post("/notices/{ref}/close", summary="Close a notice", response_model=NoticeOut)
def close_notice(ref: RefPath, principal: AdminDep, db: DbDep) -> NoticeOut:
    """No more reports; tokens stop working for filing. Reviews may go on."""
    return NoticeOut(**notices.close_notice(db, ref, actor=principal.name))


@router.get(
    "/notices/{ref}/export",
    summary="Export a notice's reports",
    response_class=FileResponse,
    responses=file_responses(*(f.value for f in ExportFormat)),
)
def export(
    ref: RefPath,
    _: RegulatorDep,
    db: DbDep,
    fmt: Annotated[ExportFormat, Query(alias="format", description="csv, xlsx or json.")] = (
        ExportFormat.CSV
    ),
) -> FileResponse:
    """The newest version of each report: CSV (one row per recipient), XLSX or JSON."""
    return download(f"{ref}.{fmt.value}", lambda path: export_notice(db, ref, fmt, path))
