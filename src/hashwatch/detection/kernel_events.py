"""Events in a block of meters: level steps, curtailment, alignment with external series.

Pure numpy on a gap-filled block (see :func:`hashwatch.detection.kernel.prepare_block`),
shape (meters, days, steps per day) or (meters, days) of daily mean power [kW].
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa

from hashwatch.detection import arrow_arrays, rows
from hashwatch.detection.cleaning import BoolArray, FloatArray, IntArray
from hashwatch.detection.features import (
    CURTAILED_BELOW,
    REFERENCE_WINDOW_DAYS,
    _quiet,
    _trailing_max,
    row_correlation,
    window_max,
)

#: days each side of a candidate step (a whole week, so weekly cycles cancel)
STEP_WINDOW_DAYS: Final = 7
#: near the ends of the data the windows shrink, down to this many days
STEP_EDGE_DAYS: Final = 3
#: a step must move the weekly mean by at least this share of the meter's median level
STEP_MIN_SHARE: Final = 0.1
#: ... and by at least this many standard errors of a weekly mean difference
STEP_MIN_NOISE: Final = 4.0
#: local peak-tariff hours [h, h) on a grid peak day (Beijing's peak periods)
PEAK_HOURS: Final = ((10.0, 15.0), (18.0, 21.0))


@dataclass(frozen=True)
class Steps:
    """Level steps of each meter: how many, and the largest (signed, after − before)."""

    count: IntArray
    largest_kw: FloatArray
    largest_share: FloatArray  # largest_kw / the meter's median daily mean power
    largest_day: IntArray  # first day at the new level; -1 without a step
    #: mean of all days from the largest step on − mean of all days before it, / level:
    #: a lasting change (racks added or removed) keeps it; a dip that recovers does not
    lasting_share: FloatArray
    level_kw: FloatArray  # the meter's median daily mean power (NaN without a whole day)


def level_steps(
    daily_kw: FloatArray,
    window_days: int = STEP_WINDOW_DAYS,
    min_share: float = STEP_MIN_SHARE,
) -> Steps:
    """Step changes of daily mean power by a moving two-window difference.

    For each day k, d_k = mean(P_k … P_(k+a−1)) − mean(P_(k−b) … P_(k−1)) with a = b = w =
    ``window_days`` (a sliding-window change-point statistic, Basseville & Nikiforov,
    *Detection of Abrupt Changes*, 1993, §2.2); within w days of either end the windows
    shrink to the days there are (a, b ≥ :data:`STEP_EDGE_DAYS`). Day k is a step when
    |d_k| is the largest within w − 1 days either side and |d_k| ≥ max(min_share × median
    level, :data:`STEP_MIN_NOISE` × σ √(1/a + 1/b)), σ the robust day-to-day noise
    (1.4826 × the median absolute first difference / √2). A gradual ramp moves each window
    little; a rack arriving moves it by the rack's power.
    """
    meters, days = daily_kw.shape
    w = window_days
    with _quiet():
        level = rows.row_median(daily_kw)
    none = Steps(
        np.zeros(meters, dtype=np.int64),
        np.full(meters, np.nan),
        np.full(meters, np.nan),
        np.full(meters, -1, dtype=np.int64),
        np.full(meters, np.nan),
        np.asarray(level),
    )
    if days < 2 * w:
        return none
    c = np.concatenate([np.zeros((meters, 1)), np.cumsum(daily_kw, axis=1)], axis=1)
    diff, peak = _step_candidates(daily_kw, c, w, min_share, level)
    count = peak.sum(axis=1)
    best = np.argmax(np.where(peak, np.abs(diff), -np.inf), axis=1)
    each = np.arange(meters)
    has = count > 0
    largest = np.where(has, diff[each, best], np.nan)
    day = best + STEP_EDGE_DAYS
    with _quiet():
        share = largest / level
        mean_before = c[each, day] / day
        mean_after = (c[:, days] - c[each, day]) / (days - day)
        lasting = np.where(has, (mean_after - mean_before) / level, np.nan)
    return Steps(
        count.astype(np.int64),
        np.asarray(largest),
        np.asarray(share),
        np.asarray(np.where(has, day, -1), dtype=np.int64),
        np.asarray(lasting),
        np.asarray(level),
    )


def _step_candidates(
    daily_kw: FloatArray, c: FloatArray, w: int, min_share: float, level: FloatArray
) -> tuple[FloatArray, BoolArray]:
    """(d_k, is a step); column i of d and the flags is day EDGE + i; ``level``: the
    median daily mean power.

    Near the ends the windows shrink to the days there are (at least
    :data:`STEP_EDGE_DAYS`), so a step in the first or last week is found on its day.
    """
    meters, days = daily_kw.shape
    m = STEP_EDGE_DAYS
    k = np.arange(m, days - m + 1)
    wb = np.minimum(w, k)  # days in the window before day k
    wa = np.minimum(w, days - k)  # days in the window from day k
    before = (c[:, k] - c[:, k - wb]) / wb
    after = (c[:, k + wa] - c[:, k]) / wa
    diff = after - before
    with _quiet():
        sigma = 1.4826 * rows.row_median(np.abs(np.diff(daily_kw, axis=1))) / np.sqrt(2)
        noise = STEP_MIN_NOISE * sigma[:, None] * np.sqrt(1 / wb + 1 / wa)[None, :]
        threshold = np.maximum(min_share * np.abs(level)[:, None], noise)
        size = np.where(np.isnan(diff), -np.inf, np.abs(diff))
        edge = np.full((meters, 1), -np.inf)
        # the w − 1 values before and the w − 1 values after each day
        left = np.concatenate([edge, window_max(size, w - 1)[:, :-1]], axis=1)
        right = np.concatenate([window_max(size, w - 1, ahead=True)[:, 1:], edge], axis=1)
        peak = (size > left) & (size >= right) & (size >= threshold) & (size > 0)
    return np.asarray(diff), np.asarray(peak)


def step_list(
    daily_kw: FloatArray, window_days: int = STEP_WINDOW_DAYS, min_share: float = STEP_MIN_SHARE
) -> list[tuple[int, float]]:
    """Every step of one meter's daily mean power: (first day at the new level, size [kW])."""
    daily = np.asarray(daily_kw, dtype=np.float64).reshape(1, -1)
    w = window_days
    if daily.shape[1] < 2 * w:
        return []
    c = np.concatenate([np.zeros((1, 1)), np.cumsum(daily, axis=1)], axis=1)
    diff, peak = _step_candidates(daily, c, w, min_share, rows.row_median(daily))
    return [(int(i) + STEP_EDGE_DAYS, float(diff[0, i])) for i in np.flatnonzero(peak[0])]


