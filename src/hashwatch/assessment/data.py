"""A notice's reports as plain records: what the assessment functions compute on.

Which version counts
--------------------
A recipient's reports are versions; only the newest one is current (the older ones are
``superseded``). What the newest version's review state means for the assessment:

* ``accepted`` — the regulator checked it: declared, and flagged ``accepted``.
* ``submitted`` — filed and passed validation, but not reviewed yet: declared and counted
  under the default basis ``submitted`` (a regulator needs the figures before every report
  is reviewed), flagged ``awaiting review``; under the basis ``accepted`` it is not counted.
* ``returned`` — the regulator sent it back for correction: its figures are *not* counted
  (they are known to be wrong or incomplete); the facility is treated as having no usable
  report (unknown, with an imputed range), as the notice dashboard already does.
* no version — a non-responder: unknown, with an imputed range.

Every record keeps its figures (a returned report's too) so internal tables can show them;
``counted`` says whether they enter the declared totals.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from hashwatch.reporting.models import (
    Facility,
    Notice,
    NoticeState,
    Recipient,
    ReviewState,
    Submission,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Basis(StrEnum):
    """Which reports count as declared: newest submitted or accepted ones, or accepted only."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"


class Standing(StrEnum):
    """Where a recipient's report stands, as the assessment sees it."""

    ACCEPTED = "accepted"
    AWAITING_REVIEW = "awaiting_review"
    RETURNED = "returned"
    NO_REPORT = "no_report"


@dataclass(frozen=True)
class CoinRecord:
    coin: str
    algorithm: str
    hashrate_ths: float | None
    electricity_kwh: float


@dataclass(frozen=True)
class EquipmentRecord:
    model: str
    count: int
    rated_power_w: float


@dataclass(frozen=True)
class FacilityRecord:
    """One recipient: registry data and its newest report (``None`` figures: no report)."""

    facility_code: str
    facility_name: str
    organization_uscc: str
    organization_name: str
    organization_kind: str
    district_code: str
    rated_it_capacity_kw: float | None
    contracted_grid_capacity_kw: float | None
    standing: Standing
    counted: bool
    version: int | None = None
    involved_in_mining: bool | None = None
    facility_electricity_kwh: float | None = None
    mining_electricity_kwh: float | None = None
    self_generation_kwh: float | None = None
    renewable_share_pct: float | None = None
    mining_start_date: dt.date | None = None
    planned_exit_date: dt.date | None = None
    coins: tuple[CoinRecord, ...] = ()
    equipment: tuple[EquipmentRecord, ...] = ()


@dataclass(frozen=True)
class NoticeData:
    """A notice's period and every recipient's record, by facility code."""

    ref: str
    title: str
    period_start: dt.date
    period_end: dt.date
    basis: Basis
    facilities: tuple[FacilityRecord, ...]

    @property
    def hours(self) -> float:
        """Hours of the period, both days included [h]."""
        return 24.0 * ((self.period_end - self.period_start).days + 1)

    def arrays(self) -> FacilityArrays:
        return FacilityArrays.of(self.facilities)


@dataclass(frozen=True)
class FacilityArrays:
    """The records' figures as arrays (one element per facility; NaN where unknown)."""

    counted: BoolArray
    involved: BoolArray
    facility_kwh: FloatArray
    mining_kwh: FloatArray
    rated_it_capacity_kw: FloatArray
    contracted_grid_capacity_kw: FloatArray

    @classmethod
    def of(cls, records: tuple[FacilityRecord, ...] | list[FacilityRecord]) -> FacilityArrays:
        def floats(values: list[float | None]) -> FloatArray:
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        return cls(
            counted=np.array([r.counted for r in records], dtype=np.bool_),
            involved=np.array([bool(r.involved_in_mining) for r in records], dtype=np.bool_),
            facility_kwh=floats([r.facility_electricity_kwh for r in records]),
            mining_kwh=floats([_mining_kwh(r) for r in records]),
            rated_it_capacity_kw=floats([r.rated_it_capacity_kw for r in records]),
            contracted_grid_capacity_kw=floats([r.contracted_grid_capacity_kw for r in records]),
        )


def _mining_kwh(record: FacilityRecord) -> float | None:
    """Declared mining electricity; a nil return declares 0 kWh."""
    if record.version is None:
        return None
    if record.mining_electricity_kwh is None and record.involved_in_mining is False:
        return 0.0
    return record.mining_electricity_kwh


@dataclass(frozen=True)
class NoticeFigures:
    """A notice's headline figures for a trend (from the stored per-version figures)."""

    ref: str
    period_start: dt.date
    period_end: dt.date
    recipients: int
    counted: int
    involved: int
    facility_electricity_kwh: float
    mining_electricity_kwh: float


def standing_of(review_state: ReviewState | None) -> Standing:
    if review_state is None:
        return Standing.NO_REPORT
    return {
        ReviewState.ACCEPTED: Standing.ACCEPTED,
        ReviewState.SUBMITTED: Standing.AWAITING_REVIEW,
        ReviewState.RETURNED: Standing.RETURNED,
        # the newest version is never superseded; kept for completeness
        ReviewState.SUPERSEDED: Standing.RETURNED,
    }[review_state]


