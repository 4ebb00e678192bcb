"""The local engine: stream long-format Parquet through the kernel on every core.

Steps of :func:`features`:

1. The grid every block shares (:class:`~hashwatch.detection.grid.Grid`): from the local
   midnight before the first reading to the last reading (from the Parquet statistics,
   without reading the data), at the interval given or the most common spacing of a
   meter's readings in the file's first rows (:func:`~hashwatch.io.meter_stream.
   detect_interval_minutes`).
2. The files are cut into tasks of whole row groups (about ``rows_per_task`` rows); each
   task is read with pyarrow (meter ids as a dictionary), its whole meters densified
   ``batch_meters`` meters at a time and run through
   :func:`~hashwatch.detection.kernel.features_block`. The first and last meter of a task
   may go on in the neighbouring task: their readings are sent back as pieces and joined
   here, at the end (a few meters per task), so no row group is read twice. Tasks run in
   ``workers`` processes; each holds one task's readings and one block at a time, so the
   peak memory is about workers × (task + block) whatever the input's size. Only the
   features (a few hundred bytes a meter) are kept.
3. Input that cannot be streamed as it is (CSV, times as text, a wide file, rows of a meter
   not together) is first read, cleaned and stored by the ingest
   (:func:`hashwatch.services.meters.ingest_meter_file`'s steps, in chunks through
   per-bucket spill files) into a temporary store, which is then streamed: memory stays
   bounded whatever the file's size.

:func:`run` then scores the features (:func:`hashwatch.detection.scoring.score`).
Each meter's features depend only on its own readings and the grid, so the results are the
same whatever ``batch_meters``, ``rows_per_task`` or ``workers``.
"""

from __future__ import annotations

import ctypes
import importlib
import multiprocessing
import multiprocessing.context
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import forkserver
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from hashwatch.cpus import usable_cpus
from hashwatch.detection.grid import (
    BlockInputs,
    DailySeries,
    Grid,
    IntervalSeries,
    align_inputs,
    block_features,
)
from hashwatch.detection.kernel import FEATURE_SCHEMA
from hashwatch.io import meter_stream as stream
from hashwatch.io.meter_stream import NotStreamable, Source, Task

BATCH_METERS: Final = 500
ROWS_PER_TASK: Final = 2_000_000
DEFAULT_TIMEZONE: Final = "Asia/Shanghai"
_SCORING: Final = "hashwatch.detection.scoring"


@dataclass(frozen=True)
class EngineOptions:
    timezone: str = DEFAULT_TIMEZONE
    interval_minutes: int | None = None
    batch_meters: int = BATCH_METERS
    rows_per_task: int = ROWS_PER_TASK
    workers: int = 0  # 0: one per core; 1: in this process
    #: where the temporary store of an input that cannot be streamed goes (None: the
    #: system's temporary folder, TMPDIR)
    temp_dir: Path | None = None


@dataclass(frozen=True)
class TaskResult:
    features: pa.Table
    blocks: int
    readings: int  # readings read by the task (those of its edge pieces included)
    edges: list[stream.Piece]


def _task_features(
    task: Task, source: Source, grid: Grid, inputs: BlockInputs, batch_meters: int
) -> TaskResult:
    read = stream.read_task(task, source, grid.interval_minutes)
    table, blocks = _rows_features(read.rows, grid, inputs, batch_meters)
    readings = read.rows.meter_code.size + sum(p.start_utc_s.size for p in read.edges)
    return TaskResult(table, blocks, readings, read.edges)


def _rows_features(
    rows: stream.TaskRows, grid: Grid, inputs: BlockInputs, batch_meters: int
) -> tuple[pa.Table, int]:
    """Features of whole meters' rows (in meter order), ``batch_meters`` meters a block."""
    tables, blocks = [], 0
    n = len(rows.meter_ids)
    # rows are in meter order: a batch of meters is a contiguous slice of rows
    bounds = rows.meter_code.searchsorted(range(0, n + batch_meters, batch_meters))
    for i, first in enumerate(range(0, n, batch_meters)):
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        tables.append(
            block_features(
                rows.meter_ids[first : first + batch_meters],
                rows.meter_code[lo:hi] - first,
                rows.start_utc_s[lo:hi],
                rows.energy_kwh[lo:hi],
                grid=grid,
                inputs=inputs,
            )
        )
        blocks += 1
    return (pa.concat_tables(tables) if tables else _no_features()), blocks


