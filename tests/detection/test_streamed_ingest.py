"""Streamed ingest (chunks → bucket spill files → clean per bucket) equals the whole-file one."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from hashwatch.detection.cleaning import DuplicatePolicy, clean_readings
from hashwatch.detection.synthetic import plan_city
from hashwatch.errors import InputError
from hashwatch.io.meter_files import read_meter_file
from hashwatch.io.meter_ingest import streamable
from hashwatch.io.meter_synthetic_files import write_synthetic_meters
from hashwatch.services.meters import ingest_meter_file
from hashwatch.store.meter_readings import (
    bucket_of,
    readings_root,
    store_readings,
)
from tests.detection.tables import stored_buckets

HEADER = '"meter_id","interval_start","energy_kwh"'


def _messy_city(folder: Path) -> list[str]:
    """The generator's rows (with its defects), plus every defect the generator lacks."""
    files = write_synthetic_meters(plan_city(3, 60, 6), folder / "generated.csv")
    rows = files.readings.read_text(encoding="utf-8").splitlines()[1:]
    cells = [row.split(",") for row in rows]
    for cell in cells:
        if cell[0] in ("M000007", "M000031", "M000052"):
            cell[2] = "2000000.5"  # whole meters written in Wh: rule 6
        if cell[0] == "M000013":
            cell[2] = ""  # a meter with no readings at all
    for cell in cells[500:520]:
        cell[2] = "NA"  # blank values
    lines = [",".join(cell) for cell in cells]
    lines[1000:1100] = lines[1000:1100][::-1]  # out of order
    lines.append(lines[2000].rsplit(",", 1)[0] + ",1.25")  # a conflicting resend
    lines.insert(50, lines[3000])  # an identical resend, far up the file
    return lines


def _write(folder: Path, lines: list[str], suffix: str) -> Path:
    path = folder / "city.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    if suffix == "csv":
        return path
    table = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={"interval_start": pa.string(), "energy_kwh": pa.float64()}
        ),
    )
    parquet = folder / "city.parquet"
    pq.write_table(table, parquet, row_group_size=700)
    return parquet


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_streamed_ingest_equals_the_whole_file_ingest(tmp_path: Path, suffix: str) -> None:
    path = _write(tmp_path, _messy_city(tmp_path), suffix)
    assert streamable(path, None, None)
    raw = read_meter_file(path)
    clean, whole_report = clean_readings(raw, duplicates=DuplicatePolicy.LAST)
    store_readings(readings_root(tmp_path / "whole"), clean)
    assert whole_report.meters_rescaled_from_wh == ("M000007", "M000031", "M000052")
    assert whole_report.blank_values > 100
    assert whole_report.out_of_order_rows > 0
    assert whole_report.conflicting_duplicates_resolved == 1
    assert whole_report.identical_duplicates_dropped > 1
    for name, chunk_rows in (("tiny", 100), ("one", 10_000_000)):
        result = ingest_meter_file(
            path,
            data_dir=tmp_path / name,
            db=None,
            actor="t",
            duplicates=DuplicatePolicy.LAST,
            chunk_rows=chunk_rows,
        )
        assert asdict(result.report) == asdict(whole_report)
        assert result.unlinked_meters == tuple(clean.meter_names.tolist())
        stored, whole = stored_buckets(tmp_path / name), stored_buckets(tmp_path / "whole")
        assert stored.keys() == whole.keys()
        assert len(stored) > 30
        for bucket, table in stored.items():
            assert table.equals(whole[bucket]), bucket
        assert [p.name for p in (tmp_path / name / "meters").iterdir()] == ["readings"]


def test_an_error_in_a_late_bucket_stores_nothing(tmp_path: Path) -> None:
    lines = _messy_city(tmp_path)
    path = _write(tmp_path, lines, "csv")
    meters = [f"M{i:06d}" for i in range(60)]
    assert (bucket_of(meters) < bucket_of(["M000014"])[0]).sum() > 10  # buckets before it
    with pytest.raises(InputError, match=f"rows 2003 and {len(lines) + 1}") as caught:
        ingest_meter_file(path, data_dir=tmp_path, db=None, actor="t", chunk_rows=100)
    assert caught.value.row == len(lines) + 1
    assert not (tmp_path / "meters").exists()  # no store, no spill files left


def test_a_bad_cell_late_in_the_file_is_named_by_row_and_column(tmp_path: Path) -> None:
    lines = _messy_city(tmp_path)
    lines[4000] = lines[4000].rsplit(",", 1)[0] + ",12,5"
    path = _write(tmp_path, lines, "csv")
    with pytest.raises(InputError, match="the row has 4 cells") as caught:
        ingest_meter_file(path, data_dir=tmp_path, db=None, actor="t", chunk_rows=100)
    assert caught.value.row == 4002
    lines[4000] = lines[4000].rsplit(",", 2)[0] + ",12x"
    lines[4500] = lines[4500].split(",", 1)[0] + ",2021-13-01T00:00:00+08:00,1.0"
    path = _write(tmp_path, lines, "csv")
    with pytest.raises(InputError, match="column energy_kwh: '12x' is not a number") as caught:
        ingest_meter_file(path, data_dir=tmp_path, db=None, actor="t", chunk_rows=100)
    assert caught.value.row == 4002
    lines[4000] = lines[4000].rsplit(",", 1)[0] + ",12"
    path = _write(tmp_path, lines, "csv")
    with pytest.raises(InputError, match="not an ISO 8601 time") as caught:
        ingest_meter_file(path, data_dir=tmp_path, db=None, actor="t", chunk_rows=100)
    assert caught.value.row == 4502
    assert not (tmp_path / "meters").exists()


def test_wide_and_local_time_files_are_streamed_too(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_text("interval_start,A,B\n2021-04-01T00:00:00,1,2\n", encoding="utf-8")
    assert streamable(wide, None, None)  # tests/detection/test_streamed_ingest_wide.py
    long = tmp_path / "long.csv"
    long.write_text("meter_id,interval_start,energy_kwh\nA,2021-04-01T00:00:00,1\n")
    assert streamable(long, None, None)
    assert streamable(long, None, "Asia/Shanghai")
    assert not streamable(tmp_path / "missing.csv", None, None)
