"""Declared mining electricity against the energy model's bounds from the declared machines.

For each counted report with equipment lines or SHA-256 hashrate, the energy model
(:func:`hashwatch.energy.estimate.energy_bounds_kwh`) gives lower/best/upper electricity
over the days the facility mined in the period:

* active days: the period clipped to ``mining_start_date`` (first day of mining) and the
  day before ``planned_exit_date`` (first day without mining), when those are given;
* equipment: Σ count × rated power, the power taken from the hardware catalogue for a
  model it knows (:func:`hashwatch.reporting.rules_catalogue.match_equipment`) and the
  declared ``rated_power_w`` otherwise (``unmatched_lines`` counts those), times uptime,
  hardware overhead and PUE at their lower/best/upper values;
* hashrate: Σ SHA-256 ``hashrate_ths`` × efficiency, the efficiency being the (best,
  count-weighted mean, worst) of the declared SHA-256 machines the catalogue knows, else
  the range of the catalogue's machines in use on the first day
  (:func:`~hashwatch.energy.estimate.efficiency_range_j_per_th`), times the same factors.

With both, the bounds are their envelope (the lower of the lowers, the higher of the
uppers) and the best guess is the equipment one: a facility is listed as outside only when
its declaration fits neither. The gap is ``declared − lower`` below the bounds and
``declared − upper`` above them, in kWh and in % of the bound it missed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from hashwatch.assessment.aggregates import share_pct
from hashwatch.assessment.data import EquipmentRecord, FacilityRecord
from hashwatch.energy.catalogue import Machine, model_index, model_key
from hashwatch.energy.estimate import (
    DEFAULT_ASSUMPTIONS,
    Assumption,
    efficiency_range_j_per_th,
    energy_bounds_kwh,
)

INSIDE, BELOW, ABOVE = "inside", "below", "above"


@dataclass(frozen=True)
class FacilityCheck:
    """A facility's declared mining electricity and the bounds of its declared machines."""

    facility_code: str
    basis: str
    active_hours: float
    declared_kwh: float
    lower_kwh: float
    best_kwh: float
    upper_kwh: float
    status: str
    gap_kwh: float
    gap_pct: float | None
    unmatched_lines: int


@dataclass(frozen=True)
class DeclaredVsEstimated:
    """Every estimated facility, and the totals over them."""

    facilities: tuple[FacilityCheck, ...]
    not_estimated: tuple[str, ...]
    declared_kwh: float
    lower_kwh: float
    best_kwh: float
    upper_kwh: float
    assumptions: tuple[Assumption, ...]

    @property
    def outside(self) -> tuple[FacilityCheck, ...]:
        """Facilities outside their bounds, the largest gap (in kWh) first."""
        found = [f for f in self.facilities if f.status != INSIDE]
        return tuple(sorted(found, key=lambda f: (-abs(f.gap_kwh), f.facility_code)))


def active_hours(
    period_start: dt.date,
    period_end: dt.date,
    mining_start_date: dt.date | None,
    planned_exit_date: dt.date | None,
) -> float:
    """Hours of the period the facility mined: start clipped to mining start, end to exit−1."""
    first = max(period_start, mining_start_date or period_start)
    last = period_end
    if planned_exit_date is not None:
        last = min(last, planned_exit_date - dt.timedelta(days=1))
    return 24.0 * max(0, (last - first).days + 1)


def _power_w(line: EquipmentRecord, machine: Machine | None) -> float:
    if machine is not None:
        if machine.power_w is not None:
            return machine.power_w
        if machine.hashrate is not None:
            return machine.hashrate * machine.efficiency
    return line.rated_power_w


