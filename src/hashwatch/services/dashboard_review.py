"""What the regulator sees when reviewing one facility's report: every version, the reviews,
and the field-by-field difference between two versions.

Versions are read as filed (the normalised report and its findings with explanations); the
difference (:func:`hashwatch.services.views.diff_reports`, the one the API gives) is
computed on those normalised reports, so units never differ between versions.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hashwatch.errors import InputError, NotFoundError
from hashwatch.reporting.models import ReviewState, Submission
from hashwatch.services.lookup import get_notice, recipient_by_code
from hashwatch.services.notices import notice_summary, recipient_status
from hashwatch.services.views import diff_reports
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow


@dataclass(frozen=True)
class VersionView:
    """One filed version of a report, with its findings and the reviews it received."""

    version: int
    received_at: dt.datetime
    submitted_by: str
    review_state: str
    record_sha256: str
    late: bool
    report: dict[str, Any]
    findings: list[dict[str, Any]]
    reviews: list[dict[str, Any]]


@dataclass(frozen=True)
class SubmissionReview:
    """A recipient of a notice and every version of its report, oldest first."""

    notice: dict[str, Any]
    facility: dict[str, Any]
    status: str
    versions: list[VersionView]

    @property
    def latest(self) -> VersionView | None:
        return self.versions[-1] if self.versions else None

    @property
    def reviewable(self) -> bool:
        """The newest version waits for a decision (return or accept)."""
        latest = self.latest
        return latest is not None and latest.review_state == ReviewState.SUBMITTED.value

    def version(self, number: int) -> VersionView:
        for view in self.versions:
            if view.version == number:
                return view
        raise NotFoundError(f"there is no version {number}", field="version")


def _version_view(submission: Submission, deadline: dt.datetime) -> VersionView:
    return VersionView(
        version=submission.version,
        received_at=submission.received_at,
        submitted_by=submission.submitted_by,
        review_state=submission.review_state.value,
        record_sha256=submission.record_sha256,
        late=submission.received_at > deadline,
        report=json.loads(submission.report_json),
        findings=json.loads(submission.findings_json),
        reviews=[
            {"action": r.action.value, "comment": r.comment, "reviewer": r.reviewer, "at": r.at}
            for r in submission.reviews
        ],
    )


def submission_review(
    db: Database, notice_ref: str, facility_code: str, *, now: dt.datetime | None = None
) -> SubmissionReview:
    """The recipient's versions and reviews; :class:`NotFoundError` if it is no recipient."""
    with db.read() as session:
        notice = get_notice(session, notice_ref)
        recipient = recipient_by_code(session, notice, facility_code)
        submissions = (
            session.execute(
                select(Submission)
                .where(Submission.recipient_id == recipient.id)
                .order_by(Submission.version)
                .options(selectinload(Submission.reviews))
            )
            .scalars()
            .all()
        )
        facility = recipient.facility
        return SubmissionReview(
            notice=notice_summary(notice),
            facility={
                "code": facility.code,
                "name": facility.name,
                "district_code": facility.district_code,
                "organization_name": facility.organization.name,
                "organization_uscc": facility.organization.uscc,
                "rated_it_capacity_kw": facility.rated_it_capacity_kw,
                "contracted_grid_capacity_kw": facility.contracted_grid_capacity_kw,
            },
            status=recipient_status(recipient, notice, now or utcnow()),
            versions=[_version_view(s, notice.deadline) for s in submissions],
        )


def diff_versions(review: SubmissionReview, old: int, new: int) -> list[dict[str, Any]]:
    """The changes from version ``old`` to version ``new`` (see :func:`views.diff_reports`)."""
    if old == new:
        raise InputError("compare two different versions", field="new")
    return diff_reports(review.version(old).report, review.version(new).report)
