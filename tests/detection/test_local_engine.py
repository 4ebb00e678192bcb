"""The local engine: same results whatever the batching; one task at a time; other inputs."""

from __future__ import annotations

import math
import multiprocessing
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from hashwatch.detection import local_engine as engine
from hashwatch.detection.cleaning import clean_readings
from hashwatch.detection.synthetic import NO_DEFECTS, plan_city
from hashwatch.io.meter_files import read_meter_file
from hashwatch.io.meter_synthetic_files import write_synthetic_meters
from hashwatch.store.meter_readings import readings_root, store_readings
from tests.detection.tables import assert_same

METERS = 30
DAYS = 21


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated city (with meter defects) re-written in row groups of 1,000 rows, so
    row groups end in the middle of meters (504 readings each)."""
    folder = tmp_path_factory.mktemp("city")
    files = write_synthetic_meters(plan_city(3, METERS, DAYS), folder / "raw.parquet")
    path = folder / "city.parquet"
    pq.write_table(pq.read_table(files.readings), path, row_group_size=1000)
    return path


def _features(path: Path, **options: int) -> engine.pa.Table:
    return engine.features(path, options=engine.EngineOptions(**({"workers": 1} | options)))


def test_same_features_whatever_the_batches_and_tasks(city: Path) -> None:
    reference = _features(city)
    assert reference.num_rows == METERS
    for batch, rows in [(1, 1), (7, 2500), (30, 1), (4, 10**9)]:
        assert_same(_features(city, batch_meters=batch, rows_per_task=rows), reference)


@pytest.mark.parametrize("start", ["default", "spawn"])
def test_same_features_in_worker_processes(
    city: Path, start: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if start == "spawn":  # where there is no fork server
        monkeypatch.setattr(engine, "worker_context", lambda: multiprocessing.get_context(start))
    assert_same(_features(city, rows_per_task=3000, workers=2), _features(city))


@pytest.mark.skipif(sys.platform != "linux", reason="the fork server is used on Linux only")
def test_workers_fork_from_a_server_or_spawn_when_it_cannot_start(tmp_path: Path) -> None:
    script = (
        "from hashwatch.detection import local_engine; "
        "print(local_engine.worker_context().get_start_method())"
    )
    # the server's socket goes under the temporary folder; a path past ~108 bytes cannot
    long = tmp_path / ("t" * 60) / ("m" * 60)
    long.mkdir(parents=True)
    methods = []
    for folder in (tmp_path, long):
        child = subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "TMPDIR": str(folder)},
            capture_output=True,
            text=True,
            check=True,
        )
        methods.append(child.stdout.strip())
    assert methods == ["forkserver", "spawn"]


def _worker_pool_backend() -> str:
    import pyarrow as pa

    return pa.default_memory_pool().backend_name


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")
def test_workers_keep_freed_memory_in_one_heap() -> None:
    from concurrent.futures import ProcessPoolExecutor

    context = engine.worker_context()
    with ProcessPoolExecutor(1, mp_context=context, initializer=engine._init_worker) as pool:
        assert pool.submit(_worker_pool_backend).result() == "system"


def test_tasks_are_read_one_at_a_time_in_blocks_of_batch_meters(city: Path) -> None:
    seen: list[engine.TaskResult] = []
    engine.features(
        city,
        options=engine.EngineOptions(workers=1, batch_meters=4, rows_per_task=1),
        on_task=seen.append,
    )
    groups = pq.ParquetFile(city).metadata.num_row_groups
    assert len(seen) == groups  # one task per row group
    assert sum(r.readings for r in seen) == pq.ParquetFile(city).metadata.num_rows
    for result in seen:
        assert result.readings <= 1000  # a task holds its row group, never more
        assert result.blocks == math.ceil(result.features.num_rows / 4)
        assert result.features.num_rows <= 4 * result.blocks
        # the meters cut by the task's edges are sent back, to be joined at the end
        assert 1 <= len(result.edges) <= 2
    whole = sum(r.features.num_rows for r in seen)
    assert whole + len({p.meter_id for r in seen for p in r.edges}) == METERS


def test_run_scores_every_meter(city: Path) -> None:
    scores = engine.run(city, options=engine.EngineOptions(workers=1))
    assert scores.column_names[:4] == ["meter_id", "score", "is_candidate", "reasons"]
    assert scores.num_rows == METERS
    values = scores.column("score").to_numpy()
    assert ((values >= 0) & (values <= 1)).all()


@pytest.fixture(scope="module")
def clean_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clean")
    plan = plan_city(4, 12, 15, defects=NO_DEFECTS)
    return write_synthetic_meters(plan, folder / "city.parquet", batch_meters=5).readings


def test_rows_not_grouped_by_meter_go_through_the_ingest(clean_city: Path) -> None:
    table = pq.read_table(clean_city)
    shuffled = clean_city.with_name("shuffled.parquet")
    order = np.random.default_rng(0).permutation(table.num_rows)
    pq.write_table(table.take(order), shuffled, row_group_size=500)
    assert_same(_features(shuffled), _features(clean_city))


def test_csv_and_the_store_give_the_same_features(clean_city: Path, tmp_path: Path) -> None:
    csv_files = write_synthetic_meters(
        plan_city(4, 12, 15, defects=NO_DEFECTS), tmp_path / "city.csv", batch_meters=5
    )
    reference = _features(clean_city)
    assert_same(_features(csv_files.readings), reference)
    clean, _ = clean_readings(read_meter_file(clean_city))
    root = readings_root(tmp_path / "data")
    store_readings(root, clean)
    assert_same(_features(root), reference)
