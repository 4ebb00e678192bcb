"""The documentation keeps up with the code: settings, CLI commands, glossary."""

from __future__ import annotations

from pathlib import Path

import pytest

from hashwatch.cli import app
from hashwatch.cli.reference import PAGES
from hashwatch.settings import Settings

DOCS = Path(__file__).parent.parent / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"`HASHWATCH_{name.upper()}`" not in text]
    assert missing == []


@pytest.mark.parametrize("page", sorted(PAGES))
def test_generated_pages_are_current(page: str) -> None:
    committed = (DOCS / page).read_text(encoding="utf-8")
    assert committed == PAGES[page](), "run: python -m hashwatch.cli.reference"


def test_every_command_has_an_example() -> None:
    import typer

    root = typer.main.get_command(app)
    stack = [("hashwatch", root)]
    missing = []
    while stack:
        name, command = stack.pop()
        subs = getattr(command, "commands", None)
        if subs:
            stack.extend((f"{name} {k}", v) for k, v in subs.items())
        elif "Example:" not in (command.help or ""):
            missing.append(name)
    assert missing == []
