"""Reading CSV text that people make: UTF-8 (with or without a byte-order mark) or GB18030.

Shared by every CSV reader (registry, bulk reports): the same encodings are accepted and the
same problems are named, with the byte offset or row number.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator

from hashwatch.errors import FileFormatError
from hashwatch.io.tables import unescape_csv_text


def decode_csv_bytes(name: str, data: bytes, notes: list[str]) -> str:
    """The text of a CSV file: UTF-8, else GB18030 (noted in ``notes``); others refused."""
    if data.startswith(b"PK\x03\x04"):
        raise FileFormatError(f"{name}: this is a zip file (an XLSX workbook?), not CSV text")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileFormatError(f"{name}: UTF-16 text is not supported; save as CSV UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise FileFormatError(
                f"{name}: neither UTF-8 nor GB18030 text "
                f"(bad byte at offset {utf8_error.start}); save the file as CSV UTF-8"
            ) from None
    notes.append(f"{name} is not UTF-8; it was read as GB18030")
    return text


def csv_records(name: str, text: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of CSV text; the header is row 1. Formula escapes are undone."""
    if "\x00" in text:
        raise FileFormatError(f"{name}: the file contains NUL bytes; it is not CSV text")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, [unescape_csv_text(cell) for cell in cells]
    except csv.Error as exc:
        raise FileFormatError(f"{name}: not valid CSV: {exc}", row=number + 1) from None


def dict_records(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header (names stripped) and the rows of CSV text as dicts; a BOM is dropped."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = [f.strip() for f in reader.fieldnames or []]
    reader.fieldnames = fields
    return fields, list(reader)


def number_or_nan(text: str | None, *, row: int, field: str) -> float:
    """A numeric cell as a float; blank is NaN; anything else names the row and field."""
    text = (text or "").strip()
    if not text:
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise FileFormatError(f"{field} is not a number: {text!r}", field=field, row=row) from None
