"""Cleaning interval meter readings: interval, units, duplicates, order, bad values, gaps.

Pure numpy on the rows a reader produced (:mod:`hashwatch.io.meter_files`). What cannot be
read is an :class:`~hashwatch.errors.InputError` naming the file, row and column; what can be
cleaned is cleaned by the documented rules below, each counted in a :class:`CleaningReport`.

Rules, in order (docs/detection.md, "Ingesting meter data"):

1. A blank value is dropped (the interval becomes a gap).
2. The interval is the most common spacing between a meter's consecutive readings, which
   must be 15, 30 or 60 minutes (or given). A reading off its meter's grid is an error.
3. Values become energy per interval in kWh: Wh and MWh are scaled; average power (kW, W,
   MW) is multiplied by the interval in hours.
4. Rows for the same meter and interval start: identical values (to 1e-9 relative) are one
   reading sent twice, kept once; different values are an error naming both rows, or with
   ``duplicates="last"`` the row further down the file wins (a resent correction).
5. Rows out of time order are sorted (counted).
6. A meter whose median power would exceed ``max_meter_power_kw`` but is plausible divided
   by 1,000 was written in Wh (or W): it is divided by 1,000 and named in the notes.
7. Negative energy (a meter reset, or export) is dropped; so is an absurd reading: power
   above ``max_meter_power_kw``, or above ``spike_factor`` times the meter's 99th percentile
   (so a lone spike is seen in a series of 100 readings or more).
8. Gaps are counted, not filled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from hashwatch.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

ALLOWED_INTERVAL_MINUTES: Final = (15, 30, 60)
WH_FACTOR: Final = 1000.0


class Unit(StrEnum):
    """The unit of a value column: energy per interval or average power over it."""

    KWH = "kwh"
    WH = "wh"
    MWH = "mwh"
    KW = "kw"
    W = "w"
    MW = "mw"

    @property
    def is_power(self) -> bool:
        return self in (Unit.KW, Unit.W, Unit.MW)

    @property
    def to_kilo(self) -> float:
        """Factor to kWh (energy) or kW (power)."""
        return _TO_KILO[self]


_TO_KILO: Final = {
    Unit.KWH: 1.0,
    Unit.WH: 0.001,
    Unit.MWH: 1000.0,
    Unit.KW: 1.0,
    Unit.W: 0.001,
    Unit.MW: 1000.0,
}


class DuplicatePolicy(StrEnum):
    ERROR = "error"
    LAST = "last"


@dataclass(frozen=True)
class CleaningLimits:
    """Bounds of plausible readings."""

    #: no single meter draws more (the largest mining sites draw a few hundred MW)
    max_meter_power_kw: float = 1_000_000.0
    #: a reading this many times its meter's 99th percentile is a spike
    spike_factor: float = 50.0
    #: values within this relative difference are the same reading
    identical_rtol: float = 1e-9


@dataclass(frozen=True)
class RawReadings:
    """Rows as read from a file, before cleaning (one entry per reading)."""

    source: str  # the file's name, for messages
    value_column: str  # the value column's name (long format) or "" (wide: the meter)
    meter_names: StrArray  # (M,) meter ids
    meter_code: IntArray  # (N,) into meter_names
    start_utc_s: IntArray  # (N,) interval start, UTC epoch seconds
    value: FloatArray  # (N,) NaN where blank
    row_number: IntArray  # (N,) the row in the file (1 = header for CSV)
    unit: Unit
    notes: tuple[str, ...] = ()

    def where(self, index: int) -> tuple[int, str]:
        """(row, column) of reading ``index`` for an error message."""
        column = self.value_column or str(self.meter_names[self.meter_code[index]])
        return int(self.row_number[index]), column


@dataclass(frozen=True)
class CleanReadings:
    """Readings sorted by meter then time, energy per interval in kWh, no duplicates."""

    meter_names: StrArray  # (M,)
    meter_code: IntArray  # (N,) sorted
    start_utc_s: IntArray  # (N,) ascending within each meter
    energy_kwh: FloatArray  # (N,)
    interval_minutes: int

    @property
    def rows(self) -> int:
        return int(self.energy_kwh.size)


@dataclass(frozen=True)
class CleaningReport:
    """What cleaning found and did, with counts."""

    source: str
    unit: str
    interval_minutes: int
    interval_detected: bool
    rows_read: int
    rows_kept: int
    meters: int
    first_interval_start: str | None
    last_interval_start: str | None
    blank_values: int = 0
    identical_duplicates_dropped: int = 0
    conflicting_duplicates_resolved: int = 0
    out_of_order_rows: int = 0
    negative_values_dropped: int = 0
    absurd_values_dropped: int = 0
    meters_rescaled_from_wh: tuple[str, ...] = ()
    missing_intervals: int = 0
    meters_with_gaps: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)


def _iso(utc_s: int) -> str:
    return dt.datetime.fromtimestamp(utc_s, dt.UTC).isoformat().replace("+00:00", "Z")


def _segment_starts(keys: IntArray) -> BoolArray:
    """True where a sorted key array starts a new group."""
    first = np.ones(keys.size, dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return first


def sort_order(meter_code: IntArray, start_utc_s: IntArray) -> IntArray:
    """Indexes that sort rows by meter then time, stably (no sort when already in order)."""
    same_meter = meter_code[1:] == meter_code[:-1]
    if np.all(meter_code[1:] >= meter_code[:-1]) and np.all(
        ~same_meter | (start_utc_s[1:] >= start_utc_s[:-1])
    ):
        return np.arange(meter_code.size)
    return np.lexsort((start_utc_s, meter_code))


def spacing_counts(meter_code: IntArray, start_utc_s: IntArray) -> tuple[IntArray, IntArray]:
    """(distinct positive spacings [s], how often each occurs) between a meter's readings.

    Counts of disjoint sets of meters add up, so a file cleaned bucket by bucket detects the
    same interval as the whole file.
    """
    order = sort_order(meter_code, start_utc_s)
    codes, times = meter_code[order], start_utc_s[order]
    gaps = np.diff(times)[(codes[1:] == codes[:-1]) & (np.diff(times) > 0)]
    values, counts = np.unique(gaps, return_counts=True)
    return values.astype(np.int64), counts.astype(np.int64)


def detect_interval_s(meter_code: IntArray, start_utc_s: IntArray) -> int | None:
    """The most common positive spacing between a meter's consecutive readings [s]."""
    values, counts = spacing_counts(meter_code, start_utc_s)
    if values.size == 0:
        return None
    return int(values[np.argmax(counts)])


