"""Declared mining electricity across successive notices (for example monthly reporting).

Each point is one notice (issued or closed), ordered by its period. Notices may cover
periods of different lengths, so each point also gives the mean per day:
``mining_electricity_kwh_per_day = mining_electricity_kwh / days``. The figures are the
declared ones under the same basis as the assessment (counted reports only); the reporting
rate says how comparable two points are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from hashwatch.assessment.aggregates import share_pct
from hashwatch.assessment.data import NoticeFigures


@dataclass(frozen=True)
class TrendPoint:
    ref: str
    period_start: dt.date
    period_end: dt.date
    days: int
    recipients: int
    counted: int
    reporting_rate_pct: float | None
    involved: int
    facility_electricity_kwh: float
    mining_electricity_kwh: float
    mining_electricity_kwh_per_day: float
    mining_share_pct: float | None
    change_pct: float | None
    current: bool


def trend(figures: Sequence[NoticeFigures], current_ref: str | None = None) -> list[TrendPoint]:
    """Trend points in period order; ``change_pct`` compares the daily mean with the point
    before (``(m_k/d_k) / (m_{k−1}/d_{k−1}) × 100 − 100``, ``None`` for the first or after 0)."""
    ordered = sorted(figures, key=lambda f: (f.period_start, f.period_end, f.ref))
    points: list[TrendPoint] = []
    for item in ordered:
        days = (item.period_end - item.period_start).days + 1
        per_day = item.mining_electricity_kwh / days
        before = points[-1].mining_electricity_kwh_per_day if points else None
        change = share_pct(per_day, before)
        points.append(
            TrendPoint(
                ref=item.ref,
                period_start=item.period_start,
                period_end=item.period_end,
                days=days,
                recipients=item.recipients,
                counted=item.counted,
                reporting_rate_pct=share_pct(item.counted, item.recipients),
                involved=item.involved,
                facility_electricity_kwh=item.facility_electricity_kwh,
                mining_electricity_kwh=item.mining_electricity_kwh,
                mining_electricity_kwh_per_day=per_day,
                mining_share_pct=share_pct(
                    item.mining_electricity_kwh, item.facility_electricity_kwh
                ),
                change_pct=None if change is None else change - 100.0,
                current=item.ref == current_ref,
            )
        )
    return points
