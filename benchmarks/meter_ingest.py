"""Speed and peak memory of ``hashwatch meters ingest`` on meter files, long or wide.

Write the input with ``hashwatch demo meters --seed 11 --meters 5000 --days 84 -o
city10m.csv`` (10.08 M hourly readings; ``--meters 15000`` for 30.2 M); ``--pivot LONG
WIDE`` writes a long file's readings as a wide file (one column per meter, the last of
repeated readings kept; CSV or Parquet by WIDE's suffix). Each file is ingested, without a
database, into a fresh data directory by a child process, so the peak resident memory
(``ru_maxrss`` of that child, from :func:`os.wait4`) is the ingest's alone; readings per
second count the readings read (the report's ``rows_read``) over the wall time of the ingest
call (reading, spilling, cleaning, writing the store). Run it on two sizes to see that
memory does not grow with the input; ``--whole`` reads each file in one piece instead (the
whole-file path, the reference the streamed one equals), for comparison; ``--timezone``
reads local times.

Usage: python benchmarks/meter_ingest.py FILE [FILE ...] [--chunk-rows N] [--whole]
       [--timezone ZONE]
       python benchmarks/meter_ingest.py --pivot LONG WIDE
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from hashwatch.detection.cleaning import DuplicatePolicy
from hashwatch.io.meter_ingest_stream import CHUNK_ROWS
from hashwatch.services.meters import ingest_meter_file


def _child(
    path: Path, data_dir: Path, chunk_rows: int, *, whole: bool, timezone: str | None
) -> None:
    started = time.perf_counter()
    result = ingest_meter_file(
        path,
        data_dir=data_dir,
        db=None,
        actor="benchmark",
        timezone=timezone,
        duplicates=DuplicatePolicy.LAST,
        chunk_rows=chunk_rows,
        streamed=not whole,
    )
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": result.report.rows_read, "seconds": seconds}))


def _measure(path: Path, chunk_rows: int, *, whole: bool, timezone: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="hashwatch-ingest-bench-") as data_dir:
        command = [sys.executable, __file__, "--child", str(path), data_dir]
        command += ["--chunk-rows", str(chunk_rows)] + (["--whole"] if whole else [])
        command += ["--timezone", timezone] if timezone else []
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        if status != 0:
            raise SystemExit(f"{path}: the ingest failed (status {status})")
        figures = json.loads(output)
    rows, seconds = figures["rows"], figures["seconds"]
    print(
        f"{path.name}: {rows:,} readings in {seconds:,.1f} s = {rows / seconds:,.0f} "
        "readings/s; "
        f"peak RSS {usage.ru_maxrss / 1024:,.0f} MiB ({'whole file' if whole else 'streamed'}, "
        f"{path.stat().st_size / 2**20:,.0f} MiB file)",
        flush=True,
    )


def _pivot(long_path: Path, wide_path: Path) -> None:
    """Write a long file's readings as a wide file: a time column, one column per meter."""
    if long_path.suffix.lower() == ".csv":
        types = {"meter_id": pa.string(), "interval_start": pa.string()}
        table = pacsv.read_csv(long_path, convert_options=pacsv.ConvertOptions(column_types=types))
    else:
        table = pq.read_table(long_path)
    meters = table.column("meter_id").combine_chunks().dictionary_encode()
    times = table.column("interval_start").combine_chunks().dictionary_encode()
    order = np.argsort(times.dictionary.cast(pa.string()).to_numpy(zero_copy_only=False))
    row_of = np.empty(order.size, dtype=np.int64)
    row_of[order] = np.arange(order.size)
    values = np.full((len(times.dictionary), len(meters.dictionary)), np.nan)
    value_name = next(n for n in table.column_names if n not in ("meter_id", "interval_start"))
    values[
        row_of[times.indices.to_numpy(zero_copy_only=False)],
        meters.indices.to_numpy(zero_copy_only=False),
    ] = table.column(value_name).to_numpy()  # the last of repeated readings wins
    columns = {"interval_start": times.dictionary.take(pa.array(order))}
    columns |= {str(m): pa.array(values[:, i]) for i, m in enumerate(meters.dictionary)}
    wide = pa.table(columns)
    if wide_path.suffix.lower() == ".csv":
        pacsv.write_csv(wide, wide_path)
    else:
        pq.write_table(wide, wide_path)
    print(f"{wide_path}: {wide.num_rows:,} rows x {wide.num_columns - 1:,} meters", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS)
    parser.add_argument("--whole", action="store_true")
    parser.add_argument("--timezone", default=None)
    parser.add_argument("--pivot", action="store_true", help="write FILE[0] as wide FILE[1]")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pivot:
        _pivot(args.files[0], args.files[1])
        return
    if args.child:
        _child(
            args.files[0],
            args.files[1],
            args.chunk_rows,
            whole=args.whole,
            timezone=args.timezone,
        )
        return
    for path in args.files:
        _measure(path, args.chunk_rows, whole=args.whole, timezone=args.timezone)


if __name__ == "__main__":
    main()
