"""Row-wise reductions whose result for a row does not depend on the other rows.

The kernel promises that a meter's features depend only on its own readings, whatever
other meters share its block (the local engine's batches and the Spark engine's groups
differ). Floating-point sums depend on the order of the additions, and numpy picks that
order from the array's layout: a row of a column-ordered array (``x[:, index]`` is laid
out column by column) is summed in another order than the same row of a row-ordered one,
and ``einsum``'s buffered loop cuts rows longer than numpy's buffer (8,192 values) at
places that depend on where the row sits in the block. These helpers give every row the
same order whatever its neighbours: each row contiguous, reduced whole.
"""

from __future__ import annotations

import numpy as np

from hashwatch.detection.cleaning import FloatArray


def row_mean(x: FloatArray) -> FloatArray:
    """Mean of each row of a 2-d array, made row-ordered first."""
    return np.asarray(np.ascontiguousarray(x).mean(axis=1))


def row_sum(x: FloatArray) -> FloatArray:
    """Sum of each row of a 2-d array, made row-ordered first."""
    return np.asarray(np.ascontiguousarray(x).sum(axis=1))


def row_dot(x: FloatArray, y: FloatArray) -> FloatArray:
    """Σ x·y of each row of two 2-d arrays of one shape: ``einsum`` for rows within numpy's
    buffer (one pass, no temporary), a product and a whole-row sum for longer rows."""
    if x.shape[1] <= np.getbufsize():
        return np.asarray(np.einsum("ij,ij->i", x, y))
    return row_sum(np.multiply(x, y, order="C"))


def row_median(x: FloatArray) -> FloatArray:
    """``np.median(x, axis=1)`` (NaN for a row with a NaN or no values) by one sort of the
    rows: numpy's vectorised sort of short rows (a meter's days) is about five times faster
    than the partition ``np.median`` runs row by row. The same values, except that a zero
    median is always +0.0 (``np.median``'s sign of zero depends on its partition)."""
    n = x.shape[1]
    if n == 0:
        return np.full(x.shape[0], np.nan)
    s = np.sort(x, axis=1)  # NaN sorts last
    middle = s[:, n // 2] if n % 2 else (s[:, n // 2 - 1] + s[:, n // 2]) / 2
    return np.asarray(np.where(np.isnan(s[:, -1]), np.nan, middle + 0.0))


def row_nanmedian(x: FloatArray) -> FloatArray:
    """``np.nanmedian(x, axis=1)`` (NaN for a row without values) by one sort of the rows:
    each row's median over its values that are not NaN (they sort first)."""
    if x.shape[1] == 0:
        return np.full(x.shape[0], np.nan)
    s = np.sort(x, axis=1)
    n = np.sum(~np.isnan(x), axis=1)
    each = np.arange(x.shape[0])
    lo, hi = np.maximum((n - 1) // 2, 0), np.maximum(n // 2, 0)
    return np.asarray(np.where(n > 0, (s[each, lo] + s[each, hi]) / 2, np.nan))
