"""Reporting entities file, check and keep reports; everyone allowed reads versions.

Paths are ``/api/v1/notices/{ref}/facilities/{code}/...``. A caller may act only for its
own facilities: another entity's facility is answered 404, as if it were not a recipient.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Response

from hashwatch.services import submissions, views
from hashwatch.services.lookup import by_principal
from hashwatch.web.api.models import FindingsOut, ReceiptOut, VersionDetail, VersionOut
from hashwatch.web.api.routing import COMMON, PLAIN_TEXT, ApiRoute, CodePath, RefPath
from hashwatch.web.deps import DbDep, EntityDep, PrincipalDep

router = APIRouter(
    prefix="/api/v1/notices/{ref}/facilities/{code}",
    tags=["reports"],
    route_class=ApiRoute,
    responses=COMMON,
)

ReportBody = Annotated[
    dict[str, Any],
    Body(description="The report: see GET /api/v1/schema/report (quantities may carry units)."),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=submissions.MAX_IDEMPOTENCY_KEY_CHARS,
        pattern=PLAIN_TEXT,
        description="A key of yours: a retry with it gets the first receipt back (200).",
    ),
]
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@router.post(
    "/submissions",
    summary="File a report",
    status_code=201,
    response_model=ReceiptOut,
    responses={200: {"model": ReceiptOut, "description": "A replay of an Idempotency-Key"}},
)
def file_report(
    *,
    ref: RefPath,
    code: CodePath,
    report: ReportBody,
    principal: EntityDep,
    db: DbDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ReceiptOut:
    """File (or amend: a new version) the facility's report. 201 with the receipt; 200 with
    the first receipt when the ``Idempotency-Key`` was used for the same report; 409 when it
    was used for another. A report with errors or unexplained warnings is refused with 422
    listing every finding in ``problems``; nothing is stored."""
    receipt = submissions.file_report(
        db, by_principal(principal, ref, code), report, idempotency_key=idempotency_key
    )
    if receipt.replayed:
        response.status_code = 200
    return ReceiptOut.model_validate(receipt.as_dict())


@router.post("/check", summary="Check a report without filing", response_model=FindingsOut)
def check_report(
    ref: RefPath, code: CodePath, report: ReportBody, principal: EntityDep, db: DbDep
) -> FindingsOut:
    """The findings the report would get; nothing is stored."""
    result = submissions.check_report(db, by_principal(principal, ref, code), report)
    return FindingsOut.model_validate(result.as_dict())


@router.put("/draft", summary="Save a draft", response_model=FindingsOut)
def save_draft(
    ref: RefPath, code: CodePath, report: ReportBody, principal: EntityDep, db: DbDep
) -> FindingsOut:
    """Keep an unfinished report; returns its findings so far."""
    result = submissions.save_draft(db, by_principal(principal, ref, code), report)
    return FindingsOut.model_validate(result.as_dict())


@router.get("/submissions", summary="Versions of the report", response_model=list[VersionOut])
def list_versions(
    ref: RefPath, code: CodePath, principal: PrincipalDep, db: DbDep
) -> list[VersionOut]:
    """Every version, oldest first, with its review state and the regulator's comments."""
    versions = views.list_versions(db, by_principal(principal, ref, code))
    return [VersionOut.model_validate(v) for v in versions]


@router.get(
    "/submissions/{version}", summary="One version of the report", response_model=VersionDetail
)
def get_version(
    *,
    ref: RefPath,
    code: CodePath,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    principal: PrincipalDep,
    db: DbDep,
) -> VersionDetail:
    """A version with its normalised report, findings and review comments."""
    found = views.get_version(db, by_principal(principal, ref, code), version)
    return VersionDetail.model_validate(found)


@router.get(
    "/receipt",
    summary="Download the copy of record",
    response_class=Response,
    responses={
        200: {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "The canonical JSON copy of record; its SHA-256 in X-Record-SHA256.",
        }
    },
)
def receipt(
    ref: RefPath,
    code: CodePath,
    principal: PrincipalDep,
    db: DbDep,
    version: Annotated[int | None, Query(ge=1, le=1_000_000, description="Default: newest.")] = (
        None
    ),
) -> Response:
    """The copy of record (canonical JSON) of a version, as a download; anyone can check it
    against the ``X-Record-SHA256`` header with ``sha256sum``."""
    found = submissions.get_receipt(db, by_principal(principal, ref, code), version)
    name = _UNSAFE_NAME.sub("_", f"{found.notice_ref}-{found.facility_code}-v{found.version}")
    return Response(
        found.record_json.encode("utf-8"),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.json"',
            "X-Record-SHA256": found.record_sha256,
        },
    )
