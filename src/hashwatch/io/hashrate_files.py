"""Reading hashrate inputs: daily series, chart exports, block records, difficulty epochs.

Daily series (:func:`parse_daily_hashrate`), one of:

* blockchain.com chart exports as they are: ``Timestamp,hash-rate`` (TH/s) with a UTF-8
  byte-order mark. The timestamps are the exporter's local time (rows at 23:00 of the
  previous day or 01:00 of the day), so each is rounded to the nearest UTC date;
* Coin Metrics: ``time,HashRate`` (other columns ignored);
* hashwatch: ``date,hashrate_ths``.

Block records (:func:`parse_blocks`): ``timestamp`` (UNIX seconds or ISO) and ``difficulty``
or ``bits`` (compact, hex such as ``1d00ffff`` or ``0x1d00ffff``, or decimal); ``height``
optional. Difficulty epochs (:func:`parse_epochs`): ``start_time`` and ``difficulty``, one
row per epoch in order; an epoch ends when the next one starts (the last row only marks the
end of the one before it unless it has ``end_time``); ``blocks`` optional (default 2016).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hashwatch.energy.hashrate import difficulty_from_bits
from hashwatch.errors import FileFormatError
from hashwatch.io.csvtext import dict_records, number_or_nan

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DailyHashrate:
    """Consecutive UTC dates and the hashrate of each [TH/s] (NaN where missing)."""

    day: npt.NDArray[np.datetime64]
    hashrate_ths: FloatArray


def _seconds(text: str | None, *, row: int, field: str) -> float:
    text = (text or "").strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        stamp = np.datetime64(text.replace(" ", "T").removesuffix("Z"), "s")
    except ValueError:
        raise FileFormatError(f"not a time: {text!r}", field=field, row=row) from None
    return float(stamp.astype(np.int64))


def parse_daily_hashrate(text: str) -> DailyHashrate:
    """A daily hashrate series from any of the formats in the module docstring."""
    fields, recs = dict_records(text)
    for time_col, value_col in (("Timestamp", "hash-rate"), ("time", "HashRate")):
        if time_col in fields and value_col in fields:
            break
    else:
        time_col, value_col = "date", "hashrate_ths"
        if not {time_col, value_col} <= set(fields):
            raise FileFormatError(
                "a daily hashrate needs Timestamp,hash-rate (blockchain.com), "
                "time,HashRate (Coin Metrics) or date,hashrate_ths",
                row=1,
            )
    days: dict[np.datetime64, float] = {}
    for row, rec in enumerate(recs, start=2):
        seconds = _seconds(rec.get(time_col), row=row, field=time_col)
        day = np.datetime64(int(seconds + 43_200) // 86_400, "D")  # nearest midnight
        if day in days:
            raise FileFormatError(f"a second row for {day}", field=time_col, row=row)
        days[day] = number_or_nan(rec.get(value_col), row=row, field=value_col)
    if not days:
        raise FileFormatError("the input has no rows")
    order = sorted(days)
    full = np.arange(order[0], order[-1] + np.timedelta64(1, "D"), dtype="datetime64[D]")
    values = np.full(full.size, np.nan)
    values[(np.array(order) - full[0]).astype(np.int64)] = [days[d] for d in order]
    return DailyHashrate(day=full, hashrate_ths=values)


def _difficulty(fields: list[str], recs: list[dict[str, str]]) -> FloatArray:
    if "difficulty" in fields:
        return np.array(
            [
                number_or_nan(r["difficulty"], row=n, field="difficulty")
                for n, r in enumerate(recs, 2)
            ]
        )
    if "bits" in fields:
        bits = []
        for n, rec in enumerate(recs, start=2):
            raw = (rec["bits"] or "").strip().lower()
            try:
                is_hex = raw.startswith("0x") or any(c in "abcdef" for c in raw) or len(raw) == 8
                bits.append(int(raw, 16) if is_hex else int(raw))
            except ValueError:
                raise FileFormatError(
                    f"bits is not compact: {raw!r}", field="bits", row=n
                ) from None
        return difficulty_from_bits(np.array(bits, dtype=np.int64))
    raise FileFormatError("the input needs a difficulty or a bits column", row=1)


def parse_blocks(text: str) -> tuple[FloatArray, FloatArray]:
    """Difficulty and timestamp [s] of each block, in time order."""
    fields, recs = dict_records(text)
    if "timestamp" not in fields:
        raise FileFormatError("block records need a timestamp column", row=1)
    stamps = np.array(
        [_seconds(r["timestamp"], row=n, field="timestamp") for n, r in enumerate(recs, 2)]
    )
    difficulty = _difficulty(fields, recs)
    if stamps.size < 2:
        raise FileFormatError("block records need at least two blocks")
    order = np.argsort(stamps, kind="stable")
    return difficulty[order], stamps[order]


def parse_epochs(text: str) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Difficulty, start [s], end [s] and block count of each timed epoch."""
    fields, recs = dict_records(text)
    if "start_time" not in fields:
        raise FileFormatError("epochs need a start_time column", row=1)
    start = np.array(
        [_seconds(r["start_time"], row=n, field="start_time") for n, r in enumerate(recs, 2)]
    )
    difficulty = _difficulty(fields, recs)
    end = np.append(start[1:], np.nan)
    if "end_time" in fields:
        for n, rec in enumerate(recs):
            if (rec.get("end_time") or "").strip():
                end[n] = _seconds(rec["end_time"], row=n + 2, field="end_time")
    blocks = np.array(
        [
            number_or_nan(r.get("blocks") or "2016", row=n, field="blocks")
            for n, r in enumerate(recs, 2)
        ]
    )
    timed = np.isfinite(end)
    return difficulty[timed], start[timed], end[timed], blocks[timed]
