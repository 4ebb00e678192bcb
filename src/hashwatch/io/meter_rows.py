"""Numbering a meter file's rows as the file shows them, empty lines counted.

pyarrow's CSV reader skips lines that are exactly empty (``\\n`` or ``\\r\\n``; its
``ignore_empty_lines``), so the n-th row it returns is on the n-th non-empty line, not
always on line ``n + 1``. A value in a quoted cell cannot span lines
(``newlines_in_values=False``), so a row is one line: the empty lines of the bytes parsed say
where each row is. Text without an empty line (the usual file) needs no more than a search.

Lines end at ``\n`` (with or without ``\r`` before it). pyarrow also ends a line at a lone
``\r``; such files (``\r\r\n`` line ends, from Python's ``csv`` module writing in text mode on
Windows, show a blank row after every row in a spreadsheet) are read, but their rows are
numbered as if each ``\r\r\n`` were one line end.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, overload

import numpy as np

from hashwatch.detection.cleaning import IntArray

#: bytes of a file scanned at a time for empty lines
_SCAN_BYTES: Final = 16 << 20


@dataclass(frozen=True)
class RowContext:
    """Where rows come from: the file's name, its row numbering and the local time zone.

    ``row_base`` is the file row of the first line of the text read (the CSV header is row
    1); ``gaps``, None when that text has no empty line, holds per empty line the number of
    rows read above it (:func:`empty_line_gaps`).
    """

    source: str
    row_base: int
    zone: zoneinfo.ZoneInfo | None
    gaps: IntArray | None = None

    @overload
    def file_row(self, index: int) -> int: ...

    @overload
    def file_row(self, index: IntArray) -> IntArray: ...

    def file_row(self, index: int | IntArray) -> int | IntArray:
        """The file row of the row(s) read at ``index`` (from 0)."""
        if self.gaps is None:
            return index + self.row_base
        skipped = np.searchsorted(self.gaps, index, side="right")
        if np.ndim(index) == 0:  # an int, or a numpy integer
            return int(index) + self.row_base + int(skipped)
        return np.asarray(index + self.row_base + skipped, dtype=np.int64)

    def file_rows(self, count: int) -> IntArray:
        """The file rows of the first ``count`` rows read (a running count of the empty
        lines above each row: no search per row)."""
        rows = np.arange(count, dtype=np.int64) + self.row_base
        if self.gaps is None:
            return rows
        above = np.bincount(np.minimum(self.gaps, count), minlength=count + 1)[:count]
        return np.asarray(rows + np.cumsum(above), dtype=np.int64)


def empty_line_gaps(data: bytes) -> IntArray | None:
    """Per empty line of ``data`` (whole lines), the non-empty lines above it; None if none."""
    if not _has_empty_line(data):
        return None
    empty = _empty_lines(data)
    return empty - np.arange(empty.size, dtype=np.int64)


def csv_gaps(path: Path) -> IntArray | None:
    """:func:`empty_line_gaps` of a CSV file's lines below its header, read a block at a time."""
    empty: list[IntArray] = []
    lines = 0
    with path.open("rb") as handle:
        handle.readline()
        for block in line_blocks(handle, _SCAN_BYTES):
            if _has_empty_line(block):
                empty.append(_empty_lines(block) + lines)
            lines += block.count(b"\n")
    if not empty:
        return None
    indices = np.concatenate(empty)
    return indices - np.arange(indices.size, dtype=np.int64)


def line_blocks(handle: BinaryIO, block_bytes: int) -> Iterator[bytes]:
    """The rest of an open file in blocks of whole lines (the last may lack its line end)."""
    rest = b""
    while data := handle.read(block_bytes):
        data = rest + data
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        if cut:
            yield data[:cut]
    if rest:
        yield rest


def _has_empty_line(data: bytes) -> bool:
    if data.startswith((b"\n", b"\r\n")) or b"\n\n" in data:
        return True
    return b"\r" in data and b"\n\r\n" in data  # a search for one byte is the faster


def _empty_lines(data: bytes) -> IntArray:
    """The indexes (from 0) of the lines of ``data`` that are empty, ``\\n`` or ``\\r\\n``."""
    text = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(text == ord("\n"))
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
    length = ends - starts
    carriage = length == 1
    carriage[carriage] = text[starts[carriage]] == ord("\r")
    return np.flatnonzero((length == 0) | carriage).astype(np.int64)
