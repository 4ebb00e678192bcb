"""Reading daily network series: hashrate and miners' revenue, for the CBECI method.

Accepted columns (a CSV with a header; names matched exactly, a byte-order mark dropped):

=====================  ==========================================================
canonical name          also accepted
=====================  ==========================================================
``date``                ``time`` (Coin Metrics), ``day``; ``YYYY-MM-DD``, a time part
                        after ``T`` or a space is ignored
``hashrate_ths``        ``HashRate`` (Coin Metrics, TH/s)
``revenue_usd_per_day`` ``IssTotUSD`` + ``FeeTotUSD`` (Coin Metrics: new coins plus fees)
=====================  ==========================================================

Empty cells are missing values. Days missing from the file are filled with missing values,
so the arrays hold consecutive days.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hashwatch.errors import FileFormatError
from hashwatch.io.catalogue_files import read_text
from hashwatch.io.csvtext import dict_records, number_or_nan

DATE_COLUMNS = ("date", "time", "day")


@dataclass(frozen=True)
class NetworkSeries:
    """Consecutive daily values; ``day`` is ``datetime64[D]`` (UTC dates)."""

    day: npt.NDArray[np.datetime64]
    hashrate_ths: npt.NDArray[np.float64]
    revenue_usd_per_day: npt.NDArray[np.float64]


def _column(fields: list[str], names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in fields), None)


def parse_network_series(text: str) -> NetworkSeries:
    """The series in a CSV text (see the module docstring for the columns)."""
    fields, reader = dict_records(text)
    date_col = _column(fields, DATE_COLUMNS)
    hash_col = _column(fields, ("hashrate_ths", "HashRate"))
    has_revenue = "revenue_usd_per_day" in fields
    if date_col is None or hash_col is None:
        raise FileFormatError("the input needs a date (or time) and a hashrate_ths (or HashRate)")
    if not has_revenue and not {"IssTotUSD", "FeeTotUSD"} <= set(fields):
        raise FileFormatError("the input needs revenue_usd_per_day, or IssTotUSD and FeeTotUSD")
    days, hashrate, revenue = [], [], []
    for row, rec in enumerate(reader, start=2):
        raw = (rec.get(date_col) or "").strip().replace(" ", "T").split("T")[0]
        try:
            days.append(np.datetime64(raw, "D"))
        except ValueError:
            raise FileFormatError(f"not a date: {raw!r}", field=date_col, row=row) from None
        hashrate.append(number_or_nan(rec.get(hash_col), row=row, field=hash_col))
        if has_revenue:
            revenue.append(
                number_or_nan(rec["revenue_usd_per_day"] or "", row=row, field="revenue")
            )
        else:
            iss = number_or_nan(rec["IssTotUSD"], row=row, field="IssTotUSD")
            fee = number_or_nan(rec["FeeTotUSD"], row=row, field="FeeTotUSD")
            revenue.append(iss + fee)
    if not days:
        raise FileFormatError("the input has no rows")
    day = np.array(days, dtype="datetime64[D]")
    if np.any(np.diff(day) <= np.timedelta64(0, "D")):
        bad = int(np.argmax(np.diff(day) <= np.timedelta64(0, "D"))) + 3
        raise FileFormatError("dates must increase, one row per day", field=date_col, row=bad)
    full = np.arange(day[0], day[-1] + np.timedelta64(1, "D"), dtype="datetime64[D]")
    index = (day - day[0]).astype(np.int64)
    h = np.full(full.size, np.nan)
    r = np.full(full.size, np.nan)
    h[index] = hashrate
    r[index] = revenue
    return NetworkSeries(day=full, hashrate_ths=h, revenue_usd_per_day=r)


def read_network_series(path: Path) -> NetworkSeries:
    """The series in the CSV file ``path``."""
    return parse_network_series(read_text(path))
