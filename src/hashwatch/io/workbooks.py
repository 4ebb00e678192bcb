"""Opening uploaded XLSX workbooks safely: bounded size, rows and columns.

A workbook is a zip of XML; a few kilobytes can declare a sheet of 16,384 columns or
decompress to gigabytes. Before openpyxl parses anything, the zip's members are checked
(total uncompressed size, compression ratio), and rows are read with a column cap and stop
at a row limit, so a hostile upload costs milliseconds, not minutes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from hashwatch.errors import FileFormatError

MAX_UNCOMPRESSED_BYTES: Final = 64 * 1024 * 1024
MAX_COMPRESSION_RATIO: Final = 200
MAX_COLUMNS: Final = 100


def check_zip(name: str, source: bytes | Path) -> None:
    """Refuse a workbook whose members decompress to too much, or too suspiciously much."""
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileFormatError(f"{name}: not a readable XLSX workbook ({exc})") from None
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise FileFormatError(
            f"{name}: the workbook unpacks to {total:,} bytes, more than "
            f"{MAX_UNCOMPRESSED_BYTES:,}; split it or save it as CSV"
        )
    for member in members:
        ratio = member.file_size / member.compress_size if member.compress_size else 0.0
        if ratio > MAX_COMPRESSION_RATIO and member.file_size > 1024 * 1024:
            raise FileFormatError(
                f"{name}: {member.filename} is compressed {ratio:.0f} times; "
                "refused as a possible zip bomb"
            )


def open_workbook(name: str, source: bytes | Path, *, data_only: bool) -> Any:
    """A read-only workbook, after :func:`check_zip`."""
    check_zip(name, source)
    try:
        return openpyxl.load_workbook(
            io.BytesIO(source) if isinstance(source, bytes) else source,
            read_only=True,
            data_only=data_only,
        )
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise FileFormatError(f"{name}: not a readable XLSX workbook ({exc})") from None


def bounded_rows(
    name: str, sheet: Any, *, max_rows: int, values_only: bool = True
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, cells) of a sheet, at most :data:`MAX_COLUMNS` wide and ``max_rows`` long.

    Trailing empty rows past the limit are ignored; a non-empty row past it is an error.
    """
    rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=values_only)
    for number, cells in enumerate(rows, start=1):
        if number > max_rows:
            if any((c if values_only else getattr(c, "value", None)) is not None for c in cells):
                raise FileFormatError(f"{name}: more than {max_rows} rows", row=number)
            continue
        yield number, cells
