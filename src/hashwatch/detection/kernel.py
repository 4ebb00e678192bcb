"""The feature kernel: every feature of a block of meters × time in one vectorised pass.

:func:`features_block` is the one function every engine calls (the local streaming engine
and the Spark engine, once per group of meters). It is pure and deterministic: the same
block gives the same table, whatever else is in the batch, on any engine.

How a block is prepared (:func:`prepare_block`)
-----------------------------------------------
1. Readings that cannot be right are removed: negative power (a meter reset) and power above
   :data:`SPIKE_FACTOR` × the meter's top-1 % value (about its 99th percentile; a reading in
   Wh taken as kWh), as the ingest's cleaning rule 7 does; data from the store is already
   clean, a raw file is not.
2. Gaps are filled by carrying the last reading forward (leading gaps by the first
   reading), so the shape features need no NaN-aware reductions; counts (readings,
   curtailed share) use the readings actually present.

The features (one value per meter) follow the reference notes, ``mining-detection.md``
§A.2; :mod:`hashwatch.detection.features` holds the NaN-aware single-feature functions
they are checked against. Steps and alignment are defined in :mod:`.kernel_events`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

import numpy as np
import pyarrow as pa

from hashwatch.detection import arrow_arrays, rows
from hashwatch.detection import kernel_events as events
from hashwatch.detection.cleaning import BoolArray, FloatArray, IntArray
from hashwatch.detection.features import DAY_HOURS, NIGHT_HOURS, _quiet

#: a reading above this multiple of its meter's 99th percentile is dropped (Wh as kWh)
SPIKE_FACTOR: Final = 50.0
#: a lag correlation's variance at most this share of the sum of squares is none: a load
#: with a coefficient of variation under 1e-5 is flat (rounding is about 1e-14 of it)
_FLAT: Final = 1e-10
#: a day's floor: this percentile of its readings (the load left off-peak and at night)
FLOOR_PERCENT: Final = 10.0

#: the columns of :func:`features_block`, in order, with their Arrow types
FEATURE_SCHEMA: Final = pa.schema(
    [
        ("meter_id", pa.string()),
        ("readings", pa.int64()),
        ("coverage", pa.float64()),
        ("days", pa.int64()),
        ("energy_kwh", pa.float64()),
        ("mean_power_kw", pa.float64()),
        ("load_factor", pa.float64()),
        ("cv", pa.float64()),
        ("daily_energy_cv", pa.float64()),
        ("night_day_ratio", pa.float64()),
        ("daily_cycle_strength", pa.float64()),
        ("weekly_cycle_strength", pa.float64()),
        ("autocorr_24h", pa.float64()),
        ("autocorr_168h", pa.float64()),
        ("plateau_flatness", pa.float64()),
        ("step_count", pa.int64()),
        ("largest_step_kw", pa.float64()),
        ("largest_step_share", pa.float64()),
        ("largest_step_date", pa.date32()),
        ("lasting_step_share", pa.float64()),
        ("floor_step_count", pa.int64()),
        ("floor_step_share", pa.float64()),
        ("floor_weekly_strength", pa.float64()),
        ("curtailment_episodes", pa.int64()),
        ("curtailed_share", pa.float64()),
        ("external_alignment", pa.float64()),
        ("external_alignment_z", pa.float64()),
        ("floor_alignment", pa.float64()),
        ("floor_alignment_z", pa.float64()),
        ("peak_response", pa.float64()),
        ("capacity_ratio", pa.float64()),
        ("temperature_sensitivity", pa.float64()),
    ]
)
FEATURE_NAMES: Final = tuple(FEATURE_SCHEMA.names[1:])


def _row_quantile(x: FloatArray, q: float) -> FloatArray:
    """Row-wise q-quantile, linear as ``np.percentile``, of a gap-filled block (a row is
    all NaN or has none), by a partial sort."""
    n = x.shape[1]
    pos = q * (n - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, n - 1)
    part = np.partition(x, (lo, hi), axis=1)
    return np.asarray(part[:, lo] + (pos - lo) * (part[:, hi] - part[:, lo]))


def _row_top_percent(x: FloatArray) -> FloatArray:
    """Each row's value at the top 1 % of its intervals (gaps count as lowest): about its
    99th percentile, by one partial sort (O(n), unlike a full sort)."""
    n = x.shape[1]
    if n == 0:
        return np.full(x.shape[0], np.nan)
    kth = n - 1 - int(0.01 * (n - 1))
    part = np.partition(np.where(np.isnan(x), -np.inf, x), kth, axis=1)
    top = part[:, kth]
    return np.asarray(np.where(np.isfinite(top), top, np.nan))


def _spike_rows(x: FloatArray) -> BoolArray:
    """Rows that may hold a spike (a value above ``SPIKE_FACTOR`` × the top-1 % value).

    A row cannot when at least its top 1 % of values (the count :func:`_row_top_percent`
    ranks by) reach max / ``SPIKE_FACTOR``: then its top-1 % value does too, and no value
    exceeds ``SPIKE_FACTOR`` times it. One comparison pass instead of a partial sort per
    row; the rows it leaves (spikes, or nearly all zeros) take the exact test.
    """
    n = x.shape[1]
    top_count = int(0.01 * (n - 1)) + 1
    with _quiet():
        peak = np.fmax.reduce(x, axis=1) if n else np.full(x.shape[0], np.nan)
        floor = peak / SPIKE_FACTOR * (1 + 1e-9)
        reaching = np.count_nonzero(x >= floor[:, None], axis=1)
    return np.asarray(~((reaching >= top_count) & (peak > 0)))


def prepare_block(power_kw: FloatArray, *, overwrite: bool = False) -> tuple[FloatArray, BoolArray]:
    """(gap-filled power [kW], present mask) after removing impossible readings.

    Negative readings and readings above ``SPIKE_FACTOR`` × the meter's top-1 % value
    (about its 99th percentile) become gaps; each gap then takes the last reading before
    it (or the first after it, at the start). A meter without readings stays all NaN.
    ``overwrite``: prepare a C-ordered float64 ``power_kw`` in place instead of a copy.
    """
    flags = power_kw.flags
    in_place = overwrite and power_kw.dtype == np.float64 and flags.c_contiguous and flags.writeable
    p = power_kw if in_place else np.array(power_kw, dtype=np.float64, copy=True)
    with _quiet():
        p[p < 0] = np.nan
        suspects = np.flatnonzero(_spike_rows(p))
        if suspects.size:
            part = p[suspects]
            high = _row_top_percent(part)
            part[part > SPIKE_FACTOR * np.maximum(high, 1e-9)[:, None]] = np.nan
            p[suspects] = part
    gap = np.isnan(p)
    _fill_gaps(p, gap)
    return p, np.asarray(~gap)


def _fill_gaps(p: FloatArray, gap: BoolArray) -> None:
    """Fill each run of gaps in place with the reading before it (the one after it at the
    start of a row); a row without readings stays NaN. Works on the gaps only (they are
    few), not on every interval."""
    n = p.shape[1]
    where = np.flatnonzero(gap)
    if where.size == 0 or n == 0:
        return
    column = where % n
    new_run = np.ones(where.size, dtype=bool)
    new_run[1:] = (where[1:] != where[:-1] + 1) | (column[1:] == 0)
    run = np.cumsum(new_run) - 1
    starts = where[new_run]
    ends = where[np.concatenate([new_run[1:], [True]])]
    source = np.where(starts % n > 0, starts - 1, np.where(ends % n < n - 1, ends + 1, -1))
    flat = p.reshape(-1)
    value = np.where(source >= 0, flat[np.maximum(source, 0)], np.nan)
    flat[where] = value[run]


def _gaps(filled: FloatArray, present: BoolArray) -> tuple[IntArray, FloatArray]:
    """(row, filled value) of each gap of the block: gaps are few, so sums over them (and
    the row sums less them) are cheaper than whole-block masked passes."""
    where = np.flatnonzero(~present)
    return where // max(filled.shape[1], 1), filled.reshape(-1)[where]


def _hours_index(steps_per_day: int, hours: Sequence[tuple[float, float]]) -> FloatArray:
    start_h = np.arange(steps_per_day) * 24 / steps_per_day
    mask = np.zeros(steps_per_day, dtype=bool)
    for lo, hi in hours:
        mask |= (start_h >= lo) & (start_h < hi)
    return np.asarray(np.flatnonzero(mask))


def _lag_correlation(f: FloatArray, lag: int, total: FloatArray, squares: FloatArray) -> FloatArray:
    """Pearson correlation of P(t) and P(t + lag) on the filled block (NaN if too short).

    ``total`` and ``squares``: each row's sum and sum of squares. The sums of P(t) and of
    P(t + lag) are those less the last or first ``lag`` values, so only the cross products
    take a pass over the whole block.
    """
    if lag >= f.shape[1] - 1:
        return np.full(f.shape[0], np.nan)
    head, tail = f[:, :lag], f[:, -lag:]
    n = f.shape[1] - lag
    sx, sy = total - tail.sum(axis=1), total - head.sum(axis=1)
    sxy = rows.row_dot(f[:, :-lag], f[:, lag:])
    sxx = squares - rows.row_dot(tail, tail)
    syy = squares - rows.row_dot(head, head)
    with _quiet():
        cov = sxy - sx * sy / n
        var_x, var_y = sxx - sx**2 / n, syy - sy**2 / n
        # a variance within rounding of the sums of squares is none: a flat load has no
        # correlation (its rounding noise would give any value, even outside [−1, 1])
        flat = (var_x <= _FLAT * sxx) | (var_y <= _FLAT * syy)
        r = cov / np.sqrt(var_x * var_y)
        return np.asarray(np.where(flat, np.nan, np.clip(r, -1.0, 1.0)))


def _weekly_strength(daily: FloatArray, first_weekday: int) -> FloatArray:
    """Share of the variance of daily means explained by the weekday (needs a week)."""
    days = daily.shape[1]
    if days < 7:
        return np.full(daily.shape[0], np.nan)
    weekday = (first_weekday + np.arange(days)) % 7
    counts = np.bincount(weekday, minlength=7).astype(np.float64)
    grand = daily.mean(axis=1)
    explained = np.zeros(daily.shape[0])
    for w in range(7):  # seven column sums, not a matrix product: row-independent rounding
        explained += counts[w] * (rows.row_mean(daily[:, weekday == w]) - grand) ** 2
    explained /= days
    total = daily.var(axis=1)
    with _quiet():
        return np.asarray(np.where(total > 0, explained / total, 0.0))


def features_block(
    meter_ids: Sequence[str],
    power_kw_2d: FloatArray,
    start: dt.date | dt.datetime,
    interval_minutes: int,
    *,
    external: FloatArray | None = None,
    external_lag_days: int = 1,
    grid_peak_day: BoolArray | None = None,
    temperature: FloatArray | None = None,
    capacity_kw: FloatArray | None = None,
    overwrite_input: bool = False,
) -> pa.Table:
    """Every feature of a block of meters, one row per meter, as an Arrow table.

    Parameters
    ----------
    meter_ids : the block's meter ids, one per row of ``power_kw_2d``.
    power_kw_2d : (meters, intervals) average power [kW]; column j covers the interval
        starting at ``start + j × interval_minutes`` local time; NaN for a missing reading.
    start : local date (or local midnight) of the first column; gives weekdays and dates.
    interval_minutes : 15, 30 or 60 (the day must hold a whole number of intervals).
    external : optional daily series (hashprice [USD/TH/day] or electricity price), element
        d for day d of the block; at least as many days as the block; NaN where unknown.
    external_lag_days : the day of ``external`` a meter reacts to (1: the day before, as
        miners react to yesterday's hashprice; 0 for a price on the day).
    grid_peak_day : optional daily 0/1 flag of grid peak days (peak hours
        :data:`~hashwatch.detection.kernel_events.PEAK_HOURS`), aligned like ``external``.
    temperature : optional outdoor temperature [°C] per interval (length = intervals).
    capacity_kw : optional registered or declared capacity per meter [kW] (NaN unknown).
    overwrite_input : the block may be changed (gaps filled in place, no copy): for a
        caller that made it for this call.

    Returns
    -------
    A table with :data:`FEATURE_SCHEMA` (meter_id first, then :data:`FEATURE_NAMES`);
    NaN where a feature cannot be computed (no readings, too few days, no such input).
    The result depends only on the arguments: no global state, no randomness.
    """
    if (24 * 60) % interval_minutes:
        raise ValueError(f"interval_minutes must divide a day, not {interval_minutes}")
    steps = 24 * 60 // interval_minutes
    raw = np.asarray(power_kw_2d, dtype=np.float64)
    meters, intervals = raw.shape
    if len(meter_ids) != meters:
        raise ValueError(f"{len(meter_ids)} meter ids for a block of {meters} rows")
    first_day = start.date() if isinstance(start, dt.datetime) else start
    filled, present = prepare_block(raw, overwrite=overwrite_input)
    days = intervals // steps
    block = filled[:, : days * steps].reshape(meters, days, steps)
    cols: dict[str, object] = {"meter_id": arrow_arrays.strings(meter_ids)}
    gap_row, gap_filled = _gaps(filled, present)
    readings = intervals - np.bincount(gap_row, minlength=meters)
    hours = interval_minutes / 60
    with _quiet():
        # variances as E[x²] − E[x]² from one sum of squares each (one pass, no temporary);
        # loads are positive and their variance is not below ~1e-12 of the mean², so the
        # cancellation costs nothing that matters
        total = filled.sum(axis=1)
        squares = rows.row_dot(filled, filled)
        mean = total / intervals
        total_var = np.maximum(squares / intervals - mean**2, 0)
        # the readings present: the filled row less its few filled gaps
        present_kwh = total - np.bincount(gap_row, weights=gap_filled, minlength=meters)
        cols |= {
            "readings": readings,
            "coverage": readings / max(intervals, 1),
            "days": np.full(meters, days),
            "energy_kwh": np.where(readings > 0, present_kwh, 0.0) * hours,
            "mean_power_kw": mean,
            "load_factor": mean / filled.max(axis=1, initial=-np.inf),
            "cv": np.sqrt(total_var) / mean,
        }
        # sums over a day's few intervals by einsum: several times faster than a reduction
        # along a short last axis
        daily = np.einsum("mds->md", block) / steps
        within_var = np.maximum(np.einsum("mds,mds->md", block, block) / steps - daily**2, 0)
        step_mean = np.einsum("mds->ms", block) / days  # the mean day: each interval's mean
        profile = step_mean - daily.mean(axis=1)[:, None]
        total_within = within_var.mean(axis=1)
        # every day has each interval once: the mean over the night's intervals of every day
        # is the mean of the mean day's night intervals
        night = rows.row_mean(step_mean[:, _hours_index(steps, [NIGHT_HOURS])])
        day = rows.row_mean(step_mean[:, _hours_index(steps, [DAY_HOURS])])
        cols |= {
            "daily_energy_cv": daily.std(axis=1) / daily.mean(axis=1),
            "night_day_ratio": night / day,
            "daily_cycle_strength": np.where(
                total_within > 0,
                profile.var(axis=1) / total_within,
                np.where(np.isnan(total_within), np.nan, 0.0),  # NaN: no whole day
            ),
            "weekly_cycle_strength": _weekly_strength(daily, first_day.weekday()),
            "autocorr_24h": _lag_correlation(filled, steps, total, squares),
            "autocorr_168h": _lag_correlation(filled, 7 * steps, total, squares),
            # days switched off (mean 0) have no plateau: the median is over days on
            "plateau_flatness": rows.row_nanmedian(
                np.where(daily > 0, np.sqrt(within_var) / daily, np.nan)
            )
            if days
            else np.full(meters, np.nan),
        }
    steps_found = events.level_steps(daily)
    cols |= {
        "step_count": steps_found.count,
        "largest_step_kw": steps_found.largest_kw,
        "largest_step_share": steps_found.largest_share,
        "largest_step_date": events.day_dates(first_day, steps_found.largest_day),
        "lasting_step_share": steps_found.lasting_share,
    }
    floor, p90 = events.day_percentiles(block, (FLOOR_PERCENT, 90))
    floor_steps = events.level_steps(floor)
    with _quiet():
        level = steps_found.level_kw
        cols |= {
            "floor_step_count": floor_steps.count,
            # a meter off on most days has no level to measure a step by
            "floor_step_share": np.where(level > 0, floor_steps.largest_kw / level, np.nan),
            "floor_weekly_strength": _weekly_strength(floor, first_day.weekday()),
        }
    low = events.curtailed_block(block, present[:, : days * steps].reshape(block.shape), p90=p90)
    cols |= {
        "curtailment_episodes": low.episodes,
        "curtailed_share": low.share,
    }
    alignment, alignment_z = events.external_alignment(low.daily_share, external, external_lag_days)
    # racks inside a larger load that stop when hashprice falls lower the floor: compared
    # week on week, so the host's weekly cycle drops out
    floor_alignment, floor_alignment_z = events.external_alignment(
        floor, external, external_lag_days, period_days=7
    )
    cols |= {
        "external_alignment": alignment,
        "external_alignment_z": alignment_z,
        "floor_alignment": floor_alignment,
        "floor_alignment_z": floor_alignment_z,
        "peak_response": events.peak_response(block, grid_peak_day),
        "capacity_ratio": _capacity_ratio(filled, capacity_kw),
        "temperature_sensitivity": _temperature_sensitivity(filled, mean, temperature),
    }
    arrays = [
        column if isinstance(column, pa.Array) else arrow_arrays.from_numpy(column, field.type)
        for column, field in ((cols[f.name], f) for f in FEATURE_SCHEMA)
    ]
    return pa.Table.from_arrays(arrays, schema=FEATURE_SCHEMA)


def _capacity_ratio(filled: FloatArray, capacity_kw: FloatArray | None) -> FloatArray:
    """p95(P) / capacity: near 1 for a farm running flat out at its contract."""
    if capacity_kw is None:
        return np.full(filled.shape[0], np.nan)
    capacity = np.asarray(capacity_kw, dtype=np.float64)
    with _quiet():
        p95 = _row_quantile(filled, 0.95)
        return np.asarray(np.where(capacity > 0, p95 / capacity, np.nan))


def _temperature_sensitivity(
    filled: FloatArray, mean: FloatArray, temperature: FloatArray | None
) -> FloatArray:
    """Least-squares slope of P on outdoor temperature divided by mean P [1/°C]."""
    if temperature is None:
        return np.full(filled.shape[0], np.nan)
    t = np.asarray(temperature, dtype=np.float64)
    if t.shape != (filled.shape[1],):
        raise ValueError(f"temperature has {t.size} values, the block {filled.shape[1]} intervals")
    known = ~np.isnan(t)
    if known.sum() < 2:
        return np.full(filled.shape[0], np.nan)
    dt_ = t[known] - t[known].mean()
    with _quiet():
        slope = rows.row_sum(np.ascontiguousarray(filled[:, known]) * dt_) / (dt_ @ dt_)
        return np.asarray(slope / mean)
