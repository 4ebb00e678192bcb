"""Streamed ingest of wide files and local times (clocks going back) equals the whole-file one."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import asdict
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from hashwatch.detection.cleaning import DuplicatePolicy, Unit
from hashwatch.errors import HashwatchError
from hashwatch.io.meter_files import Layout
from hashwatch.io.meter_ingest import streamable
from hashwatch.services.meters import IngestResult, ingest_meter_file
from hashwatch.store.meter_readings import bucket_of
from tests.detection.tables import stored_buckets

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _local_texts(
    zone: zoneinfo.ZoneInfo, start_utc: dt.datetime, count: int, minutes: int
) -> list[str]:
    """``count`` instants ``minutes`` apart, as local wall-clock times without an offset."""
    steps = (start_utc + dt.timedelta(minutes=minutes * i) for i in range(count))
    return [s.astimezone(zone).replace(tzinfo=None).isoformat() for s in steps]


def _ingest(path: Path, folder: Path, *, streamed: bool, **options: object) -> IngestResult:
    return ingest_meter_file(
        path, data_dir=folder, db=None, actor="t", streamed=streamed, **options
    )


def _assert_same_ingest(
    path: Path, tmp_path: Path, chunk_rows: tuple[int, ...], **options: object
) -> IngestResult:
    """Streamed with each ``chunk_rows`` equals whole: report, meters' order, stored rows."""
    assert streamable(path, options.get("layout"), options.get("timezone"))  # type: ignore[arg-type]
    whole = _ingest(path, tmp_path / "whole", streamed=False, **options)
    for rows in chunk_rows:
        folder = tmp_path / f"streamed-{rows}"
        result = _ingest(path, folder, streamed=True, chunk_rows=rows, **options)
        assert asdict(result.report) == asdict(whole.report)
        assert result.unlinked_meters == whole.unlinked_meters
        stored, reference = stored_buckets(folder), stored_buckets(tmp_path / "whole")
        assert stored.keys() == reference.keys()
        for bucket, table in stored.items():
            assert table.equals(reference[bucket]), bucket
        assert [p.name for p in (folder / "meters").iterdir()] == ["readings"]
    return whole


def _wide_city(
    seed: int = 5, meters: int = 40, hours: int = 144
) -> tuple[list[str], list[list[str]]]:
    """A wide hourly file with every defect cleaning handles; meter columns not sorted."""
    rng = np.random.default_rng(seed)
    names = [f"W{i:03d}" for i in rng.permutation(meters)]
    start = dt.datetime(2021, 4, 1, tzinfo=dt.UTC)
    times = [(start + dt.timedelta(hours=h)).isoformat() for h in range(hours)]
    values = rng.uniform(5.0, 50.0, size=(hours, meters)).round(3)
    values[:, 3] *= 1_000_000  # a meter written in Wh, far above any plausible kWh (rule 6)
    values[70, 5], values[90, 6] = -4.0, 1e5  # a negative reading and a spike (rule 7)
    cells = [[t, *(f"{v:g}" for v in row)] for t, row in zip(times, values, strict=True)]
    for row in cells:
        row[1 + 8] = ""  # a meter with no readings at all
    for row in cells[40:50]:
        row[1 + 9] = "NA"  # blank values
    cells[100][1 + 2] = ""
    cells.append(list(cells[10]))  # a whole row sent twice, far down the file
    cells.append([*cells[20][:5], "1.25", *cells[20][6:]])  # a resend correcting one meter
    cells[30:40] = cells[30:40][::-1]  # rows out of order
    del cells[60]  # a gap for every meter
    return ["interval_start", *names], cells


