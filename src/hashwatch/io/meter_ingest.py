"""Which way a meter file is read and cleaned: streamed in bounded memory, or whole.

:func:`cleaned_parts` is the one entry both ``hashwatch meters ingest``
(:func:`hashwatch.services.meters.ingest_meter_file`) and the detection engine's temporary
store (:func:`hashwatch.detection.local_engine.streamable_source`) go through: the file
streamed by :func:`hashwatch.io.meter_ingest_stream.stream_clean` when :func:`streamable`
says the streamed path reads it alike, read whole otherwise, with the same result or error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from hashwatch.detection.cleaning import (
    CleaningReport,
    CleanReadings,
    DuplicatePolicy,
    IntArray,
    Unit,
    clean_readings,
)
from hashwatch.errors import InputError
from hashwatch.io.meter_files import (
    Layout,
    _csv_header,
    _parquet_names,
    _wide_time_column,
    _zone,
    file_layout,
    read_meter_file,
)
from hashwatch.io.meter_ingest_stream import CHUNK_ROWS, stream_clean


def streamable(path: Path, layout: Layout | None, timezone: str | None) -> bool:
    """Whether ``path`` is a readable CSV or Parquet meter file the streamed path reads alike.

    Long and wide files qualify, with or without ``timezone``; not a wide file whose meter
    columns are the same id but for spaces, nor one whose header (or zone) is wrong: the
    whole-file reader names that problem before reading any row.
    """
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq") or not path.is_file():
        return False
    try:
        _zone(timezone)
        names = _csv_header(path) if suffix == ".csv" else _parquet_names(path)
        if file_layout(names, layout) is Layout.LONG:
            return True
        time_name = _wide_time_column(path.name, names)
    except InputError:
        return False  # the whole-file reader gives the error
    meters = [n.strip() for n in names if n != time_name]
    return len(set(meters)) == len(meters)


#: a file's clean parts (each with its meters' file order) and its report, to be asked for
#: once the parts are used up
CleanedFile = tuple[Iterator[tuple[CleanReadings, IntArray]], Callable[[], CleaningReport]]


@contextmanager
def cleaned_parts(
    path: Path,
    spill_root: Path,
    *,
    layout: Layout | None = None,
    timezone: str | None = None,
    unit: Unit | None = None,
    interval_minutes: int | None = None,
    duplicates: DuplicatePolicy = DuplicatePolicy.ERROR,
    chunk_rows: int = CHUNK_ROWS,
    streamed: bool = True,
) -> Iterator[CleanedFile]:
    """``path`` cleaned: streamed through :func:`stream_clean`, or read whole when
    :func:`streamable` turns it down (same result or error) or ``streamed`` is False."""
    if streamed and streamable(path, layout, timezone):
        with stream_clean(
            path,
            spill_root,
            layout=layout,
            timezone=timezone,
            unit=unit,
            interval_minutes=interval_minutes,
            duplicates=duplicates,
            chunk_rows=chunk_rows,
        ) as ingest:

            def streamed_report() -> CleaningReport:
                assert ingest.report is not None  # set once every part was produced
                return ingest.report

            yield ingest.parts(), streamed_report
        return
    raw = read_meter_file(path, layout=layout, timezone=timezone, unit=unit)
    clean, report = clean_readings(raw, interval_minutes=interval_minutes, duplicates=duplicates)
    yield iter([(clean, np.arange(clean.meter_names.size, dtype=np.int64))]), lambda: report
