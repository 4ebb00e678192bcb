"""Side files of ``hashwatch detect``: external daily series, temperature, labels, capacity;
and the candidates file it writes.

All CSV (UTF-8, header row; column names matched without regard to case). Errors name the
file, the row (as a spreadsheet numbers it, the header being row 1) and the column.

* external (``--external``): ``date`` (ISO, local) and one price column — a column whose
  name starts with ``hashprice`` is taken with a lag of one day (miners react to
  yesterday's revenue), any other (an electricity price) on the day — and optionally
  ``grid_peak_day`` (0/1). ``hashwatch demo meters`` writes such a file (``.daily.csv``).
* temperature (``--temperature``): ``interval_start`` (ISO 8601 with offset) and
  ``temperature_c``.
* labels (``--labels``): ``meter_id`` and ``is_mining`` (true/false, 1/0, yes/no); blank
  is unlabelled.
* capacity (``--capacity``): ``meter_id`` and ``capacity_kw`` (or
  ``contracted_capacity_kw``, as in the generator's ``.labels.csv``).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from hashwatch.detection.grid import DailySeries, IntervalSeries
from hashwatch.errors import InputError

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def _rows(
    path: Path, needed: tuple[str, ...]
) -> tuple[dict[str, str], Iterator[tuple[int, dict[str, str]]]]:
    """(lower-case name → header name, iterator of (row number, row))."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", field="file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: not UTF-8 text", field="file") from None
    reader = csv.DictReader(text.splitlines())
    names = {n.strip().lower(): n for n in reader.fieldnames or ()}
    missing = [n for n in needed if n not in names]
    if missing:
        raise InputError(f"{path.name}: no {', '.join(missing)} column", field=missing[0])
    return names, ((i + 2, row) for i, row in enumerate(reader))


def _number(path: Path, row: int, column: str, text: str | None) -> float:
    text = (text or "").strip()
    if not text:
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise InputError(
            f"{path.name}: row {row}, column {column}: {text!r} is not a number", field=column
        ) from None


def read_external(path: Path) -> DailySeries:
    """A daily external series (see the module docstring)."""
    names, rows = _rows(path, ("date",))
    price = [n for n in names if n not in ("date", "grid_peak_day")]
    column = price[0] if price else None
    dates, values, peaks = [], [], []
    for row_no, row in rows:
        text = (row[names["date"]] or "").strip()
        try:
            dates.append(dt.date.fromisoformat(text))
        except ValueError:
            raise InputError(
                f"{path.name}: row {row_no}, column date: {text!r} is not a date (YYYY-MM-DD)",
                field="date",
            ) from None
        values.append(_number(path, row_no, column, row[names[column]]) if column else math.nan)
        if "grid_peak_day" in names:
            peaks.append(_number(path, row_no, "grid_peak_day", row[names["grid_peak_day"]]))
    if column is None and "grid_peak_day" not in names:
        raise InputError(f"{path.name}: no price or grid_peak_day column", field="external")
    return DailySeries(
        dates=tuple(dates),
        value=np.asarray(values, dtype=np.float64),
        grid_peak_day=np.nan_to_num(np.asarray(peaks)) if "grid_peak_day" in names else None,
        lag_days=1 if column is not None and column.startswith("hashprice") else 0,
    )


def read_temperature(path: Path) -> IntervalSeries:
    """Outdoor temperature per interval (see the module docstring)."""
    names, rows = _rows(path, ("interval_start", "temperature_c"))
    starts, values = [], []
    for row_no, row in rows:
        text = (row[names["interval_start"]] or "").strip()
        try:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise InputError(
                f"{path.name}: row {row_no}, column interval_start: {text!r} is not an ISO "
                "8601 time with an offset",
                field="interval_start",
            )
        starts.append(int(when.timestamp()))
        values.append(_number(path, row_no, "temperature_c", row[names["temperature_c"]]))
    return IntervalSeries(np.asarray(starts, dtype=np.int64), np.asarray(values))


def read_labels(path: Path) -> dict[str, bool]:
    """Inspection outcomes: meter id → mining found (see the module docstring)."""
    names, rows = _rows(path, ("meter_id", "is_mining"))
    labels: dict[str, bool] = {}
    for row_no, row in rows:
        meter = (row[names["meter_id"]] or "").strip()
        text = (row[names["is_mining"]] or "").strip().lower()
        if not meter or not text:
            continue
        if text not in _TRUE | _FALSE:
            raise InputError(
                f"{path.name}: row {row_no}, column is_mining: {text!r} is not true or false",
                field="is_mining",
            )
        labels[meter] = text in _TRUE
    return labels


def read_capacity(path: Path) -> dict[str, float]:
    """Registered or declared capacity per meter [kW] (see the module docstring)."""
    names, _ = _rows(path, ("meter_id",))
    column = "capacity_kw" if "capacity_kw" in names else "contracted_capacity_kw"
    names, rows = _rows(path, ("meter_id", column))
    capacity = {}
    for row_no, row in rows:
        value = _number(path, row_no, column, row[names[column]])
        if not math.isnan(value):
            capacity[(row[names["meter_id"]] or "").strip()] = value
    return capacity


def write_candidates(table: pa.Table, path: Path) -> None:
    """The scores as CSV or Parquet (by the suffix), written under a temporary name first."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InputError(f"{path.name}: the output must end in .csv or .parquet", field="output")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if suffix == ".csv":
            pacsv.write_csv(table, tmp)
        else:
            pq.write_table(table, tmp, compression="zstd")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
