"""Reading long-format meter Parquet in tasks of whole meters, for the streaming engine.

A *source* is a Parquet file or a folder of them (such as the readings store,
``bucket=NN/readings.parquet``) with ``meter_id`` (text), ``interval_start`` (a timestamp)
and one value column: ``energy_kwh``, ``energy_wh``, ``energy_mwh`` (energy per interval) or
``power_kw``, ``power_w``, ``power_mw`` (average power), names matched without regard to
case. A *task* is a run of row groups of one file; :func:`read_task` returns its meters'
readings, whole: a meter that starts in the row group before the task belongs to the task
before, and a meter that runs on past the task's last row group is read to its end.

This needs each meter's rows together in the file (as the store and ``hashwatch demo
meters`` write them); :class:`NotClustered` says when they are not, and the engine then
goes through the ingest instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hashwatch.detection.cleaning import (
    FloatArray,
    IntArray,
    Unit,
    detect_interval_s,
    interval_minutes_or_hourly,
)
from hashwatch.errors import InputError

VALUE_COLUMNS: Final = {
    "energy_kwh": Unit.KWH,
    "energy_wh": Unit.WH,
    "energy_mwh": Unit.MWH,
    "power_kw": Unit.KW,
    "power_w": Unit.W,
    "power_mw": Unit.MW,
}


class NotStreamable(Exception):  # noqa: N818 (a signal to fall back, not an error)
    """The input cannot be streamed as it is (CSV, times as text, rows not grouped)."""


class NotClustered(NotStreamable):
    """A meter's rows are not together in the file."""


@dataclass(frozen=True)
class Source:
    """Parquet files of long-format readings and their column names."""

    files: tuple[Path, ...]
    meter_column: str
    time_column: str
    value_column: str
    unit: Unit


@dataclass(frozen=True)
class Task:
    file: Path
    first_group: int
    stop_group: int


@dataclass(frozen=True)
class TaskRows:
    """A task's readings: meter i of ``meter_ids`` has code i; energy per interval [kWh]."""

    meter_ids: list[str]
    meter_code: IntArray
    start_utc_s: IntArray
    energy_kwh: FloatArray


def open_source(path: Path) -> Source:
    """The Parquet file or folder at ``path``; :class:`NotStreamable` for anything else."""
    if path.is_dir():
        files = tuple(sorted(p for p in path.rglob("*.parquet") if not p.name.startswith(".")))
        if not files:
            raise InputError(f"{path}: no Parquet files in this folder", field="input")
    elif path.suffix.lower() == ".parquet":
        files = (path,)
    else:
        raise NotStreamable(f"{path.name} is not Parquet")
    schema = pq.read_schema(files[0])
    lower = {name.lower(): name for name in schema.names}
    for needed in ("meter_id", "interval_start"):
        if needed not in lower:
            raise NotStreamable(f"{files[0].name}: no {needed} column (a wide file?)")
    values = [lower[c] for c in VALUE_COLUMNS if c in lower]
    if len(values) != 1:
        raise NotStreamable(f"{files[0].name}: not exactly one value column with a unit")
    if not pa.types.is_timestamp(schema.field(lower["interval_start"]).type):
        raise NotStreamable(f"{files[0].name}: interval_start is not a timestamp")
    return Source(files, lower["meter_id"], lower["interval_start"], values[0],
                  VALUE_COLUMNS[values[0].lower()])  # fmt: skip


def plan_tasks(source: Source, rows_per_task: int) -> list[Task]:
    """Runs of whole row groups of about ``rows_per_task`` rows (at least one group each)."""
    tasks = []
    for file in source.files:
        meta = pq.ParquetFile(file).metadata
        start, rows = 0, 0
        for group in range(meta.num_row_groups):
            rows += meta.row_group(group).num_rows
            if rows >= rows_per_task:
                tasks.append(Task(file, start, group + 1))
                start, rows = group + 1, 0
        if start < meta.num_row_groups:
            tasks.append(Task(file, start, meta.num_row_groups))
    return tasks


def time_span_utc_s(source: Source) -> tuple[int, int]:
    """(first, last) ``interval_start`` over every file [s since the epoch, UTC].

    From the row groups' statistics where written (the stored integers, read without
    conversion), else by reading the column.
    """
    lows, highs = [], []
    for file in source.files:
        pf = pq.ParquetFile(file)
        index = pf.schema_arrow.get_field_index(source.time_column)
        for group in range(pf.metadata.num_row_groups):
            chunk = pf.metadata.row_group(group).column(index)
            span = _stats_span_s(chunk)
            if span is None:
                column = pf.read_row_group(group, columns=[source.time_column]).column(0)
                span = _column_span_s(column)
            if span is not None:
                lows.append(span[0])
                highs.append(span[1])
    if not lows:
        raise InputError("no readings to score", field="input")
    return min(lows), max(highs)


