"""Ingesting meter files in bounded memory: chunks → bucket spill files → clean.

A meter file (CSV or Parquet; long or wide; times with their UTC offset, or local times read
with ``timezone``) is read in chunks of about ``chunk_rows`` readings, each parsed as
:mod:`hashwatch.io.meter_files` parses a whole file (:mod:`hashwatch.io.meter_ingest_chunks`:
same checks, rows numbered as in the file, a wide file unpivoted to one reading per meter
column and row). The readings are routed to the store's 64 buckets (CRC-32 of the meter id,
:func:`~hashwatch.store.meter_readings.bucket_of`) as Arrow IPC spill files in a temporary
directory. A bucket holds every reading of its meters, each meter's in file order, so
cleaning it alone (:func:`~hashwatch.detection.cleaning.clean_readings`) treats duplicates,
order, the Wh rule and gaps exactly as cleaning the whole file; the interval is detected
from the spacing counts of all buckets added together. Peak memory is one chunk plus one
bucket.

Local times that occur twice (the clocks went back) are resolved per meter in file order
(:func:`~hashwatch.io.meter_files.later_occurrences`): only a meter's own rows, in file
order, decide, and its bucket holds them, so a bucket is resolved when it is read back, from
the fold key each spilled reading carries. (A wide file's time column is resolved once for
all meters by the whole-file reader; every meter has a reading in every row, so resolving
each meter's readings gives the same instants.)

Two cases stay on the whole-file path (:func:`hashwatch.io.meter_ingest.streamable` says
no): a wide file whose meter columns differ only by spaces around the name (the whole-file
reader keeps them as two meters with one id; a bucket, keyed by id, would merge them), and
header problems (no time column, too few or repeated columns, an unknown zone), whose
errors the whole-file reader gives before reading any row.

Errors are the whole-file path's, with the same rows and fields. Cleaning names the first
meter (in file order) with a fault of the first kind its rules check; a failing bucket does
not end the ingest at once: the other buckets are checked, and the meter each names is
cleaned together with the others' to name the whole file's first (nothing is stored). What
cannot be read is named when its chunk is read, so a file read by rows with read faults
of different kinds in different chunks (a text in a value column early, a blank meter id
late) names the first chunk's, where the whole-file reader names the kind it checks first;
a wide Parquet file of at most ``chunk_rows`` rows is read column by column in the
whole-file reader's order, and names the same fault whatever the faults.
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
    Layout,
    _zone,
    fall_back_note,
    later_occurrences,
)
from hashwatch.io.meter_ingest_chunks import Chunk, FoldKeys, chunks, file_columns
from hashwatch.store.meter_readings import BUCKETS, bucket_of

#: readings per chunk read from the input file
CHUNK_ROWS: Final = 250_000
_SPILL_FIELDS: Final = [
    ("meter_id", pa.string()),
    ("start_utc_s", pa.int64()),
    ("value", pa.float64()),
    ("row_number", pa.int64()),
]
_SPILL_SCHEMA: Final = pa.schema(_SPILL_FIELDS)
_LOCAL_SPILL_SCHEMA: Final = pa.schema([*_SPILL_FIELDS, ("fold_key", pa.int32())])


@dataclass
class _Spill:
    """Where a file's rows went: one IPC file per bucket, and what was read."""

    source: str
    value_column: str
    unit: Unit
    #: local times: readings carry a fold key (:class:`FoldKeys`)
    local: bool
    #: wide: meter id → its column, the meters' order (long: the row of a first reading)
    meter_order: dict[str, int] | None
    keys: FoldKeys = field(default_factory=FoldKeys)
    rows_read: int = 0
    fall_back_rows: int = 0
    time_notes: list[str] = field(default_factory=list)
    paths: dict[int, Path] = field(default_factory=dict)

    @property
    def notes(self) -> tuple[str, ...]:
        """The reader's notes on times, as reading the whole file gives them."""
        fall_back = [fall_back_note(self.fall_back_rows)] if self.fall_back_rows else []
        return (*self.time_notes, *fall_back)


@dataclass
class _Totals:
    """The cleaning report's counts, added up bucket by bucket."""

    counts: dict[str, int] = field(default_factory=dict)
    first: list[str] = field(default_factory=list)
    last: list[str] = field(default_factory=list)
    #: (the meter's file order, see :func:`_bucket_raw`; meter id)
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


