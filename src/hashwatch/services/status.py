"""Where a notice stands: each recipient's status, counts, response rates, headline figures."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from hashwatch.reporting.models import Facility, Recipient, ReviewState
from hashwatch.services.lookup import get_notice
from hashwatch.services.notices import notice_summary, recipient_status
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow

STATUS_COLUMNS = (
    "facility_code",
    "facility_name",
    "organization_name",
    "organization_uscc",
    "district_code",
    "status",
    "opened_at",
    "version",
    "received_at",
    "late",
    "review_state",
    "involved_in_mining",
    "facility_electricity_kwh",
    "mining_electricity_kwh",
    "mining_share_pct",
    "warnings",
    "reminders",
)


@dataclass(frozen=True)
class NoticeStatus:
    notice: dict[str, Any]
    rows: list[dict[str, Any]]
    counts: dict[str, int]
    summary: dict[str, Any]


def _share_pct(mining_kwh: float | None, total_kwh: float | None) -> float | None:
    if mining_kwh is None or not total_kwh:
        return None
    return 100.0 * mining_kwh / total_kwh


def notice_status(db: Database, ref: str, *, now: dt.datetime | None = None) -> NoticeStatus:
    """Per-recipient rows (newest version of each report) with counts and headline figures."""
    with db.read() as session:
        return status_in_session(session, ref, now=now)


def status_in_session(
    session: Session, ref: str, *, now: dt.datetime | None = None
) -> NoticeStatus:
    """:func:`notice_status` inside the caller's (read) session."""
    moment = now or utcnow()
    notice = get_notice(session, ref)
    recipients = (
        session.execute(
            select(Recipient)
            .where(Recipient.notice_id == notice.id)
            .options(
                joinedload(Recipient.facility).joinedload(Facility.organization),
                selectinload(Recipient.submissions),
            )
        )
        .scalars()
        .all()
    )
    rows = []
    for recipient in sorted(recipients, key=lambda r: r.facility.code):
        facility = recipient.facility
        latest = recipient.submissions[-1] if recipient.submissions else None
        first_at = recipient.first_submitted_at
        rows.append(
            {
                "facility_code": facility.code,
                "facility_name": facility.name,
                "organization_name": facility.organization.name,
                "organization_uscc": facility.organization.uscc,
                "district_code": facility.district_code,
                "status": recipient_status(recipient, notice, moment),
                "opened_at": recipient.opened_at,
                "version": latest.version if latest else None,
                "received_at": latest.received_at if latest else None,
                "late": None if first_at is None else first_at > notice.deadline,
                "review_state": latest.review_state.value if latest else None,
                "involved_in_mining": latest.involved_in_mining if latest else None,
                "facility_electricity_kwh": latest.facility_electricity_kwh if latest else None,
                "mining_electricity_kwh": latest.mining_electricity_kwh if latest else None,
                "mining_share_pct": _share_pct(
                    latest.mining_electricity_kwh, latest.facility_electricity_kwh
                )
                if latest
                else None,
                "warnings": latest.warning_count if latest else None,
                "reminders": recipient.reminder_count,
            }
        )
    return NoticeStatus(
        notice=notice_summary(notice),
        rows=rows,
        counts=dict(Counter(str(r["status"]) for r in rows)),
        summary=_summary(rows),
    )


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    expected = len(rows)
    reported = [r for r in rows if r["version"] is not None]
    on_time = [r for r in reported if r["late"] is False]
    usable = [r for r in reported if r["review_state"] != ReviewState.RETURNED.value]
    total_kwh = sum(r["facility_electricity_kwh"] or 0.0 for r in usable)
    mining_kwh = sum(r["mining_electricity_kwh"] or 0.0 for r in usable)
    return {
        "expected_reports": expected,
        "actual_reports": len(reported),
        "actual_reports_on_time": len(on_time),
        "reporting_rate_pct": 100.0 * len(reported) / expected if expected else None,
        "reporting_rate_on_time_pct": 100.0 * len(on_time) / expected if expected else None,
        "facilities_involved_in_mining": sum(1 for r in usable if r["involved_in_mining"]),
        "reported_facility_electricity_kwh": total_kwh,
        "reported_mining_electricity_kwh": mining_kwh,
        "reported_mining_share_pct": 100.0 * mining_kwh / total_kwh if total_kwh else None,
    }
