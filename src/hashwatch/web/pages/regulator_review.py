"""Reviewing one facility's report: the newest figures, findings with explanations, every
version with its reviews, the difference between two versions, return and accept.

Return and accept name the version the reviewer saw; if another reviewer decided first, or a
newer version arrived meanwhile, the page comes back with 409 and says so.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import JSONResponse, Response

from hashwatch.charts.meters import EvidenceLabels
from hashwatch.errors import ConflictError, HashwatchError, InputError
from hashwatch.reporting.models import ReviewAction
from hashwatch.services.dashboard_review import SubmissionReview, diff_versions, submission_review
from hashwatch.services.detection_runs import (
    facility_evidence_chart,
    latest_facility_detection,
    stored_readings_file,
)
from hashwatch.services.review import review_submission
from hashwatch.web.cookies import app_settings
from hashwatch.web.csrf import CsrfDep
from hashwatch.web.deps import DbDep, SettingsDep
from hashwatch.web.errors import status_for
from hashwatch.web.pages.common import is_htmx
from hashwatch.web.pages.regulator_common import RegulatorPage, RegulatorRoute, Staff, done, show

router = APIRouter(route_class=RegulatorRoute)
#: evidence charts drawn on the review page at most (a facility rarely has more meters)
_EVIDENCE_CHARTS = 4


def _pair(review: SubmissionReview, old: int | None, new: int | None) -> tuple[int, int] | None:
    """The versions to compare: those asked for, else the newest two."""
    numbers = [v.version for v in review.versions]
    if len(numbers) < 2:
        return None
    new = new if new in numbers else numbers[-1]
    if old not in numbers or old == new:
        earlier = [n for n in numbers if n < new]
        old = earlier[-1] if earlier else next(n for n in numbers if n != new)
    return old, new


def _diff_values(review: SubmissionReview, old: int | None, new: int | None) -> dict[str, Any]:
    pair = _pair(review, old, new)
    changes = diff_versions(review, *pair) if pair else []
    return {"pair": pair, "changes": changes}


def _review_page(
    staff: Staff,
    db: DbDep,
    ref: str,
    code: str,
    *,
    old: int | None = None,
    new: int | None = None,
    error: HashwatchError | None = None,
    comment: str = "",
) -> Response:
    review = submission_review(db, ref, code)
    detection = latest_facility_detection(db, code)
    data_dir = app_settings(staff.ctx.request).data_dir
    meters = [s.meter_id for s in detection.scores] if detection else []
    values = {
        "r": review,
        "n": review.notice,
        "latest": review.latest,
        "comment": comment,
        "error": error,
        "conflict": isinstance(error, ConflictError),
        "detection": detection,
        "evidence_meters": [m for m in meters if stored_readings_file(data_dir, m)][
            :_EVIDENCE_CHARTS
        ],
        **_diff_values(review, old, new),
    }
    status = status_for(error) if error else 200
    return show(staff, "regulator/review.html", values, status_code=status)


@router.get("/notices/{ref}/facilities/{code}")
def review_page(
    *,
    ref: str,
    code: str,
    staff: RegulatorPage,
    db: DbDep,
    old: Annotated[int | None, Query(alias="from", ge=1)] = None,
    new: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> Response:
    return _review_page(staff, db, ref, code, old=old, new=new)


@router.get("/notices/{ref}/facilities/{code}/diff")
def diff_fragment(
    *,
    ref: str,
    code: str,
    staff: RegulatorPage,
    db: DbDep,
    old: Annotated[int | None, Query(alias="from", ge=1)] = None,
    new: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> Response:
    """The difference between two versions (the htmx fragment; else the whole page)."""
    if not is_htmx(staff.ctx.request):
        return _review_page(staff, db, ref, code, old=old, new=new)
    review = submission_review(db, ref, code)
    values = {"r": review, "n": review.notice, **_diff_values(review, old, new)}
    return show(staff, "regulator/_diff.html", values)


@router.post("/notices/{ref}/facilities/{code}/review")
def decide(
    *,
    ref: str,
    code: str,
    staff: RegulatorPage,
    db: DbDep,
    _: CsrfDep,
    action: str = Form(""),
    version: int = Form(ge=1),
    comment: str = Form(""),
) -> Response:
    """Return (with a comment) or accept the version the reviewer was shown."""
    try:
        chosen = ReviewAction(action)
    except ValueError:
        chosen = None
    try:
        if chosen is None:
            raise InputError("choose to return or to accept the report", field="action")
        review_submission(
            db, ref, code, chosen, reviewer=staff.actor, comment=comment, version=version
        )
    except HashwatchError as exc:
        return _review_page(staff, db, ref, code, error=exc, comment=comment)
    key = "returned" if chosen is ReviewAction.RETURN else "accepted"
    return done(f"/notices/{ref}/facilities/{code}", key)


@router.get("/notices/{ref}/facilities/{code}/evidence.json")
def evidence_spec(
    *,
    ref: str,
    code: str,
    staff: RegulatorPage,
    db: DbDep,
    settings: SettingsDep,
    meter: Annotated[str, Query(min_length=1, max_length=64)],
) -> JSONResponse:
    """The Vega-Lite spec of one of the facility's meters: load, steps, curtailment."""
    review = submission_review(db, ref, code)  # 404 unless the facility is a recipient
    _ = staff.ctx._
    labels = EvidenceLabels(
        title=_("Meter {meter_id}: load, steps and curtailment"),
        time=_("Local time"),
        power=_("Average power [kW]"),
        curtailed=_("Curtailed"),
        step=_("Step"),
    )
    chart = facility_evidence_chart(
        db, settings.data_dir, code, meter, labels=labels, timezone=review.notice["timezone"]
    )
    return JSONResponse(chart)