def _interval(raw: RawReadings, interval_minutes: int | None) -> tuple[int, bool]:
    if interval_minutes is not None:
        if interval_minutes not in ALLOWED_INTERVAL_MINUTES:
            raise InputError(
                f"interval must be 15, 30 or 60 minutes, not {interval_minutes}",
                field="interval_minutes",
            )
        return interval_minutes * 60, False
    return checked_interval_s(raw.source, detect_interval_s(raw.meter_code, raw.start_utc_s)), True


def checked_interval_s(source: str, spacing_s: int | None) -> int:
    """The detected spacing [s] if it is 15, 30 or 60 minutes; otherwise an InputError."""
    if spacing_s is None:
        raise InputError(
            f"{source}: no meter has two readings, so the interval cannot be told; "
            "give --interval-minutes",
            field="interval_start",
        )
    if spacing_s not in (m * 60 for m in ALLOWED_INTERVAL_MINUTES):
        raise InputError(
            f"{source}: readings are mostly {spacing_s / 60:g} minutes apart; hashwatch reads "
            "15-, 30- or 60-minute intervals (give --interval-minutes if the spacing misleads)",
            field="interval_start",
        )
    return spacing_s


def interval_minutes_or_hourly(source: str, spacing_s: int | None) -> int:
    """The detected interval [min] for scoring: :func:`checked_interval_s`, but 60 when no
    meter has two readings (there is then no interval to get wrong)."""
    return 60 if spacing_s is None else checked_interval_s(source, spacing_s) // 60


def _check_grid(raw: RawReadings, order: IntArray, interval_s: int) -> None:
    """Every reading lies on its meter's grid (a whole number of intervals from its first)."""
    codes, times = raw.meter_code[order], raw.start_utc_s[order]
    first = _segment_starts(codes)
    origin = np.maximum.accumulate(np.where(first, np.arange(codes.size), 0))
    off = np.flatnonzero((times - times[origin]) % interval_s != 0)
    if off.size:
        row, _ = raw.where(int(order[off[0]]))
        raise InputError(
            f"{raw.source}, column interval_start: {_iso(int(times[off[0]]))} is not on the "
            f"{interval_s // 60}-minute grid of meter {raw.meter_names[codes[off[0]]]}",
            field="interval_start",
            row=row,
        )


