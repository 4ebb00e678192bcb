"""A notice's impact assessment (regulator only): its figures as JSON, its report as a file.

The JSON is :meth:`hashwatch.services.assessment.Assessment.as_dict`, the same as
``hashwatch assess --format json`` (method: docs/assessment.md); the report is
``hashwatch report``'s.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from hashwatch.assessment.data import Basis
from hashwatch.services.assessment import assess
from hashwatch.services.impact_report import ReportFormat, impact_report
from hashwatch.web.api.files import attachment, file_responses
from hashwatch.web.api.routing import COMMON, ApiRoute, RefPath
from hashwatch.web.deps import DbDep, RegulatorDep, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["assessment"], route_class=ApiRoute, responses=COMMON)

PublicQuery = Annotated[
    bool,
    Query(description="Publishable: small cells suppressed, no facility or organization named."),
]
AcceptedOnlyQuery = Annotated[
    bool, Query(description="Count accepted reports only (not those awaiting review).")
]


@router.get("/notices/{ref}/assessment", summary="Assess a notice")
def assessment(
    ref: RefPath,
    _: RegulatorDep,
    db: DbDep,
    settings: SettingsDep,
    public: PublicQuery = False,
    accepted_only: AcceptedOnlyQuery = False,
) -> dict[str, Any]:
    """Declared totals and shares, breakdowns by district, organization kind, organization
    and coin, coverage, the imputed range of the unknown, emissions, declared vs estimated,
    the trend across notices and the method notes (docs/assessment.md)."""
    basis = Basis.ACCEPTED if accepted_only else Basis.SUBMITTED
    return assess(db, ref, settings=settings, basis=basis, public=public).as_dict()


@router.get(
    "/notices/{ref}/report",
    summary="The assessment report of a notice",
    response_class=Response,
    responses=file_responses(*(f.value for f in ReportFormat)),
)
def report(
    *,
    ref: RefPath,
    _: RegulatorDep,
    db: DbDep,
    settings: SettingsDep,
    fmt: Annotated[ReportFormat, Query(alias="format", description="html, pdf or xlsx.")] = (
        ReportFormat.PDF
    ),
    lang: Annotated[Literal["zh", "en"], Query(description="Language.")] = "zh",
    public: PublicQuery = False,
    accepted_only: AcceptedOnlyQuery = False,
) -> Response:
    """Headline figures, charts, tables, method and data-quality notes; internal unless
    ``public``."""
    made = impact_report(
        db,
        ref,
        settings=settings,
        fmt=fmt,
        lang=lang,
        public=public,
        basis=Basis.ACCEPTED if accepted_only else Basis.SUBMITTED,
    )
    return Response(
        made.content,
        media_type=made.media_type,
        headers={"Content-Disposition": attachment(made.filename)},
    )
