"""``hashwatch demo`` through the CLI runner."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from hashwatch.accounts.models import Role
from hashwatch.cli import app
from hashwatch.cli.demo import DEMO_ADMIN
from hashwatch.errors import ConfigurationError, ConflictError
from hashwatch.services.accounts import login
from hashwatch.services.notices import open_notice
from hashwatch.store.engine import Database

runner = CliRunner()
ARGS = ["demo", "--no-serve", "--seed", "1", "--facilities", "30"]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HASHWATCH_DATA_DIR", str(tmp_path / "city"))
    monkeypatch.delenv("HASHWATCH_DATABASE_URL", raising=False)
    monkeypatch.delenv("HASHWATCH_SMTP_HOST", raising=False)
    monkeypatch.delenv("HASHWATCH_PUBLIC_URL", raising=False)
    monkeypatch.delenv("HASHWATCH_ENVIRONMENT", raising=False)
    return tmp_path / "city"


def test_demo_builds_and_prints_how_to_continue(data_dir: Path) -> None:
    result = runner.invoke(app, ARGS)
    assert result.exit_code == 0, result.output
    assert "30 in 16 districts" in result.output
    assert "BJ-2021-03 (March 2021)" in result.output
    assert "hashwatch notice status BJ-2021-04" in result.output
    assert "hashwatch submit BJ-2021-04 --token" in result.output
    assert (data_dir / "hashwatch.sqlite3").is_file()
    assert len(list((data_dir / "outbox" / "BJ-2021-04").iterdir())) == 30
    assert re.search(r"meter data\s+│ \d+ meters, [\d,]+ hourly readings", result.output)
    assert re.search(r"detection\s+│ run 1: \d+ candidate meters", result.output)
    assert "hashwatch detect runs list" in result.output
    assert (data_dir / "demo-meters" / "meters.labels.csv").is_file()


def test_demo_without_meters(data_dir: Path) -> None:
    result = runner.invoke(app, [*ARGS, "--no-meter-data"])
    assert result.exit_code == 0, result.output
    assert "meter data" not in result.output
    assert "detect runs" not in result.output
    assert not (data_dir / "demo-meters").exists()


def test_demo_refuses_existing_data_unless_reset(data_dir: Path) -> None:
    assert runner.invoke(app, ARGS).exit_code == 0
    again = runner.invoke(app, ARGS)
    assert isinstance(again.exception, ConflictError)
    assert "--reset" in again.exception.message
    reset = runner.invoke(app, [*ARGS, "--reset"])
    assert reset.exit_code == 0, reset.output
    assert "deleted" in reset.output


def _login_from(output: str) -> tuple[str, str]:
    match = re.search(r"regulator login\s+user (\S+), password (\S+) ", output)
    assert match, output
    return match.group(1), match.group(2)


def test_demo_no_serve_prints_a_working_login_and_reporter_links(data_dir: Path) -> None:
    result = runner.invoke(app, [*ARGS, "--port", "8123"])
    assert result.exit_code == 0, result.output
    username, password = _login_from(result.output)
    assert username == DEMO_ADMIN
    links = re.findall(r"reporter \((\w+)\) (\S+): (http://127\.0\.0\.1:8123/r/\S+)", result.output)
    assert {status for status, _, _ in links} >= {"returned", "accepted"}
    assert "hashwatch serve --port 8123" in result.output
    assert "serving on" not in result.output
    db = Database(f"sqlite:///{data_dir / 'hashwatch.sqlite3'}")
    try:
        assert login(db, username, password).principal.role is Role.ADMIN
        for _, code, url in links:
            assert open_notice(db, url.rsplit("/", 1)[1])["facility_code"] == code
    finally:
        db.dispose()


def test_demo_serves_the_app_on_loopback(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def fake_run(app_: Any, **kwargs: Any) -> None:
        calls.append({"app": app_, **kwargs})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = runner.invoke(app, ["demo", "--seed", "1", "--facilities", "10", "--port", "8124"])
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    assert (calls[0]["host"], calls[0]["port"]) == ("127.0.0.1", 8124)
    assert isinstance(calls[0]["app"], FastAPI)
    assert calls[0]["app"].state.settings.public_url == "http://127.0.0.1:8124"
    assert "serving on http://127.0.0.1:8124/" in result.output
    assert "URL               http://127.0.0.1:8124/" in result.output
    _login_from(result.output)


def test_demo_keeps_an_explicit_public_url(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HASHWATCH_PUBLIC_URL", "https://hashwatch.example.org")
    result = runner.invoke(app, ARGS)
    assert result.exit_code == 0, result.output
    assert re.search(r"reporter \(\w+\) \S+: https://hashwatch\.example\.org/r/", result.output)


def test_demo_is_refused_in_production(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HASHWATCH_ENVIRONMENT", "production")
    result = runner.invoke(app, ARGS)
    assert isinstance(result.exception, ConfigurationError)
    assert "production" in result.exception.message
    assert not data_dir.exists()


def test_notice_link_tokens_are_masked_in_the_access_log() -> None:
    import logging

    from hashwatch.web.security import TokenLinkLogFilter

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/r/abcDEF_123-x?lang=zh", "1.1", 303),
        None,
    )
    assert TokenLinkLogFilter().filter(record)
    assert "abcDEF" not in record.getMessage()
    assert "/r/[token]?lang=zh" in record.getMessage()
