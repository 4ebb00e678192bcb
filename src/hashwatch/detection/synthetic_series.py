"""The shared series of the synthetic meter data: time axis, outdoor temperature, hashprice, peaks.

Pure numpy, deterministic by the :class:`numpy.random.Generator` passed in. Every formula and
parameter range, with the reasoning or source behind it, is in docs/detection.md
("Synthetic meter data"). Local time is Beijing time (UTC+8, no daylight saving since 1991).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SECONDS_PER_DAY: Final = 86_400
#: Beijing time, UTC+8 all year.
LOCAL_OFFSET_S: Final = 8 * 3600
LOCAL_TIMEZONE: Final = "Asia/Shanghai"
#: The first interval starts at local midnight of this day.
START_DATE: Final = dt.date(2021, 1, 1)
ALLOWED_INTERVAL_MINUTES: Final = (15, 30, 60)

# Beijing climate, 1991-2020 normals (China Meteorological Administration): annual mean
# about 12 °C, January mean -3 °C, July mean 27 °C; mean daily range about 10 °C.
TEMPERATURE_MEAN_C: Final = 12.0
TEMPERATURE_ANNUAL_AMPLITUDE_C: Final = 15.0
TEMPERATURE_COLDEST_DAY_OF_YEAR: Final = 20
TEMPERATURE_DIURNAL_AMPLITUDE_C: Final = 5.0
TEMPERATURE_WARMEST_HOUR: Final = 15.0
#: Day-to-day weather anomaly: AR(1) with this persistence and stationary sd.
TEMPERATURE_ANOMALY_PHI: Final = 0.7
TEMPERATURE_ANOMALY_SD_C: Final = 3.0

# Hashprice (expected mining revenue per TH/s per day, USD): about 0.25 in January 2021.
HASHPRICE_START_USD_PER_TH_DAY: Final = 0.25
HASHPRICE_DAILY_LOG_SD: Final = 0.035
HASHPRICE_MEAN_REVERSION: Final = 0.98
HASHPRICE_CRASH_PROBABILITY_PER_DAY: Final = 1 / 60
HASHPRICE_CRASH_LOG_MEAN: Final = -0.25
HASHPRICE_CRASH_LOG_SD: Final = 0.05

# Grid peaks: Beijing's peak-tariff hours (10:00-15:00 and 18:00-21:00, local); a peak day
# is a hot day (daily maximum >= 33 °C), a cold day (daily mean <= -8 °C) or an
# orderly-power-use (有序用电) order on a random day.
PEAK_HOURS: Final = ((10.0, 15.0), (18.0, 21.0))
PEAK_DAY_HOT_MAX_C: Final = 33.0
PEAK_DAY_COLD_MEAN_C: Final = -8.0
PEAK_DAY_ORDER_PROBABILITY: Final = 0.02

#: Public holidays in 2021 (month, day), treated like Sundays by offices and factories.
HOLIDAYS_2021: Final = frozenset(
    [(1, 1), (4, 3), (4, 4), (4, 5), (6, 12), (6, 13), (6, 14), (9, 19), (9, 20), (9, 21)]
    + [(2, d) for d in range(11, 18)]
    + [(5, d) for d in range(1, 6)]
    + [(10, d) for d in range(1, 8)]
)


@dataclass(frozen=True)
class TimeAxis:
    """Interval starts (UTC epoch seconds) and their local calendar, for ``days`` days."""

    days: int
    interval_minutes: int
    start_utc_s: IntArray  # (T,)
    local_hour: FloatArray  # (T,) hour of day at the interval's middle, 0-24
    day_index: IntArray  # (T,) 0 .. days-1
    day_of_year: IntArray  # (D,) 1..366 of each day
    is_workday: BoolArray  # (D,) Monday-Friday and not a public holiday
    weekday: IntArray  # (D,) 0 = Monday

    @property
    def intervals(self) -> int:
        return int(self.start_utc_s.size)

    @property
    def interval_h(self) -> float:
        return self.interval_minutes / 60

    @property
    def years(self) -> FloatArray:
        """Time since the start, in years, at each interval."""
        elapsed_s = (self.start_utc_s - self.start_utc_s[0]).astype(np.float64)
        return np.asarray(elapsed_s / (365.25 * SECONDS_PER_DAY), dtype=np.float64)


def time_axis(days: int, interval_minutes: int) -> TimeAxis:
    """The intervals of ``days`` days from local midnight of :data:`START_DATE`."""
    if interval_minutes not in ALLOWED_INTERVAL_MINUTES:
        raise ValueError(f"interval_minutes must be one of {ALLOWED_INTERVAL_MINUTES}")
    interval_s = interval_minutes * 60
    start = dt.datetime.combine(START_DATE, dt.time(), tzinfo=dt.UTC)
    first_utc_s = int(start.timestamp()) - LOCAL_OFFSET_S
    per_day = SECONDS_PER_DAY // interval_s
    starts = first_utc_s + np.arange(days * per_day, dtype=np.int64) * interval_s
    local_s = starts - first_utc_s  # seconds since local midnight of day 0
    dates = [START_DATE + dt.timedelta(days=d) for d in range(days)]
    weekday = np.array([d.weekday() for d in dates], dtype=np.int64)
    holiday = np.array([(d.month, d.day) in HOLIDAYS_2021 for d in dates], dtype=bool)
    return TimeAxis(
        days=days,
        interval_minutes=interval_minutes,
        start_utc_s=starts,
        local_hour=((local_s % SECONDS_PER_DAY) + interval_s / 2) / 3600,
        day_index=local_s // SECONDS_PER_DAY,
        day_of_year=np.array([d.timetuple().tm_yday for d in dates], dtype=np.int64),
        is_workday=(weekday < 5) & ~holiday,
        weekday=weekday,
    )


def ar1_series(rng: np.random.Generator, n: int, phi: float, sd: float) -> FloatArray:
    """An AR(1) series x_t = phi x_(t-1) + e_t with stationary standard deviation ``sd``."""
    shocks = rng.normal(0.0, sd * np.sqrt(1 - phi**2), n)
    out = np.empty(n)
    level = rng.normal(0.0, sd)
    for t in range(n):
        level = phi * level + shocks[t]
        out[t] = level
    return out


def outdoor_temperature_c(rng: np.random.Generator, axis: TimeAxis) -> FloatArray:
    """Outdoor air temperature [°C] at each interval: season + diurnal cycle + weather.

    T = mean - A_y cos(2π (doy - doy_cold) / 365.25) + anomaly(day) + A_d cos(2π (h - h_warm) / 24)
    with the daily anomaly an AR(1) series interpolated linearly between day centres.
    """
    anomaly_daily = ar1_series(rng, axis.days, TEMPERATURE_ANOMALY_PHI, TEMPERATURE_ANOMALY_SD_C)
    day_position = axis.day_index + axis.local_hour / 24 - 0.5
    anomaly = np.interp(day_position, np.arange(axis.days), anomaly_daily)
    doy = axis.day_of_year[axis.day_index] + axis.local_hour / 24
    season = -TEMPERATURE_ANNUAL_AMPLITUDE_C * np.cos(
        2 * np.pi * (doy - TEMPERATURE_COLDEST_DAY_OF_YEAR) / 365.25
    )
    diurnal = TEMPERATURE_DIURNAL_AMPLITUDE_C * np.cos(
        2 * np.pi * (axis.local_hour - TEMPERATURE_WARMEST_HOUR) / 24
    )
    return np.asarray(TEMPERATURE_MEAN_C + season + anomaly + diurnal, dtype=np.float64)


def hashprice_usd_per_th_day(rng: np.random.Generator, days: int) -> FloatArray:
    """Daily hashprice [USD per TH/s per day]: a mean-reverting log random walk with crashes."""
    shocks = rng.normal(0.0, HASHPRICE_DAILY_LOG_SD, days)
    crash = rng.random(days) < HASHPRICE_CRASH_PROBABILITY_PER_DAY
    shocks += crash * rng.normal(HASHPRICE_CRASH_LOG_MEAN, HASHPRICE_CRASH_LOG_SD, days)
    log_level = np.empty(days)
    level = 0.0
    for d in range(days):
        level = HASHPRICE_MEAN_REVERSION * level + shocks[d]
        log_level[d] = level
    return np.asarray(HASHPRICE_START_USD_PER_TH_DAY * np.exp(log_level), dtype=np.float64)


def peak_hours_mask(axis: TimeAxis) -> BoolArray:
    """Whether each interval falls in the local peak-tariff hours."""
    mask = np.zeros(axis.intervals, dtype=bool)
    for start_h, end_h in PEAK_HOURS:
        mask |= (axis.local_hour >= start_h) & (axis.local_hour < end_h)
    return mask


def grid_peak_days(
    rng: np.random.Generator, axis: TimeAxis, temperature_c: FloatArray
) -> BoolArray:
    """Days on which the grid asks large consumers to shed load in the peak hours."""
    daily_max = np.full(axis.days, -np.inf)
    np.maximum.at(daily_max, axis.day_index, temperature_c)
    daily_mean = np.bincount(axis.day_index, temperature_c, axis.days) / np.bincount(
        axis.day_index, minlength=axis.days
    )
    ordered = rng.random(axis.days) < PEAK_DAY_ORDER_PROBABILITY
    return np.asarray(
        (daily_max >= PEAK_DAY_HOT_MAX_C) | (daily_mean <= PEAK_DAY_COLD_MEAN_C) | ordered,
        dtype=bool,
    )


@dataclass(frozen=True)
class SharedSeries:
    """What every meter of one synthetic city sees: the calendar, weather, hashprice, peaks."""

    axis: TimeAxis
    temperature_c: FloatArray  # (T,)
    hashprice_usd_per_th_day: FloatArray  # (D,)
    grid_peak_day: BoolArray  # (D,)
    peak_hours: BoolArray  # (T,)

    @property
    def grid_peak_interval(self) -> BoolArray:
        """Peak-tariff hours of grid peak days: when the grid asks for load shedding."""
        return np.asarray(self.peak_hours & self.grid_peak_day[self.axis.day_index], dtype=bool)


def shared_series(seed: int, days: int, interval_minutes: int) -> SharedSeries:
    """The city's shared series for ``seed`` (each drawn from its own child stream)."""
    weather_rng, price_rng, peak_rng = (
        np.random.default_rng(child) for child in np.random.SeedSequence([seed, 1]).spawn(3)
    )
    axis = time_axis(days, interval_minutes)
    temperature = outdoor_temperature_c(weather_rng, axis)
    return SharedSeries(
        axis=axis,
        temperature_c=temperature,
        hashprice_usd_per_th_day=hashprice_usd_per_th_day(price_rng, days),
        grid_peak_day=grid_peak_days(peak_rng, axis, temperature),
        peak_hours=peak_hours_mask(axis),
    )
