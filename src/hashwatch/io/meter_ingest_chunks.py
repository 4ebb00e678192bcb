"""A meter file, long or wide, read in chunks parsed as the whole-file reader parses.

Each chunk is parsed by the functions of :mod:`hashwatch.io.meter_files` (same checks in the
same order, same errors, rows numbered as in the file) into readings in the long form, as
:func:`~hashwatch.io.meter_files.read_meter_file` unpivots a wide file: ``r`` rows of ``m``
meter columns are ``r * m`` readings, meter by meter, each meter named by its column. A chunk
holds about ``chunk_rows`` readings: ``chunk_rows`` rows of a long file, ``chunk_rows // m``
rows of a wide CSV file (at least one); a wide Parquet file, stored column by column, is
read after its time column a few meter columns at a time, each whole (``chunk_rows // r``
columns), unless one column has more than ``chunk_rows`` rows: then by rows, as a CSV file.

Local times (``timezone``): a time that occurs twice (the clocks went back) is the earlier
instant at a meter's first row with it and the later one at its next rows
(:func:`~hashwatch.io.meter_files.later_occurrences`), which only a meter's own rows in file
order decide. A chunk of rows cannot know which rows repeat earlier chunks', so its readings
take every such time at its first occurrence and carry a key naming the time
(:class:`FoldKeys`, file-wide: the same text has the same key in every chunk, as it is one
distinct value of the whole column); the spill resolves them bucket by bucket, where each
meter's rows are in file order (:mod:`hashwatch.io.meter_ingest_stream`). A wide Parquet
file's time column, read whole, is resolved at once, as the whole-file reader does.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from hashwatch.detection.cleaning import FloatArray, IntArray, RawReadings, Unit
from hashwatch.errors import FileFormatError
from hashwatch.io.meter_files import (
    NULL_VALUES,
    Layout,
    Times,
    _csv_header,
    _locate_csv_problem,
    _long_columns,
    _parquet_names,
    _strings,
    _values,
    _wide_time_column,
    file_layout,
    read_times,
    resolve_times,
)
from hashwatch.io.meter_rows import RowContext, empty_line_gaps, line_blocks

#: CSV bytes per row of a long file assumed when turning ``chunk_rows`` into a block size
_CSV_BYTES_PER_ROW: Final = 64


@dataclass(frozen=True)
class Columns:
    """What is read from a file: its layout, columns and unit, as the whole-file reader reads."""

    source: str
    layout: Layout
    columns: list[str]  # read from the file
    numeric: list[str]  # the value columns (wide: one per meter)
    time_name: str
    value_column: str  # long: the value column; wide: "" (each meter is its own column)
    unit: Unit
    meters: list[str]  # wide: the meter ids, in column order; long: []


def file_columns(path: Path, layout: Layout | None, unit: Unit | None) -> Columns:
    """The columns of ``path`` and their roles; header errors as :func:`read_meter_file`'s."""
    names = _csv_header(path) if path.suffix.lower() == ".csv" else _parquet_names(path)
    chosen = file_layout(names, layout)
    if chosen is Layout.LONG:
        meter_name, time_name, value_name, value_unit = _long_columns(path.name, names, unit)
        columns = [meter_name, time_name, value_name]
        return Columns(
            path.name, chosen, columns, [value_name], time_name, value_name, value_unit, []
        )
    time_name = _wide_time_column(path.name, names)
    numeric = [n for n in names if n != time_name]
    meters = [n.strip() for n in numeric]
    return Columns(path.name, chosen, names, numeric, time_name, "", unit or Unit.KWH, meters)


@dataclass
class FoldKeys:
    """File-wide keys of the local times that occur twice, and how far apart they are.

    Key 0 is a time that occurs once (or carries its offset); key ``k > 0`` names one
    distinct text (``ids``: text → key), whose second occurrence is ``later_s[k - 1]``
    seconds after its first.
    """

    ids: dict[str, int] = field(default_factory=dict)
    later_s: list[int] = field(default_factory=list)

    def of(self, times: Times) -> IntArray:
        """The key of each row of ``times``."""
        per_time = np.zeros(times.later_s.size, dtype=np.int64)
        for code in np.flatnonzero(times.later_s).tolist():
            text = times.texts[code]
            if text not in self.ids:
                self.ids[text] = len(self.ids) + 1
                self.later_s.append(int(times.later_s[code]))
            per_time[code] = self.ids[text]
        return per_time[times.indices]

    def later_by_key(self) -> IntArray:
        """Seconds from first to second occurrence, indexed by key (0 for key 0)."""
        return np.asarray([0, *self.later_s], dtype=np.int64)