def _no_features() -> pa.Table:
    """An empty features table (not ``Schema.empty_table``, which imports pandas)."""
    return pa.Table.from_batches([], schema=FEATURE_SCHEMA)


#: glibc ``mallopt`` parameters and the values the workers set (see :func:`_init_worker`)
_M_TRIM_THRESHOLD: Final = -1
_M_TOP_PAD: Final = -2
_M_MMAP_THRESHOLD: Final = -3
_WORKER_MALLOPT: Final = ((_M_MMAP_THRESHOLD, 32 << 20), (_M_TRIM_THRESHOLD, 256 << 20),
                          (_M_TOP_PAD, 64 << 20))  # fmt: skip


def _init_worker() -> None:
    """One process per core: no extra threads inside each; freed memory kept for reuse.

    A worker allocates and frees the same few arrays of a few MB for every block. glibc
    gives each such array fresh pages from the kernel (``mmap``) and returns them on free,
    so every block pays a page fault per 4 kB touched: about a third of a worker's time on
    a virtual machine. Raising the ``mmap`` and trim thresholds keeps freed memory in the
    heap for the next block (the peak stays that of one task and one block); Arrow then
    allocates from the same heap (its system pool), so the Parquet reader reuses the pages
    numpy freed and the other way round. Not glibc (macOS, musl): left as it is. (glibc by
    its soname: ``ctypes.util.find_library`` would run ``ldconfig`` in every worker.)
    """
    pa.set_cpu_count(1)
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    if all(mallopt(ctypes.c_int(p), ctypes.c_int(v)) == 1 for p, v in _WORKER_MALLOPT):
        pa.set_memory_pool(pa.system_memory_pool())


def _grid(source: Source, options: EngineOptions) -> Grid:
    first, last = stream.time_span_utc_s(source)
    minutes = options.interval_minutes or stream.detect_interval_minutes(source)
    return Grid.covering(first, last, minutes, options.timezone)


def worker_context() -> multiprocessing.context.BaseContext:
    """How worker processes start: forks of a fork server on Linux, else spawn.

    The fork server is one process, started here on first use, that imports this module
    (numpy, pyarrow, the kernel) once; every worker is then a fork of it, ready in
    milliseconds, for this run and every later one in the same process (a web app, a
    notebook, a benchmark), where spawned workers each import all of it again (about 0.2 s
    each). As under spawn, each worker runs the main script's top level first (the console
    script's, :mod:`hashwatch.entry`, imports nothing). The server keeps the environment it
    started with; the workers read none of it.

    Not a fork of this process, which may have threads (the scikit-learn import, a progress
    display). Spawn elsewhere than on Linux (macOS's system libraries are not safe to fork,
    Windows has no fork) and when the server cannot start (its socket's path, under the
    temporary folder, must fit in about 100 characters).
    """
    if sys.platform != "linux":
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    try:
        forkserver.ensure_running()
    except OSError:
        return multiprocessing.get_context("spawn")
    return context


def _warm() -> None:
    """Nothing: submitted once per worker so the pool starts while the grid is planned."""


def _stream(
    source: Source,
    options: EngineOptions,
    inputs_for: Callable[[Grid], BlockInputs],
    on_task: Callable[[TaskResult], None] | None,
) -> pa.Table:
    tasks = stream.plan_tasks(source, options.rows_per_task)
    workers = min(options.workers or usable_cpus(), len(tasks))
    if workers <= 1:
        grid = _grid(source, options)
        inputs = inputs_for(grid)
        results = (_task_features(t, source, grid, inputs, options.batch_meters) for t in tasks)
        return _collect(results, on_task, grid, inputs, options.batch_meters)
    pool = ProcessPoolExecutor(workers, mp_context=worker_context(), initializer=_init_worker)
    try:
        # the workers start while this process reads the grid
        for _ in range(workers):
            pool.submit(_warm)
        grid = _grid(source, options)
        inputs = inputs_for(grid)
        n = len(tasks)
        mapped: Iterator[TaskResult] = pool.map(
            _task_features, tasks, [source] * n, [grid] * n, [inputs] * n,
            [options.batch_meters] * n,
        )  # fmt: skip
        return _collect(mapped, on_task, grid, inputs, options.batch_meters)
    finally:
        # the workers exit (freeing their memory) while this process goes on to scoring
        pool.shutdown(wait=False, cancel_futures=True)


