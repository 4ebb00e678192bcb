"""The assessment report of a notice as a file: HTML, PDF or XLSX, internal or public.

The figures are :func:`hashwatch.services.assessment.assess`'s, in its JSON form (the same as
``hashwatch assess --format json``); this module adds the notice's deadline and time zone and
the facility names, and hands them to :mod:`hashwatch.documents.assessment_report`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from hashwatch.assessment.data import Basis
from hashwatch.documents.assessment_report import (
    ReportInput,
    report_html,
    report_pdf,
    report_xlsx,
)
from hashwatch.errors import InputError
from hashwatch.i18n import LOCALES
from hashwatch.reporting.models import Facility
from hashwatch.services.assessment import assess
from hashwatch.services.lookup import get_notice
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow


class ReportFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"
    XLSX = "xlsx"


MEDIA_TYPES = {
    ReportFormat.HTML: "text/html; charset=utf-8",
    ReportFormat.PDF: "application/pdf",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ReportFile:
    """A made report: its bytes, media type and a file name to offer."""

    content: bytes
    media_type: str
    filename: str


def impact_report(
    db: Database,
    notice_ref: str,
    *,
    settings: Settings,
    fmt: ReportFormat,
    lang: str = "zh",
    public: bool = False,
    basis: Basis = Basis.SUBMITTED,
    now: dt.datetime | None = None,
) -> ReportFile:
    """The report of a notice in ``fmt`` and ``lang`` (public: small cells suppressed)."""
    if lang not in LOCALES:
        raise InputError(f"language {lang!r} is not one of {', '.join(LOCALES)}", field="lang")
    data = assess(db, notice_ref, settings=settings, basis=basis, public=public).as_dict()
    with db.read() as session:
        notice = get_notice(session, notice_ref)
        deadline, timezone = notice.deadline, notice.timezone
        codes = [f["facility_code"] for f in data["imputation"].get("facilities", ())]
        names = dict(
            session.execute(select(Facility.code, Facility.name).where(Facility.code.in_(codes)))
            .tuples()
            .all()
        )
    source = ReportInput(
        data=data,
        lang=lang,
        generated_at=now or utcnow(),
        deadline=deadline,
        timezone=timezone,
        facility_names=names,
    )
    render = {
        ReportFormat.HTML: _html,
        ReportFormat.PDF: report_pdf,
        ReportFormat.XLSX: report_xlsx,
    }
    kind = "public" if public else "internal"
    return ReportFile(
        render[fmt](source), MEDIA_TYPES[fmt], f"{notice_ref}-assessment-{kind}-{lang}.{fmt.value}"
    )


def _html(source: ReportInput) -> bytes:
    return report_html(source).encode("utf-8")
