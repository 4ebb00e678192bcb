"""Reading meter data files: layouts, formats, times and zones, and every kind of bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from hashwatch.detection.cleaning import Unit, clean_readings
from hashwatch.errors import FileFormatError, InputError
from hashwatch.io.meter_files import Layout, read_meter_file

T0 = int(dt.datetime(2021, 3, 31, 16, tzinfo=dt.UTC).timestamp())  # 2021-04-01 00:00 +08:00


def write(tmp_path: Path, text: str, name: str = "m.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


LONG = """meter_id,interval_start,energy_kwh
A,2021-04-01T00:00:00+08:00,1.5
A,2021-04-01T01:00:00+08:00,2.5
B,2021-03-31T16:00:00Z,3
B,2021-03-31 17:00:00+0000,
"""


def test_long_csv_with_offsets(tmp_path: Path) -> None:
    readings = read_meter_file(write(tmp_path, LONG))
    assert readings.meter_names.tolist() == ["A", "B"]
    assert_array_equal(readings.meter_code, [0, 0, 1, 1])
    assert_array_equal(readings.start_utc_s - T0, [0, 3600, 0, 3600])
    assert_allclose(readings.value, [1.5, 2.5, 3.0, np.nan])
    assert_array_equal(readings.row_number, [2, 3, 4, 5])
    assert readings.unit is Unit.KWH
    assert readings.value_column == "energy_kwh"


def test_a_byte_order_mark_and_spaces_in_the_header_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(
        b"\xef\xbb\xbfMeter_ID, interval_start ,power_kw\nA,2021-04-01T00:00Z,4\nA,x,5\n"
    )
    with pytest.raises(InputError, match="'x' is not an ISO 8601 time") as caught:
        read_meter_file(path)
    assert caught.value.row == 3
    path.write_bytes(path.read_bytes().replace(b",x,", b",2021-04-01T01:00Z,"))
    readings = read_meter_file(path)
    assert readings.unit is Unit.KW
    assert readings.meter_names.tolist() == ["A"]
    assert_allclose(readings.value, [4, 5])


def test_local_times_need_a_zone(tmp_path: Path) -> None:
    path = write(tmp_path, "meter_id,interval_start,energy_kwh\nA,2021-04-01T00:00:00,1\n")
    with pytest.raises(InputError, match="has no UTC offset; give --timezone") as caught:
        read_meter_file(path)
    assert (caught.value.row, caught.value.field) == (2, "interval_start")
    readings = read_meter_file(path, timezone="Asia/Shanghai")
    assert readings.start_utc_s.tolist() == [T0]
    assert "Asia/Shanghai" in readings.notes[0]


def test_an_unknown_zone_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown time zone 'Mars/Olympus'"):
        read_meter_file(write(tmp_path, LONG), timezone="Mars/Olympus")


def test_a_local_time_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    # Berlin skipped 02:00-03:00 on 28 March 2021
    text = "meter_id,interval_start,energy_kwh\nA,2021-03-28T01:00,1\nA,2021-03-28T02:00,1\n"
    with pytest.raises(InputError, match="does not exist in Europe/Berlin") as caught:
        read_meter_file(write(tmp_path, text), timezone="Europe/Berlin")
    assert caught.value.row == 3


def test_the_repeated_hour_is_taken_in_file_order(tmp_path: Path) -> None:
    # Berlin repeated 02:00-03:00 on 31 October 2021 (CEST, then CET)
    text = (
        "meter_id,interval_start,energy_kwh\n"
        "A,2021-10-31T01:00,1\nA,2021-10-31T02:00,2\nB,2021-10-31T02:00,7\n"
        "A,2021-10-31T02:00,3\nA,2021-10-31T03:00,4\n"
    )
    readings = read_meter_file(write(tmp_path, text), timezone="Europe/Berlin")
    first = int(dt.datetime(2021, 10, 30, 23, tzinfo=dt.UTC).timestamp())
    assert_array_equal(readings.start_utc_s - first, [0, 3600, 3600, 7200, 10800])
    clean, report = clean_readings(readings)
    assert clean.rows == 5
    assert report.missing_intervals == 0
    assert any("clocks went back" in note for note in readings.notes)


@pytest.mark.parametrize(
    ("text", "row", "field", "message"),
    [
        (
            "meter_id,interval_start,energy_kwh\nA,2021-04-01T00:00Z,1\nA,yesterday,2\n",
            3,
            "interval_start",
            "'yesterday' is not an ISO 8601 time",
        ),
        (
            "meter_id,interval_start,energy_kwh\nA,2021-04-01T00:00Z,1\nA,2021-04-01T01:00Z,x\n",
            3,
            "energy_kwh",
            "'x' is not a number",
        ),
        (
            "meter_id,interval_start,energy_kwh\nA,2021-04-01T00:00Z,1\n,2021-04-01T01:00Z,2\n",
            3,
            "meter_id",
            "column meter_id: blank",
        ),
        (
            "meter_id,interval_start,energy_kwh\nA,2021-04-01T00:00Z,1\nA,,2\n",
            3,
            "interval_start",
            "column interval_start: blank",
        ),
    ],
)
def test_unreadable_cells_name_file_row_and_column(
    tmp_path: Path, text: str, row: int, field: str, message: str
) -> None:
    with pytest.raises(InputError, match=message) as caught:
        read_meter_file(write(tmp_path, text, "bad.csv"))
    assert (caught.value.row, caught.value.field) == (row, field)
    assert caught.value.message.startswith("bad.csv")


def test_a_row_with_too_many_cells(tmp_path: Path) -> None:
    text = "meter_id,interval_start,energy_kwh\nA,2021-04-01T00:00Z,1\nA,2021-04-01T01:00Z,2,9\n"
    with pytest.raises(FileFormatError, match="has 4 cells, the header 3") as caught:
        read_meter_file(write(tmp_path, text))
    assert caught.value.row == 3


@pytest.mark.parametrize("line", ["   ", ",", " , "])
def test_a_line_of_spaces_or_commas_is_a_row_with_the_wrong_cells(
    tmp_path: Path, line: str
) -> None:
    rows = ["A,2021-04-01T00:00Z,1", line, "A,2021-04-01T01:00Z,2"]
    text = "\n".join(["meter_id,interval_start,energy_kwh", *rows]) + "\n"
    with pytest.raises(FileFormatError, match="cells, the header 3") as caught:
        read_meter_file(write(tmp_path, text))
    assert caught.value.row == 3


def test_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(
        "meter_id,interval_start,energy_kwh\n电表,2021-04-01T00:00Z,1\n".encode("gb18030")
    )
    with pytest.raises(FileFormatError, match="not UTF-8") as caught:
        read_meter_file(path)
    assert caught.value.row == 2


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("meter_id,energy_kwh", "needs the columns meter_id and interval_start"),
        ("meter_id,interval_start", "exactly one value column"),
        ("meter_id,interval_start,energy_kwh,power_kw", "found energy_kwh, power_kw"),
        ("meter_id,interval_start,value", "has no unit in its name: give --unit"),
        ("reading_time,A,B", "a wide file needs an interval_start column"),
        ("", "empty or has no header"),
    ],
)
def test_missing_or_ambiguous_columns(tmp_path: Path, header: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_meter_file(write(tmp_path, header + "\n"))


def test_a_generic_value_column_takes_the_unit_given(tmp_path: Path) -> None:
    path = write(tmp_path, "meter_id,interval_start,value\nA,2021-04-01T00:00Z,1000\n")
    assert read_meter_file(path, unit=Unit.WH).unit is Unit.WH


def test_a_unit_that_contradicts_the_column_name(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="energy_kwh says kwh, --unit says wh"):
        read_meter_file(write(tmp_path, LONG), unit=Unit.WH)


def test_other_suffixes_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match=r"\.csv or \.parquet"):
        read_meter_file(write(tmp_path, LONG, "m.xlsx"))
    with pytest.raises(InputError, match="no such file"):
        read_meter_file(tmp_path / "absent.csv")
    with pytest.raises(FileFormatError, match="not a readable Parquet file"):
        read_meter_file(write(tmp_path, LONG, "fake.parquet"))


def test_a_file_with_a_header_only(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="no rows"):
        read_meter_file(write(tmp_path, "meter_id,interval_start,energy_kwh\n"))


WIDE = """interval_start,M1,M2
2021-04-01T00:00+08:00,1,10
2021-04-01T00:15+08:00,2,
2021-04-01T00:30+08:00,3,30
"""


def test_wide_csv(tmp_path: Path) -> None:
    readings = read_meter_file(write(tmp_path, WIDE), unit=Unit.KW)
    assert readings.meter_names.tolist() == ["M1", "M2"]
    assert_array_equal(readings.meter_code, [0, 0, 0, 1, 1, 1])
    assert_array_equal(readings.start_utc_s - T0, [0, 900, 1800] * 2)
    assert_array_equal(readings.row_number, [2, 3, 4] * 2)
    clean, report = clean_readings(readings)
    assert report.interval_minutes == 15
    assert report.blank_values == 1
    assert_allclose(clean.energy_kwh, [0.25, 0.5, 0.75, 2.5, 7.5])


def test_a_bad_wide_cell_names_the_meter_column(tmp_path: Path) -> None:
    text = WIDE.replace(",30", ",3O")
    with pytest.raises(InputError, match="column M2: '3O' is not a number") as caught:
        read_meter_file(write(tmp_path, text))
    assert (caught.value.row, caught.value.field) == (4, "M2")


def test_wide_conflicting_duplicates_name_the_meter(tmp_path: Path) -> None:
    text = WIDE + "2021-04-01T00:15+08:00,5,20\n"
    with pytest.raises(InputError, match=r"column M1: rows 3 and 5"):
        clean_readings(read_meter_file(write(tmp_path, text)))


def test_wide_columns_must_be_unique(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="'M1' appears twice"):
        read_meter_file(write(tmp_path, "interval_start,M1,M1\n2021-04-01T00:00Z,1,2\n"))


def test_layout_can_be_forced(tmp_path: Path) -> None:
    text = "interval_start,meter_id\n2021-04-01T00:00Z,5\n2021-04-01T01:00Z,6\n"
    readings = read_meter_file(write(tmp_path, text), layout=Layout.WIDE)
    assert readings.meter_names.tolist() == ["meter_id"]


def _parquet(tmp_path: Path, table: pa.Table) -> Path:
    path = tmp_path / "m.parquet"
    pq.write_table(table, path)
    return path


def test_parquet_with_zoned_timestamps_and_power(tmp_path: Path) -> None:
    starts = pa.array([T0, T0 + 1800], type=pa.timestamp("s", tz="Asia/Shanghai"))
    table = pa.table({"meter_id": ["A", "A"], "interval_start": starts, "power_kw": [2.0, 4.0]})
    readings = read_meter_file(_parquet(tmp_path, table))
    assert_array_equal(readings.start_utc_s, [T0, T0 + 1800])
    assert_array_equal(readings.row_number, [1, 2])
    clean, _ = clean_readings(readings)
    assert_allclose(clean.energy_kwh, [1.0, 2.0])


def test_parquet_with_naive_millisecond_timestamps_and_integer_ids(tmp_path: Path) -> None:
    local = pa.array([T0 * 1000, (T0 + 3600) * 1000], type=pa.timestamp("ms"))
    table = pa.table({"meter_id": [7, 7], "interval_start": local, "energy_wh": [1, 2]})
    with pytest.raises(InputError, match="no UTC offset"):
        read_meter_file(_parquet(tmp_path, table))
    readings = read_meter_file(_parquet(tmp_path, table), timezone="UTC")
    assert readings.meter_names.tolist() == ["7"]
    assert readings.unit is Unit.WH
    assert_array_equal(readings.start_utc_s, [T0, T0 + 3600])


def test_parquet_with_text_values(tmp_path: Path) -> None:
    table = pa.table(
        {
            "meter_id": ["A", "A", "A"],
            "interval_start": ["2021-04-01T00:00Z", "2021-04-01T01:00Z", "2021-04-01T02:00Z"],
            "energy_kwh": ["1", "2", "lots"],
        }
    )
    with pytest.raises(InputError, match="'lots' is not a number") as caught:
        read_meter_file(_parquet(tmp_path, table))
    assert caught.value.row == 3


def test_parquet_with_a_numeric_time_column(tmp_path: Path) -> None:
    table = pa.table({"meter_id": ["A"], "interval_start": [T0], "energy_kwh": [1.0]})
    with pytest.raises(FileFormatError, match="holds int64, not times"):
        read_meter_file(_parquet(tmp_path, table))