def _out_of_order(raw: RawReadings) -> int:
    """Rows earlier than the previous row of the same meter, in file order."""
    by_meter = np.argsort(raw.meter_code, kind="stable")
    codes, times = raw.meter_code[by_meter], raw.start_utc_s[by_meter]
    return int(np.count_nonzero((codes[1:] == codes[:-1]) & (times[1:] < times[:-1])))


def _deduplicate(
    raw: RawReadings, order: IntArray, energy: FloatArray, policy: DuplicatePolicy, rtol: float
) -> tuple[IntArray, int, int]:
    """Indexes (into ``order``) to keep, identical duplicates dropped, conflicts resolved."""
    codes, times, values = raw.meter_code[order], raw.start_utc_s[order], energy[order]
    same = (codes[1:] == codes[:-1]) & (times[1:] == times[:-1])
    if not same.any():
        return np.arange(order.size), 0, 0
    tolerance = rtol * np.maximum(1.0, np.abs(values[:-1]))
    conflict = same & (np.abs(values[1:] - values[:-1]) > tolerance)
    if conflict.any() and policy is DuplicatePolicy.ERROR:
        at = int(np.flatnonzero(conflict)[0])
        (row_a, column), (row_b, _) = raw.where(int(order[at])), raw.where(int(order[at + 1]))
        raise InputError(
            f"{raw.source}, column {column}: rows {row_a} and {row_b} give meter "
            f"{raw.meter_names[codes[at]]} two different values for {_iso(int(times[at]))} "
            f"({raw.value[order[at]]:g} and {raw.value[order[at + 1]]:g}); correct the file "
            "or use --duplicates last to keep the later row",
            field=column,
            row=row_b,
        )
    # keep the last row of each group (stable order: the one furthest down the file)
    keep = np.ones(order.size, dtype=bool)
    keep[:-1] = ~same
    identical = int(np.count_nonzero(same & ~conflict))
    conflicts = int(np.count_nonzero(conflict))
    return np.flatnonzero(keep), identical, conflicts


def _per_meter_quantile(codes: IntArray, values: FloatArray, meters: int, q: float) -> FloatArray:
    """The q-quantile (lower) of each meter's values (``codes`` sorted); NaN without values."""
    out = np.full(meters, np.nan)
    if codes.size == 0:
        return out
    starts = np.flatnonzero(_segment_starts(codes))
    ends = np.append(starts[1:], codes.size)
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        k = int(np.floor(q * (end - start - 1)))
        out[codes[start]] = np.partition(values[start:end], k)[k]
    return out


