"""``hashwatch detect meters`` and ``hashwatch detect evidence`` through the real entry point."""

from __future__ import annotations

import csv
import struct
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from hashwatch.cli.common import open_database
from hashwatch.detection.models import DetectionRun, MeterScore
from hashwatch.reporting.models import AuditEntry
from tests.cli.conftest import CliRun


@pytest.fixture
def city(cli: CliRun, tmp_path: Path) -> Path:
    out = tmp_path / "city.parquet"
    made = cli("demo", "meters", "--seed", "8", "--meters", "60", "--days", "28", "-o", str(out))
    assert made.code == 0, made.err
    return out


def test_detect_meters_writes_one_row_per_meter(cli: CliRun, city: Path, tmp_path: Path) -> None:
    out = tmp_path / "candidates.csv"
    daily, labels = tmp_path / "city.daily.csv", tmp_path / "city.labels.csv"
    args = ("detect", "meters", str(city), "--external", str(daily), "--capacity", str(labels))
    result = cli(*args, "--workers", "1", "-o", str(out))
    assert result.code == 0, result.err
    assert "scored 60 meters" in result.out
    assert "not linked to facilities" in result.err  # no database here
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 60
    assert list(rows[0])[:4] == ["meter_id", "score", "is_candidate", "reasons"]
    assert {"load_factor", "peak_response", "external_alignment_z"} <= set(rows[0])
    with labels.open(encoding="utf-8") as f:
        truth = {r["meter_id"]: r["profile_class"] for r in csv.DictReader(f)}
    farms = [float(r["score"]) for r in rows if truth[r["meter_id"]] == "mining_farm"]
    offices = [float(r["score"]) for r in rows if truth[r["meter_id"]] == "office"]
    assert min(farms) > max(offices)

    parquet = tmp_path / "candidates.parquet"
    supervised = cli(*args, "--labels", str(labels), "--workers", "1", "-o", str(parquet))
    assert supervised.code == 0, supervised.err
    table = pq.read_table(parquet)
    assert table.num_rows == 60
    assert "supervised model" in table.column("reasons")[0].as_py()


def test_detect_meters_errors(cli: CliRun, city: Path, tmp_path: Path) -> None:
    bad = cli("detect", "meters", str(city), "-o", str(tmp_path / "out.txt"), "--workers", "1")
    assert bad.code != 0
    assert ".csv or .parquet" in bad.err
    interval = cli("detect", "meters", str(city), "--interval-minutes", "20", "-o", "x.csv")
    assert interval.code != 0
    assert "15, 30 or 60" in interval.err
    notice = cli("detect", "meters", str(city), "--notice", "BJ-2021-04", "-o", "x.csv")
    assert notice.code != 0
    assert "hashwatch init" in notice.err
    temp = cli("detect", "meters", str(city), "--temp-dir", str(tmp_path / "no"), "-o", "x.csv")
    assert temp.code == 2
    assert "--temp-dir" in temp.err
    assert "no such folder" in temp.err


def test_detect_meters_puts_its_temporary_store_in_the_temp_dir(
    cli: CliRun, city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CSV input goes through a temporary store: under --temp-dir, removed afterwards."""
    from hashwatch.detection import local_engine
    from hashwatch.services import detection as service

    readings = tmp_path / "city.csv"
    pacsv.write_csv(pq.read_table(city), readings)
    temp = tmp_path / "scratch"
    temp.mkdir()
    seen: list[Path] = []
    original = local_engine.streamable_source

    @contextmanager
    def recording(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with original(*args, **kwargs) as source:
            seen.extend(source.files)
            yield source

    monkeypatch.setattr(local_engine, "streamable_source", recording)
    monkeypatch.setattr(service, "streamable_source", recording)
    out = tmp_path / "candidates.csv"
    result = cli("detect", "meters", str(readings), "--temp-dir", str(temp), "--workers", "1",
                 "-o", str(out))  # fmt: skip
    assert result.code == 0, result.err
    assert seen
    assert all(temp in f.parents for f in seen)
    assert list(temp.iterdir()) == []  # removed when done


def test_spark_engine_missing_is_a_clear_error(
    cli: CliRun, city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(
        sys.modules, "hashwatch.detection.spark_engine", types.ModuleType("spark_engine")
    )
    result = cli("detect", "meters", str(city), "--engine", "spark", "-o", str(tmp_path / "x.csv"))
    assert result.code != 0
    assert "Spark engine is not available" in result.err


def test_detect_evidence_draws_an_svg(cli: CliRun, city: Path, tmp_path: Path) -> None:
    with (tmp_path / "city.labels.csv").open(encoding="utf-8") as f:
        farm = next(r["meter_id"] for r in csv.DictReader(f) if r["profile_class"] == "mining_farm")
    out = tmp_path / "farm.svg"
    result = cli("detect", "evidence", str(city), farm, "-o", str(out))
    assert result.code == 0, result.err
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<svg")
    assert f"Meter {farm}" in svg
    missing = cli("detect", "evidence", str(city), "NOPE", "-o", str(out))
    assert missing.code != 0
    assert "no readings of meter NOPE" in missing.err


def test_detect_evidence_draws_a_png(cli: CliRun, city: Path, tmp_path: Path) -> None:
    png = tmp_path / "meter.png"
    result = cli("detect", "evidence", str(city), "M000001", "-o", str(png))
    assert result.code == 0, result.err
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert width > 1000  # drawn at twice the chart's CSS size
    assert height > 300
    other = cli("detect", "evidence", str(city), "M000001", "-o", str(tmp_path / "m.jpg"))
    assert other.code != 0
    assert "m.jpg: the chart is written as .svg or .png" in other.err
    assert not (tmp_path / "m.jpg").exists()


def test_detect_meters_store_keeps_the_run(cli: CliRun, city: Path, tmp_path: Path) -> None:
    out = tmp_path / "candidates.csv"
    args = ("detect", "meters", str(city), "--workers", "1", "-o", str(out), "--store")
    refused = cli(*args)
    assert refused.code != 0
    assert "hashwatch init" in refused.err
    assert not out.exists()  # refused before scoring
    assert cli("init").code == 0
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    stored = cli(*args, "--temp-dir", str(scratch))  # a local path, not stored
    assert stored.code == 0, stored.err
    assert "stored as detection run 1 (60 meters)" in stored.out
    db = open_database()
    try:
        with db.read() as session:
            run = session.get_one(DetectionRun, 1)
            scores = session.scalar(select(func.count()).select_from(MeterScore))
            entry = session.execute(
                select(AuditEntry).where(AuditEntry.action == "detection.run")
            ).scalar_one()
    finally:
        db.dispose()
    assert (run.meters, run.engine, run.actor, scores) == (60, "local", "analyst:test", 60)
    assert run.parameters["workers"] == 1
    assert "temp_dir" not in run.parameters
    assert entry.object_id == "1"