#: seconds per stored unit of a Parquet timestamp (its logical type's ``timeUnit``)
_STORED_PER_SECOND: Final = {"milliseconds": 1_000, "microseconds": 1_000_000,
                             "nanoseconds": 1_000_000_000}  # fmt: skip


def _stats_span_s(chunk: pq.ColumnChunkMetaData) -> tuple[int, int] | None:
    """(min, max) [s] from a column chunk's statistics; None when they cannot tell.

    An INT64 timestamp's statistics are its stored integers in the unit its logical type
    names, whatever unit the Arrow schema gives the column (a timestamp in seconds is
    stored in milliseconds), so the unit is read from the Parquet type. Anything else (no
    statistics, legacy INT96 times) is read from the data.
    """
    stats = chunk.statistics
    if stats is None or not stats.has_min_max or chunk.physical_type != "INT64":
        return None
    if stats.logical_type.type != "TIMESTAMP":
        return None
    per = _STORED_PER_SECOND.get(json.loads(stats.logical_type.to_json()).get("timeUnit"))
    if per is None:
        return None
    return int(stats.min_raw) // per, int(stats.max_raw) // per


def _column_span_s(column: pa.ChunkedArray) -> tuple[int, int] | None:
    """(min, max) [s] of a timestamp column read from the data; None when all blank."""
    seconds = _epoch_seconds(column.drop_null())
    if seconds.size == 0:
        return None
    return int(seconds.min()), int(seconds.max())


#: rows read to find the interval: a few dozen meters of a few months of hourly readings
INTERVAL_SAMPLE_ROWS: Final = 1 << 17


def detect_interval_minutes(source: Source) -> int:
    """The most common spacing of consecutive readings of a meter in the first rows.

    The first batch of the first file with readings: :data:`INTERVAL_SAMPLE_ROWS` rows, or
    its first row group when that is smaller. Not all of it: reading is the engine's main
    cost, and a few dozen meters' readings settle the most common spacing.
    :class:`NotClustered` when those rows' meters are not each together.
    """
    columns = [source.meter_column, source.time_column]
    for file in source.files:
        pf = pq.ParquetFile(file, read_dictionary=[source.meter_column])
        batch = next(pf.iter_batches(batch_size=INTERVAL_SAMPLE_ROWS, columns=columns), None)
        if batch is not None and batch.num_rows:
            break
    else:
        raise InputError(f"{source.files[0].name}: no readings", field="input")
    rows = table_rows(pa.Table.from_batches([batch]), source, with_value=False)
    codes = rows.meter_code
    runs = int(np.count_nonzero(codes[1:] != codes[:-1])) + 1
    if runs != np.unique(codes).size:
        raise NotClustered(f"{file.name}: a meter's rows are not together")
    spacing_s = detect_interval_s(codes, rows.start_utc_s)
    return interval_minutes_or_hourly(file.name, spacing_s)


def table_rows(table: pa.Table, source: Source, *, with_value: bool = True) -> TaskRows:
    ids = table.column(source.meter_column)
    if not pa.types.is_dictionary(ids.type):
        ids = pc.dictionary_encode(ids)
    ids = ids.unify_dictionaries() if isinstance(ids, pa.ChunkedArray) else ids
    combined = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    if combined.null_count:
        raise InputError(f"{source.files[0].name}: a blank meter_id", field="meter_id")
    codes = arrow_values(combined.indices).astype(np.int64)
    names = combined.dictionary.cast(pa.string()).to_pylist()
    start = _epoch_seconds(table.column(source.time_column))
    energy = np.empty(0)
    if with_value:
        value = table.column(source.value_column).cast(pa.float64())
        if value.null_count:
            value = value.fill_null(np.nan)
        energy = arrow_values(value)
        if source.unit.to_kilo != 1.0:
            energy = energy * source.unit.to_kilo
    return TaskRows(names, codes, start, energy)


def arrow_values(values: pa.Array | pa.ChunkedArray) -> np.ndarray[Any, Any]:
    """A numeric Arrow array without nulls as a read-only numpy array (a view of a single
    chunk), through DLPack.

    Not ``to_numpy``: pyarrow's conversion imports pandas on first use, a quarter of a second
    in each worker process that never needs it.
    """
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    parts = [np.from_dlpack(chunk) for chunk in chunks if len(chunk)]
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.zeros(0, dtype=values.type.to_pandas_dtype())
    return np.concatenate(parts)


