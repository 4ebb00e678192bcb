"""Reading interval meter data from CSV and Parquet, in long or wide layout.

Long: one row per reading, columns ``meter_id``, ``interval_start`` and one value column,
``energy_kwh`` (also ``energy_wh``, ``energy_mwh``) or ``power_kw`` (also ``power_w``,
``power_mw``); a column named ``value``, ``energy`` or ``power`` takes its unit from
``unit``. Wide: an ``interval_start`` column (or ``timestamp``, ``time``, ``datetime``) and
one column per meter, named by its meter id, in ``unit`` (default kWh per interval).

``interval_start`` is ISO 8601 with a UTC offset (``2021-04-01T00:00:00+08:00``, ``...Z``), a
Parquet timestamp with a time zone, or local time without an offset when ``timezone`` names
the IANA zone it is in. Local times that do not exist (clocks spring forward) are errors;
local times that occur twice (clocks fall back) are taken in file order, per meter: the
first row is the earlier instant.

What cannot be read is a :class:`~hashwatch.errors.FileFormatError` (or
:class:`~hashwatch.errors.InputError`) naming the file, row and column. CSV rows are
numbered as a spreadsheet shows them (the header is row 1, empty lines count); Parquet rows
from 1. Cleaning happens afterwards (:mod:`hashwatch.detection.cleaning`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from hashwatch.detection.cleaning import BoolArray, IntArray, RawReadings, StrArray, Unit
from hashwatch.errors import FileFormatError, InputError
from hashwatch.io.meter_rows import RowContext, csv_gaps


@dataclass(frozen=True)
class _DistinctTimes:
    """The distinct times of a column: index per row, wall-clock seconds, offsets, texts."""

    indices: IntArray
    wall_s: IntArray
    offsets: list[int | None]
    texts: list[str]


@dataclass(frozen=True)
class Times:
    """A time column's rows before a local time that occurs twice is resolved.

    ``utc_s`` takes such a time at its first occurrence (the earlier instant); a row that
    repeats an earlier row's meter and time (:func:`later_occurrences`) adds
    ``later_s[indices[row]]`` to be the later instant.
    """

    utc_s: IntArray  # (N,) UTC epoch seconds
    indices: IntArray  # (N,) the distinct time of each row, into ``texts``
    texts: list[str]  # the distinct times as written
    later_s: IntArray  # per distinct time: its second occurrence minus its first [s], or 0
    notes: list[str]


class Layout(StrEnum):
    LONG = "long"
    WIDE = "wide"


UNIT_COLUMNS: Final = {
    "energy_kwh": Unit.KWH,
    "energy_wh": Unit.WH,
    "energy_mwh": Unit.MWH,
    "power_kw": Unit.KW,
    "power_w": Unit.W,
    "power_mw": Unit.MW,
}
GENERIC_VALUE_COLUMNS: Final = ("value", "energy", "power")
TIME_COLUMNS: Final = ("interval_start", "timestamp", "time", "datetime")
NULL_VALUES: Final = ["", "NA", "N/A", "NULL", "null", "NaN", "nan"]
_EPOCH: Final = dt.datetime(1970, 1, 1)  # noqa: DTZ001 - naive wall-clock arithmetic


def read_meter_file(
    path: Path,
    *,
    layout: Layout | None = None,
    timezone: str | None = None,
    unit: Unit | None = None,
) -> RawReadings:
    """The readings of a CSV or Parquet file, as rows; layout detected unless given."""
    zone = _zone(timezone)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise FileFormatError(f"{path.name}: meter data must be a .csv or .parquet file")
    if not path.is_file():
        raise InputError(f"{path}: no such file", field="file")
    names = _csv_header(path) if suffix == ".csv" else _parquet_names(path)
    chosen = file_layout(names, layout)
    if chosen is Layout.LONG:
        meter_name, time_name, value_name, value_unit = _long_columns(path.name, names, unit)
        wanted, numeric = [meter_name, time_name, value_name], [value_name]
    else:
        time_name, value_unit = _wide_time_column(path.name, names), unit or Unit.KWH
        wanted, numeric = names, [n for n in names if n != time_name]
    if suffix == ".csv":
        table = _read_csv(path, wanted, numeric)
        context = RowContext(path.name, 2, zone, csv_gaps(path))  # pyarrow skips empty lines
    else:
        table, context = _read_parquet(path, wanted), RowContext(path.name, 1, zone)
    if table.num_rows == 0:
        raise FileFormatError(f"{path.name}: the file has no rows")
    if chosen is Layout.LONG:
        return _long_readings(context, table, wanted, value_unit)
    return _wide_readings(context, table, time_name, value_unit)


def file_layout(names: list[str], layout: Layout | None = None) -> Layout:
    """``layout`` when given, else long if a column is ``meter_id`` (any case), else wide."""
    return layout or (Layout.LONG if _find(names, ("meter_id",)) else Layout.WIDE)


def _wide_time_column(source: str, names: list[str]) -> str:
    time_name = _find(names, TIME_COLUMNS)
    if time_name is None:
        raise FileFormatError(
            f"{source}: a wide file needs an interval_start column (and one column per "
            "meter); a long file needs meter_id, interval_start and a value column"
        )
    _check_unique(source, names)
    if len(names) < 2:
        raise FileFormatError(f"{source}: the wide file has no meter columns")
    return time_name


def _zone(timezone: str | None) -> zoneinfo.ZoneInfo | None:
    if timezone is None:
        return None
    try:
        return zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"unknown time zone {timezone!r}: give an IANA name such as Asia/Shanghai",
            field="timezone",
        ) from None


def _find(names: list[str], candidates: tuple[str, ...]) -> str | None:
    lowered = {n.strip().lower(): n for n in names}
    return next((lowered[c] for c in candidates if c in lowered), None)


def _check_unique(source: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise FileFormatError(f"{source}: column {name!r} appears twice", field=name)
        seen.add(name)


def _long_columns(source: str, names: list[str], unit: Unit | None) -> tuple[str, str, str, Unit]:
    meter, time = _find(names, ("meter_id",)), _find(names, ("interval_start",))
    if meter is None or time is None:
        raise FileFormatError(
            f"{source}: a long file needs the columns meter_id and interval_start "
            f"(found {', '.join(names)})",
            field="interval_start" if meter else "meter_id",
        )
    with_unit = [n for n in names if n.strip().lower() in UNIT_COLUMNS]
    generic = [n for n in names if n.strip().lower() in GENERIC_VALUE_COLUMNS]
    if len(with_unit) + len(generic) != 1:
        raise FileFormatError(
            f"{source}: a long file needs exactly one value column: energy_kwh or power_kw "
            "(or energy_wh, energy_mwh, power_w, power_mw; or value with --unit); "
            f"found {', '.join(with_unit + generic) or 'none'}",
            field="energy_kwh",
        )
    if with_unit:
        declared = UNIT_COLUMNS[with_unit[0].strip().lower()]
        if unit is not None and unit is not declared:
            raise InputError(
                f"{source}: column {with_unit[0]} says {declared.value}, --unit says "
                f"{unit.value}; rename the column or drop --unit",
                field="unit",
            )
        return meter, time, with_unit[0], declared
    if unit is None:
        raise InputError(
            f"{source}: column {generic[0]} has no unit in its name: give --unit "
            "(kwh, wh, mwh per interval, or kw, w, mw average power)",
            field="unit",
        )
    return meter, time, generic[0], unit


def _csv_header(path: Path) -> list[str]:
    with path.open("rb") as raw:
        first = raw.readline()
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileFormatError(f"{path.name}: the header is not UTF-8 text", row=1) from None
    try:
        cells = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:  # lines ended by CR alone: the first "line" is the whole file
        message = f"{path.name}: the header row is not one line of CSV; save as CSV UTF-8"
        raise FileFormatError(message, row=1) from None
    if not cells or not any(c.strip() for c in cells):
        raise FileFormatError(f"{path.name}: the file is empty or has no header row", row=1)
    return cells  # as written: pyarrow names the columns so; matching ignores spaces


def _parquet_names(path: Path) -> list[str]:
    try:
        return list(pq.read_schema(path).names)
    except (pa.ArrowException, OSError) as exc:
        raise FileFormatError(f"{path.name}: not a readable Parquet file ({exc})") from None


def _read_parquet(path: Path, columns: list[str]) -> pa.Table:
    try:
        return pq.read_table(path, columns=columns)
    except (pa.ArrowException, OSError) as exc:
        raise FileFormatError(f"{path.name}: not a readable Parquet file ({exc})") from None


def _read_csv(path: Path, columns: list[str], numeric: list[str]) -> pa.Table:
    types = {name: (pa.float64() if name in numeric else pa.string()) for name in columns}
    try:
        return pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=columns,
                null_values=NULL_VALUES,
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowException as exc:
        _locate_csv_problem(path, numeric)
        raise FileFormatError(f"{path.name}: cannot read the CSV file ({exc})") from None


def _locate_csv_problem(path: Path, numeric: list[str]) -> None:
    """Raise an error naming the first bad row and column (after pyarrow refused the file)."""
    with path.open("rb") as handle:
        _check_csv_rows(path, _decoded_lines(path, handle), numeric)


def _decoded_lines(path: Path, handle: io.BufferedReader) -> Iterator[str]:
    """The file's lines as text, read one at a time; a byte that is not UTF-8 is an error."""
    offset = 0
    for row, line in enumerate(handle, start=1):
        try:
            yield line.decode("utf-8-sig" if row == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            bad = offset + exc.start + (3 if row == 1 and line.startswith(b"\xef\xbb\xbf") else 0)
            raise FileFormatError(
                f"{path.name}: not UTF-8 text (bad byte at offset {bad}); save as CSV UTF-8",
                row=row,
            ) from None
        offset += len(line)


def _check_csv_rows(path: Path, lines: Iterator[str], numeric: list[str]) -> None:
    reader = csv.reader(lines)
    header = next(reader)
    positions = [(header.index(name), name) for name in numeric]
    row = 1
    for row, cells in enumerate(reader, start=2):
        if cells and len(cells) != len(header):  # an empty line ([]) is skipped, as pyarrow does
            raise FileFormatError(
                f"{path.name}: the row has {len(cells)} cells, the header {len(header)}",
                row=row,
            )
        for index, name in positions:
            cell = cells[index].strip() if index < len(cells) else ""
            if cell in NULL_VALUES:
                continue
            try:
                float(cell)
            except ValueError:
                raise InputError(
                    f"{path.name}, column {name}: {cell!r} is not a number", field=name, row=row
                ) from None
    if row == 1:  # pyarrow refuses a header without a line end and no rows
        raise FileFormatError(f"{path.name}: the file has no rows")


def _strings(ctx: RowContext, column: pa.ChunkedArray, name: str) -> tuple[IntArray, list[str]]:
    """(index per row, distinct values) of a text column; a blank cell is an error."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.string())
    encoded = column.combine_chunks().dictionary_encode()
    if encoded.null_count:
        first = int(np.flatnonzero(encoded.is_null().to_numpy(zero_copy_only=False))[0])
        raise InputError(f"{ctx.source}, column {name}: blank", field=name, row=ctx.file_row(first))
    indices = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return indices, encoded.dictionary.to_pylist()


def _wall_and_offset(text: str) -> tuple[int, int | None]:
    """(wall-clock seconds since 1970, UTC offset in seconds or None) of an ISO 8601 time."""
    moment = dt.datetime.fromisoformat(text.strip())
    wall = int((moment.replace(tzinfo=None) - _EPOCH).total_seconds())
    offset = moment.utcoffset()
    return wall, None if offset is None else int(offset.total_seconds())


def _first_row(indices: IntArray, code: int, ctx: RowContext) -> int:
    return ctx.file_row(int(np.flatnonzero(indices == code)[0]))


def _times_utc_s(
    ctx: RowContext, column: pa.ChunkedArray, name: str, meter_code: IntArray
) -> tuple[IntArray, list[str]]:
    """Each row's interval start as UTC epoch seconds, and notes on how times were read."""
    times = read_times(ctx, column, name)
    utc, fall_back_rows = resolve_times(times, meter_code)
    return utc, [*times.notes, *([fall_back_note(fall_back_rows)] if fall_back_rows else [])]


def resolve_times(times: Times, meter_code: IntArray) -> tuple[IntArray, int]:
    """UTC seconds, a local time that occurs twice resolved per meter in file order; and the
    number of rows in the hour the clocks went back."""
    later = times.later_s[times.indices] != 0
    if not later.any():
        return times.utc_s, 0
    rows = np.flatnonzero(later)
    repeat = rows[later_occurrences(meter_code[rows], times.indices[rows])]
    utc = times.utc_s.copy()
    utc[repeat] += times.later_s[times.indices[repeat]]
    return utc, int(rows.size)


def read_times(ctx: RowContext, column: pa.ChunkedArray, name: str) -> Times:
    """A time column's rows, a local time that occurs twice taken at its first occurrence."""
    kind = column.type
    if column.null_count:  # a blank text, or a Parquet timestamp that is null
        first = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise InputError(f"{ctx.source}, column {name}: blank", field=name, row=ctx.file_row(first))
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        seconds = pc.cast(column, pa.timestamp("s", tz=kind.tz), safe=False).cast(pa.int64())
        utc = seconds.to_numpy().astype(np.int64)
        return Times(utc, np.zeros(utc.size, np.int64), [""], np.zeros(1, np.int64), [])
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        wall = pc.cast(column, pa.timestamp("s"), safe=False).cast(pa.int64())
        walls = wall.combine_chunks().dictionary_encode()
        wall_s = walls.dictionary.to_numpy(zero_copy_only=False).astype(np.int64)
        distinct = _DistinctTimes(
            indices=walls.indices.to_numpy(zero_copy_only=False).astype(np.int64),
            wall_s=wall_s,
            offsets=[None] * wall_s.size,
            texts=[(_EPOCH + dt.timedelta(seconds=int(w))).isoformat() for w in wall_s],
        )
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        distinct = _parse_texts(ctx, column, name)
    else:
        raise FileFormatError(f"{ctx.source}, column {name}: holds {kind}, not times", field=name)
    return _resolve(ctx, name, distinct)


def _parse_texts(ctx: RowContext, column: pa.ChunkedArray, name: str) -> _DistinctTimes:
    indices, texts = _strings(ctx, column, name)
    parsed = []
    for code, text in enumerate(texts):
        try:
            parsed.append(_wall_and_offset(text))
        except ValueError:
            raise InputError(
                f"{ctx.source}, column {name}: {text!r} is not an ISO 8601 time "
                "(such as 2021-04-01T00:00:00+08:00)",
                field=name,
                row=_first_row(indices, code, ctx),
            ) from None
    wall_s = np.asarray([w for w, _ in parsed], dtype=np.int64)
    return _DistinctTimes(indices, wall_s, [o for _, o in parsed], texts)


def _local_offsets(
    ctx: RowContext, name: str, distinct: _DistinctTimes, code: int
) -> tuple[int, int]:
    """UTC offsets [s] of a local time at its first and second occurrence (fold 0 and 1)."""
    zone = ctx.zone
    local = _EPOCH + dt.timedelta(seconds=int(distinct.wall_s[code]))
    first, second = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    if first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != local:
        raise InputError(
            f"{ctx.source}, column {name}: {distinct.texts[code]!r} does not exist in {zone} "
            "(the clocks went forward)",
            field=name,
            row=_first_row(distinct.indices, code, ctx),
        )
    offset0 = first.utcoffset() or dt.timedelta()
    offset1 = second.utcoffset() or dt.timedelta()
    return int(offset0.total_seconds()), int(offset1.total_seconds())


def _resolve(ctx: RowContext, name: str, distinct: _DistinctTimes) -> Times:
    """UTC seconds from wall-clock seconds and offsets; local times through the zone."""
    offset0 = np.asarray([o or 0 for o in distinct.offsets], dtype=np.int64)
    offset1 = offset0.copy()
    naive = [code for code, offset in enumerate(distinct.offsets) if offset is None]
    notes: list[str] = []
    if naive and ctx.zone is None:
        raise InputError(
            f"{ctx.source}, column {name}: {distinct.texts[naive[0]]!r} has no UTC offset; "
            "give --timezone (for example Asia/Shanghai) or write times with their offset",
            field=name,
            row=_first_row(distinct.indices, naive[0], ctx),
        )
    for code in naive:
        offset0[code], offset1[code] = _local_offsets(ctx, name, distinct, code)
    if naive:
        notes.append(f"times without an offset were read as local time in {ctx.zone}")
    utc = distinct.wall_s[distinct.indices] - offset0[distinct.indices]
    return Times(utc.astype(np.int64), distinct.indices, distinct.texts, offset0 - offset1, notes)


def later_occurrences(meter_code: IntArray, key: IntArray) -> BoolArray:
    """Rows (in file order) that repeat an earlier row's meter and local time ``key``.

    Only a meter's own rows and their order matter, so rows split by meter (as the streamed
    ingest splits a file into buckets, keeping file order) give the same answer.
    """
    order = np.lexsort((np.arange(key.size), key, meter_code))
    repeat = np.zeros(order.size, dtype=bool)
    repeat[1:] = (meter_code[order][1:] == meter_code[order][:-1]) & (
        key[order][1:] == key[order][:-1]
    )
    later = np.zeros(key.size, dtype=bool)
    later[order[repeat]] = True
    return later


def fall_back_note(rows: int) -> str:
    """The note on ``rows`` rows read in the hour the clocks went back."""
    return (
        f"{rows} reading(s) in the hour the clocks went back: per meter, the first "
        "row was taken as the earlier instant, the next as the later"
    )


def _values(ctx: RowContext, column: pa.ChunkedArray, name: str) -> np.ndarray[Any, Any]:
    """A value column as floats, NaN where blank; text read as a CSV cell is, row by row
    (a blank text is blank, anything else not a number an error naming its row)."""
    try:
        floats = column.cast(pa.float64())
    except pa.ArrowException:
        return _text_values(ctx, column, name)
    return np.asarray(floats.to_numpy(zero_copy_only=False), dtype=np.float64)


def _text_values(ctx: RowContext, column: pa.ChunkedArray, name: str) -> np.ndarray[Any, Any]:
    try:
        texts = column.cast(pa.string()).to_pylist()
    except pa.ArrowException:
        message = f"{ctx.source}, column {name}: holds {column.type}, not numbers"
        raise FileFormatError(message, field=name) from None
    values = np.full(len(texts), np.nan)
    for index, text in enumerate(texts):
        cell = "" if text is None else text.strip()
        if cell in NULL_VALUES:
            continue
        try:
            values[index] = float(cell.replace("_", "x"))  # not 1_000, as pyarrow
        except ValueError:
            message = f"{ctx.source}, column {name}: {text!r} is not a number"
            raise InputError(message, field=name, row=ctx.file_row(index)) from None
    return values


def _long_readings(ctx: RowContext, table: pa.Table, columns: list[str], unit: Unit) -> RawReadings:
    meter_name, time_name, value_name = columns
    codes, meters = _strings(ctx, table.column(meter_name), meter_name)
    times, notes = _times_utc_s(ctx, table.column(time_name), time_name, codes)
    return RawReadings(
        source=ctx.source,
        value_column=value_name,
        meter_names=np.asarray(meters, dtype=np.str_),
        meter_code=codes,
        start_utc_s=times,
        value=_values(ctx, table.column(value_name), value_name),
        row_number=ctx.file_rows(table.num_rows),
        unit=unit,
        notes=tuple(notes),
    )


def _wide_readings(ctx: RowContext, table: pa.Table, time_name: str, unit: Unit) -> RawReadings:
    meters = [n for n in table.column_names if n != time_name]
    rows = table.num_rows
    times, notes = _times_utc_s(ctx, table.column(time_name), time_name, np.zeros(rows, np.int64))
    meter_names: StrArray = np.asarray([m.strip() for m in meters], dtype=np.str_)
    return RawReadings(
        source=ctx.source,
        value_column="",
        meter_names=meter_names,
        meter_code=np.repeat(np.arange(len(meters), dtype=np.int64), rows),
        start_utc_s=np.tile(times, len(meters)),
        value=np.concatenate([_values(ctx, table.column(m), m) for m in meters]),
        row_number=np.tile(ctx.file_rows(rows), len(meters)),
        unit=unit,
        notes=tuple(notes),
    )