def check_facility(
    record: FacilityRecord,
    period_start: dt.date,
    period_end: dt.date,
    catalogue: Sequence[Machine],
    assumptions: Sequence[Assumption] = DEFAULT_ASSUMPTIONS,
) -> FacilityCheck | None:
    """The bounds of one counted report, or ``None`` without equipment or SHA-256 hashrate
    (or with only a SHA-256 hashrate while other coins are mined too)."""
    index = model_index(tuple(catalogue))
    matched = [index.get(model_key(line.model)) for line in record.equipment]
    hashrate_ths = sum(
        c.hashrate_ths for c in record.coins if c.algorithm == "SHA-256" and c.hashrate_ths
    )
    if not record.equipment and not hashrate_ths:
        return None
    if not record.equipment and any(
        c.algorithm != "SHA-256" and c.electricity_kwh for c in record.coins
    ):
        # the hashrate estimate covers the SHA-256 lines only, the declared total every coin:
        # not comparable, so the facility is listed as not estimated
        return None
    hours = active_hours(
        period_start, period_end, record.mining_start_date, record.planned_exit_date
    )
    estimates: list[tuple[str, tuple[float, float, float]]] = []
    if record.equipment:
        power_w = [
            line.count * _power_w(line, machine)
            for line, machine in zip(record.equipment, matched, strict=True)
        ]
        estimates.append(("equipment", energy_bounds_kwh(sum(power_w), hours, assumptions)))
    if hashrate_ths:
        efficiency = _efficiency(record.equipment, matched, catalogue, period_start)
        if efficiency is not None:
            factor = Assumption("efficiency_j_per_th", *efficiency, "J/TH", "declared machines")
            bounds = energy_bounds_kwh(hashrate_ths, hours, (factor, *assumptions))
            estimates.append(("hashrate", bounds))
    if not estimates:
        return None
    lower = min(e[1][0] for e in estimates)
    best = estimates[0][1][1]
    upper = max(e[1][2] for e in estimates)
    declared = record.mining_electricity_kwh or 0.0
    status, gap, bound = INSIDE, 0.0, None
    if declared < lower:
        status, gap, bound = BELOW, declared - lower, lower
    elif declared > upper:
        status, gap, bound = ABOVE, declared - upper, upper
    return FacilityCheck(
        facility_code=record.facility_code,
        basis="+".join(e[0] for e in estimates),
        active_hours=hours,
        declared_kwh=declared,
        lower_kwh=lower,
        best_kwh=best,
        upper_kwh=upper,
        status=status,
        gap_kwh=gap,
        gap_pct=share_pct(gap, bound) if bound is not None else 0.0,
        unmatched_lines=sum(1 for m in matched if m is None),
    )


def _efficiency(
    equipment: Sequence[EquipmentRecord],
    matched: Sequence[Machine | None],
    catalogue: Sequence[Machine],
    on: dt.date,
) -> tuple[float, float, float] | None:
    """(best, count-weighted mean, worst) J/TH of the declared SHA-256 machines, else the
    catalogue's range on ``on``; ``None`` when the catalogue has no machine in use then."""
    known = [
        (m.efficiency_j_per_th, line.count)
        for line, m in zip(equipment, matched, strict=True)
        if m is not None and m.algorithm == "SHA-256"
    ]
    if known:
        values = [e for e, _ in known]
        mean = sum(e * n for e, n in known) / sum(n for _, n in known)
        return min(values), mean, max(values)
    try:
        return efficiency_range_j_per_th(catalogue, on)
    except ValueError:
        return None


def declared_vs_estimated(
    records: Sequence[FacilityRecord],
    period_start: dt.date,
    period_end: dt.date,
    catalogue: Sequence[Machine],
    assumptions: Sequence[Assumption] = DEFAULT_ASSUMPTIONS,
) -> DeclaredVsEstimated:
    """:func:`check_facility` for every counted report that declares mining electricity
    or machines, with totals over the estimated ones."""
    checks, skipped = [], []
    for record in records:
        if not record.counted or not (record.involved_in_mining or record.equipment):
            continue
        check = check_facility(record, period_start, period_end, catalogue, assumptions)
        if check is None:
            skipped.append(record.facility_code)
        else:
            checks.append(check)
    return DeclaredVsEstimated(
        facilities=tuple(checks),
        not_estimated=tuple(skipped),
        declared_kwh=sum(c.declared_kwh for c in checks),
        lower_kwh=sum(c.lower_kwh for c in checks),
        best_kwh=sum(c.best_kwh for c in checks),
        upper_kwh=sum(c.upper_kwh for c in checks),
        assumptions=tuple(assumptions),
    )
