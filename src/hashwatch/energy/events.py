"""Sustained drops of network hashrate in a daily series, robust to daily noise.

A daily hashrate estimate from block counts has a relative noise of about ±8–10 % (the
block count is Poisson, 1/√144); single days 20–30 % low are common and mean nothing. A
drop is declared only when a running median of several days falls well below the level of
the preceding weeks, and stays there.

References
----------
Energy-model reference §5 (noise of daily estimates) and §8 (the April 2021 Xinjiang
outage, the May–July 2021 China ban).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
DayArray = npt.NDArray[np.datetime64]


@dataclass(frozen=True)
class HashrateDrop:
    """One sustained drop: when it started, bottomed out, ended and recovered.

    ``start`` is the first day below the drop line, ``trough`` the lowest single day,
    ``end`` the last day whose running median is below the drop line and ``recovery`` the
    first later day whose running median is back within half the threshold of the baseline
    (``None`` when the series ends first). ``drop`` is 1 − (lowest running median) ÷
    baseline, a fraction (0–1).
    """

    start: np.datetime64
    trough: np.datetime64
    end: np.datetime64
    recovery: np.datetime64 | None
    baseline_hashrate_ths: float
    trough_hashrate_ths: float
    drop: float

    @property
    def duration_days(self) -> int:
        """Days from start to end, both included."""
        return int((self.end - self.start).astype(np.int64)) + 1


def running_median(
    values: FloatArray, window: int, *, centred: bool = True, min_count: int = 1
) -> FloatArray:
    """Median of each ``window``-day window (centred or trailing), NaN skipped.

    Windows are cut at the ends of the series; a window with fewer than ``min_count``
    finite values gives NaN.
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.full(values.size, np.nan)
    half = window // 2
    for i in range(values.size):
        lo, hi = (i - half, i + window - half) if centred else (i - window + 1, i + 1)
        seg = values[max(lo, 0) : max(min(hi, values.size), 0)]
        seg = seg[np.isfinite(seg)]
        if seg.size >= max(min_count, 1):
            out[i] = np.median(seg)
    return out


def find_drops(
    day: DayArray,
    hashrate_ths: FloatArray,
    *,
    threshold: float = 0.20,
    min_days: int = 3,
    smooth_days: int = 5,
    baseline_days: int = 28,
) -> list[HashrateDrop]:
    """Sustained drops of at least ``threshold`` (a fraction) in a daily hashrate series.

    Notes
    -----
    With h the daily hashrate, m the centred ``smooth_days`` running median of h and b the
    median of h over the ``baseline_days`` days ending ``smooth_days`` days before day t
    (at least half of them known),
    a drop starts when m(t) < (1 − threshold) · b(t) for at least ``min_days`` days running.
    The baseline is then frozen at b(t₀) until the drop ends (m back above the drop line),
    so a long decline does not drag its own reference down. The start is moved back to the
    first of the preceding ``smooth_days // 2`` days whose raw value is already below the
    line. A 5-day median of ±10 % daily noise has a spread of about ±5 %, so a 20 %
    threshold is about four spreads away. Days must be consecutive (missing values NaN).
    """
    day = np.asarray(day, dtype="datetime64[D]")
    h = np.asarray(hashrate_ths, dtype=np.float64)
    smooth = running_median(h, smooth_days)
    lagged = np.concatenate((np.full(smooth_days, np.nan), h))[: h.size]
    baseline = running_median(lagged, baseline_days, centred=False, min_count=baseline_days // 2)
    drops: list[HashrateDrop] = []
    i = 0
    while i < h.size:
        line = (1.0 - threshold) * baseline[i]
        if not (smooth[i] < line):
            i += 1
            continue
        frozen, end = baseline[i], i
        while end + 1 < h.size and not (smooth[end + 1] >= (1.0 - threshold) * frozen):
            end += 1
        if end - i + 1 >= min_days:
            drops.append(
                _describe(
                    day,
                    h,
                    smooth,
                    first=i,
                    end=end,
                    baseline=frozen,
                    threshold=threshold,
                    smooth_days=smooth_days,
                )
            )
        i = end + 1
    return drops


def _describe(
    day: DayArray,
    h: FloatArray,
    smooth: FloatArray,
    *,
    first: int,
    end: int,
    baseline: float,
    threshold: float,
    smooth_days: int,
) -> HashrateDrop:
    line = (1.0 - threshold) * baseline
    start = first
    for j in range(first - 1, max(first - 1 - smooth_days // 2, -1), -1):
        if not h[j] < line:
            break
        start = j
    span = h[start : end + 1]
    trough = start + int(np.nanargmin(span))
    after = np.flatnonzero(smooth[end + 1 :] >= (1.0 - threshold / 2.0) * baseline)
    return HashrateDrop(
        start=day[start],
        trough=day[trough],
        end=day[end],
        recovery=day[end + 1 + int(after[0])] if after.size else None,
        baseline_hashrate_ths=float(baseline),
        trough_hashrate_ths=float(h[trough]),
        drop=float(1.0 - np.nanmin(smooth[start : end + 1]) / baseline),
    )
