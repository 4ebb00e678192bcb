"""``hashwatch registry`` through the CLI runner."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from hashwatch.cli import app
from hashwatch.errors import InputError, NotFoundError
from hashwatch.io.registry_files import write_registry_csv
from tests.registry_rows import make_rows

DATA = Path(__file__).parents[1] / "data"
runner = CliRunner(env={"COLUMNS": "240"})  # wide enough that tables do not elide


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised data directory of the test's own."""
    monkeypatch.setenv("HASHWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HASHWATCH_ACTOR", "analyst:cli-test")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("HASHWATCH_DATABASE_URL", raising=False)
    monkeypatch.delenv("HASHWATCH_DISTRICT_FILE", raising=False)
    assert runner.invoke(app, ["init"]).exit_code == 0
    return tmp_path / "data"


def test_template_xlsx_and_csv(data_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["registry", "template", "-o", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames == [
        "facilities",
        "districts",
        "help",
    ]
    result = runner.invoke(app, ["registry", "template", "--output", str(tmp_path / "t.csv")])
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "t.csv").read_text(encoding="utf-8-sig").splitlines()) == 2
    assert runner.invoke(app, ["registry", "import", str(tmp_path / "t.xlsx")]).exit_code == 0


def test_import_dry_run_then_import(data_dir: Path) -> None:
    fixture = str(DATA / "registry_utf8_bom.csv")
    dry = runner.invoke(app, ["registry", "import", fixture, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing written" in dry.stdout
    assert "facilities 3 created" in dry.stdout
    assert json.loads(runner.invoke(app, ["registry", "list", "-f", "json"]).stdout) == []
    done = runner.invoke(app, ["registry", "import", fixture])
    assert done.exit_code == 0, done.output
    assert "organizations 2 created, 0 updated, 0 unchanged" in done.stdout
    again = runner.invoke(app, ["registry", "import", fixture])
    assert "facilities 0 created, 0 updated, 3 unchanged" in again.stdout


def test_gb18030_note_goes_to_stderr(data_dir: Path) -> None:
    result = runner.invoke(app, ["registry", "import", str(DATA / "registry_gb18030_zh.csv")])
    assert result.exit_code == 0, result.output
    assert "read as GB18030" in result.stderr
    assert "GB18030" not in result.stdout


def test_bad_rows_are_all_printed_and_nothing_is_written(data_dir: Path, tmp_path: Path) -> None:
    rows = make_rows(6)
    rows[1]["ip_ranges"] = "10.0.0.1/24"
    rows[4]["district"] = "Pudong"
    write_registry_csv(tmp_path / "bad.csv", rows)
    result = runner.invoke(app, ["registry", "import", str(tmp_path / "bad.csv")])
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError)
    assert result.exception.message.startswith("2 rows have errors")
    assert "2 problem(s); nothing was imported" in result.stderr
    assert "10.0.0.0/24" in result.stderr
    assert "unknown district 'Pudong'" in result.stderr
    assert json.loads(runner.invoke(app, ["registry", "list", "-f", "json"]).stdout) == []


def test_list_formats_and_filters(data_dir: Path) -> None:
    runner.invoke(app, ["registry", "import", str(DATA / "registry_utf8_bom.csv")])
    table = runner.invoke(app, ["registry", "list"])
    assert table.exit_code == 0, table.output
    assert "BJ-003" in table.stdout
    assert "海淀区" in table.stdout
    listed = json.loads(runner.invoke(app, ["registry", "list", "--format", "json"]).stdout)
    assert [f["facility_code"] for f in listed] == ["BJ-001", "BJ-002", "BJ-003"]
    assert listed[0]["meter_ids"] == ["MA-001", "MA-002"]
    by_district = runner.invoke(app, ["registry", "list", "--district", "通州", "-f", "csv"])
    rows = list(csv.DictReader(io.StringIO(by_district.stdout)))
    assert [r["facility_code"] for r in rows] == ["BJ-002"]
    uscc = listed[2]["organization_uscc"]
    by_org = runner.invoke(app, ["registry", "list", "--organization", uscc, "-f", "json"])
    assert [f["facility_code"] for f in json.loads(by_org.stdout)] == ["BJ-003"]
    bad = runner.invoke(app, ["registry", "list", "--district", "Pudong"])
    assert isinstance(bad.exception, InputError)


def test_show(data_dir: Path) -> None:
    runner.invoke(app, ["registry", "import", str(DATA / "registry_utf8_bom.csv")])
    shown = runner.invoke(app, ["registry", "show", "BJ-003", "--format", "json"])
    assert json.loads(shown.stdout)["ip_ranges"] == ["192.0.2.0/24", "2001:db8:b::/48"]
    missing = runner.invoke(app, ["registry", "show", "BJ-404"])
    assert isinstance(missing.exception, NotFoundError)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_is_unchanged(data_dir: Path, tmp_path: Path, suffix: str) -> None:
    runner.invoke(app, ["registry", "import", str(DATA / "registry_zh.xlsx")])
    out = tmp_path / f"export{suffix}"
    exported = runner.invoke(app, ["registry", "export", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    assert "wrote 3 facilities" in exported.stdout
    again = runner.invoke(app, ["registry", "import", str(out)])
    assert "facilities 0 created, 0 updated, 3 unchanged" in again.stdout


def test_uninitialised_database_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HASHWATCH_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.delenv("HASHWATCH_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["registry", "list"])
    assert result.exception is not None
    assert "hashwatch init" in str(result.exception)


def test_every_command_has_an_example() -> None:
    for command in ("template", "import", "export", "list", "show"):
        help_text = runner.invoke(app, ["registry", command, "--help"]).stdout
        assert "Example: hashwatch registry" in help_text
