"""Cross-check with declarations (pure and through the service with a notice); side files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hashwatch.detection.crosscheck import Declaration, MeterResult, crosscheck
from hashwatch.errors import ConfigurationError, InputError
from hashwatch.io import detection_files as files
from hashwatch.reporting.models import Facility, FacilityMeter
from hashwatch.services import detection as service
from hashwatch.store.engine import Database
from tests.assessment.city import REF, build_city
from tests.factories import settings_for

DAYS = 35


def test_crosscheck_findings_both_ways() -> None:
    meters = {
        "F1": [MeterResult("m1", 2000.0, True, 0.9), MeterResult("m2", 100.0, False, 0.1)],
        "F2": [MeterResult("m3", 100.0, False, 0.2)],
        "F3": [MeterResult("m4", 500.0, True, 0.8)],
    }
    declared = {
        "F1": Declaration("F1", 1_000_000.0, False),
        "F2": Declaration("F2", 100_000.0, False),
        "F3": Declaration("F3", None, True),
    }
    found = crosscheck(meters, declared, period_hours=720.0)
    assert [f.code for f in found["F1"]] == [
        "detection.metered_exceeds_declared",
        "detection.mining_like_undeclared",
    ]
    assert found["F1"][0].data == {"metered_kwh": 1_512_000.0, "declared_kwh": 1_000_000.0}
    assert found["F1"][1].data == {"meters": ["m1"]}
    assert found["F2"] == []  # 72,000 kWh metered: within what was declared
    assert found["F3"] == []  # mining declared, no total declared
    assert crosscheck(meters, {}, 720.0) == {}


def _readings(path: Path) -> None:
    """Meter MT1: a farm (flat, a rack step, near T1's 3,000 kW contract); others ordinary."""
    rng = np.random.default_rng(2)
    n = DAYS * 24
    hour = np.arange(n) % 24
    start = int(dt.datetime(2021, 4, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp())
    series = {"MT1": np.repeat(np.where(np.arange(DAYS) < 12, 1400.0, 2800.0), 24)}
    for i in range(8):
        series[f"O{i}"] = np.where((hour >= 8) & (hour < 19), 300.0, 90.0)
        series[f"D{i}"] = 1000 * (1 + 0.04 * np.cos(2 * np.pi * (hour - 16) / 24))
    ids, times, energy = [], [], []
    for meter, p in series.items():
        ids += [meter] * n
        times.append(start + 3600 * np.arange(n))
        energy.append(p * (1 + rng.normal(0, 0.01, n)))
    table = pa.table(
        {
            "meter_id": ids,
            "interval_start": pa.array(np.concatenate(times), pa.timestamp("s", tz="UTC")),
            "energy_kwh": np.concatenate(energy),
        }
    )
    pq.write_table(table, path)


@pytest.fixture
def linked(db: Database, tmp_path: Path) -> Database:
    build_city(db, settings_for(tmp_path))
    with db.transaction() as session:
        for meter, code in (("MT1", "T1"), ("O0", "A1")):
            facility = session.query(Facility).filter_by(code=code).one()
            session.add(FacilityMeter(meter_id=meter, facility_id=facility.id))
    return db


def test_detect_with_a_notice_cross_checks_the_linked_facilities(
    linked: Database, tmp_path: Path
) -> None:
    path = tmp_path / "readings.parquet"
    _readings(path)
    request = service.DetectRequest(input=path, notice_ref=REF)
    result = service.detect_meters(request, db=linked)
    rows = {r["meter_id"]: r for r in result.table.to_pylist()}
    assert result.linked_meters == 2
    assert rows["MT1"]["is_candidate"]
    assert rows["MT1"]["facility_code"] == "T1"
    # T1 declared 1,000,000 kWh and no mining; its meter ran at ~2,300 kW on average
    assert rows["MT1"]["crosscheck"] == (
        "detection.metered_exceeds_declared; detection.mining_like_undeclared"
    )
    assert 0.9 < rows["MT1"]["capacity_ratio"] < 1.0  # T1's contract from the registry
    assert rows["O0"]["facility_code"] == "A1"
    assert rows["O0"]["crosscheck"] == ""
    assert rows["O1"]["facility_code"] is None
    assert [f["code"] for f in result.findings["T1"]] == [
        "detection.metered_exceeds_declared",
        "detection.mining_like_undeclared",
    ]


def test_a_notice_needs_the_database(tmp_path: Path) -> None:
    path = tmp_path / "readings.parquet"
    _readings(path)
    with pytest.raises(ConfigurationError, match="database"):
        service.detect_meters(service.DetectRequest(input=path, notice_ref=REF), db=None)


def test_side_files_are_read_and_errors_name_the_row(tmp_path: Path) -> None:
    daily = tmp_path / "daily.csv"
    daily.write_text(
        "date,hashprice_usd_per_th_day,grid_peak_day\n2021-01-01,0.25,0\n2021-01-02,,1\n",
        encoding="utf-8",
    )
    series = files.read_external(daily)
    assert series.dates == (dt.date(2021, 1, 1), dt.date(2021, 1, 2))
    assert series.lag_days == 1
    assert np.isnan(series.value[1])
    assert series.grid_peak_day is not None
    assert series.grid_peak_day.tolist() == [0.0, 1.0]
    price = tmp_path / "price.csv"
    price.write_text("date,price_cny_per_kwh\n2021-01-01,0.6\n", encoding="utf-8")
    assert files.read_external(price).lag_days == 0
    labels = tmp_path / "labels.csv"
    labels.write_text("meter_id,is_mining\nA,true\nB,0\nC,\nD,maybe\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 5, column is_mining: 'maybe'"):
        files.read_labels(labels)
    labels.write_text("meter_id,is_mining\nA,true\nB,0\nC,\n", encoding="utf-8")
    assert files.read_labels(labels) == {"A": True, "B": False}
    capacity = tmp_path / "cap.csv"
    capacity.write_text("meter_id,contracted_capacity_kw\nA,120.5\nB,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 3, column contracted_capacity_kw"):
        files.read_capacity(capacity)
    temperature = tmp_path / "t.csv"
    temperature.write_text("interval_start,temperature_c\n2021-01-01T00:00,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2, column interval_start"):
        files.read_temperature(temperature)
