"""Random small meter files: the streamed ingest equals the whole-file one, result or error.

Long or wide, CSV or Parquet, times with an offset or local New York times over the night
the clocks go back; blank, negative, absurd and Wh values, resends (identical or not), rows
out of order or missing, a time off the grid, and at most one kind of fault the reader
rejects (faults of two kinds in different chunks are named in chunk order: see
:mod:`hashwatch.io.meter_ingest_stream`).
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from dataclasses import asdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hashwatch.detection.cleaning import DuplicatePolicy
from hashwatch.errors import HashwatchError
from hashwatch.services.meters import ingest_meter_file
from hashwatch.store.meter_readings import BUCKETS, bucket_path, readings_root

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
_READ_FAULTS = ("12x", "blank time", "blank meter", "not a time", "does not exist")


def _random_file(rng: random.Random, folder: Path) -> tuple[Path, dict[str, object]]:
    wide, local = rng.random() < 0.5, rng.random() < 0.5
    minutes = rng.choice([15, 30, 60])
    start = dt.datetime(2021, 11, 7, 4 if local else 0, tzinfo=dt.UTC)
    instants = [start + dt.timedelta(minutes=minutes * i) for i in range(rng.randint(0, 14))]

    def text(t: dt.datetime) -> str:
        return (t.astimezone(NEW_YORK).replace(tzinfo=None) if local else t).isoformat()

    meters = list(dict.fromkeys(f"{rng.choice('MmX')}{i}" for i in range(rng.randint(1, 8))))
    wh = {m: rng.random() < 0.15 for m in meters}

    def value(meter: str) -> str:
        draw = rng.random()
        base = rng.choice(["", "NA", "-3", "1e9"]) if draw < 0.13 else f"{draw * 50:.2f}"
        return f"{float(base) * 2e6:.1f}" if wh[meter] and draw >= 0.13 else base

    if wide:
        header = [rng.choice(["interval_start", "timestamp"]), *meters]
        rows = [[text(t), *(value(m) for m in meters)] for t in instants]
    else:
        header = ["meter_id", "interval_start", "energy_kwh"]
        rows = [[m, text(t), value(m)] for t in instants for m in meters]
        if rng.random() < 0.3:
            rng.shuffle(rows)
    time_at, read_fault = 0 if wide else 1, rng.choice(_READ_FAULTS)
    for _ in range(rng.randint(0, 3) if rows else 0):
        i, draw = rng.randrange(len(rows)), rng.random()
        if draw < 0.25:
            rows.append(list(rows[i]))  # sent twice
        elif draw < 0.45:
            rows.append([*rows[i][:-1], f"{rng.uniform(1, 50):.2f}"])  # a conflicting resend
        elif draw < 0.6:
            del rows[i]
        elif draw < 0.7:
            j = rng.randrange(len(rows))
            rows[i], rows[j] = rows[j], rows[i]
        elif draw < 0.8 and not local:
            rows[i][time_at] = (instants[0] + dt.timedelta(minutes=7)).isoformat()  # off the grid
        elif draw >= 0.8:
            fault = {"12x": (-1, "12x"), "blank time": (time_at, ""),
                     "not a time": (time_at, "2021-11-07T25:00"),
                     "does not exist": (time_at, "2021-03-14T02:30:00"),
                     "blank meter": (0, rows[i][0] if wide else "")}  # fmt: skip
            column, cell = fault[read_fault]
            rows[i][column] = cell
    path = folder / "random.csv"
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    if rng.random() < 0.4:
        path = _as_parquet(path, header, rows, rng.randint(1, 10))
    options: dict[str, object] = {"timezone": "America/New_York"} if local else {}
    if rng.random() < 0.5:
        options["duplicates"] = DuplicatePolicy.LAST
    if rng.random() < 0.2:
        options["interval_minutes"] = rng.choice([minutes, 15, 60])
    return path, options


def _as_parquet(csv_path: Path, header: list[str], rows: list[list[str]], group: int) -> Path:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    arrays = []
    for name, cells in zip(header, columns, strict=True):
        texts = [cell or None for cell in cells]
        try:
            numbers = [None if c in (None, "NA") else float(c) for c in texts]
        except ValueError:
            numbers = None
        is_value = name not in ("meter_id", "interval_start", "timestamp")
        arrays.append(pa.array(numbers if is_value and numbers is not None else texts, None))
    path = csv_path.with_suffix(".parquet")
    table = pa.Table.from_arrays(
        [a if a.type != pa.null() else a.cast(pa.string()) for a in arrays], names=header
    )
    pq.write_table(table, path, row_group_size=group)
    return path


def _outcome(path: Path, folder: Path, options: dict[str, object], **how: object) -> object:
    try:
        result = ingest_meter_file(
            path,
            data_dir=folder,
            db=None,
            actor="t",
            **how,
            **options,
        )
    except HashwatchError as error:
        assert not (folder / "meters").exists()  # nothing written, nothing left behind
        return type(error), str(error), error.row, error.field
    root = readings_root(folder)
    stored = [
        pq.read_table(bucket_path(root, b)).to_pydict()
        for b in range(BUCKETS)
        if bucket_path(root, b).exists()
    ]
    return asdict(result.report), result.unlinked_meters, stored


@pytest.mark.parametrize("seed", range(40))
def test_random_files_stream_to_the_whole_file_outcome(tmp_path: Path, seed: int) -> None:
    path, options = _random_file(random.Random(seed), tmp_path)
    whole = _outcome(path, tmp_path / "whole", options, streamed=False)
    for rows in (1, 3, 25):
        folder = tmp_path / f"streamed-{rows}"
        assert _outcome(path, folder, options, chunk_rows=rows) == whole, rows
