"""Load profiles of the synthetic meters: clean average power [kW] per meter and interval.

Each profile function takes a :class:`numpy.random.Generator`, the number of meters ``n`` and
the city's :class:`~hashwatch.detection.synthetic_series.SharedSeries`, and returns a
:class:`Profiles` block of shape (n, T), noise-free apart from the class's own variability;
measurement noise and meter defects are added later (:mod:`hashwatch.detection.synthetic`).
The formulas and parameter ranges, with their sources, are in docs/detection.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from hashwatch.detection.synthetic_series import FloatArray, SharedSeries

#: Per-rig draw of modern SHA-256 machines (Antminer S19 class, 3.0-3.5 kW) and of the
#: older S9 class (1.3-1.5 kW); see the energy model reference, §9.
MODERN_RIG_KW: Final = (3.0, 3.5)
OLD_RIG_KW: Final = (1.3, 1.5)
OLD_RIG_SHARE: Final = 0.3
RIGS_PER_RACK: Final = 40


@dataclass(frozen=True)
class Profiles:
    """Clean average power [kW] of n meters over T intervals, and each meter's contract."""

    power_kw: FloatArray  # (n, T)
    contracted_capacity_kw: FloatArray  # (n,)


def _col(values: FloatArray) -> FloatArray:
    return values[:, np.newaxis]


def _uniform(rng: np.random.Generator, low: float, high: float, n: int) -> FloatArray:
    return rng.uniform(low, high, n)


def _log_uniform(rng: np.random.Generator, low: float, high: float, n: int) -> FloatArray:
    return np.exp(rng.uniform(np.log(low), np.log(high), n))


def _smooth_step(x: FloatArray, width: float) -> FloatArray:
    """0 → 1 around x = 0 over about ``width`` (a logistic curve)."""
    return np.asarray(1 / (1 + np.exp(-np.clip(x / width, -50, 50))), dtype=np.float64)


def _daily_ar1(rng: np.random.Generator, n: int, days: int, sd: float) -> FloatArray:
    """(n, D) day-to-day variation, AR(1) with persistence 0.6, around 0."""
    phi = 0.6
    shocks = rng.normal(0.0, sd * np.sqrt(1 - phi**2), (n, days))
    out = np.empty((n, days))
    level = rng.normal(0.0, sd, n)
    for d in range(days):
        level = phi * level + shocks[:, d]
        out[:, d] = level
    return out


def datacenter(rng: np.random.Generator, n: int, s: SharedSeries) -> Profiles:
    """Ordinary data centers: IT load with a small daily cycle and growth, plus cooling.

    P = IT0 (1 + g t + ramp(t)) (1 + a cos(2π (h - h_peak) / 24)) (1 - w weekend) PUE(T),
    PUE(T) = pue_0 + k max(T - T_free, 0).
    """
    axis = s.axis
    it0 = _log_uniform(rng, 300, 20_000, n)
    growth = np.where(rng.random(n) < 0.6, _uniform(rng, 0.0, 0.3, n), 0.0)
    years = axis.years[np.newaxis, :]
    # a new hall filled gradually over 60-120 days (20 % of sites), adding 10-30 %
    hall = rng.random(n) < 0.2
    ramp_start = _uniform(rng, 0.0, 0.7, n) * axis.days
    ramp_days = _uniform(rng, 60, 120, n)
    day = (axis.start_utc_s - axis.start_utc_s[0])[np.newaxis, :] / 86_400
    ramp = np.clip((day - _col(ramp_start)) / _col(ramp_days), 0, 1)
    ramp *= _col(hall * _uniform(rng, 0.1, 0.3, n))
    amplitude = _uniform(rng, 0.01, 0.06, n)
    peak_hour = _uniform(rng, 14, 22, n)
    daily = 1 + _col(amplitude) * np.cos(
        2 * np.pi * (axis.local_hour[np.newaxis, :] - _col(peak_hour)) / 24
    )
    weekend_dip = _uniform(rng, 0.0, 0.03, n)
    weekend = ~axis.is_workday[axis.day_index]
    weekly = 1 - _col(weekend_dip) * weekend[np.newaxis, :]
    it_kw = _col(it0) * (1 + _col(growth) * years + ramp) * daily * weekly
    pue_0 = _uniform(rng, 1.12, 1.35, n)
    slope = _uniform(rng, 0.006, 0.015, n)
    free_cooling_c = _uniform(rng, 8, 16, n)
    pue = _col(pue_0) + _col(slope) * np.maximum(
        s.temperature_c[np.newaxis, :] - _col(free_cooling_c), 0
    )
    power = it_kw * pue
    return Profiles(power, it0 * 1.6 * _uniform(rng, 1.2, 2.0, n))


