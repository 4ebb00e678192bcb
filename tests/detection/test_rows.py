"""Row-wise reductions give numpy's values, row by row."""

from __future__ import annotations

import numpy as np
import pytest

from hashwatch.detection import rows


@pytest.mark.parametrize("length", [1, 2, 7, 84, 85])
def test_row_median_is_numpys_median(length: int) -> None:
    rng = np.random.default_rng(length)
    x = rng.normal(100.0, 30.0, size=(60, length))
    x[3, 0] = np.nan  # a row with a gap: NaN, as np.median gives
    x[4, :] = np.nan  # a row without readings
    x[5, -1] = np.inf
    x[6, :] = 2.5  # ties
    x[7, : length // 2] = -np.inf
    with np.errstate(invalid="ignore"):
        expected = np.median(x, axis=1)
    np.testing.assert_array_equal(rows.row_median(x), expected)


def test_row_median_of_rows_without_values_is_nan() -> None:
    assert np.isnan(rows.row_median(np.zeros((3, 0)))).all()
