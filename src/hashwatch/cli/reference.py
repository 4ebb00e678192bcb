"""The CLI reference (docs/cli-reference.md), generated from the commands themselves.

``python -m hashwatch.cli.reference > docs/cli-reference.md`` rewrites it; a test fails when
the committed file differs from what the code says.
"""

from __future__ import annotations

import inspect
from typing import Any

import typer


def _walk(command: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    found = [(path, command)]
    for name in sorted(getattr(command, "commands", {}) or {}):
        sub = command.commands[name]
        if not getattr(sub, "hidden", False):
            found.extend(_walk(sub, [*path, name]))
    return found


def _param_line(param: Any) -> str:
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    if param.param_type_name == "argument":
        names = f"`{param.human_readable_name}`"
    help_text = " ".join((getattr(param, "help", None) or "").split())
    default = param.default
    extra = []
    if param.required:
        extra.append("required")
    elif default not in (None, False, (), []) and not callable(default):
        shown = getattr(default, "value", default)
        extra.append(f"default: `{shown}`")
    choices = getattr(param.type, "choices", None)
    if choices:
        extra.append("one of " + ", ".join(f"`{c}`" for c in choices))
    tail = f" ({'; '.join(extra)})" if extra else ""
    return f"- {names}: {help_text}{tail}".rstrip()


def render(app: typer.Typer) -> str:
    """Markdown describing every command, its help text and its options."""
    root = typer.main.get_command(app)
    lines = [
        "# CLI reference",
        "",
        "Generated from the code by `python -m hashwatch.cli.reference`; do not edit by hand.",
        "",
    ]
    for path, command in _walk(root, ["hashwatch"]):
        lines += [f"{'#' * min(len(path) + 1, 4)} `{' '.join(path)}`", ""]
        doc = inspect.cleandoc(command.help or "")
        if doc:
            lines += [doc, ""]
        params = [p for p in command.params if p.name not in ("help",)]
        if params:
            lines += [_param_line(p) for p in params] + [""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    from hashwatch.cli import app as _app

    print(render(_app), end="")