def _spill(
    path: Path,
    spill_dir: Path,
    *,
    layout: Layout | None,
    timezone: str | None,
    unit: Unit | None,
    chunk_rows: int,
) -> _Spill:
    """Parse ``path`` chunk by chunk and append each reading to its bucket's spill file."""
    zone = _zone(timezone)
    columns = file_columns(path, layout, unit)
    order = {meter: i for i, meter in enumerate(columns.meters)} or None
    spill = _Spill(columns.source, columns.value_column, columns.unit, zone is not None, order)
    writers: dict[int, pa.ipc.RecordBatchStreamWriter] = {}
    try:
        for chunk in chunks(path, columns, zone, chunk_rows, spill.keys):
            spill.rows_read += chunk.file_rows
            spill.fall_back_rows += chunk.fall_back_rows
            spill.time_notes += [n for n in chunk.notes if n not in spill.time_notes]
            _route(chunk, spill, spill_dir, writers)
    finally:
        for writer in writers.values():
            writer.close()
    if spill.rows_read == 0:
        raise FileFormatError(f"{path.name}: the file has no rows")
    return spill


def _route(
    chunk: Chunk,
    spill: _Spill,
    spill_dir: Path,
    writers: dict[int, pa.ipc.RecordBatchStreamWriter],
) -> None:
    raw = chunk.raw
    schema = _LOCAL_SPILL_SCHEMA if spill.local else _SPILL_SCHEMA
    row_bucket = bucket_of(raw.meter_names.tolist())[raw.meter_code]
    order = np.argsort(row_bucket, kind="stable")  # file order within each bucket
    sorted_buckets = row_bucket[order]
    names = pa.array(raw.meter_names.tolist(), type=pa.string())
    for bucket in np.unique(sorted_buckets).tolist():
        start, stop = np.searchsorted(sorted_buckets, [bucket, bucket + 1])
        rows = order[start:stop]
        ids = pa.DictionaryArray.from_arrays(pa.array(raw.meter_code[rows].astype(np.int32)), names)
        arrays = [
            ids.cast(pa.string()),
            pa.array(raw.start_utc_s[rows]),
            pa.array(raw.value[rows]),
            pa.array(raw.row_number[rows]),
        ]
        if spill.local:
            arrays.append(pa.array(chunk.fold_key[rows].astype(np.int32)))
        batch = pa.record_batch(arrays, schema=schema)
        if bucket not in writers:
            spill.paths[bucket] = spill_dir / f"bucket-{bucket:02d}.arrows"
            writers[bucket] = pa.ipc.new_stream(spill.paths[bucket], schema)
        writers[bucket].write_batch(batch)


