"""Ingesting long-format meter files in bounded memory: chunks → bucket spill files → clean.

A long file (CSV or Parquet, times with their UTC offset) is read in chunks of about
``chunk_rows`` rows (CSV in blocks of whole lines, :meth:`pyarrow.parquet.ParquetFile.
iter_batches`). Each chunk is parsed as :mod:`hashwatch.io.meter_files` parses a whole file
(same errors, rows numbered as in the file) and its rows are routed to the store's 64 buckets
(CRC-32 of the meter id, :func:`~hashwatch.store.meter_readings.bucket_of`) as Arrow IPC spill
files in a temporary directory. A bucket holds every reading of its meters in file order, so
cleaning it alone (:func:`~hashwatch.detection.cleaning.clean_readings`) treats duplicates,
order, the Wh rule and gaps exactly as cleaning the whole file; the interval is detected from
the spacing counts of all buckets added together. Peak memory is one chunk plus one bucket.

Wide files and local times (``timezone``) are read whole (:func:`read_meter_file`): a wide
row holds every meter, and a repeated local hour is resolved per meter in file order.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from hashwatch.detection.cleaning import (
    CleaningLimits,
    CleaningReport,
    CleanReadings,
    DuplicatePolicy,
    IntArray,
    RawReadings,
    Unit,
    checked_interval_s,
    clean_readings,
    rescale_note,
    spacing_counts,
)
from hashwatch.errors import FileFormatError, InputError
from hashwatch.io.meter_files import (
    NULL_VALUES,
    Layout,
    _Context,
    _csv_header,
    _find,
    _locate_csv_problem,
    _long_columns,
    _long_readings,
    _parquet_names,
)
from hashwatch.store.meter_readings import BUCKETS, bucket_of

#: rows per chunk read from the input file
CHUNK_ROWS: Final = 250_000
#: CSV bytes per row assumed when turning ``chunk_rows`` into a block size
_CSV_BYTES_PER_ROW: Final = 64
_SPILL_SCHEMA: Final = pa.schema(
    [
        ("meter_id", pa.string()),
        ("start_utc_s", pa.int64()),
        ("value", pa.float64()),
        ("row_number", pa.int64()),
    ]
)


def streamable(path: Path, layout: Layout | None, timezone: str | None) -> bool:
    """Whether ``path`` is a readable long CSV or Parquet file read without a time zone."""
    if timezone is not None or layout is Layout.WIDE or not path.is_file():
        return False
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        return False
    try:
        names = _csv_header(path) if suffix == ".csv" else _parquet_names(path)
    except InputError:
        return False  # the whole-file reader gives the error
    return layout is Layout.LONG or _find(names, ("meter_id",)) is not None


@dataclass
class _Spill:
    """Where a file's rows went: one IPC file per bucket, and what was read."""

    source: str
    value_column: str
    unit: Unit
    rows_read: int = 0
    paths: dict[int, Path] = field(default_factory=dict)


@dataclass
class _Totals:
    """The cleaning report's counts, added up bucket by bucket."""

    counts: dict[str, int] = field(default_factory=dict)
    first: list[str] = field(default_factory=list)
    last: list[str] = field(default_factory=list)
    #: (row of the meter's first reading in the file, meter id)
    rescaled: list[tuple[int, str]] = field(default_factory=list)


_SUMMED: Final = (
    "rows_read",
    "rows_kept",
    "meters",
    "blank_values",
    "identical_duplicates_dropped",
    "conflicting_duplicates_resolved",
    "out_of_order_rows",
    "negative_values_dropped",
    "absurd_values_dropped",
    "missing_intervals",
    "meters_with_gaps",
)


def _batches(
    path: Path, columns: list[str], value_name: str, chunk_rows: int
) -> Iterator[pa.Table]:
    if path.suffix.lower() != ".csv":
        try:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows, columns=columns):
                yield pa.Table.from_batches([batch])
        except (pa.ArrowException, OSError) as exc:
            raise FileFormatError(f"{path.name}: not a readable Parquet file ({exc})") from None
        return
    types = {name: (pa.float64() if name == value_name else pa.string()) for name in columns}
    options = pacsv.ConvertOptions(
        column_types=types,
        include_columns=columns,
        null_values=NULL_VALUES,
        strings_can_be_null=True,
    )
    parse = pacsv.ParseOptions(newlines_in_values=False)
    for block in _csv_blocks(path, max(chunk_rows * _CSV_BYTES_PER_ROW, 4096)):
        try:
            table = pacsv.read_csv(
                pa.BufferReader(block), parse_options=parse, convert_options=options
            )
        except pa.ArrowException as exc:
            _locate_csv_problem(path, [value_name])
            raise FileFormatError(f"{path.name}: cannot read the CSV file ({exc})") from None
        yield table


