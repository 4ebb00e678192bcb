"""Features of meter load curves over a block of meters × time: pure numpy, NaN for gaps.

A block is average power [kW] of shape (meters, intervals) on a common grid whose first
column starts at local midnight, with ``steps_per_day`` intervals a day; a missing reading
is NaN. Every feature is a function of the block returning one value per meter (NaN when
it cannot be computed, e.g. a meter without readings). Definitions follow the reference
notes (``mining-detection.md`` §A.2); each is pinned by a test on a series whose answer is
known in closed form. Not yet wired into scores or engines.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import numpy as np

from hashwatch.detection.cleaning import FloatArray, IntArray

NIGHT_HOURS: Final = (0.0, 6.0)
DAY_HOURS: Final = (10.0, 18.0)
#: an interval is curtailed below this share of the meter's recent 90th-percentile power
CURTAILED_BELOW: Final = 0.5
#: how far back the "recent" high level of :func:`curtailed` looks
REFERENCE_WINDOW_DAYS: Final = 30


@contextmanager
def _quiet() -> Iterator[None]:
    """All-NaN rows give NaN, not warnings (a meter without readings is not an error)."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def dense_power_kw(
    meter_code: IntArray,
    start_utc_s: IntArray,
    energy_kwh: FloatArray,
    *,
    meters: int,
    interval_minutes: int,
    first_utc_s: int,
    intervals: int,
) -> FloatArray:
    """Readings as a (meters, intervals) block of average power [kW], NaN where missing.

    Readings outside [first_utc_s, first_utc_s + intervals × interval) are left out.
    """
    interval_s = interval_minutes * 60
    column = start_utc_s - first_utc_s
    column //= interval_s
    per_hour = 60 / interval_minutes
    power = energy_kwh * per_hour if per_hour != 1 else energy_kwh
    if column.size and (column.min() < 0 or column.max() >= intervals):
        inside = (column >= 0) & (column < intervals)
        meter_code, column, power = meter_code[inside], column[inside], power[inside]
    at = meter_code * intervals
    at += column
    # where a reading is not after the one before it: none, or a few repeated readings
    # (equal positions) when the rows are in order; many: not in order, the general way
    repeated = np.flatnonzero(at[1:] <= at[:-1])
    few = repeated.size <= max(16, at.size // 16)
    if (
        at.size > 1
        and few
        and (repeated.size == 0 or bool(np.all(at[repeated] == at[repeated + 1])))
    ):
        if repeated.size == 0 and at.size == meters * intervals and at[0] == 0:
            # every interval of every meter
            return np.array(power, dtype=np.float64).reshape(meters, intervals)
        block = np.empty((meters, intervals))
        block.fill(np.nan)
        flat = block.reshape(-1)
        flat[at] = power
        if repeated.size:  # the later reading wins: the last of each run set again, alone
            last = repeated + 1
            last = last[~np.isin(last, repeated)]
            flat[at[last]] = power[last]
        return block
    block = np.full((meters, intervals), np.nan)
    np.put(block, at, power)  # a later duplicate wins
    return block


def _days(power_kw: FloatArray, steps_per_day: int) -> FloatArray:
    """(meters, days, steps) view of the whole days of the block."""
    days = power_kw.shape[1] // steps_per_day
    return power_kw[:, : days * steps_per_day].reshape(power_kw.shape[0], days, steps_per_day)


def _hours_mask(steps_per_day: int, hours: tuple[float, float]) -> IntArray:
    start_h = np.arange(steps_per_day) * 24 / steps_per_day
    return np.flatnonzero((start_h >= hours[0]) & (start_h < hours[1]))


def load_factor(power_kw: FloatArray) -> FloatArray:
    """mean(P) / max(P): 1 for a flat load."""
    with _quiet():
        return np.asarray(np.nanmean(power_kw, axis=1) / np.nanmax(power_kw, axis=1))


def coefficient_of_variation(power_kw: FloatArray) -> FloatArray:
    """sd(P) / mean(P) over all intervals (population standard deviation)."""
    with _quiet():
        return np.asarray(np.nanstd(power_kw, axis=1) / np.nanmean(power_kw, axis=1))


def daily_mean_power_kw(power_kw: FloatArray, steps_per_day: int) -> FloatArray:
    """(meters, days) mean power of each whole day (NaN for a day without readings)."""
    with _quiet():
        return np.asarray(np.nanmean(_days(power_kw, steps_per_day), axis=2))


def daily_energy_cv(power_kw: FloatArray, steps_per_day: int) -> FloatArray:
    """sd / mean of the daily mean power across days (Jiangsu's 日电量波动小)."""
    daily = daily_mean_power_kw(power_kw, steps_per_day)
    with _quiet():
        return np.asarray(np.nanstd(daily, axis=1) / np.nanmean(daily, axis=1))


def night_day_ratio(power_kw: FloatArray, steps_per_day: int) -> FloatArray:
    """mean P (00:00-06:00) / mean P (10:00-18:00), local: about 1 for mining."""
    days = _days(power_kw, steps_per_day)
    night = days[:, :, _hours_mask(steps_per_day, NIGHT_HOURS)]
    day = days[:, :, _hours_mask(steps_per_day, DAY_HOURS)]
    with _quiet():
        return np.asarray(
            np.nanmean(night.reshape(len(days), -1), axis=1)
            / np.nanmean(day.reshape(len(days), -1), axis=1)
        )


def daily_cycle_strength(power_kw: FloatArray, steps_per_day: int) -> FloatArray:
    """Share of the within-day variance explained by the meter's average daily profile.

    With x_ij the power on day i at step j and m_i the day's mean, the profile is
    f_j = mean_i (x_ij - m_i); the strength is var_j(f) / mean_i var_j(x_ij - m_i): 1 for a
    shape repeated every day, near 0 for a flat load with noise (0 when there is no
    within-day variance at all).
    """
    days = _days(power_kw, steps_per_day)
    with _quiet():
        within = days - np.nanmean(days, axis=2, keepdims=True)
        profile = np.nanmean(within, axis=1)
        explained = np.nanvar(profile, axis=1)
        total = np.nanmean(np.nanvar(within, axis=2), axis=1)
        return np.asarray(np.where(total > 0, explained / total, 0.0))


def weekly_cycle_strength(
    power_kw: FloatArray, steps_per_day: int, first_weekday: int
) -> FloatArray:
    """Share of the day-to-day variance of daily mean power explained by the weekday.

    var over weekdays of the mean daily power per weekday, divided by the variance of the
    daily mean power: 1 when every Monday is alike, every Tuesday, ...; near 0 with no
    weekly cycle (0 when daily means do not vary). Needs at least a week.
    """
    daily = daily_mean_power_kw(power_kw, steps_per_day)
    weekday = (first_weekday + np.arange(daily.shape[1])) % 7
    with _quiet():
        by_weekday = np.stack(
            [np.nanmean(daily[:, weekday == w], axis=1) for w in range(7)], axis=1
        )
        # weight each weekday by how many days it has, so whole weeks give an exact share
        counts = np.stack(
            [np.sum(~np.isnan(daily[:, weekday == w]), axis=1) for w in range(7)], axis=1
        )
        grand = np.nanmean(daily, axis=1, keepdims=True)
        explained = np.nansum(counts * (by_weekday - grand) ** 2, axis=1) / np.sum(counts, axis=1)
        total = np.nanvar(daily, axis=1)
        strength = np.where(total > 0, explained / total, 0.0)
        return np.asarray(np.where(daily.shape[1] >= 7, strength, np.nan))


def autocorrelation(power_kw: FloatArray, lag: int) -> FloatArray:
    """Pearson correlation of P(t) with P(t + lag), over pairs where both are present."""
    return row_correlation(power_kw[:, :-lag], power_kw[:, lag:])


def base_load_step(power_kw: FloatArray, steps_per_day: int) -> tuple[FloatArray, IntArray]:
    """The largest single change of daily median power: (size [kW], first day after it).

    The split s maximises |mean(after) - mean(before)| × sqrt(s (D - s) / D) over the
    daily medians (a one-change CUSUM / binary-segmentation step); days without readings
    take the meter's median. The size is signed (after - before); day -1 without a split.
    """
    with _quiet():
        daily = np.nanmedian(_days(power_kw, steps_per_day), axis=2)
        fill = np.nanmedian(daily, axis=1, keepdims=True)
    daily = np.where(np.isnan(daily), fill, daily)
    meters, days = daily.shape
    if days < 2:
        return np.full(meters, np.nan), np.full(meters, -1, dtype=np.int64)
    s = np.arange(1, days)
    before = np.cumsum(daily, axis=1)[:, :-1]
    total = daily.sum(axis=1, keepdims=True)
    mean_before = before / s
    mean_after = (total - before) / (days - s)
    change = mean_after - mean_before
    with _quiet():
        score = np.abs(change) * np.sqrt(s * (days - s) / days)
    score = np.where(np.isnan(score), -1.0, score)
    best = np.argmax(score, axis=1)
    size = change[np.arange(meters), best]
    return np.asarray(size), np.asarray(np.where(np.isnan(size), -1, best + 1), dtype=np.int64)


def plateau_flatness(power_kw: FloatArray, steps_per_day: int) -> FloatArray:
    """Median over days of the within-day coefficient of variation: about 0.01 for mining."""
    days = _days(power_kw, steps_per_day)
    with _quiet():
        cv = np.nanstd(days, axis=2) / np.nanmean(days, axis=2)
        return np.asarray(np.nanmedian(cv, axis=1))


def window_max(
    x: FloatArray, size: int, *, ahead: bool = False, edge: float = -np.inf
) -> FloatArray:
    """Row-wise moving max over ``size`` values: x[i − size + 1 … i] (trailing), or
    x[i … i + size − 1] with ``ahead``; beyond the row's ends the values count as ``edge``
    (NaN: as the row's nearest value, which leaves the max over the values there are).

    By doubling: after k rounds m[i] is the max of 2^k values, and two overlapping such
    windows cover any window up to twice as long, so about log2(size) whole-array passes
    instead of one per window position. For rows without NaN (a NaN is not skipped).
    """
    meters, n = x.shape
    if n == 0 or size <= 1:
        return np.array(x, dtype=np.float64, copy=True)
    if np.isnan(edge):
        fill = np.repeat(x[:, -1:] if ahead else x[:, :1], size - 1, axis=1)
    else:
        fill = np.full((meters, size - 1), edge)
    m = np.concatenate([x, fill] if ahead else [fill, x], axis=1)
    span = 1
    while 2 * span <= size:
        m = np.maximum(m[:, :-span], m[:, span:])  # m[i] = max of padded[i : i + 2 span]
        span *= 2
    return np.asarray(np.maximum(m[:, :n], m[:, size - span : size - span + n]))


def _trailing_max(daily: FloatArray, window_days: int) -> FloatArray:
    """(meters, days) max over the day and the ``window_days - 1`` days before it (NaN-aware)."""
    gaps = np.isnan(daily).any(axis=1)
    if not gaps.any():
        return window_max(daily, window_days, edge=np.nan)
    out = np.empty_like(daily, dtype=np.float64)
    out[~gaps] = window_max(daily[~gaps], window_days, edge=np.nan)
    rows = daily[gaps]
    padded = np.concatenate([np.full((rows.shape[0], window_days - 1), np.nan), rows], axis=1)
    windows = np.lib.stride_tricks.sliding_window_view(padded, window_days, axis=1)
    with _quiet():
        out[gaps] = np.nanmax(windows, axis=2)
    return out


def curtailed(
    power_kw: FloatArray, steps_per_day: int, window_days: int = REFERENCE_WINDOW_DAYS
) -> np.ndarray[tuple[int, int], np.dtype[np.bool_]]:
    """Intervals below :data:`CURTAILED_BELOW` of the meter's recent high level.

    The reference of a day is the highest daily 90th-percentile power over that day and the
    ``window_days - 1`` days before it: a step up (racks arriving) is not curtailment, a
    drop is, for up to ``window_days`` days.
    """
    days = _days(power_kw, steps_per_day)
    with _quiet():
        daily_p90 = np.nanpercentile(days, 90, axis=2)
    reference = _trailing_max(daily_p90, window_days)
    whole = days.shape[1] * steps_per_day
    per_interval = np.repeat(reference, steps_per_day, axis=1)
    if whole < power_kw.shape[1]:  # a partial last day keeps the last reference
        tail = np.repeat(per_interval[:, -1:], power_kw.shape[1] - whole, axis=1)
        per_interval = np.concatenate([per_interval, tail], axis=1)
    return np.asarray((power_kw < CURTAILED_BELOW * per_interval) & (per_interval > 0))


def curtailment_episodes(power_kw: FloatArray, steps_per_day: int) -> tuple[IntArray, FloatArray]:
    """(number of curtailment episodes, share of present intervals curtailed) per meter.

    An episode is a run of consecutive curtailed intervals; a missing reading ends none.
    """
    low = curtailed(power_kw, steps_per_day)
    present = ~np.isnan(power_kw)
    # carry the state across gaps: a gap neither starts nor ends an episode
    state = np.where(present, low, False)
    index = np.where(present, np.arange(power_kw.shape[1]), 0)
    last_present = np.maximum.accumulate(index, axis=1)
    carried = np.take_along_axis(state, last_present, axis=1)
    starts = carried[:, 1:] & ~carried[:, :-1] & present[:, 1:]
    episodes = starts.sum(axis=1) + carried[:, 0]
    with _quiet():
        share = state.sum(axis=1) / present.sum(axis=1)
    return np.asarray(episodes, dtype=np.int64), np.asarray(share)


def daily_curtailed_share(power_kw: FloatArray, steps_per_day: int) -> FloatArray:
    """(meters, days) share of each day's present intervals that are curtailed."""
    low = _days(curtailed(power_kw, steps_per_day).astype(np.float64), steps_per_day)
    present = _days((~np.isnan(power_kw)).astype(np.float64), steps_per_day)
    with _quiet():
        return np.asarray((low * present).sum(axis=2) / present.sum(axis=2))


def external_alignment(
    daily_share: FloatArray, external_daily: FloatArray, lag_days: int = 1
) -> FloatArray:
    """Correlation across days of the curtailed share with an external series, ``lag_days`` before.

    Negative with hashprice for a miner that stops when mining stops paying (miners react to
    the previous day's figures, hence the default lag of 1); positive with an electricity
    price or a peak-day flag (lag 0). NaN when either side does not vary.
    """
    external = np.asarray(external_daily, dtype=np.float64)
    if lag_days:
        external = np.concatenate([np.full(lag_days, np.nan), external[:-lag_days]])
    return row_correlation(daily_share, np.broadcast_to(external, daily_share.shape))


def row_correlation(x: FloatArray, y: FloatArray) -> FloatArray:
    """Row-wise Pearson correlation of x and y over columns where both are present."""
    both = ~np.isnan(x) & ~np.isnan(y)
    n = both.sum(axis=1)
    with _quiet():
        xs, ys = np.where(both, x, 0.0), np.where(both, y, 0.0)
        dx = np.where(both, xs - (xs.sum(axis=1) / n)[:, None], 0.0)
        dy = np.where(both, ys - (ys.sum(axis=1) / n)[:, None], 0.0)
        return np.asarray(
            (dx * dy).sum(axis=1) / np.sqrt((dx**2).sum(axis=1) * (dy**2).sum(axis=1))
        )


def capacity_ratio(power_kw: FloatArray, capacity_kw: FloatArray) -> FloatArray:
    """p95(P) / registered or declared capacity: near 1 for a farm running flat out."""
    with _quiet():
        return np.asarray(np.nanpercentile(power_kw, 95, axis=1) / capacity_kw)


def temperature_sensitivity(power_kw: FloatArray, temperature_c: FloatArray) -> FloatArray:
    """Least-squares slope of P on outdoor temperature, relative to mean P [1/°C]."""
    temperature = np.broadcast_to(temperature_c, power_kw.shape)
    both = ~np.isnan(power_kw) & ~np.isnan(temperature)
    n = both.sum(axis=1)
    with _quiet():
        p = np.where(both, power_kw, 0.0)
        t = np.where(both, temperature, 0.0)
        mp, mt = p.sum(axis=1) / n, t.sum(axis=1) / n
        dt_ = np.where(both, t - mt[:, None], 0.0)
        dp = np.where(both, p - mp[:, None], 0.0)
        slope = (dt_ * dp).sum(axis=1) / (dt_**2).sum(axis=1)
        return np.asarray(slope / mp)
