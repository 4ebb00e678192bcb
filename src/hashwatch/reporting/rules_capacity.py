"""Physical-plausibility rules: capacity × hours, equipment and hashrate against electricity.

Energy limits use the real hours of the period (DST-aware, :func:`hours_in_period`):

* grid:  ``E_facility ≤ P_contracted × h × (1 + capacity_tolerance_pct / 100)`` (error);
* IT:    ``E_facility ≤ P_rated_IT × PUE_upper × h × (1 + tol)`` (warning: the total
  includes cooling and losses, bounded by the PUE upper bound, energy-model.md §1);
* peak:  ``E_facility ≤ P_peak × h × (1 + tol)`` (error: impossible otherwise);
* equipment and hashrate: the energy model's facility estimate
  (:mod:`hashwatch.energy.estimate`, energy-model.md §7.3 bottom-up check) gives lower /
  best / upper electricity from the machines' rated power (or ``H [TH/s] × ε [J/TH]``)
  with uptime, hardware overhead and PUE ranges; the declared amount should lie in
  ``[E_lower × (1 − t), E_upper × (1 + t)]`` (mining electricity may include a share of
  cooling, hence PUE).

Every ``≤`` allows the relative tolerance of :func:`~hashwatch.reporting.rules_common.exceeds`
(float rounding), so an amount exactly at a limit never trips a rule.
"""

from __future__ import annotations

import datetime as dt
import math

