"""A jurisdiction's share of the network and the electricity attributed to it."""

from __future__ import annotations

import pytest
from numpy.testing import assert_allclose

from hashwatch.energy.share import bottom_up_twh_per_yr, hashrate_share, jurisdiction_share


def test_bottom_up_reference_example() -> None:
    # reference §7.3: 1 EH/s at 30 J/TH and PUE 1.10 ≈ 0.289 TWh/yr
    assert_allclose(bottom_up_twh_per_yr(1e6, 30.0, 1.10), 0.289278)


def test_beijing_in_april_2020() -> None:
    # reference §7.2: Beijing 1.24 % of 111.40 EH/s ≈ 1.38 EH/s
    share = hashrate_share(1.38e6, 111.40e6)
    assert_allclose(share, 0.0124, rtol=0.01)
    result = jurisdiction_share(share, (30.0, 72.0, 120.0), 1.38e6, 45.0)
    assert_allclose(result.share_best_twh_per_yr, share * 72.0)
    assert result.bottom_up_best_twh_per_yr is not None
    assert_allclose(result.bottom_up_best_twh_per_yr, 1.38e6 * 45 * 1.10 * 8766 / 1e12)


def test_share_without_bottom_up() -> None:
    result = jurisdiction_share(0.5, (1.0, 2.0, 3.0))
    assert result.bottom_up_best_twh_per_yr is None
    with pytest.raises(ValueError, match="between 0 and 1"):
        jurisdiction_share(1.5, (1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="positive"):
        hashrate_share(1.0, 0.0)