@dataclass(frozen=True)
class Chunk:
    """A chunk's readings (long form, times at their first occurrence) and their fold keys."""

    raw: RawReadings
    fold_key: IntArray  # (N,) see :class:`FoldKeys`
    file_rows: int  # rows of the file in the chunk
    fall_back_rows: int  # of which in the hour the clocks went back (the note counts them)
    notes: tuple[str, ...]


def chunks(
    path: Path,
    columns: Columns,
    zone: zoneinfo.ZoneInfo | None,
    chunk_rows: int,
    keys: FoldKeys,
) -> Iterator[Chunk]:
    """The file's chunks in file order (an empty file gives none)."""
    csv = path.suffix.lower() == ".csv"
    if columns.layout is Layout.WIDE and not csv:
        parquet = _parquet_file(path)
        if parquet.metadata.num_rows <= chunk_rows:  # else by rows: a column exceeds a chunk
            yield from _wide_parquet_chunks(path, parquet, columns, zone, chunk_rows)
            return
    rows_per_chunk = max(1, chunk_rows // max(1, len(columns.meters)))
    for table, first_row, gaps in _tables(path, columns, rows_per_chunk):
        if table.num_rows == 0:
            continue
        context = RowContext(path.name, first_row, zone, gaps)
        if columns.layout is Layout.LONG:
            yield _long_chunk(context, table, columns, keys)
        else:
            yield _wide_chunk(context, table, columns, keys)


def _long_chunk(ctx: RowContext, table: pa.Table, columns: Columns, keys: FoldKeys) -> Chunk:
    """As :func:`~hashwatch.io.meter_files._long_readings`: meters, then times, then values."""
    meter_name, time_name, value_name = columns.columns
    codes, meters = _strings(ctx, table.column(meter_name), meter_name)
    times = read_times(ctx, table.column(time_name), time_name)
    raw = RawReadings(
        source=ctx.source,
        value_column=value_name,
        meter_names=np.asarray(meters, dtype=np.str_),
        meter_code=codes,
        start_utc_s=times.utc_s,
        value=_values(ctx, table.column(value_name), value_name),
        row_number=ctx.file_rows(table.num_rows),
        unit=columns.unit,
    )
    fold_key = keys.of(times)
    return Chunk(raw, fold_key, table.num_rows, int(np.count_nonzero(fold_key)), (*times.notes,))


def _wide_chunk(ctx: RowContext, table: pa.Table, columns: Columns, keys: FoldKeys) -> Chunk:
    """As :func:`~hashwatch.io.meter_files._wide_readings`: times, then each meter column."""
    rows, meters = table.num_rows, len(columns.meters)
    times = read_times(ctx, table.column(columns.time_name), columns.time_name)
    fold_key = keys.of(times)
    raw = RawReadings(
        source=ctx.source,
        value_column="",
        meter_names=np.asarray(columns.meters, dtype=np.str_),
        meter_code=np.repeat(np.arange(meters, dtype=np.int64), rows),
        start_utc_s=np.tile(times.utc_s, meters),
        value=_meter_values(ctx, table, columns.numeric),
        row_number=np.tile(ctx.file_rows(rows), meters),
        unit=columns.unit,
    )
    fall_back = int(np.count_nonzero(fold_key))  # time rows, as the whole-file note counts
    return Chunk(raw, np.tile(fold_key, meters), rows, fall_back, (*times.notes,))


def _parquet_file(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise FileFormatError(f"{path.name}: not a readable Parquet file ({exc})") from None


def _wide_parquet_chunks(
    path: Path,
    parquet: pq.ParquetFile,
    columns: Columns,
    zone: zoneinfo.ZoneInfo | None,
    chunk_rows: int,
) -> Iterator[Chunk]:
    """A wide Parquet file of at most ``chunk_rows`` rows, a few meter columns at a time.

    Parquet stores a file column by column, so reading some columns of every row costs what
    reading some rows of every column would, without the overhead per column and batch.
    The time column is read and resolved first and alone, as the whole-file reader does (a
    wide file's repeated local hour is resolved once for all meters), then each meter
    column's values in column order: the same checks in the same order, so the same errors,
    whatever the faults.
    """
    rows = parquet.metadata.num_rows
    if rows == 0:
        return
    context = RowContext(path.name, 1, zone)
    try:
        column = parquet.read(columns=[columns.time_name]).column(0)
    except (pa.ArrowException, OSError) as exc:
        raise FileFormatError(f"{path.name}: not a readable Parquet file ({exc})") from None
    times = read_times(context, column, columns.time_name)
    utc, fall_back = resolve_times(times, np.zeros(rows, dtype=np.int64))
    per_chunk = max(1, chunk_rows // rows)
    row_number = np.arange(rows, dtype=np.int64) + 1
    for start in range(0, len(columns.numeric), per_chunk):
        names = columns.numeric[start : start + per_chunk]
        try:
            table = parquet.read(columns=names)
        except (pa.ArrowException, OSError) as exc:
            raise FileFormatError(f"{path.name}: not a readable Parquet file ({exc})") from None
        meters = len(names)
        raw = RawReadings(
            source=path.name,
            value_column="",
            meter_names=np.asarray(columns.meters[start : start + meters], dtype=np.str_),
            meter_code=np.repeat(np.arange(meters, dtype=np.int64), rows),
            start_utc_s=np.tile(utc, meters),
            value=_meter_values(context, table, names),
            row_number=np.tile(row_number, meters),
            unit=columns.unit,
        )
        first = start == 0  # the file's rows, and the notes on its times, once
        yield Chunk(
            raw,
            np.zeros(rows * meters, dtype=np.int64),
            rows if first else 0,
            fall_back if first else 0,
            (*times.notes,) if first else (),
        )


def _meter_values(ctx: RowContext, table: pa.Table, names: list[str]) -> FloatArray:
    """The values of the meter columns ``names``, one column after another, NaN where blank.

    Columns of numbers (any CSV read, most Parquet files) are joined in one step; otherwise
    each column is read (and checked) as the whole-file reader reads it.
    """
    columns = [table.column(name) for name in names]
    if all(column.type == pa.float64() for column in columns):
        arrays = [array for column in columns for array in column.chunks]
        if arrays:
            return np.asarray(pa.concat_arrays(arrays).to_numpy(zero_copy_only=False))
    return np.concatenate([_values(ctx, c, n) for c, n in zip(columns, names, strict=True)])


def _tables(
    path: Path, columns: Columns, rows_per_chunk: int
) -> Iterator[tuple[pa.Table, int, IntArray | None]]:
    """The file's tables in file order, each with the file row of its first line and the
    empty lines pyarrow skipped in it (see :class:`~hashwatch.io.meter_rows.RowContext`)."""
    if path.suffix.lower() != ".csv":
        try:
            parquet, first_row = pq.ParquetFile(path), 1
            for batch in parquet.iter_batches(batch_size=rows_per_chunk, columns=columns.columns):
                yield pa.Table.from_batches([batch]), first_row, None
                first_row += batch.num_rows
        except (pa.ArrowException, OSError) as exc:
            raise FileFormatError(f"{path.name}: not a readable Parquet file ({exc})") from None
        return
    numeric = set(columns.numeric)
    types = {n: (pa.float64() if n in numeric else pa.string()) for n in columns.columns}
    options = pacsv.ConvertOptions(
        column_types=types,
        include_columns=columns.columns,
        null_values=NULL_VALUES,
        strings_can_be_null=True,
    )
    parse = pacsv.ParseOptions(newlines_in_values=False)
    line_bytes = _CSV_BYTES_PER_ROW if columns.layout is Layout.LONG else _first_line_bytes(path)
    # a wide block has few rows of many columns: pyarrow's threads cost more than they gain
    read = pacsv.ReadOptions(use_threads=columns.layout is Layout.LONG)
    first_row = 2  # the header is row 1
    for header, block in _csv_blocks(path, max(rows_per_chunk * line_bytes, 4096)):
        try:
            table = pacsv.read_csv(
                pa.BufferReader(header + block),
                read_options=read,
                parse_options=parse,
                convert_options=options,
            )
        except pa.ArrowException as exc:
            _locate_csv_problem(path, columns.numeric)
            raise FileFormatError(f"{path.name}: cannot read the CSV file ({exc})") from None
        yield table, first_row, empty_line_gaps(block)
        first_row += block.count(b"\n")


def _first_line_bytes(path: Path) -> int:
    """The length of the first data line (else the header's): a wide file's row size."""
    with path.open("rb") as handle:
        header = handle.readline()
        return len(handle.readline()) or len(header) or 1


def _csv_blocks(path: Path, block_bytes: int) -> Iterator[tuple[bytes, bytes]]:
    """The header line and, after it, the file in blocks of whole lines (a row is a line).

    Cut here rather than by :func:`pyarrow.csv.open_csv`, whose reader runs ahead of its
    consumer by hundreds of megabytes. The last line may lack its line end (even blank:
    pyarrow reads it).
    """
    with path.open("rb") as handle:
        header = handle.readline()
        for block in line_blocks(handle, block_bytes):
            yield header, block