def _csv_blocks(path: Path, block_bytes: int) -> Iterator[bytes]:
    """The file in blocks of whole lines (a row is a line), each after the header line.

    Cut here rather than by :func:`pyarrow.csv.open_csv`, whose reader runs ahead of its
    consumer by hundreds of megabytes.
    """
    with path.open("rb") as handle:
        header, rest = handle.readline(), b""
        while data := handle.read(block_bytes):
            data = rest + data
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            if cut:
                yield header + data[:cut]
        if rest.strip():
            yield header + rest


def _spill(path: Path, unit: Unit | None, spill_dir: Path, chunk_rows: int) -> _Spill:
    """Parse ``path`` chunk by chunk and append each row to its bucket's spill file."""
    suffix = path.suffix.lower()
    names = _csv_header(path) if suffix == ".csv" else _parquet_names(path)
    meter_name, time_name, value_name, value_unit = _long_columns(path.name, names, unit)
    columns = [meter_name, time_name, value_name]
    row_base = 2 if suffix == ".csv" else 1
    spill = _Spill(path.name, value_name, value_unit)
    writers: dict[int, pa.ipc.RecordBatchStreamWriter] = {}
    try:
        for chunk in _batches(path, columns, value_name, chunk_rows):
            if chunk.num_rows == 0:
                continue
            context = _Context(path.name, row_base + spill.rows_read, None)
            raw = _long_readings(context, chunk, columns, value_unit)
            spill.rows_read += chunk.num_rows
            _route(raw, spill, spill_dir, writers)
    finally:
        for writer in writers.values():
            writer.close()
    if spill.rows_read == 0:
        raise FileFormatError(f"{path.name}: the file has no rows")
    return spill


def _route(
    raw: RawReadings,
    spill: _Spill,
    spill_dir: Path,
    writers: dict[int, pa.ipc.RecordBatchStreamWriter],
) -> None:
    row_bucket = bucket_of(raw.meter_names.tolist())[raw.meter_code]
    order = np.argsort(row_bucket, kind="stable")  # file order within each bucket
    sorted_buckets = row_bucket[order]
    names = pa.array(raw.meter_names.tolist(), type=pa.string())
    for bucket in np.unique(sorted_buckets).tolist():
        start, stop = np.searchsorted(sorted_buckets, [bucket, bucket + 1])
        rows = order[start:stop]
        ids = pa.DictionaryArray.from_arrays(pa.array(raw.meter_code[rows].astype(np.int32)), names)
        batch = pa.record_batch(
            [
                ids.cast(pa.string()),
                pa.array(raw.start_utc_s[rows]),
                pa.array(raw.value[rows]),
                pa.array(raw.row_number[rows]),
            ],
            schema=_SPILL_SCHEMA,
        )
        if bucket not in writers:
            spill.paths[bucket] = spill_dir / f"bucket-{bucket:02d}.arrows"
            writers[bucket] = pa.ipc.new_stream(spill.paths[bucket], _SPILL_SCHEMA)
        writers[bucket].write_batch(batch)


def _bucket_raw(spill: _Spill, bucket: int) -> tuple[RawReadings, IntArray]:
    """A bucket's readings in file order, and the file row of each meter's first reading."""
    with pa.ipc.open_stream(spill.paths[bucket]) as reader:
        table = reader.read_all()
    encoded = table.column("meter_id").combine_chunks().dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    names = np.asarray(encoded.dictionary.to_pylist(), dtype=np.str_)
    rows = table.column("row_number").to_numpy().astype(np.int64)
    first_row = np.full(names.size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_row, codes, rows)
    raw = RawReadings(
        source=spill.source,
        value_column=spill.value_column,
        meter_names=names,
        meter_code=codes,
        start_utc_s=table.column("start_utc_s").to_numpy().astype(np.int64),
        value=np.asarray(table.column("value").to_numpy(), dtype=np.float64),
        row_number=rows,
        unit=spill.unit,
    )
    return raw, first_row


def _detect_interval_minutes(spill: _Spill) -> int:
    """Rule 2 over all buckets: the most common spacing, from spacing counts added up."""
    total: dict[int, int] = {}
    readings = 0
    for bucket in sorted(spill.paths):
        raw, _ = _bucket_raw(spill, bucket)
        kept = ~np.isnan(raw.value)
        readings += int(np.count_nonzero(kept))
        values, counts = spacing_counts(raw.meter_code[kept], raw.start_utc_s[kept])
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            total[value] = total.get(value, 0) + count
    if readings == 0:
        raise InputError(f"{spill.source}: the file has no readings", field=spill.value_column)
    spacing = min(total, key=lambda v: (-total[v], v)) if total else None
    return checked_interval_s(spill.source, spacing) // 60