def day_dates(first_day: dt.date, day_index: IntArray) -> pa.Array:
    """Day indices as an Arrow date32 array (null for −1)."""
    days = np.datetime64(first_day, "D").astype(np.int64) + day_index
    return arrow_arrays.from_numpy(days, pa.date32(), mask=day_index < 0)


@dataclass(frozen=True)
class Curtailment:
    episodes: IntArray  # runs of curtailed intervals
    share: FloatArray  # share of present readings curtailed
    daily_share: FloatArray  # (meters, days) share of each day's present readings curtailed


def curtailed_block(
    block: FloatArray,
    present: BoolArray,
    window_days: int = REFERENCE_WINDOW_DAYS,
    p90: FloatArray | None = None,
) -> Curtailment:
    """Curtailed intervals: below :data:`CURTAILED_BELOW` of the recent high level.

    The reference of a day is the highest daily 90th-percentile power of that day and the
    ``window_days − 1`` days before it (as :func:`hashwatch.detection.features.curtailed`),
    so racks arriving are not curtailment and a drop is. An episode is a run of curtailed
    intervals; a gap carries the state of the reading before it (the block is gap-filled).
    ``p90``: the days' 90th percentiles when already known (:func:`day_percentiles`).
    """
    meters, days, steps = block.shape
    if days == 0:
        nan = np.full(meters, np.nan)
        return Curtailment(np.zeros(meters, dtype=np.int64), nan, np.zeros((meters, 0)))
    low = curtailed_mask(block, window_days, p90)
    n_day = _count_per_day(present)
    counted = _count_per_day(low & present)
    flat = low.reshape(meters, days * steps)
    # a run starts where an interval is curtailed and the one before is not (runs are few)
    rises = np.flatnonzero(flat[:, 1:] & ~flat[:, :-1]) // max(days * steps - 1, 1)
    starts = np.bincount(rises, minlength=meters) + flat[:, 0]
    with _quiet():
        daily_share = counted / n_day
        share = counted.sum(axis=1) / n_day.sum(axis=1)
    return Curtailment(starts.astype(np.int64), np.asarray(share), np.asarray(daily_share))


def _count_per_day(mask: BoolArray) -> IntArray:
    """True values of each (meter, day) of a (meters, days, steps) mask.

    By einsum over the mask's bytes, several times faster than a sum of booleans along a
    short last axis; the byte sums cannot overflow with fewer than 256 intervals a day.
    """
    if mask.shape[2] < 256:
        return np.asarray(np.einsum("mds->md", mask.view(np.uint8)), dtype=np.int64)
    return np.asarray(mask.sum(axis=2), dtype=np.int64)


