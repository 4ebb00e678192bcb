"""Speed and peak memory of ``hashwatch meters ingest`` on long-format CSV (or Parquet) files.

Write the input with ``hashwatch demo meters --seed 11 --meters 5000 --days 84 -o
city10m.csv`` (10.08 M hourly readings; ``--meters 15000`` for 30.2 M). Each file is
ingested, without a database, into a fresh data directory by a child process, so the peak
resident memory (``ru_maxrss`` of that child, from :func:`os.wait4`) is the ingest's alone;
readings per second count the file's rows over the wall time of the ingest call (reading,
spilling, cleaning, writing the store). Run it on two sizes to see that memory does not grow
with the input; ``--whole`` reads each file in one piece instead (the path wide and
local-time files take), for comparison.

Usage: python benchmarks/meter_ingest.py FILE [FILE ...] [--chunk-rows N] [--whole]
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

from hashwatch.detection.cleaning import DuplicatePolicy
from hashwatch.io.meter_ingest_stream import CHUNK_ROWS
from hashwatch.services.meters import ingest_meter_file


def _child(path: Path, data_dir: Path, chunk_rows: int, *, whole: bool) -> None:
    started = time.perf_counter()
    result = ingest_meter_file(
        path,
        data_dir=data_dir,
        db=None,
        actor="benchmark",
        timezone="UTC" if whole else None,  # a time zone sends the file down the whole path
        duplicates=DuplicatePolicy.LAST,
        chunk_rows=chunk_rows,
    )
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": result.report.rows_read, "seconds": seconds}))


def _measure(path: Path, chunk_rows: int, *, whole: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="hashwatch-ingest-bench-") as data_dir:
        command = [sys.executable, __file__, "--child", str(path), data_dir]
        command += ["--chunk-rows", str(chunk_rows)] + (["--whole"] if whole else [])
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        if status != 0:
            raise SystemExit(f"{path}: the ingest failed (status {status})")
        figures = json.loads(output)
    rows, seconds = figures["rows"], figures["seconds"]
    print(
        f"{path.name}: {rows:,} rows in {seconds:,.1f} s = {rows / seconds:,.0f} rows/s; "
        f"peak RSS {usage.ru_maxrss / 1024:,.0f} MiB ({'whole file' if whole else 'streamed'}, "
        f"{path.stat().st_size / 2**20:,.0f} MiB file)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS)
    parser.add_argument("--whole", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.files[0], args.files[1], args.chunk_rows, whole=args.whole)
        return
    for path in args.files:
        _measure(path, args.chunk_rows, whole=args.whole)


if __name__ == "__main__":
    main()
