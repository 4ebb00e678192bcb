"""The grid, side inputs on it, the task reader (units, blanks, edges) and the evidence chart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from hashwatch.charts.meters import meter_evidence_chart
from hashwatch.detection import local_engine as engine
from hashwatch.detection.grid import DailySeries, Grid, IntervalSeries, align_inputs
from hashwatch.io import meter_stream as stream

BEIJING = dt.timezone(dt.timedelta(hours=8))
T0 = int(dt.datetime(2021, 3, 1, 5, 0, tzinfo=BEIJING).timestamp())  # 05:00 local


def test_grid_starts_at_local_midnight_and_covers_the_last_reading() -> None:
    grid = Grid.covering(T0, T0 + 3 * 86400, 30, "Asia/Shanghai")
    assert grid.start == dt.date(2021, 3, 1)
    assert grid.first_utc_s == T0 - 5 * 3600
    assert grid.intervals == (5 * 3600 + 3 * 86400) // 1800 + 1
    assert grid.days == 3


def test_side_inputs_are_placed_on_the_grid() -> None:
    grid = Grid.covering(T0, T0 + 3 * 86400, 60, "Asia/Shanghai")
    daily = DailySeries(
        (dt.date(2021, 3, 2), dt.date(2021, 2, 28), dt.date(2021, 3, 1)),
        np.array([2.0, 9.0, 1.0]),
        np.array([1.0, 0.0, 0.0]),
    )
    temperature = IntervalSeries(np.array([grid.first_utc_s + 3600, T0 - 86400]), np.ones(2))
    inputs = align_inputs(grid, external=daily, temperature=temperature, capacity_kw={"b": 5.0})
    assert_allclose(inputs.external, [1.0, 2.0, np.nan])  # by date; the 3rd day unknown
    assert_allclose(inputs.grid_peak_day, [0.0, 1.0, 0.0])
    assert inputs.temperature is not None
    assert inputs.temperature[1] == 1.0
    assert np.isnan(inputs.temperature[0])
    assert_allclose(inputs.capacity_of(["a", "b"]), [np.nan, 5.0])


def _power_file(path: Path, row_group_size: int) -> None:
    """Two meters of average power [W] with microsecond times, a blank value and 3 row groups."""
    times = T0 + 3600 * np.arange(6)
    table = pa.table(
        {
            "Meter_ID": ["a"] * 6 + ["b"] * 6,
            "interval_start": pa.array(
                np.concatenate([times, times]) * 1_000_000, pa.timestamp("us", tz="UTC")
            ),
            "POWER_W": pa.array([1000.0, None, 3000, 4000, 5000, 6000] + [2000.0] * 6),
        }
    )
    pq.write_table(table, path, row_group_size=row_group_size)


@pytest.mark.parametrize(
    ("unit", "per_second", "statistics"),
    [("s", 1, True), ("ms", 1_000, True), ("ns", 1_000_000_000, True), ("us", 10**6, False)],
)
def test_time_span_from_statistics_or_data_in_every_unit(
    tmp_path: Path, unit: str, per_second: int, statistics: bool
) -> None:
    """Statistics hold the stored integers (seconds are stored as milliseconds); a file
    written without statistics, or with blank times, is read."""
    path = tmp_path / "times.parquet"
    times = [T0 + 1800, None, T0 + 7 * 3600, T0]
    table = pa.table(
        {
            "meter_id": ["a", "a", "a", "b"],
            "interval_start": pa.array(
                [None if t is None else t * per_second for t in times], pa.timestamp(unit)
            ),
            "energy_kwh": [1.0, 2.0, 3.0, 4.0],
        }
    )
    pq.write_table(table, path, row_group_size=2, write_statistics=statistics)
    assert stream.time_span_utc_s(stream.open_source(path)) == (T0, T0 + 7 * 3600)


def test_tasks_convert_units_keep_blanks_and_send_edges_back(tmp_path: Path) -> None:
    path = tmp_path / "power.parquet"
    _power_file(path, row_group_size=4)
    source = stream.open_source(path)
    assert (source.meter_column, source.value_column) == ("Meter_ID", "POWER_W")
    assert stream.time_span_utc_s(source) == (T0, T0 + 5 * 3600)
    assert stream.detect_interval_minutes(source) == 60
    tasks = stream.plan_tasks(source, rows_per_task=1)
    assert len(tasks) == 3
    first = stream.read_task(tasks[0], source, 60)
    assert first.rows.meter_ids == []  # meter a goes on in the next task: an edge piece
    assert [p.meter_id for p in first.edges] == ["a"]
    assert_allclose(first.edges[0].energy_kwh, [1.0, np.nan, 3.0, 4.0])  # W → kW, × 1 h
    assert_array_equal(first.edges[0].start_utc_s, T0 + 3600 * np.arange(4))
    joined = stream.join_pieces([p for t in tasks for p in stream.read_task(t, source, 60).edges])
    assert joined.meter_ids == ["a", "b"]


def test_power_file_scores_like_its_energy(tmp_path: Path) -> None:
    path = tmp_path / "power.parquet"
    _power_file(path, row_group_size=4)
    features = engine.features(path, options=engine.EngineOptions(workers=1))
    assert features.column("meter_id").to_pylist() == ["a", "b"]
    assert_allclose(features.column("energy_kwh").to_numpy(), [19.0, 12.0])
    assert features.column("readings").to_pylist() == [5, 6]


def test_not_streamable_inputs_are_named() -> None:
    with pytest.raises(stream.NotStreamable):
        stream.open_source(Path("readings.csv"))


def test_evidence_chart_marks_curtailment_and_steps() -> None:
    power = np.array([10.0, np.nan, 0.5, 10.0])
    spec = meter_evidence_chart(
        "M1",
        first_local=dt.datetime.combine(dt.date(2021, 1, 1), dt.time()),  # local, naive
        interval_minutes=60,
        power_kw=power,
        curtailed=np.array([False, False, True, False]),
        steps=[(1, 250.0)],
    )
    line, points, rule, text = spec["layer"]
    values = line["data"]["values"]
    assert [v["power_kw"] for v in values] == [10.0, None, 0.5, 10.0]
    assert [v["curtailed"] for v in values] == [False, False, True, False]
    assert values[2]["t"] == "2021-01-01T02:00:00"
    assert points["transform"] == [{"filter": "datum.curtailed"}]
    assert rule["data"]["values"] == [{"t": "2021-01-02T00:00:00", "label": "Step +250 kW"}]
    assert text["encoding"]["text"] == {"field": "label"}
    assert spec["title"] == "Meter M1: load, steps and curtailment"


def test_the_interval_comes_from_the_first_file_with_readings(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    _power_file(folder / "b.parquet", row_group_size=4)
    empty = pa.table({"Meter_ID": pa.array([], pa.string()),
                      "interval_start": pa.array([], pa.timestamp("us", tz="UTC")),
                      "POWER_W": pa.array([], pa.float64())})  # fmt: skip
    pq.write_table(empty, folder / "a.parquet")
    source = stream.open_source(folder)
    assert source.files[0].name == "a.parquet"
    assert stream.detect_interval_minutes(source) == 60


def test_arrow_values_of_chunked_sliced_and_empty_arrays() -> None:
    chunked = pa.chunked_array([[1.0, 2.0], [], [3.0]])
    assert_array_equal(stream.arrow_values(chunked), [1.0, 2.0, 3.0])
    assert_array_equal(stream.arrow_values(pa.array([1, 2, 3, 4]).slice(1, 2)), [2, 3])
    empty = stream.arrow_values(pa.chunked_array([], pa.int32()))
    assert empty.size == 0
    assert empty.dtype == np.int32
