"""A facility's electricity over a period, with lower/best/upper bounds and stated assumptions.

From an equipment inventory (model × count, rated power from the hardware catalogue) or a
declared hashrate (TH/s × efficiency), the electricity over a period is

    E [kWh] = P_rated [W] · uptime · overhead · PUE · hours / 1000

with each factor taken at its low, central and high value for the lower, best and upper
bound. Every factor is returned with its value and source so a reviewer can see why.

References
----------
CBECI methodology (PUE 1.01/1.10/1.20); K. McDonald, ``kylemcdonald/ethereum-emissions``
(hardware overhead 1.01/1.03/1.06 for fans and power-supply losses above the rating);
energy-model reference §7.3 (bottom-up facility check).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from hashwatch.energy.catalogue import Machine

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Assumption:
    """One factor of the estimate at its lower, best and upper value, and why."""

    name: str
    lower: float
    best: float
    upper: float
    unit: str
    source: str


#: factors applied to the rated power (the defaults of :func:`energy_bounds_kwh`).
UPTIME = Assumption(
    "uptime",
    0.90,
    0.97,
    1.00,
    "fraction of hours",
    "hashwatch assumption, no published figure: miners run near 100 % of capacity 24/7 "
    "(NDRC; ERCOT), 3 % downtime best, 10 % with curtailment lower",
)
OVERHEAD = Assumption(
    "hardware_overhead",
    1.01,
    1.03,
    1.06,
    "× rated power",
    "fans and power-supply losses above the rating (kylemcdonald/ethereum-emissions)",
)
PUE = Assumption("pue", 1.01, 1.10, 1.20, "× IT power", "CBECI lower/best/upper")
DEFAULT_ASSUMPTIONS = (UPTIME, OVERHEAD, PUE)


@dataclass(frozen=True)
class FacilityEstimate:
    """Electricity of a facility over a period, its mean power and what it rests on."""

    start: date
    end: date
    hours: float
    rated_power_kw: float
    energy_lower_kwh: float
    energy_best_kwh: float
    energy_upper_kwh: float
    assumptions: tuple[Assumption, ...]
    lines: tuple[dict[str, object], ...]

    @property
    def power_best_kw(self) -> float:
        """Mean power of the best guess over the period [kW]."""
        return self.energy_best_kwh / self.hours


def period_hours(start: date, end: date) -> float:
    """Hours from the start of ``start`` to the end of ``end`` (both days included)."""
    days = (end - start).days + 1
    if days <= 0:
        raise ValueError("the period ends before it starts")
    return 24.0 * days


def energy_bounds_kwh(
    rated_power_w: float | FloatArray,
    hours: float,
    assumptions: Sequence[Assumption] = DEFAULT_ASSUMPTIONS,
) -> tuple[float, float, float]:
    """Lower, best and upper electricity [kWh] of ``rated_power_w`` [W] running ``hours``.

    Notes
    -----
    E_x = ΣP_rated · Π_k f_k,x · hours / 1000 for x in (lower, best, upper), f_k the
    factors of ``assumptions`` (by default uptime, hardware overhead and PUE).
    """
    total_w = float(np.sum(rated_power_w))
    bounds = []
    for side in ("lower", "best", "upper"):
        factor = float(np.prod([getattr(a, side) for a in assumptions]))
        bounds.append(total_w * factor * hours / 1000.0)
    return bounds[0], bounds[1], bounds[2]


def hashrate_power_w(hashrate_ths: float, efficiency_j_per_th: float) -> float:
    """Rated power of a hashrate at an efficiency: P = H · ε [W] (TH/s × J/TH)."""
    return hashrate_ths * efficiency_j_per_th


def estimate_equipment(
    inventory: Sequence[tuple[Machine, int]],
    start: date,
    end: date,
    assumptions: Sequence[Assumption] = DEFAULT_ASSUMPTIONS,
) -> FacilityEstimate:
    """Electricity of an equipment inventory (machine × count) over ``start``–``end``.

    A machine without a rated power in the catalogue takes hashrate × efficiency.
    """
    lines: list[dict[str, object]] = []
    total_w = 0.0
    for machine, count in inventory:
        if count < 0:
            raise ValueError(f"count of {machine.model} is negative")
        power = machine.power_w
        if power is None:
            if machine.hashrate is None:
                raise ValueError(f"{machine.model} has neither power nor hashrate")
            power = machine.hashrate * machine.efficiency
        total_w += power * count
        lines.append(
            {
                "model": machine.model,
                "count": count,
                "rated_power_w": power,
                "hashrate": machine.hashrate,
                "hashrate_unit": machine.hashrate_unit,
                "catalogue_source": machine.source,
                "catalogue_confidence": machine.confidence,
            }
        )
    hours = period_hours(start, end)
    lower, best, upper = energy_bounds_kwh(total_w, hours, assumptions)
    return FacilityEstimate(
        start=start,
        end=end,
        hours=hours,
        rated_power_kw=total_w / 1000.0,
        energy_lower_kwh=lower,
        energy_best_kwh=best,
        energy_upper_kwh=upper,
        assumptions=tuple(assumptions),
        lines=tuple(lines),
    )


def estimate_hashrate(
    hashrate_ths: float,
    efficiency_j_per_th: tuple[float, float, float],
    start: date,
    end: date,
    assumptions: Sequence[Assumption] = DEFAULT_ASSUMPTIONS,
) -> FacilityEstimate:
    """Electricity of a declared hashrate [TH/s] at efficiencies (lower, best, upper) [J/TH].

    The efficiency becomes one more assumption of the estimate.
    """
    lo, mid, hi = efficiency_j_per_th
    efficiency = Assumption(
        "efficiency_j_per_th", lo, mid, hi, "J/TH", "the declared machines, or the catalogue"
    )
    hours = period_hours(start, end)
    everything = (efficiency, *assumptions)
    lower, best, upper = energy_bounds_kwh(hashrate_ths, hours, everything)
    return FacilityEstimate(
        start=start,
        end=end,
        hours=hours,
        rated_power_kw=hashrate_power_w(hashrate_ths, mid) / 1000.0,
        energy_lower_kwh=lower,
        energy_best_kwh=best,
        energy_upper_kwh=upper,
        assumptions=everything,
        lines=({"hashrate_ths": hashrate_ths},),
    )


def efficiency_range_j_per_th(
    machines: Sequence[Machine], on: date, lifetime_years: int = 5
) -> tuple[float, float, float]:
    """Best, median and worst efficiency of the SHA-256 machines in use on a day [J/TH].

    A machine counts when it was released on or before ``on`` and less than
    ``lifetime_years`` years before it (CBECI v1.3.1's five-year lifetime). The lower bound
    of energy takes the best machine, the upper the worst.
    """
    oldest = date(on.year - lifetime_years, on.month, min(on.day, 28))
    eff = [
        m.efficiency_j_per_th
        for m in machines
        if m.algorithm == "SHA-256" and m.release_date is not None and oldest < m.release_date <= on
    ]
    if not eff:
        raise ValueError(f"no SHA-256 machine in the catalogue was in use on {on}")
    return float(np.min(eff)), float(np.median(eff)), float(np.max(eff))
