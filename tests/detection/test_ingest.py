"""Generator → file → ingest → store round trips; the store's merge; registry links and audit."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sqlalchemy import select

from hashwatch.detection.cleaning import CleanReadings, clean_readings
from hashwatch.detection.synthetic import NO_DEFECTS, generate_batch, plan_city
from hashwatch.errors import InputError
from hashwatch.io.meter_files import read_meter_file
from hashwatch.io.meter_synthetic_files import write_synthetic_meters
from hashwatch.reporting.audit import verify_chain
from hashwatch.reporting.models import AuditEntry, Facility, FacilityMeter
from hashwatch.services.meters import ingest_meter_file
from hashwatch.store.engine import Database
from hashwatch.store.meter_readings import (
    BUCKETS,
    bucket_of,
    bucket_path,
    read_stored,
    readings_root,
    store_readings,
)

T0 = 1_617_206_400


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_generated_files_ingest_back_to_the_same_readings(tmp_path: Path, suffix: str) -> None:
    plan = plan_city(9, 12, 5, interval_minutes=30, defects=NO_DEFECTS)
    files = write_synthetic_meters(plan, tmp_path / f"city.{suffix}", batch_meters=5)
    assert files.rows == 12 * 5 * 48
    raw = read_meter_file(files.readings)
    clean, report = clean_readings(raw)
    assert report.interval_minutes == 30
    assert report.rows_kept == report.rows_read == files.rows
    expected = generate_batch(plan, 0, 5)  # the first batch, as written
    first = clean.meter_code < 5
    assert_allclose(clean.energy_kwh[first], expected.energy_kwh)
    assert_array_equal(
        clean.start_utc_s[first], plan.series.axis.start_utc_s[expected.interval_index]
    )
    with files.labels.open(encoding="utf-8") as handle:
        labels = list(csv.DictReader(handle))
    assert [row["meter_id"] for row in labels] == clean.meter_names.tolist()
    assert {row["is_mining"] for row in labels} <= {"true", "false"}


def test_defects_are_found_and_counted_by_ingest(tmp_path: Path) -> None:
    plan = plan_city(4, 300, 20)
    files = write_synthetic_meters(plan, tmp_path / "city.parquet")
    _, report = clean_readings(read_meter_file(files.readings))
    assert report.identical_duplicates_dropped > 0
    assert report.negative_values_dropped > 0  # meter resets (2 % of meters)
    assert report.missing_intervals > 0
    assert report.conflicting_duplicates_resolved == 0
    assert report.rows_kept < report.rows_read


def test_companion_files(tmp_path: Path) -> None:
    files = write_synthetic_meters(plan_city(1, 3, 2, 15), tmp_path / "x.csv")
    daily = files.daily.read_text(encoding="utf-8").splitlines()
    assert daily[0] == "date,hashprice_usd_per_th_day,grid_peak_day"
    assert daily[1].startswith("2021-01-01,")
    assert len(daily) == 3
    temperature = files.temperature.read_text(encoding="utf-8").splitlines()
    assert temperature[1].startswith("2021-01-01T00:00:00+08:00,")
    assert len(temperature) == 1 + 2 * 96
    assert (
        files.readings.read_text(encoding="utf-8")
        .splitlines()[1]
        .startswith("M000000,2021-01-01T00:00:00+08:00,")
    )


def test_the_generator_refuses_other_suffixes(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.parquet or \.csv"):
        write_synthetic_meters(plan_city(1, 2, 1), tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []


def _clean(meters: list[str], values: list[list[float]], start: int = T0) -> CleanReadings:
    n = len(values[0])
    return CleanReadings(
        meter_names=np.asarray(meters, dtype=np.str_),
        meter_code=np.repeat(np.arange(len(meters)), n),
        start_utc_s=np.tile(start + 3600 * np.arange(n), len(meters)),
        energy_kwh=np.asarray(values, dtype=np.float64).ravel(),
        interval_minutes=60,
    )


def test_buckets_are_stable_and_spread() -> None:
    buckets = bucket_of([f"M{i:06d}" for i in range(5000)])
    assert bucket_of(["M000000"]).tolist() == [buckets[0]]
    counts = np.bincount(buckets, minlength=BUCKETS)
    assert counts.min() > 40  # about 78 each


def test_the_store_merges_and_a_later_file_wins(tmp_path: Path) -> None:
    root = tmp_path / "readings"
    first = store_readings(root, _clean(["A", "B"], [[1, 2, 3], [4, 5, 6]]))
    assert (first.readings_added, first.readings_replaced) == (6, 0)
    second = store_readings(root, _clean(["B", "C"], [[5, 9, 7], [8, 8, 8]], start=T0 + 3600))
    assert (second.readings_added, second.readings_replaced, second.readings_unchanged) == (
        4,
        1,
        1,
    )
    table = read_stored(root)
    assert table.num_rows == 10
    b = read_stored(root, ["B"])
    assert b.column("energy_kwh").to_pylist() == [4, 5, 9, 7]
    assert b.column("interval_start").type.tz == "UTC"
    stored = {"A": 3, "B": 4, "C": 3}
    bucket = int(bucket_of(["B"])[0])
    together = sum(n for m, n in stored.items() if bucket_of([m])[0] == bucket)
    assert pq.read_table(bucket_path(root, bucket)).num_rows == together
    assert read_stored(root, ["nobody"]).num_rows == 0


def test_nothing_is_stored_when_the_file_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "meter_id,interval_start,energy_kwh\n"
        "A,2021-04-01T00:00Z,1\nA,2021-04-01T00:00Z,2\nA,2021-04-01T01:00Z,2\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="rows 2 and 3"):
        ingest_meter_file(path, data_dir=tmp_path, db=None, actor="t")
    assert not readings_root(tmp_path).exists()


def test_ingest_links_meters_to_facilities_and_audits(tmp_path: Path, db: Database) -> None:
    from tests.factories import add_facilities

    codes = add_facilities(db, 2)
    with db.transaction() as session:
        facility = session.scalars(select(Facility).where(Facility.code == codes[0])).one()
        session.add(FacilityMeter(meter_id="M000001", facility_id=facility.id))
    files = write_synthetic_meters(plan_city(5, 4, 3), tmp_path / "city.csv")
    result = ingest_meter_file(files.readings, data_dir=tmp_path, db=db, actor="analyst:t")
    assert result.links is not None
    assert list(result.links) == ["M000001"]
    assert result.links["M000001"].facility_code == codes[0]
    assert result.unlinked_meters == ("M000000", "M000002", "M000003")
    assert read_stored(readings_root(tmp_path)).num_rows == result.report.rows_kept
    with db.read() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert (entry.action, entry.object_id, entry.actor) == (
            "meters.ingest",
            "city.csv",
            "analyst:t",
        )
        assert '"linked_meters":1' in (entry.after_json or "")
        assert verify_chain(session).ok
