"""Network hashrate from difficulty and time."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from hashwatch.energy import hashrate as hr


def test_compact_bits_of_difficulty_one() -> None:
    assert hr.target_from_bits(0x1D00FFFF) == 0xFFFF * 2**208
    assert_allclose(hr.difficulty_from_bits([0x1D00FFFF]), [1.0])


def compact(target: int) -> int:
    """The compact bits of a target that a compact value can represent exactly."""
    size = (target.bit_length() + 7) // 8
    mantissa = target >> (8 * (size - 3))
    if mantissa & 0x00800000:
        mantissa >>= 8
        size += 1
    return (size << 24) | mantissa


def test_compact_bits_round_trip_on_every_checkpoint(shared_energy: Path) -> None:
    entries = json.loads((shared_energy / "electrum_mainnet_checkpoints.json").read_text())
    for _, target in entries:
        assert hr.target_from_bits(compact(int(target))) == int(target)
    # the 3 Jul 2021 retarget (height 689 472): 14 363 025 673 659 (reference §8.2)
    bits = compact(int(entries[689_472 // 2016 - 1][1]))
    assert_allclose(hr.difficulty_from_bits([bits]), [14_363_025_673_659], rtol=1e-12)


def test_coin_metrics_identity() -> None:
    # reference §5: 2009-01-09, 19 blocks at difficulty 1 → 9.44495122962963e-7 TH/s
    start = 1231459200  # 2009-01-09T00:00:00Z
    stamps = start + np.linspace(0, 86_000, 19)
    days, rate, count = hr.daily_hashrate_ths(np.ones(19), stamps)
    assert str(days[0]) == "2009-01-09"
    assert count.tolist() == [19]
    assert_allclose(rate, [9.44495122962963e-7], rtol=1e-14)
    # 2019-06-30: 152 blocks at a mean difficulty of 7 934 713 219 630.61 → 59 954 383.5 TH/s
    _, rate, _ = hr.daily_hashrate_ths(np.full(152, 7_934_713_219_630.61), stamps[:1].repeat(152))
    assert_allclose(rate, [59_954_383.5], rtol=1e-9)


def test_daily_series_has_every_day() -> None:
    stamps = np.array([0, 100, 3 * 86_400 + 5])
    days, rate, count = hr.daily_hashrate_ths(np.ones(3), stamps)
    assert [str(d) for d in days] == ["1970-01-01", "1970-01-02", "1970-01-03", "1970-01-04"]
    assert count.tolist() == [2, 0, 0, 1]
    assert rate[1] == 0.0


def test_window_estimator_is_unbiased() -> None:
    rng = np.random.default_rng(7)
    true_ths = 1e8
    difficulty = 1e13
    mean_interval = difficulty * 2**32 / (true_ths * 1e12)
    n = 6
    estimates = []
    biased = []
    for _ in range(20_000):
        stamps = np.concatenate(([0.0], np.cumsum(rng.exponential(mean_interval, n - 1))))
        estimates.append(hr.window_hashrate_ths(np.full(n, difficulty), stamps))
        biased.append(hr.window_hashrate_ths(np.full(n, difficulty), stamps, unbiased=False))
    # n − 1 = 5 exponential intervals: E[1/Σ] = 1/(4·mean) → the unbiased form is right
    # only up to (n−1)/(n−2); the biased form is n/(n−2) = 1.5 times too high
    assert_allclose(np.mean(estimates), true_ths * 5 / 4, rtol=0.02)
    assert_allclose(np.mean(biased), true_ths * 6 / 4, rtol=0.02)


def test_window_needs_two_blocks() -> None:
    with pytest.raises(ValueError, match="two blocks"):
        hr.window_hashrate_ths(np.ones(1), np.zeros(1))


def test_epoch_hashrate() -> None:
    # 2016 blocks at difficulty D in exactly two weeks: H = 2016·D·2³²/1 209 600 s
    rate = hr.epoch_hashrate_ths(np.array([1e13]), np.array([0.0]), np.array([1_209_600.0]))
    assert_allclose(rate, [2016 * 1e13 * 2**32 / 1_209_600 / 1e12])


def test_electrum_checkpoints(shared_energy: Path) -> None:
    entries = json.loads((shared_energy / "electrum_mainnet_checkpoints.json").read_text())
    difficulty = [hr.difficulty_from_target(int(target)) for _, target in entries]
    # reference §5: entry 15 gives 1.18290 from height 32 256; the 3 Jul 2021 retarget
    assert_allclose(difficulty[15], 1.18290, rtol=1e-5)
    assert_allclose(difficulty[689_472 // 2016 - 1], 14_363_025_673_659, rtol=1e-12)
    assert_allclose(difficulty[-1], 124.93e12, rtol=1e-3)