@dataclass
class StreamedIngest:
    """Clean parts of a streamed file, bucket by bucket; the report once all are produced.

    Iterate :meth:`parts` once (each part is one bucket's clean readings and the file row of
    each of its meters' first reading); then :attr:`report` is the whole file's report, equal
    to cleaning the file in one piece.
    """

    spill: _Spill
    interval_minutes: int | None
    duplicates: DuplicatePolicy
    limits: CleaningLimits
    report: CleaningReport | None = None

    def parts(self) -> Iterator[tuple[CleanReadings, IntArray]]:
        spill, totals = self.spill, _Totals()
        blank = 0
        minutes = self.interval_minutes
        detected = minutes is None
        if minutes is None:
            minutes = _detect_interval_minutes(spill)
        for bucket in range(BUCKETS):
            if bucket not in spill.paths:
                continue
            raw, first_row = _bucket_raw(spill, bucket)
            blanks = int(np.count_nonzero(np.isnan(raw.value)))
            if blanks == raw.value.size:  # only its meters vanish, as in the whole file
                blank += blanks
                continue
            clean, report = clean_readings(
                raw, interval_minutes=minutes, duplicates=self.duplicates, limits=self.limits
            )
            _add(totals, report, raw, first_row)
            yield clean, _first_rows_of(raw.meter_names, first_row, clean.meter_names)
        if not totals.counts:
            raise InputError(f"{spill.source}: the file has no readings", field=spill.value_column)
        self.report = _report(
            spill,
            totals,
            minutes=minutes,
            detected=detected,
            all_blank_rows=blank,
            limits=self.limits,
        )


def _first_rows_of(names: np.ndarray, first_row: IntArray, wanted: np.ndarray) -> IntArray:
    index = {name: i for i, name in enumerate(names.tolist())}
    return np.asarray([first_row[index[n]] for n in wanted.tolist()], dtype=np.int64)


def _add(totals: _Totals, report: CleaningReport, raw: RawReadings, first_row: IntArray) -> None:
    for name in _SUMMED:
        totals.counts[name] = totals.counts.get(name, 0) + int(getattr(report, name))
    if report.first_interval_start is not None and report.last_interval_start is not None:
        totals.first.append(report.first_interval_start)
        totals.last.append(report.last_interval_start)
    rows = _first_rows_of(raw.meter_names, first_row, np.asarray(report.meters_rescaled_from_wh))
    totals.rescaled.extend(zip(rows.tolist(), report.meters_rescaled_from_wh, strict=True))


def _report(
    spill: _Spill,
    totals: _Totals,
    *,
    minutes: int,
    detected: bool,
    all_blank_rows: int,
    limits: CleaningLimits,
) -> CleaningReport:
    counts = dict(totals.counts)
    counts["rows_read"] += all_blank_rows
    counts["blank_values"] += all_blank_rows
    rescaled = tuple(name for _, name in sorted(totals.rescaled))
    return CleaningReport(
        source=spill.source,
        unit=spill.unit.value,
        interval_minutes=minutes,
        interval_detected=detected,
        first_interval_start=min(totals.first) if totals.first else None,
        last_interval_start=max(totals.last) if totals.last else None,
        meters_rescaled_from_wh=rescaled,
        notes=(rescale_note(len(rescaled), limits),) if rescaled else (),
        **counts,
    )


@contextmanager
def stream_clean(
    path: Path,
    spill_root: Path,
    *,
    unit: Unit | None = None,
    interval_minutes: int | None = None,
    duplicates: DuplicatePolicy = DuplicatePolicy.ERROR,
    limits: CleaningLimits | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[StreamedIngest]:
    """Spill ``path`` to a temporary folder under ``spill_root``; the cleaner, while it lasts.

    ``with stream_clean(...) as ingest:`` reads the file (read errors are raised here); the
    spill files are removed when the block ends, whatever happens.
    """
    made = not spill_root.exists()
    spill_root.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=spill_root, prefix=".ingest-") as tmp:
            spill = _spill(path, unit, Path(tmp), chunk_rows)
            yield StreamedIngest(spill, interval_minutes, duplicates, limits or CleaningLimits())
    finally:
        if made and not any(spill_root.iterdir()):
            spill_root.rmdir()  # a failed first ingest leaves no folder behind
