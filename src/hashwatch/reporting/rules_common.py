"""What every validation rule shares: settings, context, the period's hours and helpers.

A rule is a pure function ``(report, context, settings) -> list[Finding]``; it never opens
files or databases. :class:`RuleSettings` holds every tolerance (frozen, bounded,
described); :class:`RuleContext` what the notice and the registry know about the period and
the facility.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hashwatch.energy.catalogue import Machine
from hashwatch.errors import InputError
from hashwatch.reporting.findings import Finding, Severity
from hashwatch.reporting.report import Report

ONE_DAY: Final = dt.timedelta(days=1)

#: Relative tolerance of every comparison of amounts [dimensionless]: two amounts closer
#: than ``AMOUNT_REL_TOLERANCE × max(|a|, |b|)`` count as equal. Far above float rounding
#: (≈ 1e-16 per operation, so ``2,007 kWh`` and ``2.007 MWh`` compare equal however they
#: were computed) and far below any meter's resolution (1 Wh in 1 GWh is 1e-9).
AMOUNT_REL_TOLERANCE: Final = 1e-9


class RuleSettings(BaseModel):
    """Tolerances of the validation rules; the defaults are documented with their sources.

    PUE and machine efficiencies come from ``energy-model.md`` (§1: PUE 1.01 / 1.10 / 1.20
    for lower / best / upper; §9: the hardware efficiency table).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    share_tolerance_pct_points: float = Field(
        0.5,
        ge=0,
        le=10,
        description="Allowed gap between the stated mining share and mining / facility "
        "electricity × 100 [percentage points].",
    )
    coin_sum_tolerance_pct: float = Field(
        1.0,
        ge=0,
        le=50,
        description="Allowed gap between the sum of per-coin electricity and the mining "
        "total, relative to the mining total [%].",
    )
    capacity_tolerance_pct: float = Field(
        1.0,
        ge=0,
        le=20,
        description="Allowance for meter rounding in the capacity × hours checks [%].",
    )
    pue_upper: float = Field(
        1.20,
        ge=1.0,
        le=3.0,
        description="Upper bound of power usage effectiveness (facility / IT power) "
        "[dimensionless]; energy-model.md §1 uses 1.20.",
    )
    equipment_tolerance_pct: float = Field(
        30.0,
        ge=0,
        le=200,
        description="Allowed gap beyond the energy model's lower and upper bounds of the "
        "electricity implied by the declared equipment or SHA-256 hashrate [%].",
    )
    sha256_efficiency_min_j_per_th: float = Field(
        14.0,
        gt=0,
        le=1000,
        description="Most efficient plausible SHA-256 machine [J/TH], used by the hashrate "
        "check when neither the declared machines nor the catalogue give an efficiency; "
        "energy-model.md §9: Antminer S21 Pro 14.3 J/TH.",
    )
    sha256_efficiency_max_j_per_th: float = Field(
        160.0,
        gt=0,
        le=5000,
        description="Least efficient SHA-256 machine plausibly still mining [J/TH], the "
        "hashrate check's last resort as above; energy-model.md §9: Avalon 741 157.5, "
        "Antminer T9+ 136, S9 ≈ 98 J/TH.",
    )
    rated_power_min_w: float = Field(
        100.0,
        ge=0,
        le=10_000,
        description="Below this rated power [W] a line is implausible for a mining machine "
        "(one GPU ≈ 120 W at the wall, energy-model.md §9).",
    )
    rated_power_max_w: float = Field(
        15_000.0,
        ge=100,
        le=1_000_000,
        description="Above this rated power [W] a line is implausible for one mining machine "
        "(the largest ASICs in energy-model.md §9 draw ≈ 5.5–6.3 kW).",
    )
    catalogue_power_tolerance_pct: float = Field(
        25.0,
        ge=0,
        le=500,
        description="Allowed gap between a line's rated power and the hardware catalogue's "
        "power for the same model [%].",
    )
    clock_skew_s: float = Field(
        300.0,
        ge=0,
        le=86_400,
        description="An attestation signed up to this long after receipt is not 'in the "
        "future' (client clock error) [s].",
    )

    @model_validator(mode="after")
    def _ranges_are_ordered(self) -> RuleSettings:
        if self.sha256_efficiency_min_j_per_th >= self.sha256_efficiency_max_j_per_th:
            raise ValueError("sha256_efficiency_min_j_per_th must be below the maximum")
        if self.rated_power_min_w >= self.rated_power_max_w:
            raise ValueError("rated_power_min_w must be below rated_power_max_w")
        return self


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {timezone!r}", field="timezone") from None