_PER_SECOND: Final = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def _epoch_seconds(times: pa.ChunkedArray) -> IntArray:
    """Timestamps as whole seconds since the epoch (UTC); a blank time far before any grid."""
    unit = times.type.unit
    raw = times.cast(pa.int64())  # the stored integers, no conversion
    if raw.null_count:
        raw = raw.fill_null(-(2**62))
    values = arrow_values(raw)
    per = _PER_SECOND[unit]
    return np.asarray(values // per if per != 1 else values, dtype=np.int64)


def _by_run(rows: TaskRows, task: Task) -> TaskRows:
    """Meters numbered in order of appearance (no unused ids); NotClustered if one recurs."""
    codes = rows.meter_code
    if codes.size == 0:
        return TaskRows([], codes, rows.start_utc_s, rows.energy_kwh)
    starts = np.concatenate([[0], np.flatnonzero(codes[1:] != codes[:-1]) + 1])
    run_codes = codes[starts].tolist()
    if len(set(run_codes)) != len(run_codes):
        raise NotClustered(f"{task.file.name}: a meter's rows are not together")
    if run_codes == list(range(len(rows.meter_ids))):  # already in order of appearance
        return rows
    lengths = np.diff(np.concatenate([starts, [codes.size]]))
    new_codes = np.repeat(np.arange(len(run_codes), dtype=np.int64), lengths)
    ids = [rows.meter_ids[c] for c in run_codes]
    return TaskRows(ids, new_codes, rows.start_utc_s, rows.energy_kwh)


@dataclass(frozen=True)
class Piece:
    """Readings of a meter at the edge of a task, which may go on in the next task."""

    meter_id: str
    start_utc_s: IntArray
    energy_kwh: FloatArray


@dataclass(frozen=True)
class TaskRead:
    """A task's whole meters, and the pieces of the meters at its edges."""

    rows: TaskRows
    edges: list[Piece]


def read_task(task: Task, source: Source, interval_minutes: int) -> TaskRead:
    """The task's readings; energy per interval [kWh], NaN if blank.

    The first meter of a task that does not start the file, and the last of one that does
    not end it, may have readings in the neighbouring task: they are returned as pieces,
    for the caller to join (no row group is read twice).
    """
    pf = pq.ParquetFile(task.file, read_dictionary=[source.meter_column])
    columns = [source.meter_column, source.time_column, source.value_column]
    table = pf.read_row_groups(range(task.first_group, task.stop_group), columns=columns)
    rows = _by_run(table_rows(table, source), task)
    if source.unit.is_power:
        rows = TaskRows(rows.meter_ids, rows.meter_code, rows.start_utc_s,
                        rows.energy_kwh * interval_minutes / 60)  # fmt: skip
    n = len(rows.meter_ids)
    first = 1 if task.first_group > 0 and n else 0
    last = n - 1 if task.stop_group < pf.metadata.num_row_groups and n else n
    edges = sorted({i for i in (0, n - 1) if n and (i < first or i >= last)})
    bounds = np.searchsorted(rows.meter_code, np.arange(n + 1))
    pieces = [
        Piece(
            rows.meter_ids[i],
            rows.start_utc_s[bounds[i] : bounds[i + 1]],
            rows.energy_kwh[bounds[i] : bounds[i + 1]],
        )
        for i in edges
    ]
    lo, hi = first, max(last, first)
    whole = TaskRows(
        rows.meter_ids[lo:hi],
        rows.meter_code[bounds[lo] : bounds[hi]] - lo,
        rows.start_utc_s[bounds[lo] : bounds[hi]],
        rows.energy_kwh[bounds[lo] : bounds[hi]],
    )
    return TaskRead(whole, pieces)


def join_pieces(pieces: list[Piece]) -> TaskRows:
    """Pieces of meters (in task order) as the rows of whole meters, meters in id order."""
    ids = sorted({p.meter_id for p in pieces})
    code = {m: i for i, m in enumerate(ids)}
    ordered = sorted(range(len(pieces)), key=lambda k: (code[pieces[k].meter_id], k))
    return TaskRows(
        ids,
        np.concatenate(
            [np.full(pieces[k].start_utc_s.size, code[pieces[k].meter_id]) for k in ordered]
            or [np.zeros(0, dtype=np.int64)]
        ).astype(np.int64),
        np.concatenate([pieces[k].start_utc_s for k in ordered] or [np.zeros(0, np.int64)]),
        np.concatenate([pieces[k].energy_kwh for k in ordered] or [np.zeros(0)]),
    )
