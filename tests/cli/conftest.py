"""Running the real entry point (``hashwatch.cli.main``) with a data directory of the test's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hashwatch.cli import main


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


CliRun = Callable[..., Run]


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> CliRun:
    """``cli("notice", "list")`` runs hashwatch in-process, returning code, stdout, stderr."""
    monkeypatch.setenv("HASHWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HASHWATCH_ACTOR", "analyst:test")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("HASHWATCH_DATABASE_URL", raising=False)

    def run(*args: str) -> Run:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