@dataclasses.dataclass(frozen=True)
class RuleContext:
    """What the rules know besides the report: the notice period and the facility.

    ``period_end`` is inclusive. A capacity of ``None`` (or 0: not recorded) skips the
    checks against it; ``received_at`` ``None`` skips the 'in the future' check.
    """

    period_start: dt.date
    period_end: dt.date
    timezone: str
    rated_it_capacity_kw: float | None = None
    contracted_grid_capacity_kw: float | None = None
    received_at: dt.datetime | None = None
    catalogue: tuple[Machine, ...] = ()
    """The hardware catalogue equipment lines are matched against (none: free text only)."""

    def __post_init__(self) -> None:
        if self.period_end < self.period_start:
            raise InputError(
                f"period_end {self.period_end} is before period_start {self.period_start}",
                field="period_end",
            )
        _zone(self.timezone)
        for name in ("rated_it_capacity_kw", "contracted_grid_capacity_kw"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise InputError(f"{name} {value!r} is not a capacity", field=name)
        if self.received_at is not None and self.received_at.utcoffset() is None:
            raise InputError("received_at must be timezone-aware", field="received_at")

    def local_midnight(self, day: dt.date) -> dt.datetime:
        """Start of ``day`` in the notice's time zone."""
        return dt.datetime.combine(day, dt.time(), tzinfo=_zone(self.timezone))

    @property
    def period_hours(self) -> float:
        """Hours in the period (:func:`hours_in_period`)."""
        return hours_in_period(self.period_start, self.period_end, self.timezone)


def hours_in_period(period_start: dt.date, period_end: dt.date, timezone: str) -> float:
    """Elapsed hours from local midnight of ``period_start`` to local midnight after ``period_end``.

    DST-aware: ``hours = (t_end − t_start) / 1 h`` with both instants in UTC, so a month with a
    spring-forward change has one hour less (Europe/Berlin, March 2021: 743 h).
    """
    if period_end < period_start:
        raise InputError(f"period_end {period_end} is before period_start {period_start}")
    zone = _zone(timezone)
    start = dt.datetime.combine(period_start, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(period_end + ONE_DAY, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    return (end - start).total_seconds() / 3600.0


def mining_days(report: Report, context: RuleContext) -> tuple[dt.date, dt.date] | None:
    """First and last day (inclusive) of mining inside the period, or ``None`` if none.

    From ``max(period_start, mining_start_date)`` to ``min(period_end, planned_exit_date −
    1 day)``, the exit counting only once it has happened (on or before the local date of
    ``received_at``; without it, on or before the day after the period).
    ``planned_exit_date`` is the first day without mining.
    """
    first = max(context.period_start, report.mining_start_date or context.period_start)
    last = context.period_end
    exit_date = report.planned_exit_date
    if exit_date is not None:
        if context.received_at is not None:
            today = context.received_at.astimezone(_zone(context.timezone)).date()
        else:
            today = context.period_end + ONE_DAY
        if exit_date <= today:
            last = min(last, exit_date - ONE_DAY)
    return (first, last) if first <= last else None


def mining_hours(report: Report, context: RuleContext) -> float:
    """Hours in the period during which the declared equipment ran (:func:`mining_days`)."""
    days = mining_days(report, context)
    return 0.0 if days is None else hours_in_period(days[0], days[1], context.timezone)


def exceeds(amount: float, limit: float) -> bool:
    """``amount > limit`` by more than :data:`AMOUNT_REL_TOLERANCE` of the larger magnitude.

    ``amount − limit > AMOUNT_REL_TOLERANCE × max(|amount|, |limit|)``: equal amounts
    written in different units, or the same limit reached by another order of
    multiplication, never exceed each other.
    """
    return amount - limit > AMOUNT_REL_TOLERANCE * max(abs(amount), abs(limit))


def falls_short(amount: float, limit: float) -> bool:
    """``amount < limit`` by more than the relative tolerance (:func:`exceeds` reversed)."""
    return exceeds(limit, amount)


def within(amount: float, low: float, high: float) -> bool:
    """``low ≤ amount ≤ high`` up to the relative tolerance of :func:`exceeds`."""
    return not falls_short(amount, low) and not exceeds(amount, high)


def num(value: float) -> str:
    """A number for a message: thousands separated, at most 3 decimals (1,234,567.891)."""
    if value != 0 and abs(value) < 0.001:
        return f"{value:.3g}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def finite_data(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, ±infinity) replaced by ``None``.

    Finding data must serialise as canonical JSON, which has no NaN or infinity; a quotient
    of extreme inputs may overflow (``1e12 kWh / (1e-300 TH/s × 720 h)``), and ``None`` says
    "no number can be given" as a derived share does. Lists and mappings are cleaned inside.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: finite_data(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [finite_data(item) for item in value]
    return value


def finding(code: str, severity: Severity, message: str, field: str | None, **data: Any) -> Finding:
    """A finding whose ``data`` holds the numbers behind the message.

    Non-finite numbers in ``data`` become ``None`` (:func:`finite_data`).
    """
    return Finding(code, severity, message, field, finite_data(data))


Rule = Callable[[Report, RuleContext, RuleSettings], list[Finding]]
