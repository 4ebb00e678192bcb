"""The notice's assessment on the regulator's dashboard: headline figures, the report's
charts (the same Vega-Lite specs as the PDF) and the report downloads.

``GET /notices/{ref}/assessment`` is a fragment the dashboard loads with htmx (a whole page
without it), its chart specs inline (one assessment per view);
``GET /notices/{ref}/report.{html|pdf|xlsx}?lang=zh|en&public=1`` the report file. Every
regulator user (admin or analyst) may read them; the internal report is marked as such.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from hashwatch.documents.assessment_report import (
    chart_specs,
    headline_figures,
    translated_notes,
    translations,
)
from hashwatch.i18n import LOCALES
from hashwatch.services.assessment import assess
from hashwatch.services.impact_report import ReportFormat, impact_report
from hashwatch.web.api.files import attachment
from hashwatch.web.deps import DbDep, SettingsDep
from hashwatch.web.pages.common import is_htmx
from hashwatch.web.pages.regulator_common import RegulatorPage, RegulatorRoute, show

router = APIRouter(route_class=RegulatorRoute)


@router.get("/notices/{ref}/assessment")
def assessment(ref: str, staff: RegulatorPage, db: DbDep, settings: SettingsDep) -> Response:
    """Headline figures, charts and downloads (a fragment for htmx, else a page)."""
    data = assess(db, ref, settings=settings).as_dict()
    specs = chart_specs(data, translations(staff.ctx.locale).gettext)
    values: dict[str, Any] = {
        "ref": ref,
        "data": data,
        "headlines": headline_figures(data, staff.ctx.locale),
        "charts": specs,  # inline: one assessment per view, not one per chart
        "formats": [f.value for f in ReportFormat],
        "languages": LOCALES,
        "notes": translated_notes(data, staff.ctx.locale),
    }
    page = (
        "regulator/_assessment.html" if is_htmx(staff.ctx.request) else "regulator/assessment.html"
    )
    return show(staff, page, values)


@router.get("/notices/{ref}/report.{fmt}")
def report_file(
    *,
    ref: str,
    fmt: ReportFormat,
    staff: RegulatorPage,
    db: DbDep,
    settings: SettingsDep,
    lang: str | None = Query(None, pattern="^(zh|en)$"),
    public: bool = False,
) -> Response:
    """The assessment report to download (internal unless ``public``)."""
    made = impact_report(
        db, ref, settings=settings, fmt=fmt, lang=lang or staff.ctx.locale, public=public
    )
    return Response(
        made.content,
        media_type=made.media_type,
        headers={"Content-Disposition": attachment(made.filename)},
    )
