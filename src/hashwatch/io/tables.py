"""Writing tables to CSV, XLSX and JSON files: the one writer every export goes through.

Files are written atomically (a temporary file beside the target, then a rename), so a
failure never leaves half a file. Cells are made safe for spreadsheet programs:

* XLSX: text is always stored as text (never as a formula, even when it starts with ``=``),
  and characters XLSX cannot hold (control characters) are replaced by U+FFFD;
* CSV: text that a spreadsheet would run as a formula (starting with ``=``, ``@``, a tab or
  a carriage return, or ``+``/``-`` followed by more than a number) gets a leading ``'``,
  as OWASP recommends; :func:`unescape_csv_text` undoes it when such a file is read back.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from hashwatch.errors import InputError
from hashwatch.reporting.canonical import canonical_json

Rows = Sequence[Mapping[str, Any]]

_NUMBER_LIKE = re.compile(r"^[+-][\d\s().,]*$")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it only if the block succeeds.

    Problems with the target (missing folder, a directory, no permission) raise
    :class:`InputError` naming the path.
    """
    try:
        if path.is_dir():
            raise InputError(f"{path} is a directory: name a file to write", field="output")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}", field="output") from None
    tmp = Path(tmp_name)
    try:
        yield tmp
        tmp.replace(path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}", field="output") from None
    finally:
        tmp.unlink(missing_ok=True)


def _formula_like(text: str) -> bool:
    return text[:1] in ("=", "@", "\t", "\r") or (
        text[:1] in ("+", "-") and not _NUMBER_LIKE.match(text)
    )


def escape_csv_text(text: str) -> str:
    """``text`` with a leading ``'`` if a spreadsheet would read it as a formula.

    Text that itself starts with ``'`` gets one more, so :func:`unescape_csv_text` gives
    back exactly what was written.
    """
    return "'" + text if _formula_like(text) or text.startswith("'") else text


def unescape_csv_text(text: str) -> str:
    """Undo :func:`escape_csv_text`."""
    rest = text[1:]
    if text.startswith("'") and (_formula_like(rest) or rest.startswith("'")):
        return rest
    return text


def _plain(value: Any) -> Any:
    if isinstance(value, list | dict):
        return canonical_json(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _csv_cell(value: Any) -> Any:
    value = _plain(value)
    if value is None:
        return ""
    return escape_csv_text(value) if isinstance(value, str) else value


def write_csv_stream(stream: IO[str], columns: Sequence[str], rows: Rows) -> None:
    """Write a header and rows; lists and dicts become canonical JSON text."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in columns])


def csv_text(columns: Sequence[str], rows: Rows) -> str:
    """The CSV as a string (for printing or an HTTP response)."""
    buffer = io.StringIO()
    write_csv_stream(buffer, columns, rows)
    return buffer.getvalue()


def write_csv(path: Path, columns: Sequence[str], rows: Rows, *, bom: bool = True) -> None:
    """CSV in UTF-8 (with a byte-order mark by default, so spreadsheet programs read Chinese)."""
    with (
        atomic_path(path) as tmp,
        tmp.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream,
    ):
        write_csv_stream(stream, columns, rows)


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    value = _plain(value)
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    cell.data_type = "s"  # text stays text, never a formula
    return cell


def xlsx_bytes(
    sheets: Mapping[str, tuple[Sequence[str], Rows]],
    *,
    text_columns: Collection[str] = (),
) -> bytes:
    """A workbook with one worksheet per table: header frozen, columns sized, text kept text.

    ``text_columns`` are formatted as text (``@``), so codes keep their leading zeros.
    """
    workbook = Workbook(write_only=True)
    for name, (columns, rows) in sheets.items():
        sheet = workbook.create_sheet(title=name[:31])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            dimension = sheet.column_dimensions[get_column_letter(index)]
            dimension.width = max(12, min(len(column) + 2, 40))
            if column in text_columns:
                dimension.number_format = "@"
        sheet.append([_xlsx_cell(sheet, c) for c in columns])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, row.get(c)) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_xlsx(
    path: Path,
    sheets: Mapping[str, tuple[Sequence[str], Rows]],
    *,
    text_columns: Collection[str] = (),
) -> None:
    """:func:`xlsx_bytes` written atomically to ``path``."""
    data = xlsx_bytes(sheets, text_columns=text_columns)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: Path, text: str) -> None:
    """UTF-8 text, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: Path, value: Any) -> None:
    """Indented UTF-8 JSON."""
    write_text(path, json.dumps(value, ensure_ascii=False, indent=2, default=_plain) + "\n")
