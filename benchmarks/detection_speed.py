"""Speed and memory of ``hashwatch detect meters`` (local engine) against a DuckDB baseline.

For each long-format Parquet file given (write one with ``hashwatch demo meters --seed 11
--meters 50000 --days 84 -o city100m.parquet``: 100.5 M hourly readings, string meter
ids), times, end to end with reading included:

* the local engine: features of every meter and the scores (rules, isolation forest), as
  the CLI runs it (``local_engine.run``); readings per second and the peak resident memory
  of the whole process tree (this process and its workers, sampled every 20 ms from /proc);
* a plain DuckDB SQL baseline that computes only load factor, coefficient of variation
  and the 24-hour autocorrelation (a LAG window) per meter, on the same file, same cores;

each twice: in this process with both libraries already imported (scikit-learn and DuckDB
are imported once, before any timing: the cost of a job in a process that has run one
before), and each in a new process with its imports timed (``import duckdb``; the engine's
modules and scikit-learn: what one ``hashwatch detect meters`` pays, less the interpreter's
start and the command line's own imports). It prints both ratios; then times a bare
``pq.read_table`` of the file (meter ids as a dictionary), the speed of reading it whole.
Run it on two sizes to see whether memory grows with the input.

Usage: python benchmarks/detection_speed.py FILE.parquet [FILE.parquet ...] [--workers 2]
       [--skip-baseline]
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

from hashwatch.detection import local_engine

BASELINE_SQL = """
WITH r AS (
    SELECT meter_id, energy_kwh AS p,
           LAG(energy_kwh, 24) OVER (PARTITION BY meter_id ORDER BY interval_start) AS p24
    FROM read_parquet(?)
)
SELECT meter_id,
       avg(p) / max(p) AS load_factor,
       stddev_pop(p) / avg(p) AS cv,
       corr(p, p24) AS autocorr_24h
FROM r GROUP BY meter_id
"""


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


class PeakMemory:
    """Peak of the summed RSS of this process and its descendants, sampled every 20 ms."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids, todo = [], [os.getpid()]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo += _children(pid)
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(p) for p in pids))
            time.sleep(0.02)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_engine(path: Path, workers: int) -> tuple[float, int, int, int]:
    """(seconds, readings, meters, peak kB) of features + scores, in this process."""
    readings = [0]

    def count(result: local_engine.TaskResult) -> None:
        readings[0] += result.readings

    options = local_engine.EngineOptions(workers=workers)
    with PeakMemory() as memory:
        started = time.perf_counter()
        scores = local_engine.run(path, options=options, on_task=count)
        elapsed = time.perf_counter() - started
    return elapsed, readings[0], scores.num_rows, memory.peak_kb


def run_baseline(path: Path, workers: int) -> tuple[float, int, int]:
    """(seconds, meters, peak kB) of the DuckDB baseline, in this process."""
    import duckdb

    with PeakMemory() as memory:
        started = time.perf_counter()
        con = duckdb.connect()
        con.execute(f"SET threads = {workers}")
        rows = con.sql(BASELINE_SQL, params=[str(path)]).to_arrow_table()
        elapsed = time.perf_counter() - started
        con.close()
    return elapsed, rows.num_rows, memory.peak_kb


# each in a new process, its imports timed; prints the seconds
_NEW_ENGINE = """
import sys, time
from pathlib import Path
def main():
    started = time.perf_counter()
    from hashwatch.detection import local_engine
    options = local_engine.EngineOptions(workers=int(sys.argv[2]))
    local_engine.run(Path(sys.argv[1]), options=options)
    print(time.perf_counter() - started)
if __name__ == "__main__":
    main()
"""
_NEW_BASELINE = """
import sys, time
started = time.perf_counter()
import duckdb
con = duckdb.connect()
con.execute(f"SET threads = {int(sys.argv[2])}")
con.sql(sys.argv[3], params=[sys.argv[1]]).to_arrow_table()
print(time.perf_counter() - started)
"""
_BARE_READ = """
import sys, time
import pyarrow.parquet as pq
started = time.perf_counter()
pq.read_table(sys.argv[1], read_dictionary=["meter_id"])
print(time.perf_counter() - started)
"""


def in_new_process(script: str, *args: str) -> float:
    """Seconds a script prints, run in a new interpreter (its memory is not this one's)."""
    with tempfile.TemporaryDirectory() as folder:
        # a file, not -c: the engine's worker processes re-run the parent's main script
        file = Path(folder) / "timed.py"
        file.write_text(script, encoding="utf-8")
        child = subprocess.run(
            [sys.executable, str(file), *args], check=True, capture_output=True, text=True
        )
    return float(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    importlib.import_module("hashwatch.detection.scoring")  # scikit-learn, as DuckDB
    print("| file | readings | meters | engine s | readings/s | engine peak MB "
          "| DuckDB baseline s | baseline peak MB | engine speed-up "
          "| new process: engine s | baseline s | speed-up | bare read s |")  # fmt: skip
    print("|" + " --- |" * 13)
    workers = str(args.workers)
    for path in args.files:
        rows = pq.ParquetFile(path).metadata.num_rows
        seconds, readings, meters, peak = run_engine(path, args.workers)
        cold = in_new_process(_NEW_ENGINE, str(path), workers)
        base = base_mb = ratio = cold_base = cold_ratio = "-"
        if not args.skip_baseline:
            b_seconds, _, b_peak = run_baseline(path, args.workers)
            base, base_mb = f"{b_seconds:.1f}", f"{b_peak / 1024:,.0f}"
            ratio = f"{b_seconds / seconds:.2f}x"
            b_cold = in_new_process(_NEW_BASELINE, str(path), workers, BASELINE_SQL)
            cold_base, cold_ratio = f"{b_cold:.1f}", f"{b_cold / cold:.2f}x"
        bare = in_new_process(_BARE_READ, str(path))
        print(
            f"| {path.name} | {rows:,} | {meters:,} | {seconds:.1f} | "
            f"{readings / seconds / 1e6:.1f} M | {peak / 1024:,.0f} | {base} | {base_mb} "
            f"| {ratio} | {cold:.1f} | {cold_base} | {cold_ratio} | {bare:.1f} |"
        )


if __name__ == "__main__":
    main()
