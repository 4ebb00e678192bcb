"""The Spark engine gives the local engine's features and scores, on Spark in local mode.

Spark starts once per test process (``spark_session.spark``, about 10 s) and these tests
share one pytest-xdist worker (``xdist_group("spark")``), so keep the Spark tests few and
their data small.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from hashwatch.cli import main
from hashwatch.detection import local_engine, spark_engine
from hashwatch.detection.cleaning import clean_readings
from hashwatch.detection.grid import BlockInputs, DailySeries, Grid, block_features
from hashwatch.detection.kernel import FEATURE_SCHEMA
from hashwatch.detection.synthetic import plan_city
from hashwatch.errors import InputError
from hashwatch.io.detection_files import read_capacity, read_external
from hashwatch.io.meter_files import read_meter_file
from hashwatch.io.meter_synthetic_files import write_synthetic_meters
from hashwatch.store.meter_readings import readings_root, store_readings
from tests.detection.spark_session import require_spark, spark

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.xdist_group("spark")
__all__ = ["spark"]  # the session fixture, imported for the tests below

T0 = 1_609_430_400  # 2021-01-01 00:00 Beijing time


@dataclass(frozen=True)
class City:
    demo: Path  # as hashwatch demo meters writes it: duplicates, resets, spikes, gaps
    store: Path  # the same readings ingested (cleaned)
    external: DailySeries
    capacity_kw: dict[str, float]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    """40 meters × 30 days hourly with the generator's defects, as written and ingested."""
    folder = tmp_path_factory.mktemp("city")
    files = write_synthetic_meters(plan_city(11, 40, 30), folder / "city.parquet")
    clean, report = clean_readings(read_meter_file(files.readings))
    assert report.identical_duplicates_dropped > 0
    assert report.missing_intervals > 0
    root = readings_root(folder / "data")
    store_readings(root, clean)
    return City(files.readings, root, read_external(files.daily), read_capacity(files.labels))


def assert_same_tables(spark_table: pa.Table, local_table: pa.Table) -> None:
    """Same columns and rows; floats to 1e-12, everything else exactly."""
    assert spark_table.schema == local_table.schema
    assert spark_table.num_rows == local_table.num_rows
    for name in local_table.column_names:
        got, want = spark_table.column(name), local_table.column(name)
        if pa.types.is_floating(want.type):
            assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12, atol=1e-12, err_msg=name)
        else:
            assert got.to_pylist() == want.to_pylist(), name


def test_spark_gives_the_local_features_and_scores(spark: SparkSession, city: City) -> None:
    """On the store (cleaned readings), with an external series and capacities."""
    inputs = {"external": city.external, "capacity_kw": city.capacity_kw}
    options = local_engine.EngineOptions(interval_minutes=60, workers=1)
    local = local_engine.run(city.store, options=options, **inputs)
    options = local_engine.EngineOptions(interval_minutes=60, batch_meters=15)  # 3 groups
    on_spark = spark_engine.run(city.store, options=options, spark=spark, **inputs)
    assert local.num_rows == 40
    assert_same_tables(on_spark, local)
    assert_array_equal(on_spark.column("is_candidate"), local.column("is_candidate"))
    assert 0 < pc.sum(local.column("is_candidate")).as_py() < 40
    # the side inputs reached the kernel on the executors
    for name in ("external_alignment", "capacity_ratio"):
        assert not np.isnan(on_spark.column(name).to_numpy()).all(), name


def test_detect_meters_engine_spark_writes_the_local_candidates(
    spark: SparkSession,
    city: City,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same command on the demo file as written, with labels (the supervised model)."""
    monkeypatch.setenv("HASHWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HASHWATCH_DATABASE_URL", raising=False)
    labels = city.demo.with_name("city.labels.csv")
    daily = city.demo.with_name("city.daily.csv")
    outputs = {}
    for engine in ("local", "spark"):
        outputs[engine] = tmp_path / f"{engine}.parquet"
        args = ["detect", "meters", str(city.demo), "--engine", engine, "--external", str(daily)]
        args += ["--labels", str(labels), "--capacity", str(labels), "--workers", "1"]
        code = 0
        try:
            main([*args, "-o", str(outputs[engine])])
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 0
        assert code == 0, capsys.readouterr().err
    local, on_spark = (pq.read_table(outputs[e]) for e in ("local", "spark"))
    assert_same_tables(on_spark, local)
    assert not np.isnan(on_spark.column("supervised_score").to_numpy()).any()


def test_the_command_in_a_new_process_runs_spark_on_this_python(
    city: City, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a user runs it: no session, no PYSPARK_PYTHON, no virtual environment on PATH.
    Spark's executors would run ``python3`` from PATH, which lacks hashwatch."""
    require_spark()
    monkeypatch.setenv("HASHWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HASHWATCH_DATABASE_URL", raising=False)
    outputs = {engine: tmp_path / f"{engine}.parquet" for engine in ("local", "spark")}
    with pytest.raises(SystemExit) as done:
        main(["detect", "meters", str(city.demo), "--workers", "1", "-o", str(outputs["local"])])
    assert done.value.code in (0, None)
    unset = ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "PYSPARK_SUBMIT_ARGS")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(sys.prefix)
    )
    command = [sys.executable, "-m", "hashwatch", "detect", "meters", str(city.demo)]
    command += ["--engine", "spark", "-o", str(outputs["spark"])]
    child = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert child.returncode == 0, child.stderr[-3000:]
    local, on_spark = (pq.read_table(outputs[e]) for e in ("local", "spark"))
    assert_same_tables(on_spark, local)