def _bucket_raw(spill: _Spill, bucket: int) -> tuple[RawReadings, IntArray]:
    """A bucket's readings in file order, and the file order of each of its meters.

    A meter's order is the row of its first reading (long) or its column (wide), as the
    whole-file reader numbers meters. Local times that occur twice are resolved here.
    """
    with pa.ipc.open_stream(spill.paths[bucket]) as reader:
        table = reader.read_all()
    encoded = table.column("meter_id").combine_chunks().dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    names = np.asarray(encoded.dictionary.to_pylist(), dtype=np.str_)
    rows = table.column("row_number").to_numpy().astype(np.int64)
    starts = table.column("start_utc_s").to_numpy().astype(np.int64)
    if spill.local:
        key = table.column("fold_key").to_numpy().astype(np.int64)
        ambiguous = np.flatnonzero(key)
        later = ambiguous[later_occurrences(codes[ambiguous], key[ambiguous])]
        starts[later] += spill.keys.later_by_key()[key[later]]
    if spill.meter_order is not None:
        order = np.asarray([spill.meter_order[n] for n in names.tolist()], dtype=np.int64)
    else:
        order = np.full(names.size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(order, codes, rows)
    raw = RawReadings(
        source=spill.source,
        value_column=spill.value_column,
        meter_names=names,
        meter_code=codes,
        start_utc_s=starts,
        value=np.asarray(table.column("value").to_numpy(), dtype=np.float64),
        row_number=rows,
        unit=spill.unit,
    )
    return raw, order


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

    Iterate :meth:`parts` once (each part is one bucket's clean readings and the file order
    of each of its meters: the row of its first reading, or its column in a wide file); then
    :attr:`report` is the whole file's report, equal to cleaning the file in one piece.
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
        failing: list[tuple[int, RawReadings]] = []  # (file order, readings) of a meter
        for bucket in range(BUCKETS):
            if bucket not in spill.paths:
                continue
            raw, order = _bucket_raw(spill, bucket)
            blanks = int(np.count_nonzero(np.isnan(raw.value)))
            if blanks == raw.value.size:  # only its meters vanish, as in the whole file
                blank += blanks
                continue
            try:
                clean, report = self._clean(raw, minutes)
            except InputError as error:
                failing.append(self._failing_meter(error, raw, order, minutes))
                continue  # the other buckets are only checked: the error may be theirs
            if not failing:
                _add(totals, report, raw, order)
                yield clean, _orders_of(raw.meter_names, order, clean.meter_names)
        if failing:
            raise self._first_error(failing, minutes)
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

    def _clean(self, raw: RawReadings, minutes: int) -> tuple[CleanReadings, CleaningReport]:
        return clean_readings(
            raw, interval_minutes=minutes, duplicates=self.duplicates, limits=self.limits
        )

    def _failing_meter(
        self, error: InputError, raw: RawReadings, order: IntArray, minutes: int
    ) -> tuple[int, RawReadings]:
        """The meter whose readings alone give a bucket's cleaning ``error``.

        Cleaning a bucket names its first meter (in file order) with a fault of the first
        kind the rules check; each meter's readings alone give that meter's message.
        """
        for code in np.argsort(order, kind="stable").tolist():
            one = _meter_readings(raw, code)
            try:
                self._clean(one, minutes)
            except InputError as alone:
                if (str(alone), alone.row, alone.field) == (str(error), error.row, error.field):
                    return int(order[code]), one
        raise error  # not one meter's fault (none is: the rules are per meter)

    def _first_error(self, failing: list[tuple[int, RawReadings]], minutes: int) -> InputError:
        """The error cleaning the whole file gives: its failing meters' readings, cleaned.

        The whole file names its first meter with a fault of the first kind checked; that is
        among each failing bucket's named meter, and cleaning them together, in file order,
        names it with the same message.
        """
        failing.sort(key=lambda item: item[0])
        meters = [one for _, one in failing]
        together = RawReadings(
            source=meters[0].source,
            value_column=meters[0].value_column,
            meter_names=np.concatenate([one.meter_names for one in meters]),
            meter_code=np.concatenate(
                [np.full(one.value.size, i, dtype=np.int64) for i, one in enumerate(meters)]
            ),
            start_utc_s=np.concatenate([one.start_utc_s for one in meters]),
            value=np.concatenate([one.value for one in meters]),
            row_number=np.concatenate([one.row_number for one in meters]),
            unit=meters[0].unit,
        )
        try:
            self._clean(together, minutes)
        except InputError as error:
            return error
        raise AssertionError("the failing meters were cleaned without an error")


def _meter_readings(raw: RawReadings, code: int) -> RawReadings:
    """One meter's readings of ``raw``, in file order."""
    rows = raw.meter_code == code
    return RawReadings(
        source=raw.source,
        value_column=raw.value_column,
        meter_names=raw.meter_names[code : code + 1],
        meter_code=np.zeros(int(np.count_nonzero(rows)), dtype=np.int64),
        start_utc_s=raw.start_utc_s[rows],
        value=raw.value[rows],
        row_number=raw.row_number[rows],
        unit=raw.unit,
    )


def _orders_of(names: np.ndarray, order: IntArray, wanted: np.ndarray) -> IntArray:
    index = {name: i for i, name in enumerate(names.tolist())}
    return np.asarray([order[index[n]] for n in wanted.tolist()], dtype=np.int64)


def _add(totals: _Totals, report: CleaningReport, raw: RawReadings, order: IntArray) -> None:
    for name in _SUMMED:
        totals.counts[name] = totals.counts.get(name, 0) + int(getattr(report, name))
    if report.first_interval_start is not None and report.last_interval_start is not None:
        totals.first.append(report.first_interval_start)
        totals.last.append(report.last_interval_start)
    rows = _orders_of(raw.meter_names, order, np.asarray(report.meters_rescaled_from_wh))
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
        notes=(*spill.notes, *((rescale_note(len(rescaled), limits),) if rescaled else ())),
        **counts,
    )


@contextmanager
def stream_clean(
    path: Path,
    spill_root: Path,
    *,
    layout: Layout | None = None,
    timezone: str | None = None,
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
            spill = _spill(
                path,
                Path(tmp),
                layout=layout,
                timezone=timezone,
                unit=unit,
                chunk_rows=chunk_rows,
            )
            yield StreamedIngest(spill, interval_minutes, duplicates, limits or CleaningLimits())
    finally:
        if made and not any(spill_root.iterdir()):
            spill_root.rmdir()  # a failed first ingest leaves no folder behind
