"""CSV meter files with empty lines: rows are named by their line in the file.

pyarrow's CSV reader skips empty lines, so the rows below one are numbered from the lines
actually read, in the whole-file reader and in the streamed one alike.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from hashwatch.detection.cleaning import RawReadings
from hashwatch.errors import InputError
from hashwatch.io.meter_files import Layout, read_meter_file
from hashwatch.io.meter_ingest_chunks import FoldKeys, chunks, file_columns
from hashwatch.io.meter_rows import RowContext, empty_line_gaps
from hashwatch.services.meters import ingest_meter_file

LONG_HEADER = "meter_id,interval_start,energy_kwh"
WIDE_HEADER = "interval_start,A,B,C"
T0 = dt.datetime(2021, 4, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _time(hour: int) -> str:
    return (T0 + dt.timedelta(hours=hour)).isoformat()


def _long_lines(rows: int) -> list[str]:
    """``rows`` readings of three meters, with empty lines: after the header, single,
    several in a row, a run longer than a streamed block, and at the end."""
    lines = [f"M{i % 3},{_time(i // 3)},{i % 7 + 0.5}" for i in range(rows)]
    for at, count in ((rows - 10, 1), (rows // 2, 5000), (40, 3), (7, 1), (0, 1)):
        lines[at:at] = [""] * count
    return [LONG_HEADER, *lines, "", ""]


def _wide_lines(rows: int) -> list[str]:
    lines = [f"{_time(i)},{i},{i + 0.5},{2 * i}" for i in range(rows)]
    for at, count in ((rows - 5, 2), (rows // 2, 5000), (11, 1), (0, 2)):
        lines[at:at] = [""] * count
    return [WIDE_HEADER, *lines, ""]


def _write(tmp_path: Path, lines: list[str], newline: str = "\n") -> Path:
    path = tmp_path / "m.csv"
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    return path


def _file_rows(lines: list[str]) -> list[int]:
    """The file line (the header is 1) of each data row."""
    return [number for number, line in enumerate(lines, start=1) if line and number > 1]


def _pairs(raw: RawReadings) -> list[tuple[str, int]]:
    """(meter, file row) of each reading."""
    meters = raw.meter_names[raw.meter_code].tolist()
    return list(zip(meters, raw.row_number.tolist(), strict=True))


def _streamed_rows(path: Path, chunk_rows: int) -> list[tuple[str, int]]:
    columns = file_columns(path, None, None)
    pairs = [_pairs(c.raw) for c in chunks(path, columns, None, chunk_rows, FoldKeys())]
    return sorted(pair for part in pairs for pair in part)


def _whole_rows(path: Path) -> list[tuple[str, int]]:
    return sorted(_pairs(read_meter_file(path)))


def _error(path: Path, tmp_path: Path, *, streamed: bool) -> InputError:
    folder = tmp_path / ("streamed" if streamed else "whole")
    with pytest.raises(InputError) as caught:
        ingest_meter_file(
            path, data_dir=folder, db=None, actor="t", chunk_rows=20, streamed=streamed
        )
    return caught.value


def _same_error(path: Path, tmp_path: Path) -> InputError:
    whole = _error(path, tmp_path, streamed=False)
    streamed = _error(path, tmp_path, streamed=True)
    assert (str(streamed), streamed.row) == (str(whole), whole.row)
    return whole


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_long_rows_are_numbered_by_their_file_line(tmp_path: Path, newline: str) -> None:
    lines = _long_lines(300)
    path = _write(tmp_path, lines, newline)
    raw = read_meter_file(path)
    assert_array_equal(raw.row_number, _file_rows(lines))
    assert raw.row_number[0] == 3  # an empty line right after the header
    for chunk_rows in (20, 7, 10_000):
        assert _streamed_rows(path, chunk_rows) == _whole_rows(path)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_wide_rows_are_numbered_by_their_file_line(tmp_path: Path, newline: str) -> None:
    lines = _wide_lines(200)
    path = _write(tmp_path, lines, newline)
    raw = read_meter_file(path, layout=Layout.WIDE)
    rows = _file_rows(lines)
    assert_array_equal(raw.row_number, np.tile(rows, 3))
    for chunk_rows in (6, 30, 10_000):
        assert _streamed_rows(path, chunk_rows) == _whole_rows(path)


def test_a_file_without_empty_lines_is_numbered_as_before(tmp_path: Path) -> None:
    lines = [line for line in _long_lines(300) if line]
    path = _write(tmp_path, lines)
    assert_array_equal(read_meter_file(path).row_number, np.arange(300) + 2)
    assert _streamed_rows(path, 20) == _whole_rows(path)
    assert empty_line_gaps(path.read_bytes().split(b"\n", 1)[1]) is None


def test_empty_line_gaps_count_the_data_rows_above_each_empty_line() -> None:
    assert empty_line_gaps(b"a\nb\n") is None
    assert empty_line_gaps(b"a\r\nb") is None
    assert_array_equal(empty_line_gaps(b"\na\n\r\n\nb\n\n"), [0, 1, 1, 2])


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_long_errors_name_the_file_line(tmp_path: Path, newline: str) -> None:
    lines = _long_lines(300)
    rows = _file_rows(lines)
    late = rows[250]  # below the run of 5000 empty lines
    at = late - 1

    bad_time = lines.copy()
    bad_time[at] = "M1,2021-13-01T00:00:00+08:00,1"
    error = _same_error(_write(tmp_path, bad_time, newline), tmp_path)
    assert "not an ISO 8601 time" in str(error)
    assert error.row == late

    bad_number = lines.copy()
    bad_number[at] = f"M1,{_time(1000)},12x"
    error = _same_error(_write(tmp_path, bad_number, newline), tmp_path)
    assert "'12x' is not a number" in str(error)
    assert error.row == late

    blank_meter = lines.copy()
    blank_meter[at] = f",{_time(1000)},1"
    error = _same_error(_write(tmp_path, blank_meter, newline), tmp_path)
    assert "column meter_id: blank" in str(error)
    assert error.row == late

    resend = lines.copy()
    first = rows[30]
    resend[at] = lines[first - 1].rsplit(",", 1)[0] + ",99"  # a conflicting resend
    error = _same_error(_write(tmp_path, resend, newline), tmp_path)
    assert f"rows {first} and {late} give meter" in str(error)
    assert error.row == late


def test_wide_errors_name_the_file_line(tmp_path: Path) -> None:
    lines = _wide_lines(200)
    late = _file_rows(lines)[150]
    bad_time = lines.copy()
    bad_time[late - 1] = "not a time,1,2,3"
    error = _same_error(_write(tmp_path, bad_time), tmp_path)
    assert "not an ISO 8601 time" in str(error)
    assert error.row == late

    blank_time = lines.copy()
    blank_time[late - 1] = ",1,2,3"
    error = _same_error(_write(tmp_path, blank_time), tmp_path)
    assert "column interval_start: blank" in str(error)
    assert error.row == late

    resend = lines.copy()
    resend[late - 1] = lines[3].split(",", 1)[0] + ",7,8,9"  # the first row's time again
    error = _same_error(_write(tmp_path, resend), tmp_path)
    assert f"rows 4 and {late} give meter" in str(error)


def test_file_rows_equal_the_row_by_row_search() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        count = int(rng.integers(0, 50))
        gaps = np.sort(rng.integers(0, count + 3, int(rng.integers(1, 20)))).astype(np.int64)
        ctx = RowContext("x.csv", 2, None, gaps)
        want = np.arange(count) + 2 + np.searchsorted(gaps, np.arange(count), side="right")
        assert_array_equal(ctx.file_rows(count), want)
        if count:
            last = ctx.file_row(np.int64(count - 1))  # a numpy integer gives a plain int
            assert isinstance(last, int)
            assert last == want[-1]
