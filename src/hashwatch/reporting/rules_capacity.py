"""Physical-plausibility rules: capacity × hours, equipment and hashrate against electricity.

Energy limits use the real hours of the period (DST-aware, :func:`hours_in_period`):

* grid:  ``E_facility ≤ P_contracted × h × (1 + capacity_tolerance_pct / 100)`` (error);
* IT:    ``E_facility ≤ P_rated_IT × PUE_upper × h × (1 + tol)`` (warning: the total
  includes cooling and losses, bounded by the PUE upper bound, energy-model.md §1);
* peak:  ``E_facility ≤ P_peak × h × (1 + tol)`` (error: impossible otherwise);
* equipment: ``Σ nᵢ × P_ratedᵢ × h_mining / 1000`` [kWh], accepted from ``(1 − t)`` times
  that to ``PUE_upper × (1 + t)`` times it (mining electricity may include a share of
  cooling);
* hashrate (SHA-256 lines): ``H [TH/s] × ε [J/TH] = P [W]``; the line's electricity should
  lie in ``[H × ε_min × h, H × ε_max × PUE_upper × h] / 1000`` kWh (energy-model.md §7.3
  bottom-up check; the full estimator with bounds lives in ``energy/``).

Every ``≤`` allows the relative tolerance of :func:`~hashwatch.reporting.rules_common.exceeds`
(float rounding), so an amount exactly at a limit never trips a rule.
"""

from __future__ import annotations

import math

from hashwatch.reporting.findings import Finding, Severity
from hashwatch.reporting.report import Algorithm, Report
from hashwatch.reporting.rules_common import (
    RuleContext,
    RuleSettings,
    exceeds,
    finding,
    mining_hours,
    num,
    within,
)

ERROR, WARNING = Severity.ERROR, Severity.WARNING


def _allowance(settings: RuleSettings) -> float:
    return 1.0 + settings.capacity_tolerance_pct / 100.0