def _collect(
    results: Iterator[TaskResult],
    on_task: Callable[[TaskResult], None] | None,
    grid: Grid,
    inputs: BlockInputs,
    batch_meters: int,
) -> pa.Table:
    """The tasks' features, and those of the meters cut by task edges, joined here."""
    tables, edges = [], []
    for result in results:
        tables.append(result.features)
        edges += result.edges
        if on_task is not None:
            on_task(result)
    if edges:
        tables.append(_rows_features(stream.join_pieces(edges), grid, inputs, batch_meters)[0])
    table = pa.concat_tables(tables) if tables else _no_features()
    if pc.count_distinct(table.column("meter_id")).as_py() != table.num_rows:
        raise stream.NotClustered("a meter appears in more than one place")
    return table.sort_by("meter_id")


@contextmanager
def streamable_source(path: Path, options: EngineOptions, force_ingest: bool) -> Iterator[Source]:
    """The input as a streamable source, through a temporary store when it must be.

    That store is written as ``hashwatch meters ingest`` writes it, in bounded memory
    (:func:`hashwatch.io.meter_ingest.cleaned_parts`, then the store's bucket merge):
    a CSV, wide or unclustered file of any size is read in chunks, with the same cleaning and
    errors; the few files the ingest reads whole are read whole here too.
    """
    if not force_ingest:
        try:
            source = stream.open_source(path)
        except NotStreamable:
            pass
        else:
            yield source
            return
    from hashwatch.io.meter_ingest import cleaned_parts
    from hashwatch.store.meter_readings import readings_root, store_reading_parts

    with tempfile.TemporaryDirectory(prefix="hashwatch-detect-", dir=options.temp_dir) as tmp:
        root = readings_root(Path(tmp))
        with cleaned_parts(
            path,
            Path(tmp) / "spill",
            timezone=options.timezone,
            interval_minutes=options.interval_minutes,
        ) as (parts, _):
            store_reading_parts(root, (clean for clean, _ in parts))
        yield stream.open_source(root)


def features(
    path: Path,
    *,
    options: EngineOptions | None = None,
    external: DailySeries | None = None,
    temperature: IntervalSeries | None = None,
    capacity_kw: dict[str, float] | None = None,
    on_task: Callable[[TaskResult], None] | None = None,
) -> pa.Table:
    """The features of every meter in ``path`` (one row each, in meter-id order)."""
    opts = options or EngineOptions()

    def inputs_for(grid: Grid) -> BlockInputs:
        return align_inputs(
            grid, external=external, temperature=temperature, capacity_kw=capacity_kw
        )

    try:
        with streamable_source(path, opts, force_ingest=False) as source:
            return _stream(source, opts, inputs_for, on_task)
    except stream.NotClustered:
        with streamable_source(path, opts, force_ingest=True) as source:
            return _stream(source, opts, inputs_for, on_task)


def run(
    path: Path,
    *,
    options: EngineOptions | None = None,
    external: DailySeries | None = None,
    temperature: IntervalSeries | None = None,
    capacity_kw: dict[str, float] | None = None,
    labels: Mapping[str, bool] | None = None,
    threshold: float | None = None,
    on_task: Callable[[TaskResult], None] | None = None,
) -> pa.Table:
    """Scores of every meter in ``path``: :func:`features`, then scoring.

    Scoring (scikit-learn, slow to import) is imported here, not at module level, so the
    worker processes that compute features do not load it; this process imports it in a
    thread while it waits for the workers.
    """
    loader = threading.Thread(target=importlib.import_module, args=(_SCORING,), daemon=True)
    loader.start()
    table = features(
        path,
        options=options,
        external=external,
        temperature=temperature,
        capacity_kw=capacity_kw,
        on_task=on_task,
    )
    loader.join()
    from hashwatch.detection.scoring import CANDIDATE_THRESHOLD, score

    return score(table, labels=labels, threshold=threshold or CANDIDATE_THRESHOLD)
