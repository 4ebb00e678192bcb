"""Reference pages generated from the code: the CLI and the validation rules.

``python -m hashwatch.cli.reference`` rewrites docs/cli-reference.md and
docs/validation-rules.md; a test fails when a committed page differs from what the code says.
"""

from __future__ import annotations

import inspect
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from hashwatch.reporting.report_parsing import PARSE_CODES
from hashwatch.reporting.rules import FINDING_CODES, RULES, RuleSettings


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
        names = f"`{param.name.upper()}`"
    help_text = " ".join((getattr(param, "help", None) or "").split())
    default = param.default
    extra = []
    if param.required:
        extra.append("required")
    elif default not in (None, False, (), []) and not callable(default):
        shown = getattr(default, "value", default)
        extra.append(f"default: `{shown}`")
    descriptor = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        extra.append("one of " + ", ".join(f"`{m.value}`" for m in annotation))
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
        params = [p for p in command.params if p.name != "help" and not p.hidden]
        if params:
            lines += [_param_line(p) for p in params] + [""]
    return "\n".join(lines).rstrip() + "\n"


def _markdown(text: str) -> str:
    """Docstring markup (reST roles and double back-quotes) as Markdown code."""
    text = re.sub(r":(?:func|class|data|mod):`~?([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


def render_rules() -> str:
    """Markdown listing every finding code with its severity and rule, and every tolerance."""
    lines = [
        "# Validation rules",
        "",
        "Generated from the code by `python -m hashwatch.cli.reference`; do not edit by hand.",
        "",
        "Errors block a report. Each warning needs an explanation in the report's",
        "`explanations`, keyed by the finding's code (every warning with that code) or by",
        "`code@field` (that one finding).",
        "",
        "## Parsing",
        "",
        "A report that cannot be read gives one error finding per problem, naming the field;",
        "the rules below do not run until it can be read.",
        "",
        *[f"- `{code}` (error)" for code in PARSE_CODES],
        "",
        "## Rules",
        "",
        "| code | severity | checks |",
        "| --- | --- | --- |",
    ]
    for rule in RULES:
        doc = inspect.cleandoc(rule.__doc__ or "")
        first, _, rest = doc.partition("\n")
        code = next((c for c in FINDING_CODES if f"``{c}``" in first), None)
        if code is None:
            raise ValueError(f"rule {rule.__name__} does not name its code in its docstring")
        text = first.split(":", 1)[-1].strip() + (" " + " ".join(rest.split()) if rest else "")
        cell = _markdown(text).replace("|", "\\|")
        lines.append(f"| `{code}` | {FINDING_CODES[code].value} | {cell} |")
    lines += ["", "## Tolerances", "", "| setting | default | meaning |", "| --- | --- | --- |"]
    for name, field in RuleSettings.model_fields.items():
        lines.append(f"| `{name}` | {field.default} | {field.description} |")
    return "\n".join(lines) + "\n"


PAGES = {"cli-reference.md": lambda: render(_cli_app()), "validation-rules.md": render_rules}


def _cli_app() -> typer.Typer:
    from hashwatch.cli import app

    return app


if __name__ == "__main__":  # pragma: no cover
    docs = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs")
    for page, make in PAGES.items():
        (docs / page).write_text(make(), encoding="utf-8")
