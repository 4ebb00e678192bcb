"""The time grid and side inputs every engine hands to the kernel, and the densifying step.

Shared by the local engine (:mod:`hashwatch.detection.local_engine`) and usable by any
other: the same grid, inputs and densifying give the same features.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from hashwatch.detection.cleaning import FloatArray, IntArray
from hashwatch.detection.features import dense_power_kw
from hashwatch.detection.kernel import features_block


@dataclass(frozen=True)
class Grid:
    """The time axis every block shares: column j starts at ``first_utc_s + j × interval``."""

    first_utc_s: int
    start: dt.date  # local date of column 0 (which starts at local midnight)
    interval_minutes: int
    intervals: int

    @classmethod
    def covering(
        cls, first_reading_utc_s: int, last_reading_utc_s: int, interval_minutes: int, tz: str
    ) -> Grid:
        """From the local midnight before the first reading to the last reading."""
        zone = zoneinfo.ZoneInfo(tz)
        first_local = dt.datetime.fromtimestamp(first_reading_utc_s, zone)
        midnight = dt.datetime.combine(first_local.date(), dt.time(), zone)
        first = int(midnight.timestamp())
        intervals = (last_reading_utc_s - first) // (interval_minutes * 60) + 1
        return cls(first, first_local.date(), interval_minutes, int(intervals))

    @property
    def days(self) -> int:
        return self.intervals * self.interval_minutes // (24 * 60)


@dataclass(frozen=True)
class BlockInputs:
    """What the kernel needs besides the readings, aligned to the grid."""

    external: FloatArray | None = None  # per grid day
    external_lag_days: int = 1
    grid_peak_day: FloatArray | None = None  # per grid day, 0/1
    temperature: FloatArray | None = None  # per grid interval [°C]
    capacity_meter_ids: tuple[str, ...] = ()
    capacity_kw: tuple[float, ...] = ()

    def capacity_of(self, meter_ids: Sequence[str] | np.ndarray[Any, Any]) -> FloatArray | None:
        """Capacity [kW] of each meter (NaN when unknown); None when no capacity was given."""
        if not self.capacity_meter_ids:
            return None
        known = dict(zip(self.capacity_meter_ids, self.capacity_kw, strict=True))
        return np.asarray([known.get(str(m), np.nan) for m in meter_ids], dtype=np.float64)


def block_features(
    meter_ids: Sequence[str],
    meter_code: IntArray,
    start_utc_s: IntArray,
    energy_kwh: FloatArray,
    *,
    grid: Grid,
    inputs: BlockInputs,
) -> pa.Table:
    """Readings of some meters (code i → ``meter_ids[i]``) densified and run through the kernel."""
    block = dense_power_kw(
        meter_code,
        start_utc_s,
        energy_kwh,
        meters=len(meter_ids),
        interval_minutes=grid.interval_minutes,
        first_utc_s=grid.first_utc_s,
        intervals=grid.intervals,
    )
    return features_block(
        meter_ids,
        block,
        grid.start,
        grid.interval_minutes,
        external=inputs.external,
        external_lag_days=inputs.external_lag_days,
        grid_peak_day=None if inputs.grid_peak_day is None else inputs.grid_peak_day > 0,
        temperature=inputs.temperature,
        capacity_kw=inputs.capacity_of(meter_ids),
        overwrite_input=True,  # the block was made for this call
    )


@dataclass(frozen=True)
class DailySeries:
    """An external daily series by local date: a price, and optionally grid peak flags."""

    dates: tuple[dt.date, ...]
    value: FloatArray  # e.g. hashprice [USD/TH/day]; NaN where unknown
    grid_peak_day: FloatArray | None = None  # 0/1 per date
    lag_days: int = 1


@dataclass(frozen=True)
class IntervalSeries:
    """A series per interval, e.g. outdoor temperature [°C], by UTC start time [s]."""

    start_utc_s: IntArray
    value: FloatArray


def align_inputs(
    grid: Grid,
    *,
    external: DailySeries | None = None,
    temperature: IntervalSeries | None = None,
    capacity_kw: dict[str, float] | None = None,
) -> BlockInputs:
    """Side inputs placed on the grid: NaN for a day or interval the series does not cover."""
    ext = peak = temp = None
    if external is not None:
        days = max(grid.days, 1)
        index = {d: i for i, d in enumerate(external.dates)}
        where = [index.get(grid.start + dt.timedelta(days=d), -1) for d in range(days)]
        at = np.asarray(where, dtype=np.int64)
        ext = np.where(at >= 0, external.value[at], np.nan)
        if external.grid_peak_day is not None:
            peak = np.where(at >= 0, external.grid_peak_day[at], 0.0)
    if temperature is not None:
        column = (temperature.start_utc_s - grid.first_utc_s) // (grid.interval_minutes * 60)
        inside = (column >= 0) & (column < grid.intervals)
        temp = np.full(grid.intervals, np.nan)
        temp[column[inside]] = temperature.value[inside]
    ids = tuple(sorted(capacity_kw)) if capacity_kw else ()
    return BlockInputs(
        external=ext,
        external_lag_days=external.lag_days if external is not None else 1,
        grid_peak_day=peak,
        temperature=temp,
        capacity_meter_ids=ids,
        capacity_kw=tuple(float(capacity_kw[m]) for m in ids) if capacity_kw else (),
    )
