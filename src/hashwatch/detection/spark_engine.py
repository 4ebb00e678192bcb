"""The Spark engine: the shared feature kernel on a Spark cluster, the same scores as locally.

Steps of :func:`run`:

1. Spark reads the long-format Parquet (a file, a folder of files, or the readings store
   with its ``bucket=NN`` folders): ``meter_id``, ``interval_start`` (a timestamp with a
   time zone) and one value column, ``energy_kwh`` (``energy_wh``, ``energy_mwh``) or
   ``power_kw`` (``power_w``, ``power_mw``), names matched without regard to case, as the
   local engine reads them (:mod:`hashwatch.io.meter_stream`). A blank value is a gap.
2. One aggregation gives the grid every block shares
   (:meth:`hashwatch.detection.grid.Grid.covering`: from the local midnight before the first
   reading to the last reading) and the meter count. The interval, unless given, is the
   local engine's for input on this machine (the most common spacing of a meter's readings
   in the file's first rows); for input elsewhere (HDFS, S3) the most common spacing over all
   readings (a window function: a shuffle of the readings, saved by giving the interval).
3. Meters are put in groups of about ``options.batch_meters`` by CRC-32 of their id (the
   store's bucketing) and ``groupBy(group).applyInArrow`` hands each group's readings to an
   executor as one Arrow table, which :func:`group_features` densifies onto the grid and
   runs through the shared kernel (:func:`hashwatch.detection.grid.block_features`, the
   local engine's function). No Python runs per row.
4. The features (one row per meter, about 250 bytes) come back to the driver as Arrow,
   sorted by meter id, and are scored there by :func:`hashwatch.detection.scoring.score`.

Why the results are the local engine's: each meter's features depend only on its own
readings and the grid (every reduction of the kernel runs along the time axis of one row),
so grouping meters differently changes nothing; the grid and the side inputs are made by the
same functions from the same readings; and the scores are fitted and computed on the
driver, on the whole features table in meter-id order, by the same function with the same
seeds, so the isolation forest and the supervised model are the same models. Scoring on the
driver is cheap next to the features (a million meters are about 250 MB of features), and
fitting a model on every meter at once is what makes the unsupervised rank the same.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
import pyarrow as pa

from hashwatch.detection.cleaning import Unit, interval_minutes_or_hourly
from hashwatch.detection.grid import (
    BlockInputs,
    DailySeries,
    Grid,
    IntervalSeries,
    align_inputs,
    block_features,
)
from hashwatch.detection.kernel import FEATURE_SCHEMA
from hashwatch.detection.local_engine import EngineOptions, streamable_source
from hashwatch.errors import InputError
from hashwatch.io import meter_stream as stream
from hashwatch.io.meter_stream import VALUE_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: Spark SQL types of the kernel's Arrow types
_SPARK_TYPES: Final = {
    pa.string(): "string",
    pa.int64(): "bigint",
    pa.float64(): "double",
    pa.date32(): "date",
}


def spark_schema(schema: pa.Schema) -> str:
    """The Spark DDL of an Arrow schema of strings, int64, float64 and dates."""
    return ", ".join(f"`{f.name}` {_SPARK_TYPES[f.type]}" for f in schema)


def read_readings(spark: SparkSession, input_path: Path | str) -> tuple[DataFrame, Unit]:
    """Rows (``meter_id`` string, ``start_s`` long: UTC epoch seconds, ``value`` double).

    And the unit of ``value``. A blank value stays a row (a gap, as locally); the columns
    are checked from the schema alone, before anything is read.
    """
    from pyspark.sql import functions as F  # noqa: N812
    from pyspark.sql.types import TimestampType

    source = str(input_path)
    raw = spark.read.parquet(source)
    lower = {c.lower(): c for c in raw.columns}
    for needed in ("meter_id", "interval_start"):
        if needed not in lower:
            raise InputError(
                f"{source}: no {needed} column (found {', '.join(raw.columns)})", field=needed
            )
    values = [lower[c] for c in VALUE_COLUMNS if c in lower]
    if len(values) != 1:
        raise InputError(
            f"{source}: need exactly one value column of {', '.join(VALUE_COLUMNS)} "
            f"(found {', '.join(raw.columns)})",
            field="energy_kwh",
        )
    time_type = raw.schema[lower["interval_start"]].dataType
    if type(time_type) is not TimestampType:
        raise InputError(
            f"{source}: interval_start must be a timestamp with a time zone, not "
            f"{time_type.simpleString()}; ingest the file first (hashwatch meters ingest)",
            field="interval_start",
        )
    rows = raw.select(
        F.col(lower["meter_id"]).cast("string").alias("meter_id"),
        F.col(lower["interval_start"]).cast("long").alias("start_s"),
        F.col(values[0]).cast("double").alias("value"),
    )
    return rows.where(F.col("start_s").isNotNull()), VALUE_COLUMNS[values[0].lower()]


def detect_interval_minutes(rows: DataFrame) -> int:
    """The most common spacing between a meter's consecutive readings [min], all readings."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F  # noqa: N812

    by_meter = Window.partitionBy("meter_id").orderBy("start_s")
    spacing = (
        rows.select((F.col("start_s") - F.lag("start_s").over(by_meter)).alias("spacing_s"))
        .where(F.col("spacing_s") > 0)
        .groupBy("spacing_s")
        .count()
        .orderBy(F.desc("count"), "spacing_s")
        .first()
    )
    return interval_minutes_or_hourly(
        "the readings", None if spacing is None else int(spacing["spacing_s"])
    )