def _power_table() -> pa.Table:
    """Three meters' average power [kW], hourly over 8 days, with gaps and a blank value."""
    hours = 24 * 8
    rng = np.random.default_rng(3)
    meters, starts, values = [], [], []
    for meter, level in (("B", 900.0), ("A", 40.0), ("C", 5.0)):
        power = level * (1 + 0.3 * np.sin(2 * np.pi * np.arange(hours) / 24))
        power *= 1 + 0.01 * rng.standard_normal(hours)
        keep = rng.random(hours) > 0.05
        meters += [meter] * int(keep.sum())
        starts += (T0 + 3600 * np.flatnonzero(keep)).tolist()
        values += np.round(power[keep], 3).tolist()
    values[5] = None
    return pa.table(
        {
            "Meter_ID": meters,
            "interval_start": pa.array(starts, type=pa.timestamp("s", tz="Asia/Shanghai")),
            "power_kw": pa.array(values, type=pa.float64()),
        }
    )


def test_power_in_kw_rows_in_any_order_csv_and_bad_files(
    spark: SparkSession, tmp_path: Path
) -> None:
    table = _power_table()
    shuffled = tmp_path / "shuffled.parquet"  # a meter's rows apart: locally, ingested first
    pq.write_table(table.take(np.random.default_rng(1).permutation(table.num_rows)), shuffled)
    as_csv = tmp_path / "power.csv"  # locally and on Spark in local mode, ingested first
    iso = pc.strftime(table.column("interval_start"), "%Y-%m-%dT%H:%M:%S+08:00")
    pacsv.write_csv(table.set_column(1, "interval_start", iso), as_csv)
    options = local_engine.EngineOptions(interval_minutes=60, workers=1)
    # the interval found on Spark, as for input on a cluster (30 minutes: two readings an hour)
    rows, _ = spark_engine.read_readings(spark, shuffled)
    halves = rows.withColumn("start_s", rows["start_s"] + 1800).union(rows)
    assert spark_engine.detect_interval_minutes(halves) == 30
    assert spark_engine.detect_interval_minutes(rows) == 60
    for path in (shuffled, as_csv):
        on_spark = spark_engine.features(path, options=options, spark=spark)
        local = local_engine.features(path, options=options)
        assert on_spark.column("meter_id").to_pylist() == ["A", "B", "C"]
        assert_same_tables(on_spark, local)

    missing = tmp_path / "nothing.parquet"
    pq.write_table(table.drop_columns(["power_kw"]), missing)
    with pytest.raises(InputError, match="exactly one value column"):
        spark_engine.run(missing, spark=spark)
    text_times = tmp_path / "text.parquet"
    pq.write_table(table.set_column(1, "interval_start", iso), text_times)
    with pytest.raises(InputError, match="interval_start must be a timestamp"):
        spark_engine.run(text_times, spark=spark)


def test_grouping_meters_differently_changes_no_feature() -> None:
    """Why the engines agree: a meter's features depend on its own readings only."""
    grid = Grid.covering(T0, T0 + 3600 * (24 * 21 - 1), 60, "Asia/Shanghai")
    rng = np.random.default_rng(5)
    hours = np.arange(grid.intervals)
    power = 100 + 30 * np.sin(2 * np.pi * hours / 24)[None, :] * rng.random((6, 1))
    power = power + rng.normal(0, 2, power.shape)
    names = np.asarray(["M5", "M0", "M3", "M1", "M4", "M2"])
    codes, cols = np.nonzero(rng.random(power.shape) > 0.1)
    rows = pa.table(
        {
            "meter_id": names[codes],
            "start_s": T0 + 3600 * cols,
            "value": power[codes, cols],
        }
    )
    inputs = BlockInputs(external=rng.random(grid.days), external_lag_days=1)
    whole = spark_engine.group_features(rows, grid=grid, unit=spark_engine.Unit.KW, inputs=inputs)
    assert whole.column("meter_id").to_pylist() == sorted(names.tolist())
    assert whole.schema == FEATURE_SCHEMA
    parts = [
        spark_engine.group_features(
            rows.filter(pc.is_in(rows.column("meter_id"), pa.array(group))),
            grid=grid,
            unit=spark_engine.Unit.KW,
            inputs=inputs,
        )
        for group in (["M0", "M4"], ["M1", "M2", "M3", "M5"])
    ]
    assert_same_tables(pa.concat_tables(parts).sort_by("meter_id"), whole)
    direct = block_features(
        names.tolist(), codes, T0 + 3600 * cols, power[codes, cols], grid=grid, inputs=inputs
    )
    assert_same_tables(whole, direct.sort_by("meter_id"))


def test_conflicting_duplicates_are_refused_identical_ones_kept() -> None:
    grid = Grid.covering(T0, T0 + 3600 * 47, 60, "Asia/Shanghai")
    rows = pa.table(
        {
            "meter_id": ["A", "A", "A"],
            "start_s": [T0, T0, T0 + 3600],
            "value": [2.0, 2.0, 3.0],
        }
    )
    kept = spark_engine.group_features(
        rows, grid=grid, unit=spark_engine.Unit.KWH, inputs=BlockInputs()
    )
    assert kept.column("readings").to_pylist() == [2]
    conflicting = rows.set_column(2, "value", pa.array([2.0, 2.5, 3.0]))
    with pytest.raises(InputError, match=r"meter A: two different readings .* 1609430400"):
        spark_engine.group_features(
            conflicting, grid=grid, unit=spark_engine.Unit.KWH, inputs=BlockInputs()
        )


def test_spark_schema_covers_the_kernel() -> None:
    ddl = spark_engine.spark_schema(FEATURE_SCHEMA)
    assert ddl.startswith("`meter_id` string, `readings` bigint")
    assert "`largest_step_date` date" in ddl
    assert ddl.count("`") == 2 * len(FEATURE_SCHEMA)
