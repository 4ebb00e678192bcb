"""Writing tables to CSV, XLSX and JSON files, atomically (a temporary file, then rename)."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook

from hashwatch.reporting.canonical import canonical_json

Rows = Sequence[Mapping[str, Any]]


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it only if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _plain(value: Any) -> Any:
    if isinstance(value, list | dict):
        return canonical_json(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def write_csv_stream(stream: IO[str], columns: Sequence[str], rows: Rows) -> None:
    """Write a header and rows; lists and dicts become canonical JSON text."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _plain(row.get(c)) for c in columns])


def write_csv(path: Path, columns: Sequence[str], rows: Rows, *, bom: bool = True) -> None:
    """CSV in UTF-8 (with a byte-order mark by default, so spreadsheet programs read Chinese)."""
    with (
        atomic_path(path) as tmp,
        tmp.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream,
    ):
        write_csv_stream(stream, columns, rows)


def write_xlsx(path: Path, sheets: Mapping[str, tuple[Sequence[str], Rows]]) -> None:
    """One worksheet per table, header row frozen; dates and times as ISO text."""
    workbook = Workbook(write_only=True)
    for name, (columns, rows) in sheets.items():
        sheet = workbook.create_sheet(title=name[:31])
        sheet.freeze_panes = "A2"
        sheet.append(list(columns))
        for row in rows:
            sheet.append([_plain(row.get(c)) for c in columns])
    with atomic_path(path) as tmp:
        workbook.save(tmp)


def write_json(path: Path, value: Any) -> None:
    """Indented UTF-8 JSON."""
    with atomic_path(path) as tmp:
        tmp.write_text(
            json.dumps(value, ensure_ascii=False, indent=2, default=_plain) + "\n",
            encoding="utf-8",
        )
