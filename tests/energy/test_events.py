"""Sustained hashrate drops: synthetic series, and the 2021 events in the shared data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from hashwatch.energy.events import find_drops, running_median
from hashwatch.io.hashrate_files import parse_daily_hashrate

DAY0 = np.datetime64("2021-01-01")


def days(n: int) -> np.ndarray:
    return np.arange(DAY0, DAY0 + n)


def test_running_median() -> None:
    values = np.array([1.0, 9.0, 2.0, np.nan, 3.0])
    assert_allclose(running_median(values, 3), [5.0, 2.0, 5.5, 2.5, 3.0])
    assert_allclose(running_median(values, 2, centred=False), [1.0, 5.0, 5.5, 2.0, 3.0])
    assert np.isnan(running_median(values, 3, centred=False, min_count=3)[0])


def test_a_clean_step_drop_and_recovery() -> None:
    h = np.full(120, 100.0)
    h[60:70] = 60.0
    (drop,) = find_drops(days(120), h)
    assert drop.start == DAY0 + 60
    assert drop.trough == DAY0 + 60
    assert drop.end == DAY0 + 69
    assert drop.recovery == DAY0 + 70
    assert_allclose(drop.drop, 0.4)
    assert drop.duration_days == 10


def test_a_drop_that_has_not_recovered() -> None:
    h = np.full(60, 100.0)
    h[50:] = 50.0
    (drop,) = find_drops(days(60), h)
    assert drop.recovery is None


@pytest.mark.parametrize("seed", range(10))
def test_ten_percent_daily_noise_is_not_a_drop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h = 1e8 * np.exp(rng.normal(0.0, 0.10, 2000))  # lognormal, sd 10 % a day
    assert find_drops(days(2000), h) == []


def test_single_bad_days_are_not_a_drop() -> None:
    h = np.full(100, 100.0)
    h[[40, 42, 70]] = 50.0
    assert find_drops(days(100), h) == []


def test_a_noisy_drop_is_found() -> None:
    rng = np.random.default_rng(3)
    h = 1e8 * np.exp(rng.normal(0.0, 0.10, 200))
    h[100:106] *= 0.65
    (drop,) = find_drops(days(200), h)
    assert abs(int((drop.start - (DAY0 + 100)).astype(int))) <= 1
    assert 0.2 < drop.drop < 0.5


# --- the 2021 events in the blockchain.com exports (reference §8) -----------------------

EXPORTS = [
    "blockchaincom_hashrate_daily_2020-09_2021-09_miguelsimon.csv",
    "blockchaincom_hashrate_daily_2020-11_2021-11_knobloch.csv",
]


@pytest.mark.parametrize("name", EXPORTS)
def test_the_2021_drops_are_found_and_nothing_else(shared_energy: Path, name: str) -> None:
    series = parse_daily_hashrate((shared_energy / name).read_text(encoding="utf-8"))
    drops = find_drops(series.day, series.hashrate_ths)
    in_2021 = [d for d in drops if d.start >= np.datetime64("2021-01-01")]
    assert len(in_2021) == 2
    april, summer = in_2021
    # the Xinjiang outage: first low day 16 Apr, lowest 17 Apr (106.7 EH/s), back by 21 Apr
    assert str(april.start) == "2021-04-16"
    assert str(april.trough) == "2021-04-17"
    assert_allclose(april.trough_hashrate_ths, 106.7e6, rtol=1e-3)
    assert np.datetime64("2021-04-19") <= april.end <= np.datetime64("2021-04-22")
    assert 0.2 < april.drop < 0.4
    # the China ban: from mid-June, lowest 27 Jun (58.5 EH/s), lasting into July
    assert np.datetime64("2021-06-13") <= summer.start <= np.datetime64("2021-06-21")
    assert str(summer.trough) == "2021-06-27"
    assert_allclose(summer.trough_hashrate_ths, 58.5e6, rtol=1e-3)
    assert summer.end >= np.datetime64("2021-07-10")
    assert summer.drop > 0.3
    # calm months: December 2020 to March 2021, September 2021 onwards
    for d in drops:
        assert not (np.datetime64("2020-12-01") <= d.start < np.datetime64("2021-04-01"))
        assert d.start < np.datetime64("2021-09-01")


def test_the_two_exports_agree_on_dates(shared_energy: Path) -> None:
    a, b = (parse_daily_hashrate((shared_energy / n).read_text(encoding="utf-8")) for n in EXPORTS)
    common, ia, ib = np.intersect1d(a.day, b.day, return_indices=True)
    assert common.size > 300
    assert_allclose(a.hashrate_ths[ia], b.hashrate_ths[ib], rtol=1e-9)
