"""``hashwatch demo meters`` and ``hashwatch meters ingest`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import CliRun


def test_demo_meters_then_ingest(cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "city.parquet"
    made = cli("demo", "meters", "--seed", "3", "--meters", "40", "--days", "7", "-o", str(out))
    assert made.code == 0, made.err
    assert "readings of 40 meters (8 mining)" in made.out
    assert (tmp_path / "city.labels.csv").is_file()
    assert (tmp_path / "city.daily.csv").is_file()
    again = cli("demo", "meters", "--seed", "3", "--meters", "40", "--days", "7", "-o", str(out))
    assert again.out.splitlines()[0] == made.out.splitlines()[0]

    assert cli("init").code == 0
    ingested = cli("meters", "ingest", str(out), "--format", "json")
    assert ingested.code == 0, ingested.err
    record = json.loads(ingested.out)
    assert record["report"]["interval_minutes"] == 60
    assert record["report"]["interval_detected"] is True
    assert record["report"]["meters"] == 40
    assert record["stored"]["readings_added"] == record["report"]["rows_kept"]
    assert (record["linked_meters"], record["unlinked_meters"]) == (0, 40)
    assert (tmp_path / "data" / "meters" / "readings").is_dir()
    table = cli("meters", "ingest", str(out))
    assert table.code == 0, table.err
    assert "identical duplicates" in table.out
    audit = cli("audit", "verify")
    assert audit.code == 0, audit.err


def test_ingest_without_a_database_stores_and_says_so(cli: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(
        "interval_start,M1,M2\n2021-04-01T00:00,1,2\n2021-04-01T00:30,1,2\n", encoding="utf-8"
    )
    args = ("meters", "ingest", str(path), "--timezone", "Asia/Shanghai", "--unit", "kw")
    result = cli(*args, "-f", "json")
    assert result.code == 0, result.err
    assert "not linked to facilities" in result.err
    record = json.loads(result.out)
    assert record["linked_meters"] is None
    assert record["report"]["interval_minutes"] == 30
    assert record["report"]["notes"] == [
        "times without an offset were read as local time in Asia/Shanghai"
    ]
    assert "note: times without an offset" in cli(*args).out


def test_ingest_errors_name_the_row(cli: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("meter_id,interval_start,energy_kwh\nA,soon,1\n", encoding="utf-8")
    result = cli("meters", "ingest", str(path))
    assert result.code == 2
    assert "row 2: bad.csv, column interval_start: 'soon' is not an ISO 8601 time" in result.err
    assert not (tmp_path / "data" / "meters").exists()


def test_interval_option_is_checked(cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    made = cli("demo", "meters", "--meters", "2", "--days", "1", "--interval-minutes", "20")
    assert made.code != 0
    result = cli("demo", "meters", "-o", str(out), "--interval-minutes", "20")
    assert result.code == 2
    assert "15, 30 or 60" in result.err
    assert not out.exists()


def test_demo_help_lists_the_meters_subcommand(cli: CliRun) -> None:
    result = cli("demo", "--help")
    assert result.code == 0
    assert "meters" in result.out
    assert "--no-serve" in result.out
