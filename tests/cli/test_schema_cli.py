from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hashwatch.cli import app, main
from hashwatch.errors import InputError
from hashwatch.reporting.report import report_json_schema

runner = CliRunner()


def test_schema_report_prints_the_json_schema() -> None:
    result = runner.invoke(app, ["schema", "report"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == report_json_schema()


def test_schema_report_writes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "report.schema.json"
    result = runner.invoke(app, ["schema", "report", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8")) == report_json_schema()
    assert target.read_text(encoding="utf-8").endswith("}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["report.schema.json"]


def test_schema_report_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "report.schema.json"
    target.write_text("old", encoding="utf-8")
    result = runner.invoke(app, ["schema", "report", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8"))["$id"] == report_json_schema()["$id"]


@pytest.mark.parametrize("where", ["a-file/report.schema.json", "."])
def test_schema_report_refuses_a_bad_target(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    result = runner.invoke(app, ["schema", "report", "-o", str(tmp_path / where)])
    assert isinstance(result.exception, InputError)
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


def test_a_bad_target_is_one_line_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["schema", "report", "-o", str(tmp_path / "a-file" / "x.json")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "cannot write" in err
    assert "Traceback" not in err


def test_schema_help_lists_report_with_an_example() -> None:
    result = runner.invoke(app, ["schema", "report", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert "--output" in result.output