def _write_csv(folder: Path, header: list[str], cells: list[list[str]], name: str) -> Path:
    path = folder / name
    lines = [",".join(header), *(",".join(row) for row in cells)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _to_parquet(csv_path: Path, time_type: pa.DataType | None = None) -> Path:
    header = csv_path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
    types = {n: pa.float64() for n in header} | {header[0]: pa.string()}
    if "meter_id" in header:
        types |= {"meter_id": pa.string(), "interval_start": pa.string()}
    table = pacsv.read_csv(csv_path, convert_options=pacsv.ConvertOptions(column_types=types))
    if time_type is not None:
        name = "interval_start"
        times = pc.strptime(table.column(name), format="%Y-%m-%dT%H:%M:%S", unit="s")
        if getattr(time_type, "tz", None):
            times = pc.assume_timezone(times, timezone=time_type.tz)
        table = table.set_column(table.schema.get_field_index(name), name, times)
    path = csv_path.with_suffix(".parquet")
    pq.write_table(table, path, row_group_size=25)
    return path


@pytest.mark.parametrize("form", ["csv", "parquet", "parquet-zoned-timestamps"])
def test_a_wide_file_streams_to_the_whole_file_result(tmp_path: Path, form: str) -> None:
    header, cells = _wide_city()
    if form == "parquet-zoned-timestamps":
        for row in cells:
            row[0] = row[0].removesuffix("+00:00")
    path = _write_csv(tmp_path, header, cells, "wide.csv")
    if form == "parquet":
        path = _to_parquet(path)
    elif form == "parquet-zoned-timestamps":
        path = _to_parquet(path, pa.timestamp("s", tz="UTC"))
        assert pq.read_schema(path).field("interval_start").type.tz == "UTC"
    meters = header[1:]
    assert len(set(bucket_of(meters).tolist())) > 20
    whole = _assert_same_ingest(
        path, tmp_path, (40, 130, 450, 10_000_000), duplicates=DuplicatePolicy.LAST
    )
    report = whole.report
    assert report.rows_read == len(cells) * 40
    assert report.meters_rescaled_from_wh == (meters[3],)
    assert report.identical_duplicates_dropped == 39 + 38  # two rows sent twice; not blanks
    assert report.conflicting_duplicates_resolved == 1
    assert report.out_of_order_rows > 0
    assert report.meters_with_gaps == 39
    assert report.negative_values_dropped == 1
    assert report.absurd_values_dropped == 1
    assert whole.unlinked_meters == tuple(m for m in meters if m != meters[8])  # file order


def _dst_long_lines() -> tuple[list[str], list[str]]:
    """Hourly local New York times over the night the clocks go back; time-major rows."""
    meters = [f"M{i:05d}" for i in range(30)]
    start = dt.datetime(2021, 11, 6, 4, tzinfo=dt.UTC)  # 00:00 EDT
    texts = _local_texts(NEW_YORK, start, 73, 60)
    assert texts.count("2021-11-07T01:00:00") == 2
    rng = np.random.default_rng(3)
    lines = [f"{meter},{text},{rng.uniform(1, 9):.3f}" for text in texts for meter in meters]
    second = [i for i, line in enumerate(lines) if ",2021-11-07T01:00:00," in line][30:]
    # meter 1 writes the repeated hour's second time differently: the whole-file reader
    # takes it as a distinct time, so as the earlier instant again (a conflicting resend)
    lines[second[1]] = lines[second[1]].replace("T01:00:00", " 01:00:00")
    lines.append(lines[second[2]])  # meter 2 resends its later 01:00 at the end
    lines[second[3]] = lines[second[3]].rsplit(",", 1)[0] + ",NA"  # blank in the later hour
    # meter 4's two 01:00 rows swap places: the first row in the file is the earlier instant
    first4 = next(i for i in range(len(lines)) if lines[i].startswith("M00004,2021-11-07T01:"))
    lines[first4], lines[second[4]] = lines[second[4]], lines[first4]
    return meters, lines


@pytest.mark.parametrize("form", ["csv", "parquet", "parquet-timestamps"])
def test_local_times_with_the_clocks_going_back_stream_alike(tmp_path: Path, form: str) -> None:
    meters, lines = _dst_long_lines()
    if form == "parquet-timestamps":
        lines = [line.replace(" 01:00:00", "T01:00:00") for line in lines]
    path = _write_csv(tmp_path, ["meter_id", "interval_start", "energy_kwh"],
                      [line.split(",") for line in lines], "dst.csv")  # fmt: skip
    if form == "parquet":
        path = _to_parquet(path)
    elif form == "parquet-timestamps":
        path = _to_parquet(path, pa.timestamp("s"))
    assert len(set(bucket_of(meters).tolist())) > 15
    # with 7 rows a chunk, every meter's two 01:00 rows are in different chunks
    whole = _assert_same_ingest(
        path, tmp_path, (7, 45, 10_000_000), timezone="America/New_York",
        duplicates=DuplicatePolicy.LAST,
    )  # fmt: skip
    report = whole.report
    assert report.notes[0] == "times without an offset were read as local time in America/New_York"
    assert report.notes[1].startswith("61 reading(s) in the hour the clocks went back")
    ref = stored_buckets(tmp_path / "whole")
    table = ref[int(bucket_of([meters[0]])[0])]
    starts = pc.filter(
        table.column("interval_start"), pc.equal(table.column("meter_id"), meters[0])
    )
    assert len(starts) == 73  # both 01:00s, an hour apart
    variant = 1 if form == "parquet-timestamps" else 0
    assert report.conflicting_duplicates_resolved == 1 - variant
    assert report.meters_with_gaps == 2 - variant  # meter 3's blank; meter 1's lost instant


def test_a_wide_file_of_local_times_streams_alike(tmp_path: Path) -> None:
    """Berlin, 15-minute data: 02:00-02:45 twice on 31 October 2021; 20 meters, chunks of a row."""
    start = dt.datetime(2021, 10, 30, 22, tzinfo=dt.UTC)  # midnight in Berlin (CEST)
    texts = _local_texts(BERLIN, start, 4 * 25, 15)
    assert texts.count("2021-10-31T02:30:00") == 2
    rng = np.random.default_rng(8)
    meters = [f"B{i:02d}" for i in range(20)]
    cells = [[t, *(f"{v:.2f}" for v in rng.uniform(1, 3, 20))] for t in texts]
    cells.append(list(cells[13]))  # 02:15 a third time: the later instant, sent again
    path = _write_csv(tmp_path, ["timestamp", *meters], cells, "berlin.csv")
    whole = _assert_same_ingest(
        path, tmp_path, (20, 50, 10_000_000), timezone="Europe/Berlin", unit=Unit.KW,
        duplicates=DuplicatePolicy.LAST,
    )  # fmt: skip
    assert whole.report.notes[1].startswith("9 reading(s) in the hour the clocks went back")
    assert whole.report.missing_intervals == 0
    parquet = _to_parquet(path)
    _assert_same_ingest(parquet, tmp_path / "pq", (20, 10_000_000), timezone="Europe/Berlin")


def _error(
    path: Path, folder: Path, *, streamed: bool, chunk_rows: int = 30, **options: object
) -> tuple[object, ...]:
    with pytest.raises(HashwatchError) as caught:
        _ingest(path, folder, streamed=streamed, chunk_rows=chunk_rows, **options)
    error = caught.value
    assert not (folder / "meters").exists()
    return type(error), str(error), error.row, error.field


def _late_cell(cells: list[list[str]], row: int, column: int, text: str) -> list[list[str]]:
    cells[row][column] = text
    return cells


_WIDE_FAULTS = {
    "a bad number": lambda c: _late_cell(c, 120, 7, "12x"),
    "a blank time": lambda c: _late_cell(c, 120, 0, ""),
    "a bad time": lambda c: _late_cell(c, 120, 0, "2021-04-31T00:00:00+00:00"),
    "a time without offset": lambda c: _late_cell(c, 120, 0, "2021-04-06T00:00:00"),
    "a time off the grid": lambda c: _late_cell(c, 120, 0, "2021-04-06T00:10:00+00:00"),
    "a conflicting resend": lambda c: [*c, [*c[90][:12], "3.5", *c[90][13:]]],
    "a short row": lambda c: [*c[:120], c[120][:5], *c[121:]],
}


_CSV_ONLY: Final = ("a bad number", "a short row")  # a Parquet file cannot hold them


@pytest.mark.parametrize(
    ("suffix", "chunk_rows", "fault"),
    [("csv", 30, fault) for fault in _WIDE_FAULTS]
    + [
        ("parquet", rows, fault)
        for rows in (30, 300)  # by rows; by columns (130 rows, 2 columns a chunk)
        for fault in _WIDE_FAULTS
        if fault not in _CSV_ONLY
    ],
)
def test_a_fault_late_in_a_wide_file_is_the_same_error(
    tmp_path: Path, suffix: str, chunk_rows: int, fault: str
) -> None:
    header, cells = _wide_city(meters=12)
    path = _write_csv(tmp_path, header, _WIDE_FAULTS[fault](cells[:130]), "w.csv")
    if suffix == "parquet":
        path = _to_parquet(path)
    whole = _error(path, tmp_path / "whole", streamed=False)
    assert isinstance(whole[2], int)
    assert whole[2] > 100  # named row, late in the file
    streamed = _error(path, tmp_path / "streamed", streamed=True, chunk_rows=chunk_rows)
    assert streamed == whole


def test_text_cells_in_parquet_meter_columns_are_the_same_error(tmp_path: Path) -> None:
    """Text in two meter columns: the whole file names the first column's (a late row), not
    the first row's (in a later column); the streamed read of columns does the same."""
    header, cells = _wide_city(meters=12)
    path = _to_parquet(_write_csv(tmp_path, header, cells[:130], "w.csv"))
    table = pq.read_table(path)
    for column, row in ((3, 117), (9, 4)):
        texts = pc.cast(table.column(column), pa.string()).to_pylist()
        texts[row] = "twelve"
        table = table.set_column(column, header[column], pa.array(texts))
    path = tmp_path / "texts.parquet"
    pq.write_table(table, path, row_group_size=25)
    whole = _error(path, tmp_path / "whole", streamed=False)
    message = f"texts.parquet, column {header[3]}: 'twelve' is not a number"
    assert whole[1:] == (message, 118, header[3])
    assert _error(path, tmp_path / "streamed", streamed=True, chunk_rows=300) == whole


@pytest.mark.parametrize(
    "fault",
    [
        "M00007,2021-03-14T02:30:00,1.0",  # does not exist in New York: clocks go forward
        "M00007,2021-11-07T25:00:00,1.0",  # not a time
        ",2021-11-07T05:00:00,1.0",  # no meter
    ],
)
def test_a_bad_local_time_late_in_a_long_file_is_the_same_error(tmp_path: Path, fault: str) -> None:
    _, lines = _dst_long_lines()
    lines.insert(1500, fault)
    path = _write_csv(tmp_path, ["meter_id", "interval_start", "energy_kwh"],
                      [line.split(",") for line in lines], "dst.csv")  # fmt: skip
    options = {"timezone": "America/New_York", "duplicates": DuplicatePolicy.LAST}
    whole = _error(path, tmp_path / "whole", streamed=False, **options)
    assert whole[2] == 1502
    assert _error(path, tmp_path / "streamed", streamed=True, **options) == whole


def test_which_files_stream(tmp_path: Path) -> None:
    wide = _write_csv(tmp_path, ["interval_start", "A", "B"], [["2021-04-01T00:00", "1", "2"]],
                      "wide.csv")  # fmt: skip
    assert streamable(wide, None, None)
    assert streamable(wide, None, "Asia/Shanghai")
    assert streamable(wide, Layout.WIDE, None)
    assert not streamable(wide, None, "Mars/Olympus")  # the whole-file reader names it
    spaced = _write_csv(tmp_path, ["interval_start", "A", " A"], [["2021-04-01T00:00", "1", "2"]],
                        "spaced.csv")  # fmt: skip
    assert not streamable(spaced, None, None)  # two columns, one meter id: read whole
    no_time = _write_csv(tmp_path, ["when", "A"], [["2021-04-01T00:00", "1"]], "no_time.csv")
    assert not streamable(no_time, None, None)
    long = _write_csv(tmp_path, ["meter_id", "interval_start", "energy_kwh"],
                      [["A", "2021-04-01T00:00", "1"]], "long.csv")  # fmt: skip
    assert streamable(long, None, "Asia/Shanghai")


def _long_lines(meters: list[str]) -> list[str]:
    start = dt.datetime(2021, 4, 1, tzinfo=dt.UTC)
    times = [(start + dt.timedelta(hours=h)).isoformat() for h in range(48)]
    return [f"{m},{t},{1 + i % 7}.5" for t in times for i, m in enumerate(meters)]


@pytest.mark.parametrize("kinds", [("conflict", "conflict"), ("conflict", "off grid")])
def test_faults_of_several_meters_name_the_one_the_whole_file_names(
    tmp_path: Path, kinds: tuple[str, str]
) -> None:
    """The whole file names the first meter with a fault of the first kind checked (the grid
    before resends), whichever bucket comes first."""
    meters = [f"M{i:05d}" for i in range(30)]
    buckets = bucket_of(meters).tolist()
    later_bucket = kinds[1] == "conflict"  # the meter first in the file: a later bucket
    first, second = next(
        (a, b)
        for a in range(30)
        for b in range(a + 1, 30)
        if (buckets[a] > buckets[b]) == later_bucket and buckets[a] != buckets[b]
    )
    lines = _long_lines(meters)
    for meter, kind in zip((meters[first], meters[second]), kinds, strict=True):
        if kind == "conflict":
            lines.append(f"{meter},2021-04-01T05:00:00+00:00,99")
        else:
            lines.append(f"{meter},2021-04-03T00:30:00+00:00,1")
    header = ["meter_id", "interval_start", "energy_kwh"]
    path = _write_csv(tmp_path, header, [line.split(",") for line in lines], "two.csv")
    whole = _error(path, tmp_path / "whole", streamed=False)
    named = meters[first] if kinds[1] == "conflict" else meters[second]
    assert f"meter {named}" in str(whole[1])
    assert _error(path, tmp_path / "streamed", streamed=True) == whole


def _long_text_values(folder: Path, texts: dict[int, str]) -> Path:
    """A long Parquet file whose value column is text (as some exports write it)."""
    lines = _long_lines([f"M{i:05d}" for i in range(3)])
    cells = [line.split(",") for line in lines]
    for row, text in texts.items():
        cells[row][2] = text
    table = pa.table(
        {
            "meter_id": [c[0] for c in cells],
            "interval_start": [c[1] for c in cells],
            "energy_kwh": pa.array([c[2] for c in cells], pa.string()),
        }
    )
    path = folder / "texts.parquet"
    pq.write_table(table, path, row_group_size=25)
    return path


def test_blank_texts_in_a_parquet_value_column_are_blank_values(tmp_path: Path) -> None:
    """'NA', '' and spaced numbers in a text value column read as a CSV file's cells do."""
    path = _long_text_values(tmp_path, {3: "NA", 50: "", 70: " 2.5 "})
    whole = _assert_same_ingest(path, tmp_path, (10, 10_000_000))
    assert whole.report.blank_values == 2


def test_a_bad_text_after_blank_texts_is_named_by_row(tmp_path: Path) -> None:
    """The whole file names the bad text's row; a chunk holding only a blank text must not
    fail on it first (it used to say 'not numbers', with no row)."""
    path = _long_text_values(tmp_path, {3: "NA", 120: "12x"})
    whole = _error(path, tmp_path / "whole", streamed=False)
    assert whole[1:] == ("texts.parquet, column energy_kwh: '12x' is not a number", 121,
                         "energy_kwh")  # fmt: skip
    assert _error(path, tmp_path / "streamed", streamed=True, chunk_rows=10) == whole


_HEADER_LINE: Final = "meter_id,interval_start,energy_kwh"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        # the last line, spaces without a line end: a row of one cell, as the whole file says
        (
            "spaces.csv",
            "\n".join([_HEADER_LINE, *_long_lines(["A", "B"])]) + "\n   ",
            "spaces.csv: the row has 1 cells, the header 3",
        ),
        ("header.csv", _HEADER_LINE, "header.csv: the file has no rows"),  # no line end
        (
            "mac.csv",  # lines ended by CR alone: the header is not one line
            "\r".join([_HEADER_LINE, *_long_lines(["A"])]) + "\r",
            "mac.csv: the header row is not one line of CSV; save as CSV UTF-8",
        ),
    ],
)
def test_odd_line_ends_are_the_same_error(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(text.encode())
    whole = _error(path, tmp_path / "whole", streamed=False)
    assert whole[1] == message
    assert _error(path, tmp_path / "streamed", streamed=True, chunk_rows=7) == whole


@pytest.mark.parametrize("zone", ["UTC", None])
def test_a_blank_parquet_timestamp_is_named_by_row(tmp_path: Path, zone: str | None) -> None:
    """Not a reading at 1970 (off the grid) nor a crash: a blank, as a blank text is."""
    times: list[dt.datetime | None] = [
        dt.datetime(2021, 4, 1) + dt.timedelta(hours=h)  # noqa: DTZ001 - a naive column
        for h in range(48)
    ]
    times[30] = None
    table = pa.table(
        {
            "meter_id": ["A"] * 48,
            "interval_start": pa.array(times, pa.timestamp("s", tz=zone)),
            "energy_kwh": [1.0] * 48,
        }
    )
    path = tmp_path / "blank.parquet"
    pq.write_table(table, path, row_group_size=25)
    options = {} if zone else {"timezone": "Asia/Shanghai"}
    whole = _error(path, tmp_path / "whole", streamed=False, **options)
    assert whole[1:] == ("blank.parquet, column interval_start: blank", 31, "interval_start")
    assert _error(path, tmp_path / "streamed", streamed=True, chunk_rows=7, **options) == whole