def grid_of(rows: DataFrame, options: EngineOptions) -> tuple[Grid, int]:
    """(the grid of all readings, the number of meters), by one Spark aggregation."""
    from pyspark.sql import functions as F  # noqa: N812

    stats = rows.agg(
        F.min("start_s").alias("first"),
        F.max("start_s").alias("last"),
        F.countDistinct("meter_id").alias("meters"),
        F.count(F.when(F.col("meter_id").isNull(), 1)).alias("blank_ids"),
    ).first()
    if stats is None or stats["first"] is None:
        raise InputError("no readings to score", field="input")
    if stats["blank_ids"]:
        raise InputError(f"{stats['blank_ids']} readings without a meter_id", field="meter_id")
    minutes = options.interval_minutes or detect_interval_minutes(rows)
    grid = Grid.covering(int(stats["first"]), int(stats["last"]), minutes, options.timezone)
    return grid, int(stats["meters"])


def group_features(table: pa.Table, *, grid: Grid, unit: Unit, inputs: BlockInputs) -> pa.Table:
    """The kernel's features of the meters in one group's readings, in meter-id order.

    Runs on an executor. Energy per interval [kWh] is computed as the local engine does
    (the value × the unit's factor; power × interval minutes / 60). A meter and interval
    read twice with different values is an error (the row order of a Spark group is not the
    file's, so "the later row wins" cannot be applied); identical rows are one reading.
    """
    ids = table.column("meter_id").combine_chunks().dictionary_encode()
    names = np.asarray(ids.dictionary.to_pylist(), dtype=np.str_)
    order = np.argsort(names, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    codes = rank[ids.indices.to_numpy(zero_copy_only=False).astype(np.int64)]
    start_s = table.column("start_s").to_numpy().astype(np.int64)
    energy_kwh = table.column("value").fill_null(np.nan).to_numpy()
    if unit.to_kilo != 1.0:
        energy_kwh = energy_kwh * unit.to_kilo
    if unit.is_power:
        energy_kwh = energy_kwh * grid.interval_minutes / 60
    _check_duplicates(names[order], codes, start_s, energy_kwh)
    return block_features(
        names[order].tolist(), codes, start_s, energy_kwh, grid=grid, inputs=inputs
    )


def _check_duplicates(
    meter_ids: np.ndarray[tuple[int], np.dtype[np.str_]],
    codes: np.ndarray[tuple[int], np.dtype[np.int64]],
    start_s: np.ndarray[tuple[int], np.dtype[np.int64]],
    energy_kwh: np.ndarray[tuple[int], np.dtype[np.float64]],
) -> None:
    order = np.lexsort((start_s, codes))
    c, s, e = codes[order], start_s[order], energy_kwh[order]
    same = (c[1:] == c[:-1]) & (s[1:] == s[:-1])
    differ = same & ~((e[1:] == e[:-1]) | (np.isnan(e[1:]) & np.isnan(e[:-1])))
    if differ.any():
        at = int(np.argmax(differ))
        raise InputError(
            f"meter {meter_ids[c[at]]}: two different readings for the interval starting at "
            f"{int(s[at])} s (UTC epoch); ingest the file first (hashwatch meters ingest "
            "--duplicates last) to resolve duplicates",
            field="energy_kwh",
        )


def spark_features(
    rows: DataFrame,
    *,
    grid: Grid,
    meters: int,
    unit: Unit,
    inputs: BlockInputs,
    meters_per_group: int,
) -> pa.Table:
    """Every meter's features, computed on the executors, collected in meter-id order.

    An executor holds a group's readings and its block, about 85 bytes per meter and
    interval (docs/detection.md, "Running on a cluster").
    """
    from pyspark.sql import functions as F  # noqa: N812

    groups = max(1, math.ceil(meters / meters_per_group))
    group = F.pmod(F.crc32(F.col("meter_id").cast("binary")), F.lit(groups))

    def compute(table: pa.Table) -> pa.Table:
        return group_features(table.drop_columns(["group"]), grid=grid, unit=unit, inputs=inputs)

    features = (
        rows.withColumn("group", group)
        .groupBy("group")
        .applyInArrow(compute, spark_schema(FEATURE_SCHEMA))
    )
    return features.toArrow().cast(FEATURE_SCHEMA).sort_by("meter_id")


def local_session() -> SparkSession:
    """The active SparkSession, or a new one (``local[*]`` unless spark-submit set a master).

    A new session draws no progress bars: they would mix with the command's output. Its
    Python workers run this interpreter, the environment that has hashwatch (Spark's
    default is ``python3`` from PATH), unless ``PYSPARK_PYTHON`` says which, or
    ``PYSPARK_SUBMIT_ARGS`` names a master: on a cluster the executors' Python is the
    cluster's (see docs/detection.md, "Running on a cluster").
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if "--master" not in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("hashwatch-detect")
    return builder.config("spark.ui.showConsoleProgress", "false").getOrCreate()


def features(
    path: Path | str,
    *,
    options: EngineOptions | None = None,
    external: DailySeries | None = None,
    temperature: IntervalSeries | None = None,
    capacity_kw: dict[str, float] | None = None,
    spark: SparkSession | None = None,
) -> pa.Table:
    """The features of every meter in ``path`` (one row each, in meter-id order), on Spark.

    Groups of about ``options.batch_meters`` meters go to the kernel at once.
    """
    opts = options or EngineOptions()
    session = spark or local_session()
    with _parquet(path, opts, session) as parquet:
        rows, unit = read_readings(session, parquet)
        minutes = opts.interval_minutes or _local_interval_minutes(parquet)
        grid, meters = grid_of(rows, replace(opts, interval_minutes=minutes))
        inputs = align_inputs(
            grid, external=external, temperature=temperature, capacity_kw=capacity_kw
        )
        return spark_features(
            rows, grid=grid, meters=meters, unit=unit, inputs=inputs,
            meters_per_group=opts.batch_meters,
        )  # fmt: skip


@contextmanager
def _parquet(path: Path | str, options: EngineOptions, spark: SparkSession) -> Iterator[str]:
    """``path``; for a local file that is not Parquet (CSV, a wide file), the folder of the
    temporary store the local engine ingests it into (:func:`~.local_engine.streamable_source`),
    which only executors on this machine can read: in local mode, not on a cluster.
    """
    local = Path(str(path))
    if not local.is_file() or local.suffix.lower() == ".parquet":
        yield str(path)
        return
    if not (spark.conf.get("spark.master", "") or "").startswith("local"):
        raise InputError(
            f"{local.name}: on a cluster the Spark engine reads Parquet; ingest the file "
            "first (hashwatch meters ingest) and give the store, or write it as Parquet",
            field="input",
        )
    with streamable_source(local, options, force_ingest=True) as source:
        yield str(source.files[0].parents[1])  # the store: bucket=NN/readings.parquet


def _local_interval_minutes(path: str) -> int | None:
    """The local engine's interval for a Parquet file or folder on this machine (the most
    common spacing in its first rows, :func:`hashwatch.io.meter_stream.
    detect_interval_minutes`): read on the driver, it saves a shuffle. None elsewhere."""
    local = Path(path)
    if not local.exists():
        return None
    try:
        return stream.detect_interval_minutes(stream.open_source(local))
    except stream.NotStreamable:
        return None


def run(
    path: Path | str,
    *,
    options: EngineOptions | None = None,
    external: DailySeries | None = None,
    temperature: IntervalSeries | None = None,
    capacity_kw: dict[str, float] | None = None,
    labels: Mapping[str, bool] | None = None,
    threshold: float | None = None,
    spark: SparkSession | None = None,
) -> pa.Table:
    """Scores of every meter in ``path``: :func:`features` on Spark, then scoring on the driver.

    The arguments are :func:`hashwatch.detection.local_engine.run`'s (``options.batch_meters``
    is the meters per kernel call on an executor; ``rows_per_task`` and ``workers`` do not
    apply), plus ``spark``: the caller's session (on a cluster, the one ``spark-submit``
    made); without one, the active session or a new one. The table is the local engine's:
    the same columns, rows and values.
    """
    from hashwatch.detection.scoring import CANDIDATE_THRESHOLD, score

    table = features(
        path,
        options=options,
        external=external,
        temperature=temperature,
        capacity_kw=capacity_kw,
        spark=spark,
    )
    return score(table, labels=labels, threshold=threshold or CANDIDATE_THRESHOLD)
