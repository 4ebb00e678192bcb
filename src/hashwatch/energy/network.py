"""Electricity of the whole Bitcoin network by the CBECI method, as pure array functions.

The Cambridge Bitcoin Electricity Consumption Index (CBECI) bounds the network's power
from the network hashrate and the efficiencies of the machines that are profitable at a
given electricity price. The default, ``cbeci-v1`` (the equal-weight basket used from 2019
to 2022), reproduces CBECI's old-method export; ``lifetime`` adds the five-year machine
lifetime of v1.3.1 and ``age-weighted`` the age weights of 1.4.0.

References
----------
Cambridge Centre for Alternative Finance, CBECI methodology (``dektox/
mining_energy_consumption``, ``Overview.vue``, ``Model.vue``) and backend
(``CambridgeAltFin/ccaf_cbeci_api``); M. Bevand (2017), blog.zorinaq.com.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
DayArray = npt.NDArray[np.datetime64]

SECONDS_PER_DAY = 86_400.0
JOULES_PER_KWH = 3.6e6
HOURS_PER_YEAR = 8_766.0  # 365.25 × 24
#: PUE of the lower bound, best guess and upper bound.
PUE_LOWER, PUE_BEST, PUE_UPPER = 1.01, 1.10, 1.20
THRESHOLD_WINDOW_DAYS = 14
OUTPUT_WINDOW_DAYS = 7
LIFETIME_DAYS = 5 * 365
#: weight by age in whole months (index = age // 12), for ages 0 to 59 months.
AGE_WEIGHTS = np.array([1.0, 0.8, 0.6, 0.4, 0.2])
AGE_OFFSET_MONTHS = 2


class Method(StrEnum):
    """Which machines count and how they are weighted."""

    CBECI_V1 = "cbeci-v1"
    LIFETIME = "lifetime"
    AGE_WEIGHTED = "age-weighted"


@dataclass(frozen=True)
class NetworkEstimate:
    """Daily results of :func:`network_power`; every array has one value per day."""

    threshold_j_per_gh: FloatArray
    threshold_mean_j_per_gh: FloatArray
    n_profitable: npt.NDArray[np.int64]
    power_lower_gw: FloatArray
    power_best_gw: FloatArray
    power_upper_gw: FloatArray

    @property
    def energy_lower_twh_per_yr(self) -> FloatArray:
        return annualised_energy_twh_per_yr(self.power_lower_gw)

    @property
    def energy_best_twh_per_yr(self) -> FloatArray:
        return annualised_energy_twh_per_yr(self.power_best_gw)

    @property
    def energy_upper_twh_per_yr(self) -> FloatArray:
        return annualised_energy_twh_per_yr(self.power_upper_gw)


def profitability_threshold_j_per_gh(
    revenue_usd_per_day: FloatArray, hashrate_ths: FloatArray, price_usd_per_kwh: float
) -> FloatArray:
    """Efficiency at which a machine's electricity cost equals its revenue [J/GH].

    Notes
    -----
    θ = [R / (H · 86 400)] / (p / 3.6·10⁶) / 1000, with R the miners' revenue [USD/day]
    (new coins plus fees), H the network hashrate [TH/s] and p the electricity price
    [USD/kWh]: revenue per TH divided by the price per joule, J/TH → J/GH (CBECI v1).
    """
    revenue_usd_per_th = np.asarray(revenue_usd_per_day) / (
        np.asarray(hashrate_ths) * SECONDS_PER_DAY
    )
    return np.asarray(revenue_usd_per_th / (price_usd_per_kwh / JOULES_PER_KWH) / 1000.0)


def trailing_mean(values: FloatArray, window: int) -> FloatArray:
    """Mean of the last ``window`` values, partial windows at the start, NaN skipped.

    Notes
    -----
    The same as pandas ``Series.rolling(window, min_periods=1).mean()``: a window with no
    finite value gives NaN.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    sums = np.concatenate(([0.0], np.cumsum(np.where(finite, values, 0.0))))
    counts = np.concatenate(([0], np.cumsum(finite)))
    ends = np.arange(1, values.size + 1)
    starts = np.maximum(ends - window, 0)
    n = counts[ends] - counts[starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (sums[ends] - sums[starts]) / n, np.nan)


def forward_fill(values: FloatArray) -> FloatArray:
    """``values`` with each NaN replaced by the last finite value before it (if any)."""
    values = np.asarray(values, dtype=np.float64)
    index = np.where(np.isfinite(values), np.arange(values.size), -1)
    last = np.maximum.accumulate(index) if values.size else index
    return np.where(last >= 0, values[np.maximum(last, 0)], np.nan)


def annualised_energy_twh_per_yr(power_gw: FloatArray) -> FloatArray:
    """Energy over a year at constant power: E = P · 8766 h / 1000 [TWh/yr]."""
    return np.asarray(power_gw) * HOURS_PER_YEAR / 1000.0