def office(rng: np.random.Generator, n: int, s: SharedSeries) -> Profiles:
    """Offices: base load, occupied hours on working days, heating and cooling with weather."""
    axis = s.axis
    peak = _log_uniform(rng, 100, 3_000, n)
    base = _uniform(rng, 0.2, 0.45, n)
    opens = _uniform(rng, 7, 9, n)
    closes = _uniform(rng, 18, 21, n)
    hour = axis.local_hour[np.newaxis, :]
    occupied = _smooth_step(hour - _col(opens), 0.4) * _smooth_step(_col(closes) - hour, 0.4)
    workday = axis.is_workday[axis.day_index][np.newaxis, :]
    weekend_level = _uniform(rng, 0.05, 0.3, n)
    occupancy = occupied * np.where(workday, 1.0, _col(weekend_level))
    hvac_per_c = _uniform(rng, 0.01, 0.02, n)
    hvac = _col(hvac_per_c) * np.abs(s.temperature_c[np.newaxis, :] - 18) * (0.3 + occupancy)
    daily = 1 + _daily_ar1(rng, n, axis.days, 0.04)[:, axis.day_index]
    share = _col(base) + (1 - _col(base)) * occupancy + hvac
    return Profiles(_col(peak) * share * daily / 1.3, peak * _uniform(rng, 1.3, 2.0, n))


def factory(rng: np.random.Generator, n: int, s: SharedSeries) -> Profiles:
    """Factories: 1, 2 or 3 eight-hour shifts from 08:00; 5, 6 or 7 working days a week."""
    axis = s.axis
    peak = _log_uniform(rng, 300, 10_000, n)
    shifts = rng.choice([1, 2, 3], n, p=[0.4, 0.35, 0.25])
    days_a_week = rng.choice([5, 6, 7], n, p=[0.5, 0.3, 0.2])
    off_level = _uniform(rng, 0.1, 0.3, n)
    hour = axis.local_hour[np.newaxis, :]
    hours_worked = (hour - 8) % 24
    on_shift = (hours_worked < 8 * _col(shifts.astype(np.float64))).astype(np.float64)
    # shift changes: a short dip at each change (3-shift plants are otherwise flat)
    change = np.minimum(hours_worked % 8, 8 - hours_worked % 8) < 0.5
    on_shift *= 1 - 0.15 * change
    weekday = axis.weekday[axis.day_index][np.newaxis, :]
    holiday = (~axis.is_workday[axis.day_index] & (axis.weekday[axis.day_index] < 5))[np.newaxis, :]
    works_today = (weekday < _col(days_a_week.astype(np.float64))) & ~(
        holiday & (_col(days_a_week.astype(np.float64)) < 7)
    )
    level = np.where(
        works_today, _col(off_level) + (1 - _col(off_level)) * on_shift, off_level[:, None]
    )
    production = 1 + _daily_ar1(rng, n, axis.days, 0.05)[:, axis.day_index]
    return Profiles(_col(peak) * level * production, peak * _uniform(rng, 1.2, 1.6, n))


def residential(rng: np.random.Generator, n: int, s: SharedSeries) -> Profiles:
    """Residential compounds: night base, morning and evening peaks, heating and cooling."""
    axis = s.axis
    peak = _log_uniform(rng, 50, 1_500, n)
    hour = axis.local_hour[np.newaxis, :]
    weekend = (~axis.is_workday[axis.day_index])[np.newaxis, :]
    morning_at = 7.5 + 1.5 * weekend
    evening_at = _col(_uniform(rng, 19.5, 21, n))
    shape = (
        0.3
        + 0.45 * np.exp(-0.5 * ((hour - morning_at) / 1.2) ** 2)
        + 0.7 * np.exp(-0.5 * ((hour - evening_at) / 2.0) ** 2)
        + 0.15 * weekend * _smooth_step(hour - 9, 1.0) * _smooth_step(22 - hour, 1.0)
    )
    temperature = s.temperature_c[np.newaxis, :]
    weather = 0.02 * np.maximum(temperature - 24, 0) + 0.01 * np.maximum(5 - temperature, 0)
    daily = 1 + _daily_ar1(rng, n, axis.days, 0.05)[:, axis.day_index]
    return Profiles(_col(peak) * (shape + weather) * daily, peak * _uniform(rng, 1.5, 2.5, n))