def is_counted(standing: Standing, basis: Basis) -> bool:
    """Whether a report with this standing enters the declared totals under ``basis``."""
    if standing is Standing.ACCEPTED:
        return True
    return standing is Standing.AWAITING_REVIEW and basis is Basis.SUBMITTED


def _newest_versions(notice_ids: list[int]) -> Any:
    """Subquery: (recipient_id, newest version) of the recipients of these notices."""
    return (
        select(Submission.recipient_id, func.max(Submission.version).label("version"))
        .join(Recipient, Recipient.id == Submission.recipient_id)
        .where(Recipient.notice_id.in_(notice_ids))
        .group_by(Submission.recipient_id)
        .subquery()
    )


def load_notice(session: Session, notice: Notice, basis: Basis = Basis.SUBMITTED) -> NoticeData:
    """Every recipient of ``notice`` with its newest report, read in the caller's session."""
    newest = _newest_versions([notice.id])
    latest = {
        s.recipient_id: s
        for s in session.execute(
            select(Submission).join(
                newest,
                (Submission.recipient_id == newest.c.recipient_id)
                & (Submission.version == newest.c.version),
            )
        ).scalars()
    }
    recipients = session.execute(
        select(Recipient)
        .where(Recipient.notice_id == notice.id)
        .options(joinedload(Recipient.facility).joinedload(Facility.organization))
    ).scalars()
    records = [_record(r, latest.get(r.id), basis) for r in recipients]
    return NoticeData(
        ref=notice.ref,
        title=notice.title,
        period_start=notice.period_start,
        period_end=notice.period_end,
        basis=basis,
        facilities=tuple(sorted(records, key=lambda r: r.facility_code)),
    )


def _record(recipient: Recipient, latest: Submission | None, basis: Basis) -> FacilityRecord:
    facility = recipient.facility
    standing = standing_of(latest.review_state if latest else None)
    registry: dict[str, Any] = {
        "facility_code": facility.code,
        "facility_name": facility.name,
        "organization_uscc": facility.organization.uscc,
        "organization_name": facility.organization.name,
        "organization_kind": facility.organization.kind.value,
        "district_code": facility.district_code,
        "rated_it_capacity_kw": facility.rated_it_capacity_kw,
        "contracted_grid_capacity_kw": facility.contracted_grid_capacity_kw,
        "standing": standing,
        "counted": is_counted(standing, basis),
    }
    if latest is None:
        return FacilityRecord(**registry)
    report = json.loads(latest.report_json)
    supply = report.get("power_supply") or {}
    return FacilityRecord(
        **registry,
        version=latest.version,
        involved_in_mining=latest.involved_in_mining,
        facility_electricity_kwh=latest.facility_electricity_kwh,
        mining_electricity_kwh=latest.mining_electricity_kwh,
        self_generation_kwh=supply.get("self_generation_kwh"),
        renewable_share_pct=supply.get("renewable_share_pct"),
        mining_start_date=_date(report.get("mining_start_date")),
        planned_exit_date=_date(report.get("planned_exit_date")),
        coins=tuple(
            CoinRecord(c["coin"], c["algorithm"], c.get("hashrate_ths"), c["electricity_kwh"])
            for c in report.get("coins") or ()
        ),
        equipment=tuple(
            EquipmentRecord(e["model"], e["count"], e["rated_power_w"])
            for e in report.get("equipment") or ()
        ),
    )


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def load_series(
    session: Session, until: dt.date, basis: Basis = Basis.SUBMITTED
) -> list[NoticeFigures]:
    """Headline figures of every issued or closed notice whose period ends by ``until``.

    Read from the stored per-version figures (no report is parsed); ordered by period.
    """
    notices = list(
        session.execute(
            select(Notice)
            .where(Notice.state != NoticeState.DRAFT, Notice.period_end <= until)
            .order_by(Notice.period_start, Notice.period_end, Notice.ref)
        ).scalars()
    )
    if not notices:
        return []
    newest = _newest_versions([n.id for n in notices])
    rows = session.execute(
        select(
            Recipient.notice_id,
            Submission.review_state,
            Submission.involved_in_mining,
            Submission.facility_electricity_kwh,
            Submission.mining_electricity_kwh,
        )
        .select_from(Recipient)
        .outerjoin(newest, newest.c.recipient_id == Recipient.id)
        .outerjoin(
            Submission,
            (Submission.recipient_id == Recipient.id) & (Submission.version == newest.c.version),
        )
        .where(Recipient.notice_id.in_([n.id for n in notices]))
    ).all()
    by_notice: dict[int, list[Any]] = {}
    for row in rows:
        by_notice.setdefault(row[0], []).append(row)
    figures = []
    for notice in notices:
        members = by_notice.get(notice.id, [])
        counted = [m for m in members if is_counted(standing_of(m[1]), basis)]
        figures.append(
            NoticeFigures(
                ref=notice.ref,
                period_start=notice.period_start,
                period_end=notice.period_end,
                recipients=len(members),
                counted=len(counted),
                involved=sum(1 for m in counted if m[2]),
                facility_electricity_kwh=sum(m[3] or 0.0 for m in counted),
                mining_electricity_kwh=sum(m[4] or 0.0 for m in counted),
            )
        )
    return figures
