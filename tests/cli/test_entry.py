"""The console script's entry point imports nothing until it runs."""

from __future__ import annotations

import subprocess
import sys


def test_the_script_entry_point_imports_no_command_line() -> None:
    """multiprocessing's spawn re-runs the script's top level in every worker process."""
    script = "import sys, hashwatch.entry; print(sorted(m for m in ('typer', 'sqlalchemy', "
    script += "'hashwatch.cli', 'rich') if m in sys.modules))"
    child = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "[]"


def test_the_entry_point_runs_the_command_line() -> None:
    child = subprocess.run(
        [sys.executable, "-c", "from hashwatch.entry import main; main(['--help'])"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    assert "detect" in child.stdout