def age_weights(day: DayArray, release_day: DayArray) -> FloatArray:
    """CBECI 1.4.0 weight of each model (columns) on each day (rows).

    Notes
    -----
    Age in whole months = 12·Δyear + Δmonth between the release date plus two months and
    the day; weight 1.0, 0.8, 0.6, 0.4, 0.2 for ages 0–11, 12–23, 24–35, 36–47, 48–59 months
    and 0 before or after (CBECI 1.4.0, ``energy_consumption_service.py``).
    """
    day_month = np.asarray(day, dtype="datetime64[M]").astype(np.int64)
    release_month = np.asarray(release_day, dtype="datetime64[M]").astype(np.int64)
    age = day_month[:, None] - (release_month[None, :] + AGE_OFFSET_MONTHS)
    band = np.clip(age // 12, 0, AGE_WEIGHTS.size - 1)
    return np.where((age >= 0) & (age < 12 * AGE_WEIGHTS.size), AGE_WEIGHTS[band], 0.0)


def network_power(
    day: DayArray,
    hashrate_ths: FloatArray,
    revenue_usd_per_day: FloatArray,
    release_day: DayArray,
    efficiency_j_per_th: FloatArray,
    *,
    price_usd_per_kwh: float = 0.05,
    method: Method = Method.CBECI_V1,
) -> NetworkEstimate:
    """Lower, best and upper power of the network by the CBECI method [GW].

    Parameters
    ----------
    day : consecutive UTC dates, ``datetime64[D]``.
    hashrate_ths : network hashrate [TH/s], daily mean.
    revenue_usd_per_day : miners' revenue, new coins plus fees [USD/day].
    release_day, efficiency_j_per_th : the machine list: release dates and efficiencies.
    price_usd_per_kwh : electricity price [USD/kWh].
    method : ``cbeci-v1`` (equal weights), ``lifetime`` (equal weights over five years),
        ``age-weighted`` (1.4.0: five years, weights by age).

    Notes
    -----
    For each day t, θ̄(t) is the 14-day trailing mean of θ
    (:func:`profitability_threshold_j_per_gh`) and the profitable set is
    E(t) = {i : release_i < t, ε_i < θ̄(t)} (``lifetime`` and ``age-weighted`` also need
    t < release_i + 5·365 days). With H in TH/s and ε in J/TH:

    * lower  P = min(ε ∈ E) · H · 1.01 / 10⁹ [GW]
    * best   P = mean(ε ∈ E) · H · 1.10 / 10⁹ (weighted by :func:`age_weights` for
      ``age-weighted``)
    * upper  P = max(ε ∈ E) · H · 1.20 / 10⁹

    A day with an empty set carries the previous day's powers forward; the published series
    is the 7-day trailing mean of the daily values (partial windows at the start). CBECI v1
    (``CambridgeAltFin/ccaf_cbeci_api``, ``data_fetch_calc.py``); v1.3.1 and 1.4.0 for the
    other methods.
    """
    day = np.asarray(day, dtype="datetime64[D]")
    hashrate_ths = np.asarray(hashrate_ths, dtype=np.float64)
    release_day = np.asarray(release_day, dtype="datetime64[D]")
    eff = np.asarray(efficiency_j_per_th, dtype=np.float64)
    threshold = profitability_threshold_j_per_gh(
        np.asarray(revenue_usd_per_day, dtype=np.float64), hashrate_ths, price_usd_per_kwh
    )
    threshold_mean = trailing_mean(threshold, THRESHOLD_WINDOW_DAYS)
    released = release_day[None, :] < day[:, None]
    with np.errstate(invalid="ignore"):
        eligible = released & (eff[None, :] < threshold_mean[:, None] * 1000.0)
    if method is not Method.CBECI_V1:
        eligible &= day[:, None] < release_day[None, :] + np.timedelta64(LIFETIME_DAYS, "D")
    weights = eligible.astype(np.float64)
    if method is Method.AGE_WEIGHTED:
        weights *= age_weights(day, release_day)
        eligible &= weights > 0
    count = eligible.sum(axis=1)
    empty = count == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        eff_min = np.where(eligible, eff, np.inf).min(axis=1, initial=np.inf)
        eff_max = np.where(eligible, eff, -np.inf).max(axis=1, initial=-np.inf)
        eff_best = (weights @ eff) / weights.sum(axis=1)
    powers = []
    for eff_day, pue in ((eff_min, PUE_LOWER), (eff_best, PUE_BEST), (eff_max, PUE_UPPER)):
        daily = np.where(empty, np.nan, eff_day * hashrate_ths * pue / 1e9)
        powers.append(trailing_mean(forward_fill(daily), OUTPUT_WINDOW_DAYS))
    return NetworkEstimate(
        threshold_j_per_gh=threshold,
        threshold_mean_j_per_gh=threshold_mean,
        n_profitable=count.astype(np.int64),
        power_lower_gw=powers[0],
        power_best_gw=powers[1],
        power_upper_gw=powers[2],
    )