from hashwatch.energy.estimate import (
    OVERHEAD,
    PUE,
    UPTIME,
    Assumption,
    efficiency_range_j_per_th,
    energy_bounds_kwh,
)
from hashwatch.reporting.findings import Finding, Severity
from hashwatch.reporting.report import Algorithm, Report
from hashwatch.reporting.rules_catalogue import match_equipment
from hashwatch.reporting.rules_common import (
    RuleContext,
    RuleSettings,
    exceeds,
    finding,
    mining_days,
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


def _pue(settings: RuleSettings) -> Assumption:
    """The estimate's PUE factor with the notice's upper bound (lower/best never above it)."""
    upper = settings.pue_upper
    return Assumption(
        PUE.name, min(PUE.lower, upper), min(PUE.best, upper), upper, PUE.unit, PUE.source
    )


def model_assumptions(settings: RuleSettings) -> tuple[Assumption, ...]:
    """Uptime, hardware overhead and PUE of :mod:`hashwatch.energy.estimate`, PUE capped."""
    return (UPTIME, OVERHEAD, _pue(settings))


def _accepted_range_kwh(
    bounds_kwh: tuple[float, float, float], settings: RuleSettings
) -> tuple[float, float]:
    """``[lower × (1 − t), upper × (1 + t)]``, ``t`` the equipment tolerance."""
    tolerance = settings.equipment_tolerance_pct / 100.0
    return bounds_kwh[0] * max(0.0, 1.0 - tolerance), bounds_kwh[2] * (1.0 + tolerance)


def equipment_energy_mismatch(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Warning ``submission.equipment_energy_mismatch``: equipment-implied ≠ declared mining.

    The energy model's facility estimate (:func:`hashwatch.energy.estimate.energy_bounds_kwh`)
    of the equipment over ``h_mining`` (:func:`~hashwatch.reporting.rules_common.mining_days`):
    ``E_x = Σ count × P × uptime_x × overhead_x × PUE_x × h_mining / 1000`` [kWh] for x in
    lower/best/upper, ``P`` the catalogue's rated power where the catalogue knows the model
    (the declared rating otherwise), PUE capped at ``pue_upper``. Declared mining electricity
    should lie in ``[E_lower × (1 − t), E_upper × (1 + t)]``.
    """
    mining_kwh = report.mining_electricity_kwh
    if mining_kwh is None or not report.equipment:
        return []
    hours = mining_hours(report, context)
    if hours <= 0.0:
        return []
    machines = match_equipment(report, context.catalogue)
    powers_w = [
        line.count
        * (machine.power_w if machine is not None and machine.power_w else line.rated_power_w)
        for line, machine in zip(report.equipment, machines, strict=True)
    ]
    power_w = math.fsum(powers_w)
    bounds_kwh = energy_bounds_kwh(power_w, hours, model_assumptions(settings))
    low_kwh, high_kwh = _accepted_range_kwh(bounds_kwh, settings)
    if within(mining_kwh, low_kwh, high_kwh):
        return []
    catalogue_lines = sum(1 for machine in machines if machine is not None and machine.power_w)
    return [
        finding(
            "submission.equipment_energy_mismatch",
            WARNING,
            f"the equipment listed ({num(power_w / 1000.0)} kW rated, {catalogue_lines} of "
            f"{len(machines)} lines rated from the hardware catalogue, {num(hours)} h of mining "
            f"in the period) draws {num(bounds_kwh[0])}–{num(bounds_kwh[2])} kWh by the energy "
            f"model (best {num(bounds_kwh[1])}), so {num(low_kwh)}–{num(high_kwh)} kWh is "
            f"expected; declared mining electricity is {num(mining_kwh)} kWh",
            "mining_electricity_kwh",
            mining_electricity_kwh=mining_kwh,
            rated_power_kw=power_w / 1000.0,
            hours=hours,
            estimate_lower_kwh=bounds_kwh[0],
            estimate_best_kwh=bounds_kwh[1],
            estimate_upper_kwh=bounds_kwh[2],
            expected_min_kwh=low_kwh,
            expected_max_kwh=high_kwh,
            tolerance_pct=settings.equipment_tolerance_pct,
            catalogue_lines=catalogue_lines,
        )
    ]


def sha256_efficiency_j_per_th(
    report: Report, context: RuleContext, settings: RuleSettings, on: dt.date
) -> tuple[tuple[float, float, float], str]:
    """Lower/best/upper efficiency [J/TH] for the SHA-256 hashrate check, and its basis.

    From the declared SHA-256 machines the catalogue knows (best, fleet ``ΣP / ΣH``, worst);
    else the catalogue's SHA-256 machines in use on ``on``
    (:func:`~hashwatch.energy.estimate.efficiency_range_j_per_th`, five-year lifetime); else
    the notice's ``sha256_efficiency_min/max_j_per_th`` (best guess their mean).
    """
    fleet = [
        (line.count, machine)
        for line, machine in zip(
            report.equipment, match_equipment(report, context.catalogue), strict=True
        )
        if machine is not None
        and machine.algorithm == "SHA-256"
        and machine.hashrate
        and machine.hashrate_unit == "TH/s"
    ]
    if fleet:
        efficiencies = [machine.efficiency_j_per_th for _, machine in fleet]
        hashrate_ths = [n * (m.hashrate or 0.0) for n, m in fleet]
        power_w = math.fsum(h * e for h, e in zip(hashrate_ths, efficiencies, strict=True))
        best = power_w / math.fsum(hashrate_ths)
        return (min(efficiencies), best, max(efficiencies)), "declared machines"
    try:
        return efficiency_range_j_per_th(context.catalogue, on), "catalogue machines in use"
    except ValueError:
        low, high = settings.sha256_efficiency_min_j_per_th, settings.sha256_efficiency_max_j_per_th
        return (low, (low + high) / 2.0, high), "notice settings"


def hashrate_energy_mismatch(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Warning ``submission.hashrate_energy_mismatch``: SHA-256 hashrate vs its electricity.

    Per SHA-256 coin line with a hashrate ``H`` [TH/s]: the energy model's estimate
    ``E_x = H × ε_x × uptime_x × overhead_x × PUE_x × h_mining / 1000`` [kWh]
    (:func:`hashwatch.energy.estimate.estimate_hashrate`), ε from
    :func:`sha256_efficiency_j_per_th`; the line's electricity should lie in
    ``[E_lower × (1 − t), E_upper × (1 + t)]``.
    """
    days = mining_days(report, context)
    hours = mining_hours(report, context)
    if days is None or hours <= 0.0:
        return []
    efficiency, basis = sha256_efficiency_j_per_th(report, context, settings, days[1])
    found: list[Finding] = []
    for index, line in enumerate(report.coins):
        hashrate_ths = line.hashrate_ths
        if line.algorithm is not Algorithm.SHA256 or not hashrate_ths:
            continue
        bounds_kwh = energy_bounds_kwh(
            hashrate_ths, hours, (_efficiency(efficiency, basis), *model_assumptions(settings))
        )
        low_kwh, high_kwh = _accepted_range_kwh(bounds_kwh, settings)
        declared_kwh = line.electricity_kwh
        if within(declared_kwh, low_kwh, high_kwh):
            continue
        implied = declared_kwh * 1000.0 / (hashrate_ths * hours)
        found.append(
            finding(
                "submission.hashrate_energy_mismatch",
                WARNING,
                f"{line.coin}: {num(hashrate_ths)} TH/s for {num(hours)} h at "
                f"{num(efficiency[0])}–{num(efficiency[2])} J/TH ({basis}) draws "
                f"{num(bounds_kwh[0])}–{num(bounds_kwh[2])} kWh by the energy model, so "
                f"{num(low_kwh)}–{num(high_kwh)} kWh is expected; declared "
                f"{num(declared_kwh)} kWh, i.e. {num(implied)} J/TH",
                f"coins.{index}.electricity_kwh",
                coin=line.coin,
                hashrate_ths=hashrate_ths,
                hours=hours,
                electricity_kwh=declared_kwh,
                efficiency_min_j_per_th=efficiency[0],
                efficiency_best_j_per_th=efficiency[1],
                efficiency_max_j_per_th=efficiency[2],
                efficiency_basis=basis,
                estimate_lower_kwh=bounds_kwh[0],
                estimate_best_kwh=bounds_kwh[1],
                estimate_upper_kwh=bounds_kwh[2],
                expected_min_kwh=low_kwh,
                expected_max_kwh=high_kwh,
                implied_efficiency_j_per_th=implied,
            )
        )
    return found


def _efficiency(efficiency: tuple[float, float, float], basis: str) -> Assumption:
    return Assumption("efficiency_j_per_th", *efficiency, "J/TH", basis)


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
            model=line.model,
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