def energy_exceeds_grid_capacity(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.energy_exceeds_grid_capacity``: E > contracted capacity × hours."""
    capacity_kw = context.contracted_grid_capacity_kw
    if not capacity_kw:
        return []
    hours, total_kwh = context.period_hours, report.facility_electricity_kwh
    limit_kwh = capacity_kw * hours
    if not exceeds(total_kwh, limit_kwh * _allowance(settings)):
        return []
    return [
        finding(
            "submission.energy_exceeds_grid_capacity",
            ERROR,
            f"facility electricity {num(total_kwh)} kWh is above what the contracted grid "
            f"capacity allows: {num(capacity_kw)} kW × {num(hours)} h = {num(limit_kwh)} kWh",
            "facility_electricity_kwh",
            facility_electricity_kwh=total_kwh,
            contracted_grid_capacity_kw=capacity_kw,
            hours=hours,
            limit_kwh=limit_kwh,
        )
    ]


def energy_exceeds_it_capacity(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Warning ``submission.energy_exceeds_it_capacity``: E > rated IT × PUE upper × hours."""
    capacity_kw = context.rated_it_capacity_kw
    if not capacity_kw:
        return []
    hours, total_kwh = context.period_hours, report.facility_electricity_kwh
    limit_kwh = capacity_kw * settings.pue_upper * hours
    if not exceeds(total_kwh, limit_kwh * _allowance(settings)):
        return []
    return [
        finding(
            "submission.energy_exceeds_it_capacity",
            WARNING,
            f"facility electricity {num(total_kwh)} kWh is above the rated IT capacity "
            f"{num(capacity_kw)} kW × PUE {num(settings.pue_upper)} × {num(hours)} h = "
            f"{num(limit_kwh)} kWh: more IT load than registered?",
            "facility_electricity_kwh",
            facility_electricity_kwh=total_kwh,
            rated_it_capacity_kw=capacity_kw,
            pue_upper=settings.pue_upper,
            hours=hours,
            limit_kwh=limit_kwh,
        )
    ]


def peak_exceeds_grid_capacity(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Warning ``submission.peak_exceeds_grid_capacity``: peak demand > contracted capacity."""
    capacity_kw, peak_kw = context.contracted_grid_capacity_kw, report.peak_demand_kw
    if not capacity_kw or peak_kw is None:
        return []
    if not exceeds(peak_kw, capacity_kw * _allowance(settings)):
        return []
    return [
        finding(
            "submission.peak_exceeds_grid_capacity",
            WARNING,
            f"peak demand {num(peak_kw)} kW is above the contracted grid capacity "
            f"{num(capacity_kw)} kW",
            "peak_demand_kw",
            peak_demand_kw=peak_kw,
            contracted_grid_capacity_kw=capacity_kw,
        )
    ]


def energy_exceeds_peak_demand(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.energy_exceeds_peak_demand``: E > peak demand × hours (impossible)."""
    peak_kw = report.peak_demand_kw
    if peak_kw is None:
        return []
    hours, total_kwh = context.period_hours, report.facility_electricity_kwh
    limit_kwh = peak_kw * hours
    if not exceeds(total_kwh, limit_kwh * _allowance(settings)):
        return []
    return [
        finding(
            "submission.energy_exceeds_peak_demand",
            ERROR,
            f"facility electricity {num(total_kwh)} kWh is more than running at the stated "
            f"peak demand all period: {num(peak_kw)} kW × {num(hours)} h = {num(limit_kwh)} kWh",
            "facility_electricity_kwh",
            facility_electricity_kwh=total_kwh,
            peak_demand_kw=peak_kw,
            hours=hours,
            limit_kwh=limit_kwh,
        )
    ]


def equipment_energy_mismatch(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Warning ``submission.equipment_energy_mismatch``: equipment-implied ≠ declared mining.

    ``implied_kwh = Σ count × rated_power_w × h_mining / 1000``, ``h_mining`` from
    :func:`~hashwatch.reporting.rules_common.mining_days`; the declared mining electricity
    should lie in ``[implied × (1 − t), implied × PUE_upper × (1 + t)]``.
    """
    mining_kwh = report.mining_electricity_kwh
    if mining_kwh is None or not report.equipment:
        return []
    hours = mining_hours(report, context)
    if hours <= 0.0:
        return []
    power_w = math.fsum(line.count * line.rated_power_w for line in report.equipment)
    implied_kwh = power_w * hours / 1000.0
    tolerance = settings.equipment_tolerance_pct / 100.0
    low_kwh = implied_kwh * max(0.0, 1.0 - tolerance)
    high_kwh = implied_kwh * settings.pue_upper * (1.0 + tolerance)
    if within(mining_kwh, low_kwh, high_kwh):
        return []
    return [
        finding(
            "submission.equipment_energy_mismatch",
            WARNING,
            f"the equipment listed ({num(power_w / 1000.0)} kW rated, {num(hours)} h of mining "
            f"in the period) implies {num(implied_kwh)} kWh, so {num(low_kwh)}–"
            f"{num(high_kwh)} kWh is expected; declared mining electricity is "
            f"{num(mining_kwh)} kWh",
            "mining_electricity_kwh",
            mining_electricity_kwh=mining_kwh,
            rated_power_kw=power_w / 1000.0,
            hours=hours,
            implied_kwh=implied_kwh,
            expected_min_kwh=low_kwh,
            expected_max_kwh=high_kwh,
            tolerance_pct=settings.equipment_tolerance_pct,
        )
    ]


def hashrate_energy_mismatch(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Warning ``submission.hashrate_energy_mismatch``: SHA-256 hashrate vs its electricity.

    Per SHA-256 coin line with a hashrate: expected ``[H × ε_min, H × ε_max × PUE_upper] ×
    h_mining / 1000`` kWh, ε the efficiency range of :class:`RuleSettings` [J/TH].
    """
    hours = mining_hours(report, context)
    found: list[Finding] = []
    for index, line in enumerate(report.coins):
        hashrate_ths = line.hashrate_ths
        if line.algorithm is not Algorithm.SHA256 or not hashrate_ths or hours <= 0.0:
            continue
        low_kwh = hashrate_ths * settings.sha256_efficiency_min_j_per_th * hours / 1000.0
        high_kwh = (
            hashrate_ths
            * settings.sha256_efficiency_max_j_per_th
            * settings.pue_upper
            * hours
            / 1000.0
        )
        declared_kwh = line.electricity_kwh
        if within(declared_kwh, low_kwh, high_kwh):
            continue
        efficiency = declared_kwh * 1000.0 / (hashrate_ths * hours)
        found.append(
            finding(
                "submission.hashrate_energy_mismatch",
                WARNING,
                f"{line.coin}: {num(hashrate_ths)} TH/s for {num(hours)} h at "
                f"{num(settings.sha256_efficiency_min_j_per_th)}–"
                f"{num(settings.sha256_efficiency_max_j_per_th)} J/TH (PUE up to "
                f"{num(settings.pue_upper)}) needs {num(low_kwh)}–{num(high_kwh)} kWh; "
                f"declared {num(declared_kwh)} kWh, i.e. {num(efficiency)} J/TH",
                f"coins.{index}.electricity_kwh",
                coin=line.coin,
                hashrate_ths=hashrate_ths,
                hours=hours,
                electricity_kwh=declared_kwh,
                expected_min_kwh=low_kwh,
                expected_max_kwh=high_kwh,
                implied_efficiency_j_per_th=efficiency,
            )
        )
    return found


def equipment_power_implausible(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Warning ``submission.equipment_power_implausible``: rated power per machine out of range.

    Outside ``[rated_power_min_w, rated_power_max_w]`` (default 100 W – 15 kW): a typo, a
    total given for one machine, or not a single mining machine.
    """
    low_w, high_w = settings.rated_power_min_w, settings.rated_power_max_w
    return [
        finding(
            "submission.equipment_power_implausible",
            WARNING,
            f"{line.model}: rated power {num(line.rated_power_w)} W per machine is outside "
            f"{num(low_w)}–{num(high_w)} W; is it the power of one machine?",
            f"equipment.{index}.rated_power_w",
            rated_power_w=line.rated_power_w,
            min_w=low_w,
            max_w=high_w,
        )
        for index, line in enumerate(report.equipment)
        if not within(line.rated_power_w, low_w, high_w)
    ]


def equipment_missing(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Warning ``submission.equipment_missing``: involved in mining, but no equipment lines."""
    if not report.involved_in_mining or report.equipment:
        return []
    return [
        finding(
            "submission.equipment_missing",
            WARNING,
            "the facility reports involvement in mining but lists no mining equipment",
            "equipment",
        )
    ]


RULES_CAPACITY = (
    energy_exceeds_grid_capacity,
    energy_exceeds_it_capacity,
    peak_exceeds_grid_capacity,
    energy_exceeds_peak_demand,
    equipment_energy_mismatch,
    hashrate_energy_mismatch,
    equipment_power_implausible,
    equipment_missing,
)