def mining_farm(rng: np.random.Generator, n: int, s: SharedSeries) -> Profiles:
    """Mining farms: rigs deployed in steps, near-flat, curtailed on hashprice and grid peaks.

    P = rigs(d) x P_rig x on_price(d) x on_peak(t) x up(t) x PUE(T), with rigs(d) a step
    function of deployment dates (whole racks), on_price(d) the share of rig tranches whose
    breakeven hashprice is below yesterday's hashprice, on_peak(t) a cut to 0-30 % in grid
    peak hours (or every day's peak-tariff hours for time-of-use farms), up(t) outages and
    PUE(T) = p_0 + 0.004 max(T - 20, 0).
    """
    axis = s.axis
    days = axis.days
    old = rng.random(n) < OLD_RIG_SHARE
    rig_kw = np.where(old, _uniform(rng, *OLD_RIG_KW, n), _uniform(rng, *MODERN_RIG_KW, n))
    capacity = _log_uniform(rng, 300, 30_000, n)
    racks_final = np.maximum(np.round(capacity / rig_kw / RIGS_PER_RACK), 1)
    # deployment: 0-4 steps on random days in the first 80 % of the period
    steps = rng.choice(5, n, p=[0.25, 0.25, 0.25, 0.15, 0.1])
    racks = np.empty((n, days))
    for i in range(n):
        if steps[i] == 0:
            racks[i] = racks_final[i]
            continue
        shares = rng.dirichlet(np.full(steps[i] + 1, 2.0))
        step_days = np.sort(rng.integers(1, max(int(days * 0.8), 2), steps[i]))
        counts = np.maximum(np.round(np.cumsum(shares) * racks_final[i]), 1)
        racks[i] = counts[np.searchsorted(step_days, np.arange(days), side="right")]
    # 10 % stop mining for good from a day in the last 40 % (mining stopped paying, a raid)
    stops = rng.random(n) < 0.1
    stop_day = rng.integers(int(days * 0.6), days, n) if days > 1 else np.zeros(n, np.int64)
    racks[stops[:, None] & (np.arange(days)[None, :] >= stop_day[:, None])] = 0
    # hashprice: three rig tranches, each with a breakeven at 40-95 % of the start price;
    # 30 % of farms never curtail (fixed cheap power)
    responsive = rng.random(n) < 0.7
    tranche_share = rng.dirichlet(np.full(3, 2.0), n)
    breakeven = np.sort(_uniform(rng, 0.4, 0.95, 3 * n).reshape(n, 3), axis=1)
    breakeven *= s.hashprice_usd_per_th_day[0] * responsive[:, None]
    lagged = np.concatenate([s.hashprice_usd_per_th_day[:1], s.hashprice_usd_per_th_day[:-1]])
    on_price = np.einsum(
        "nk,nkd->nd", tranche_share, lagged[None, None, :] >= breakeven[:, :, None]
    )
    daily_kw = racks * RIGS_PER_RACK * rig_kw[:, None] * on_price
    power = daily_kw[:, axis.day_index]
    # grid peaks: half the farms shed to 0-30 % on peak days; 15 % avoid every day's peak hours
    on_peak_days = rng.random(n) < 0.5
    peak_level = _uniform(rng, 0.0, 0.3, n)
    power = np.where(
        on_peak_days[:, None] & s.grid_peak_interval[None, :], power * peak_level[:, None], power
    )
    time_of_use = rng.random(n) < 0.15
    tou_level = _uniform(rng, 0.2, 0.5, n)
    power = np.where(
        time_of_use[:, None] & s.peak_hours[None, :], power * tou_level[:, None], power
    )
    power *= _outages(rng, n, s)
    pue = _col(_uniform(rng, 1.02, 1.10, n)) + 0.004 * np.maximum(
        s.temperature_c[np.newaxis, :] - 20, 0
    )
    contract = racks_final * RIGS_PER_RACK * rig_kw * _uniform(rng, 1.1, 1.3, n)
    return Profiles(power * pue, contract)


def _outages(rng: np.random.Generator, n: int, s: SharedSeries) -> FloatArray:
    """(n, T) factor: 1, or 0.02 during outages (0.5 % of days, 1-12 hours from a random hour)."""
    axis = s.axis
    per_day = axis.intervals // axis.days
    factor = np.ones((n, axis.intervals))
    meters, days = np.nonzero(rng.random((n, axis.days)) < 0.005)
    starts = days * per_day + rng.integers(0, per_day, meters.size)
    lengths = np.ceil(_uniform(rng, 1, 12, meters.size) / axis.interval_h).astype(np.int64)
    for meter, start, length in zip(meters, starts, lengths, strict=True):
        factor[meter, start : start + length] = 0.02
    return factor


HOSTS: Final = {"datacenter": datacenter, "factory": factory}


def hidden_mining(
    rng: np.random.Generator, n: int, s: SharedSeries, host: str
) -> tuple[Profiles, FloatArray]:
    """Mining inside a larger ordinary load: host + a farm scaled to a 5-50 % energy share.

    Returns the profiles and each meter's mining share of energy (0-1).
    """
    host_profiles = HOSTS[host](rng, n, s)
    farm = mining_farm(rng, n, s)
    target = _uniform(rng, 0.05, 0.5, n)
    host_energy = host_profiles.power_kw.sum(axis=1)
    farm_energy = np.maximum(farm.power_kw.sum(axis=1), 1e-9)
    scale = target / (1 - target) * host_energy / farm_energy
    mining_kw = farm.power_kw * scale[:, None]
    total = host_profiles.power_kw + mining_kw
    share = mining_kw.sum(axis=1) / total.sum(axis=1)
    contract = host_profiles.contracted_capacity_kw + farm.contracted_capacity_kw * scale
    return Profiles(total, contract), share
