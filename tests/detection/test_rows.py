"""Row-wise reductions give numpy's values, row by row."""

from __future__ import annotations

import numpy as np
import pytest

from hashwatch.detection import rows


def _awkward_rows(length: int) -> np.ndarray:
    rng = np.random.default_rng(length)
    x = rng.normal(100.0, 30.0, size=(60, length))
    x[3, 0] = np.nan  # a row with a gap
    x[4, :] = np.nan  # a row without readings
    x[5, -1] = np.inf
    x[6, :] = 2.5  # ties
    x[7, : length // 2] = -np.inf
    x[8, :] = 1.5e308  # the middle of an odd row must not be added to itself
    x[9, :] = rng.choice([0.0, -0.0], size=length)  # zeros of both signs
    return x


@pytest.mark.parametrize("length", [1, 2, 7, 84, 85])
def test_row_median_is_numpys_median(length: int) -> None:
    x = _awkward_rows(length)
    with np.errstate(invalid="ignore", over="ignore"):  # even rows of 1.5e308 overflow: inf
        expected = np.median(x, axis=1)
        got = rows.row_median(x)
    np.testing.assert_array_equal(got, expected)
    # a zero median is +0.0 whatever the zeros' signs (np.median's depends on its partition)
    assert not np.signbit(got[9])


@pytest.mark.parametrize("length", [1, 2, 7, 84, 85])
def test_row_nanmedian_is_numpys_nanmedian(length: int) -> None:
    x = _awkward_rows(length)
    x[8, :] = 1e300  # (the mean of the two middle values is taken for odd counts too)
    x[10, ::3] = np.nan  # gaps skipped
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning, match="All-NaN"):
        expected = np.nanmedian(x, axis=1)
    with np.errstate(invalid="ignore"):
        got = rows.row_nanmedian(x)
    np.testing.assert_array_equal(got, expected)


def test_medians_of_rows_without_values_are_nan() -> None:
    assert np.isnan(rows.row_median(np.zeros((3, 0)))).all()
    assert np.isnan(rows.row_nanmedian(np.zeros((3, 0)))).all()