def day_percentiles(block: FloatArray, percents: tuple[float, ...]) -> list[FloatArray]:
    """Each day's percentiles of a (meters, days, steps) block, linear as ``np.percentile``
    for a day without gaps (a gap-filled block has none, or is all NaN: then NaN); a gap
    would sort last and count as the highest value, where ``np.percentile`` gives NaN.

    One sort of each day's few values for all of them: numpy's vectorised sort of short rows
    is several times faster than a partial sort of them.
    """
    steps = block.shape[2]
    part = np.sort(block, axis=2)
    out = []
    for q in percents:
        k = q / 100 * (steps - 1)
        lo = int(np.floor(k))
        hi = min(lo + 1, steps - 1)
        out.append(np.asarray(part[:, :, lo] + (k - lo) * (part[:, :, hi] - part[:, :, lo])))
    return out


def curtailed_mask(
    block: FloatArray, window_days: int = REFERENCE_WINDOW_DAYS, p90: FloatArray | None = None
) -> BoolArray:
    """(meters, days, steps): the interval is below :data:`CURTAILED_BELOW` of the reference."""
    if p90 is None:
        (p90,) = day_percentiles(block, (90,))
    reference = _trailing_max(p90, window_days)
    with _quiet():
        # a day without a positive reference has nothing curtailed (nothing is below −∞)
        below = np.where(reference > 0, CURTAILED_BELOW * reference, -np.inf)
        return np.asarray(block < below[:, :, None])


def external_alignment(
    daily: FloatArray, external: FloatArray | None, lag_days: int, period_days: int = 1
) -> tuple[FloatArray, FloatArray]:
    """(r, z): detrended correlation of a daily series of each meter with an external one.

    Both series are differenced over ``period_days`` (1: day-to-day changes; 7: each day
    against the same weekday a week before, which also removes a weekly cycle), which
    removes trends and the random-walk drift of prices that made the raw correlation
    spurious, then correlated: r = corr(Δs_d, Δx_(d − lag)). z = atanh(r) √(n / period − 3)
    is Fisher's statistic with the n pairs counted in whole periods: about N(0, 1) for
    day-to-day changes when the meter ignores the series; differences over a week overlap,
    and counting only n / 7 of them is conservative (simulated spread 0.3–0.8 rather than 1).
    A miner that stops when hashprice falls has a curtailed share with r < 0 and z well
    below −2, and a floor with r > 0. Both NaN without the series, with no more than three
    periods of pairs, or when the meter's series never changes.
    """
    meters, days = daily.shape
    if external is None or days < period_days + 2:
        return np.full(meters, np.nan), np.full(meters, np.nan)
    series = np.asarray(external, dtype=np.float64)
    if series.size < days:
        raise ValueError(f"external series has {series.size} days, the block {days}")
    series = series[:days]
    if lag_days:
        series = np.concatenate([np.full(lag_days, np.nan), series[:-lag_days]])
    ds = daily[:, period_days:] - daily[:, :-period_days]
    dx = np.broadcast_to(series[period_days:] - series[:-period_days], ds.shape)
    r = row_correlation(ds, dx)
    n = np.sum(~np.isnan(ds) & ~np.isnan(dx), axis=1)
    with _quiet():
        independent = n / period_days - 3
        r = np.where(independent > 0, r, np.nan)
        z = np.arctanh(np.clip(r, -0.999999, 0.999999)) * np.sqrt(independent)
    return np.asarray(r), np.asarray(z)


def peak_response(block: FloatArray, grid_peak_day: BoolArray | None) -> FloatArray:
    """Share of load shed in the peak hours of grid peak days.

    1 − (P_peak / P_other on peak days) / (P_peak / P_other on other days), with P_peak the
    mean power in :data:`PEAK_HOURS` and P_other in the other hours: 0 for a load that does
    not react, near 1 for a farm that switches off at the grid's request (ERCOT's 4CP
    response, Majumder et al.). Day-level effects (a cold day) cancel. NaN without flags, or
    without both kinds of day.
    """
    meters, days, steps = block.shape
    if grid_peak_day is None:
        return np.full(meters, np.nan)
    flag = np.asarray(grid_peak_day, dtype=bool)
    if flag.size < days:
        raise ValueError(f"grid peak flags cover {flag.size} days, the block {days}")
    flag = flag[:days]
    if not flag.any() or flag.all():
        return np.full(meters, np.nan)
    start_h = np.arange(steps) * 24 / steps
    hours = np.zeros(steps, dtype=bool)
    for lo, hi in PEAK_HOURS:
        hours |= (start_h >= lo) & (start_h < hi)
    with _quiet():
        # mean daily profile of each kind of day (one pass over the block, no copies)
        peak_profile = np.einsum("mds,d->ms", block, flag / flag.sum())
        other_profile = np.einsum("mds,d->ms", block, ~flag / (~flag).sum())
        on = rows.row_mean(peak_profile[:, hours]) / rows.row_mean(peak_profile[:, ~hours])
        off = rows.row_mean(other_profile[:, hours]) / rows.row_mean(other_profile[:, ~hours])
        return np.asarray(1 - on / off)
