"""Each feature on small series whose answer is known in closed form."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from hashwatch.detection import features as f

S = 24  # hourly: steps per day


def rows(*series: np.ndarray) -> np.ndarray:
    return np.vstack([np.asarray(s, dtype=np.float64) for s in series])


def daily_sine(days: int, mean: float = 100.0, amplitude: float = 50.0) -> np.ndarray:
    j = np.arange(days * S)
    return mean + amplitude * np.sin(2 * np.pi * j / S)


def test_dense_block_places_readings_and_leaves_gaps() -> None:
    block = f.dense_power_kw(
        np.array([0, 0, 1, 1]),
        np.array([0, 1800, 900, 99_000]),
        np.array([1.0, 2.0, 3.0, 4.0]),
        meters=2,
        interval_minutes=15,
        first_utc_s=0,
        intervals=4,
    )
    assert_allclose(block, [[4, np.nan, 8, np.nan], [np.nan, 12, np.nan, np.nan]])


def test_dense_block_fast_paths_agree_with_the_general_scatter() -> None:
    # every interval of every meter, in order: the readings reshaped, no scatter
    codes, starts = np.repeat([0, 1], 3), np.tile([0, 3600, 7200], 2)
    energy = np.arange(6.0)
    full = f.dense_power_kw(codes, starts, energy, meters=2, interval_minutes=60,
                            first_utc_s=0, intervals=3)  # fmt: skip
    assert_array_equal(full, [[0, 1, 2], [3, 4, 5]])
    energy[0] = 99.0  # the block is not a view of the caller's readings
    assert full[0, 0] == 0.0
    # in order with gaps, and out of order with a duplicate (the later reading wins)
    kwargs = {"meters": 2, "interval_minutes": 60, "first_utc_s": 0, "intervals": 3}
    gaps = f.dense_power_kw(np.array([0, 1]), np.array([3600, 0]), np.array([1.0, 2.0]), **kwargs)
    assert_array_equal(gaps, [[np.nan, 1, np.nan], [2, np.nan, np.nan]])
    dup = f.dense_power_kw(
        np.array([0, 0, 0]), np.array([7200, 0, 7200]), np.array([1.0, 2.0, 3.0]), **kwargs
    )
    assert_array_equal(dup, [[2, np.nan, 3], [np.nan, np.nan, np.nan]])
    # in order with duplicates side by side (a meter's reading repeated): the later wins
    side = f.dense_power_kw(
        np.array([0, 0, 0, 1, 1]), np.array([0, 0, 7200, 3600, 3600]),
        np.array([1.0, 2.0, 3.0, 4.0, 5.0]), **kwargs,
    )  # fmt: skip
    assert_array_equal(side, [[2, np.nan, 3], [np.nan, 5, np.nan]])
    # as many readings as cells, but a duplicate and a gap: not every interval
    one = {**kwargs, "meters": 1}
    dup_gap = f.dense_power_kw(np.zeros(3, dtype=np.int64), np.array([0, 0, 7200]),
                               np.array([1.0, 2.0, 3.0]), **one)  # fmt: skip
    assert_array_equal(dup_gap, [[2, np.nan, 3]])


@pytest.mark.parametrize("size", [1, 2, 3, 6, 7, 8, 15])
def test_window_max_is_the_max_over_each_window(size: int) -> None:
    x = np.random.default_rng(size).random((4, 20))
    x[1, 5] = -np.inf
    for ahead in (False, True):
        got = f.window_max(x, size, ahead=ahead)
        nearest = f.window_max(x, size, ahead=ahead, edge=np.nan)
        for i in range(20):
            lo, hi = (i, i + size) if ahead else (i - size + 1, i + 1)
            inside = x[:, max(lo, 0) : min(hi, 20)].max(axis=1)
            assert_array_equal(got[:, i], inside)  # -inf beyond the ends: the same max
            assert_array_equal(nearest[:, i], inside)
    assert f.window_max(np.zeros((2, 0)), 3).shape == (2, 0)


def test_trailing_max_skips_missing_days() -> None:
    daily = np.array([[1.0, 5.0, 2.0, 1.0, 0.0], [np.nan, 3.0, np.nan, 1.0, np.nan]])
    assert_array_equal(f._trailing_max(daily, 3), [[1, 5, 5, 5, 2], [np.nan, 3, 3, 3, 1]])


def test_load_factor_and_cv() -> None:
    p = rows([5, 5, 5, 5], [1, 3, 1, 3], [2, np.nan, 4, np.nan], [np.nan] * 4)
    assert_allclose(f.load_factor(p), [1.0, 2 / 3, 0.75, np.nan])
    assert_allclose(f.coefficient_of_variation(p), [0.0, 0.5, 1 / 3, np.nan])


def test_daily_energy_cv() -> None:
    day_levels = np.repeat([10.0, 30.0, 10.0, 30.0], S)
    assert_allclose(f.daily_energy_cv(rows(day_levels, np.full(4 * S, 7.0)), S), [0.5, 0.0])


def test_night_day_ratio() -> None:
    hour = np.arange(2 * S) % S
    office = np.where((hour >= 9) & (hour < 19), 300.0, 100.0)
    assert_allclose(f.night_day_ratio(rows(office, np.full(2 * S, 4.0)), S), [1 / 3, 1.0])


def test_daily_cycle_strength() -> None:
    rng = np.random.default_rng(0)
    steps = np.repeat([100.0, 200.0, 150.0], S)  # level changes between days only
    noisy = 100 + rng.normal(0, 1, 60 * S)
    strength = f.daily_cycle_strength(rows(daily_sine(5)[: 3 * S], steps, noisy[: 3 * S]), S)
    assert_allclose(strength[:2], [1.0, 0.0], atol=1e-12)
    assert strength[2] < 0.5
    assert f.daily_cycle_strength(rows(noisy), S)[0] < 0.05  # about 1 / days


def test_weekly_cycle_strength() -> None:
    weekday_levels = np.array([2, 2, 2, 2, 2, 1, 1], dtype=float)  # Monday first
    office = np.repeat(np.tile(weekday_levels, 2), S)
    shifted = np.repeat(np.tile(np.roll(weekday_levels, -3), 2), S)  # starts on a Thursday
    strength = f.weekly_cycle_strength(rows(office, shifted, np.ones(14 * S)), S, 0)
    assert_allclose(strength, [1.0, 1.0, 0.0])  # any 7-day period, whatever the first day
    noise = 10 + np.random.default_rng(1).normal(0, 1, 70)
    assert f.weekly_cycle_strength(rows(np.repeat(noise, S)), S, 0)[0] < 0.3
    assert np.isnan(f.weekly_cycle_strength(rows(np.ones(6 * S)), S, 0)[0])


def test_autocorrelation_at_a_day_and_half_a_day() -> None:
    p = rows(daily_sine(10))
    assert_allclose(f.autocorrelation(p, 24), [1.0])
    assert_allclose(f.autocorrelation(p, 12), [-1.0])
    # gaps are skipped pairwise
    gappy = p.copy()
    gappy[0, ::7] = np.nan
    assert_allclose(f.autocorrelation(gappy, 24), [1.0])


def test_autocorrelation_at_a_week() -> None:
    week = np.repeat(np.tile([3.0, 3, 3, 3, 3, 1, 1], 4), S)
    assert_allclose(f.autocorrelation(rows(week), 168), [1.0])


def test_base_load_step_finds_size_and_day() -> None:
    farm = np.repeat(np.r_[np.full(10, 100.0), np.full(20, 250.0)], S)
    closing = np.repeat(np.r_[np.full(25, 80.0), np.full(5, 0.0)], S)
    size, day = f.base_load_step(rows(farm, closing, np.full(30 * S, 9.0)), S)
    assert_allclose(size[:2], [150.0, -80.0])
    assert_array_equal(day[:2], [10, 25])
    assert size[2] == 0.0


def test_plateau_flatness() -> None:
    alternating = np.tile([1.0, 3.0], 2 * S // 2)
    assert_allclose(f.plateau_flatness(rows(np.full(2 * S, 5.0), alternating), S), [0.0, 0.5])


def test_curtailment_episodes_and_share() -> None:
    p = np.full(100, 100.0)
    p[10:13] = 10.0
    p[50:55] = 0.0
    p[52] = np.nan  # a gap inside an episode does not split it
    episodes, share = f.curtailment_episodes(rows(p, np.full(100, 3.0)), S)
    assert_array_equal(episodes, [2, 0])
    assert_allclose(share, [7 / 99, 0.0])


def test_a_step_up_is_not_curtailment_but_a_drop_is_for_a_while() -> None:
    days = np.r_[np.full(5, 100.0), np.full(5, 400.0), np.full(40, 20.0)]
    low = f.curtailed(rows(np.repeat(days, S)), S, window_days=30)[0].reshape(50, S)
    assert not low[:10].any()  # before and after racks arrived
    assert low[10:39].all()  # 20 kW against the 400 kW of the last 30 days
    assert not low[39:].any()  # a month later, 20 kW is the new normal


def test_curtailment_aligns_with_the_previous_days_hashprice() -> None:
    days = 20
    hashprice = np.linspace(0.3, 0.1, days)
    on = np.r_[True, hashprice[:-1] >= 0.2]  # decided on yesterday's hashprice
    miner = np.repeat(np.where(on, 1000.0, 50.0), S)
    share = f.daily_curtailed_share(rows(miner, np.full(days * S, 10.0)), S)
    assert_allclose(share[0], (~on).astype(float))
    alignment = f.external_alignment(share, hashprice)
    expected = np.corrcoef((~on).astype(float)[1:], hashprice[:-1])[0, 1]
    assert_allclose(alignment[0], expected)
    assert alignment[0] < -0.8
    assert np.isnan(alignment[1])  # never curtailed: no variation
    same_day = f.external_alignment(share, hashprice, lag_days=0)
    assert_allclose(same_day[0], np.corrcoef((~on).astype(float), hashprice)[0, 1])


def test_capacity_ratio() -> None:
    p = rows(np.arange(1.0, 101.0))
    assert_allclose(f.capacity_ratio(p, np.array([200.0])), [np.percentile(p, 95) / 200])


@pytest.mark.parametrize(("slope", "base"), [(2.0, 100.0), (-1.0, 50.0), (0.0, 10.0)])
def test_temperature_sensitivity(slope: float, base: float) -> None:
    temperature = np.linspace(-5, 35, 200)
    p = base + slope * temperature
    assert_allclose(f.temperature_sensitivity(rows(p), temperature), [slope / p.mean()], atol=1e-12)