def clean_readings(
    raw: RawReadings,
    *,
    interval_minutes: int | None = None,
    duplicates: DuplicatePolicy = DuplicatePolicy.ERROR,
    limits: CleaningLimits | None = None,
) -> tuple[CleanReadings, CleaningReport]:
    """Apply the module's rules to ``raw``; the clean readings and the report of what was done."""
    limits = limits or CleaningLimits()
    rows_read = int(raw.value.size)
    notes = list(raw.notes)
    blank = np.isnan(raw.value)
    if blank.all():
        raise InputError(f"{raw.source}: the file has no readings", field=raw.value_column)
    kept = _subset(raw, ~blank)
    interval_s, detected = _interval(kept, interval_minutes)
    interval_h = interval_s / 3600
    order = sort_order(kept.meter_code, kept.start_utc_s)
    _check_grid(kept, order, interval_s)
    energy = kept.value * raw.unit.to_kilo * (interval_h if raw.unit.is_power else 1.0)
    out_of_order = _out_of_order(kept)
    keep, identical, conflicts = _deduplicate(
        kept, order, energy, duplicates, limits.identical_rtol
    )
    order = order[keep]
    codes, times, energy = kept.meter_code[order], kept.start_utc_s[order], energy[order]
    energy, rescaled = _rescale_wh_meters(kept.meter_names, codes, energy, interval_h, limits)
    negative = energy < 0
    power = energy / interval_h
    too_high = power > limits.max_meter_power_kw
    plausible = np.where(negative | too_high, 0.0, power)
    p99 = _per_meter_quantile(codes, plausible, kept.meter_names.size, 0.99)
    absurd = ~negative & (
        too_high | ((p99[codes] > 0) & (power > limits.spike_factor * p99[codes]))
    )
    good = ~negative & ~absurd
    codes, times, energy = codes[good], times[good], energy[good]
    names, codes = _compact(kept.meter_names, codes)
    missing, gappy = _gaps(codes, times, interval_s)
    if rescaled:
        notes.append(rescale_note(len(rescaled), limits))
    clean = CleanReadings(names, codes, times, energy, interval_s // 60)
    report = CleaningReport(
        source=raw.source,
        unit=raw.unit.value,
        interval_minutes=interval_s // 60,
        interval_detected=detected,
        rows_read=rows_read,
        rows_kept=clean.rows,
        meters=int(names.size),
        first_interval_start=_iso(int(times.min())) if times.size else None,
        last_interval_start=_iso(int(times.max())) if times.size else None,
        blank_values=int(blank.sum()),
        identical_duplicates_dropped=identical,
        conflicting_duplicates_resolved=conflicts,
        out_of_order_rows=out_of_order,
        negative_values_dropped=int(negative.sum()),
        absurd_values_dropped=int(absurd.sum()),
        meters_rescaled_from_wh=tuple(rescaled),
        missing_intervals=missing,
        meters_with_gaps=gappy,
        notes=tuple(notes),
    )
    return clean, report


def rescale_note(meters: int, limits: CleaningLimits) -> str:
    """The report's note on meters divided by 1,000 (rule 6)."""
    return (
        f"{meters} meter(s) read as Wh (or W) and divided by 1,000: their median "
        f"power as given was above {limits.max_meter_power_kw:,.0f} kW"
    )


def _subset(raw: RawReadings, mask: BoolArray) -> RawReadings:
    return RawReadings(
        source=raw.source,
        value_column=raw.value_column,
        meter_names=raw.meter_names,
        meter_code=raw.meter_code[mask],
        start_utc_s=raw.start_utc_s[mask],
        value=raw.value[mask],
        row_number=raw.row_number[mask],
        unit=raw.unit,
        notes=raw.notes,
    )


def _rescale_wh_meters(
    names: StrArray, codes: IntArray, energy: FloatArray, interval_h: float, limits: CleaningLimits
) -> tuple[FloatArray, list[str]]:
    """Rule 6: whole meters whose median power is only plausible divided by 1,000."""
    median_kw = _per_meter_quantile(codes, energy / interval_h, names.size, 0.5)
    wh = (median_kw > limits.max_meter_power_kw) & (
        median_kw / WH_FACTOR <= limits.max_meter_power_kw
    )
    if not wh.any():
        return energy, []
    return np.where(wh[codes], energy / WH_FACTOR, energy), [str(n) for n in names[wh]]


def _compact(names: StrArray, codes: IntArray) -> tuple[StrArray, IntArray]:
    """Only the meters that kept readings, renumbered in order."""
    used = np.unique(codes)
    remap = np.full(names.size, -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    return names[used], remap[codes]


def _gaps(codes: IntArray, times: IntArray, interval_s: int) -> tuple[int, int]:
    """(missing intervals between each meter's first and last reading, meters with gaps).

    ``codes`` sorted, ``times`` ascending within each meter, no duplicates.
    """
    if codes.size == 0:
        return 0, 0
    starts = np.flatnonzero(_segment_starts(codes))
    ends = np.append(starts[1:], codes.size) - 1
    expected = (times[ends] - times[starts]) // interval_s + 1
    missing = expected - (ends - starts + 1)
    return int(missing.sum()), int(np.count_nonzero(missing))


#: p95 power above this multiple of the contracted capacity is worth a look at the unit
CAPACITY_WARNING_RATIO: Final = 2.0


def capacity_warnings(
    clean: CleanReadings, contracted_capacity_kw: Mapping[str, float]
) -> tuple[str, ...]:
    """Meters whose 95th-percentile power exceeds twice their facility's contracted capacity.

    A factor of about 1,000 suggests Wh given as kWh; a factor of 2 (30-minute data) or 4
    (15-minute data) suggests energy per interval and average power confused. Nothing is
    changed: the analyst checks the file.
    """
    if not contracted_capacity_kw or clean.rows == 0:
        return ()
    power_kw = clean.energy_kwh / (clean.interval_minutes / 60)
    p95 = _per_meter_quantile(clean.meter_code, power_kw, clean.meter_names.size, 0.95)
    warnings = []
    for code, meter in enumerate(clean.meter_names.tolist()):
        capacity = contracted_capacity_kw.get(meter)
        if capacity and p95[code] > CAPACITY_WARNING_RATIO * capacity:
            warnings.append(
                f"meter {meter}: 95th-percentile power {p95[code]:,.0f} kW is "
                f"{p95[code] / capacity:,.1f}x the facility's contracted {capacity:,.0f} kW; "
                "check the unit (Wh given as kWh? energy per interval and average power "
                "confused?)"
            )
    return tuple(warnings)
