"""``hashwatch demo`` through the CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hashwatch.cli import app
from hashwatch.errors import ConflictError

runner = CliRunner()
ARGS = ["demo", "--no-serve", "--seed", "1", "--facilities", "30"]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HASHWATCH_DATA_DIR", str(tmp_path / "city"))
    monkeypatch.delenv("HASHWATCH_DATABASE_URL", raising=False)
    monkeypatch.delenv("HASHWATCH_SMTP_HOST", raising=False)
    return tmp_path / "city"


def test_demo_builds_and_prints_how_to_continue(data_dir: Path) -> None:
    result = runner.invoke(app, ARGS)
    assert result.exit_code == 0, result.output
    assert "30 in 16 districts" in result.output
    assert "hashwatch notice status BJ-2021-04" in result.output
    assert "hashwatch submit BJ-2021-04 --token" in result.output
    assert (data_dir / "hashwatch.sqlite3").is_file()
    assert len(list((data_dir / "outbox" / "BJ-2021-04").iterdir())) == 30


def test_demo_refuses_existing_data_unless_reset(data_dir: Path) -> None:
    assert runner.invoke(app, ARGS).exit_code == 0
    again = runner.invoke(app, ARGS)
    assert isinstance(again.exception, ConflictError)
    assert "--reset" in again.exception.message
    reset = runner.invoke(app, [*ARGS, "--reset"])
    assert reset.exit_code == 0, reset.output
    assert "deleted" in reset.output
