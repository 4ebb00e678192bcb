"""The block kernel: each feature on series with a closed-form answer; the kernel's contract."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from hashwatch.detection import features as f
from hashwatch.detection import kernel_events as ev
from hashwatch.detection.kernel import FEATURE_NAMES, FEATURE_SCHEMA, features_block, prepare_block
from tests.detection.tables import assert_same

S = 24
MONDAY = dt.date(2021, 1, 4)


def kernel(*series: np.ndarray, **kwargs: object) -> dict[str, list[object]]:
    block = np.vstack([np.asarray(s, dtype=np.float64) for s in series])
    ids = [f"M{i}" for i in range(len(series))]
    table = features_block(ids, block, MONDAY, 60, **kwargs)  # type: ignore[arg-type]
    return table.to_pydict()


def test_prepare_block_drops_impossible_readings_and_fills_gaps() -> None:
    p = np.array([[np.nan, 5.0, -3.0, 7.0, np.nan] + [6.0] * 195, [np.nan] * 200])
    p[0, 100] = 6_000_000.0  # Wh read as kWh
    filled, present = prepare_block(p)
    assert_allclose(filled[0, :6], [5, 5, 5, 7, 7, 6])  # leading gap: first reading
    assert filled[0, 100] == 6.0
    assert_array_equal(present[0, :5], [False, True, False, True, False])
    assert not present[0, 100]
    assert np.isnan(filled[1]).all()
    # runs of gaps at a row's end and the next row's start are filled within their rows
    q = np.array([[1.0, 2.0, np.nan, np.nan], [np.nan, np.nan, 3.0, np.nan]])
    assert_allclose(prepare_block(q)[0], [[1, 2, 2, 2], [3, 3, 3, 3]])
    assert np.isnan(q[0, 2])  # the caller's block is left as it was
    # unless the caller hands it over: then the same result, in place
    in_place, _ = prepare_block(q, overwrite=True)
    assert in_place is q
    assert_allclose(q, [[1, 2, 2, 2], [3, 3, 3, 3]])


def test_spike_shortcut_leaves_only_rows_that_may_hold_a_spike() -> None:
    from hashwatch.detection.kernel import SPIKE_FACTOR, _row_top_percent, _spike_rows

    rng = np.random.default_rng(7)
    p = rng.gamma(4.0, 25.0, size=(6, 400))
    p[1, 50] = 1e9  # a spike
    p[2] = 0.0  # switched off
    p[3] = np.nan  # no readings
    p[4, :396] = 0.0  # on for 1 % of the time: its top-1 % value is its level
    p[5, ::2] = np.nan
    may = _spike_rows(p)
    exact = (p > SPIKE_FACTOR * np.maximum(_row_top_percent(p), 1e-9)[:, None]).any(axis=1)
    assert not (exact & ~may).any()  # never skips a row with a spike
    assert may[1]
    assert not may[0]
    assert not may[5]
    assert not exact[4]


def test_flat_load() -> None:
    out = kernel(np.full(28 * S, 50.0))
    assert out["load_factor"] == [1.0]
    assert out["cv"] == [0.0]
    assert out["daily_cycle_strength"] == [0.0]
    assert out["weekly_cycle_strength"] == [0.0]
    assert out["plateau_flatness"] == [0.0]
    assert out["step_count"] == [0]
    assert out["curtailment_episodes"] == [0]
    assert out["curtailed_share"] == [0.0]
    assert out["readings"] == [28 * S]
    assert out["days"] == [28]
    assert_allclose(out["energy_kwh"], [50.0 * 28 * S])


def test_daily_sine_cycle_and_autocorrelation() -> None:
    j = np.arange(28 * S)
    out = kernel(100 + 50 * np.sin(2 * np.pi * j / S))
    assert_allclose(out["daily_cycle_strength"], [1.0])
    assert_allclose(out["autocorr_24h"], [1.0])
    assert_allclose(out["autocorr_168h"], [1.0])
    assert_allclose(out["load_factor"], [100 / 150])
    assert_allclose(out["cv"], [50 / np.sqrt(2) / 100])


def test_weekly_cycle_and_night_day_ratio() -> None:
    hour = np.arange(28 * S) % S
    weekday = (np.arange(28 * S) // S) % 7  # the block starts on a Monday
    office = np.where((hour >= 9) & (hour < 19), 300.0, 100.0) * np.where(weekday < 5, 1, 0.5)
    out = kernel(office)
    assert_allclose(out["night_day_ratio"], [1 / 3])
    assert_allclose(out["weekly_cycle_strength"], [1.0])


def test_one_step_size_date_and_lasting_share() -> None:
    series = np.repeat([100.0] * 14 + [200.0] * 14, S)
    out = kernel(series)
    assert out["step_count"] == [1]
    assert_allclose(out["largest_step_kw"], [100.0])
    assert_allclose(out["largest_step_share"], [100 / 150])  # median daily level 150
    assert out["largest_step_date"] == [MONDAY + dt.timedelta(days=14)]
    assert_allclose(out["lasting_step_share"], [100 / 150])


def test_a_step_in_the_floor_under_a_daily_cycle() -> None:
    day = np.where((np.arange(S) >= 8) & (np.arange(S) < 18), 300.0, 100.0)  # a day shift
    racks = np.repeat([0.0] * 14 + [20.0] * 14, S)  # 20 kW of rigs from day 14, day and night
    out = kernel(np.tile(day, 28) + racks, np.tile(day, 28))
    mean_before = 100 + 200 * 10 / 24
    assert out["floor_step_count"] == [1, 0]
    assert_allclose(out["floor_step_share"][0], 20 / (mean_before + 10))  # median daily mean
    assert np.isnan(out["floor_step_share"][1])
    assert out["floor_weekly_strength"][1] == 0.0  # the same floor every day


def test_the_floor_of_a_plant_idle_at_weekends_has_a_weekly_cycle() -> None:
    on = np.full(S, 300.0)  # three shifts on working days, 100 kW left on at weekends
    week = np.concatenate([np.tile(on, 5), np.full(2 * S, 100.0)])
    out = kernel(np.tile(week, 4))
    # the weekday explains all the variance of the daily floor (300 on five days, 100 on two)
    assert_allclose(out["floor_weekly_strength"], [1.0])


def test_several_steps_are_counted_and_a_dip_that_recovers_does_not_last() -> None:
    rising = np.repeat([100.0] * 14 + [300.0] * 14 + [250.0] * 14, S)
    dip = np.repeat([100.0] * 14 + [40.0] * 7 + [100.0] * 14, S)
    out = kernel(rising, np.concatenate([dip, np.full(7 * S, 100.0)]))
    assert out["step_count"][0] == 2
    assert_allclose(out["largest_step_kw"][0], 200.0)
    assert out["largest_step_date"][0] == MONDAY + dt.timedelta(days=14)
    assert ev.step_list(np.repeat([100.0, 300.0, 250.0], 14)) == [(14, 200.0), (28, -50.0)]
    assert out["step_count"][1] == 2  # down and up again
    assert abs(out["lasting_step_share"][1]) < 0.25  # mostly recovered


def test_days_switched_off_have_no_plateau() -> None:
    stopped = np.repeat([100.0] * 20 + [0.0] * 8, S)
    stopped[: 20 * S][np.arange(20 * S) % S == 3] = 110.0  # one hour a day at +10 %
    out = kernel(stopped)
    day = np.r_[np.full(23, 100.0), 110.0]
    assert_allclose(out["plateau_flatness"], [day.std() / day.mean()])
    assert out["step_count"] == [1]
    assert out["curtailment_episodes"] == [1]


def test_a_step_in_the_first_week_is_found_on_its_day() -> None:
    assert ev.step_list(np.repeat([100.0, 200.0], [3, 25])) == [(3, 100.0)]
    assert ev.step_list(np.repeat([100.0, 40.0], [24, 4])) == [(24, -60.0)]
    # closer to the end than three days: found at day 3 with part of its size
    assert_allclose(ev.step_list(np.repeat([100.0, 200.0], [2, 26])), [(3, 100 * 2 / 3)])


def test_a_ramp_is_not_a_step() -> None:
    ramp = np.repeat(np.linspace(100, 130, 60), S)
    assert kernel(ramp)["step_count"] == [0]


def test_curtailment_episode_and_share() -> None:
    p = np.full(28 * S, 100.0)
    p[20 * S : 20 * S + 12] = 10.0  # twelve hours off on day 20
    p[25 * S + 3] = np.nan  # a gap changes nothing
    out = kernel(p)
    assert out["curtailment_episodes"] == [1]
    assert_allclose(out["curtailed_share"], [12 / (28 * S - 1)])


def test_external_alignment_is_minus_one_for_a_perfect_hashprice_response() -> None:
    rng = np.random.default_rng(3)
    days = 40
    price = rng.integers(0, 11, days).astype(float)
    off_hours = np.concatenate([[6], 12 - price[:-1]]).astype(int)  # reacts a day later
    p = np.concatenate([np.where(np.arange(S) < h, 0.0, 100.0) for h in off_hours])
    out = kernel(p, external=price)
    assert_allclose(out["external_alignment"], [-1.0])
    assert out["external_alignment_z"][0] < -10
    assert np.isnan(kernel(p)["external_alignment"][0])


def test_floor_alignment_finds_racks_that_follow_hashprice_inside_a_weekly_load() -> None:
    """A plant with a lower floor at weekends and a day shift whose output varies, with
    racks that run in proportion to the day before's hashprice: the floor, compared week on
    week, follows the price exactly (day on day it would not: the weekends; the daily mean
    would not: the shift's output); the same plant without racks does not follow it."""
    rng = np.random.default_rng(11)
    days = 70
    price = 50 + rng.normal(0, 5, days).cumsum()
    output = 1 + 0.3 * rng.random(days)
    hour = np.arange(S)
    plant = np.array([np.where((hour >= 8) & (hour < 18), 900.0 * output[d], 100.0) if d % 7 < 5
                      else np.full(S, 20.0) for d in range(days)])  # fmt: skip
    racks = np.concatenate([[price[0]], price[:-1]]) * 4.0  # kW, a day after the price
    out = kernel((plant + racks[:, None]).reshape(-1), plant.reshape(-1), external=price)
    assert_allclose(out["floor_alignment"][0], 1.0)
    # 62 week-on-week pairs (the first lagged price is unknown), counted as 62 / 7 weeks
    assert_allclose(out["floor_alignment_z"][0], np.arctanh(0.999999) * np.sqrt(62 / 7 - 3))
    assert np.isnan(out["floor_alignment"][1])  # a floor that never changes week on week
    assert np.isnan(kernel(plant.reshape(-1))["floor_alignment_z"][0])  # no external series
    short = kernel((plant + racks[:, None])[:29].reshape(-1), external=price[:29])
    assert np.isnan(short["floor_alignment_z"][0])  # 21 pairs: three weeks, too few


def test_floor_alignment_z_counts_week_on_week_pairs_in_whole_weeks() -> None:
    share = np.random.default_rng(12).normal(0, 1, (1, 50))
    price = np.random.default_rng(13).normal(0, 1, 50)
    r, z = ev.external_alignment(share, price, lag_days=0, period_days=7)
    assert_allclose(z, np.arctanh(r) * np.sqrt(43 / 7 - 3))
    r1, z1 = ev.external_alignment(share, price, lag_days=0)
    assert_allclose(z1, np.arctanh(r1) * np.sqrt(49 - 3))


def test_peak_response_of_a_meter_halving_at_grid_peaks() -> None:
    days = 28
    peak_day = np.zeros(days, dtype=bool)
    peak_day[[3, 10, 17]] = True
    hour = np.arange(S)
    peak_hours = ((hour >= 10) & (hour < 15)) | ((hour >= 18) & (hour < 21))
    p = np.tile(np.full(S, 80.0), (days, 1))
    p[np.ix_(peak_day, peak_hours)] = 40.0
    flat = np.full(days * S, 80.0)
    out = kernel(p.reshape(-1), flat, grid_peak_day=peak_day)
    assert_allclose(out["peak_response"], [0.5, 0.0])


def test_capacity_ratio_and_temperature_sensitivity() -> None:
    n = 28 * S
    temperature = 10 + 8 * np.sin(np.arange(n) / 50)
    p = 100 + 2 * temperature
    out = kernel(
        np.full(n, 80.0), p, capacity_kw=np.array([100.0, np.nan]), temperature=temperature
    )
    assert_allclose(out["capacity_ratio"][0], 0.8)
    assert np.isnan(out["capacity_ratio"][1])
    assert_allclose(out["temperature_sensitivity"][1], 2 / p.mean())
    assert_allclose(out["temperature_sensitivity"][0], 0.0, atol=1e-12)


def test_kernel_agrees_with_the_single_feature_functions_without_gaps() -> None:
    rng = np.random.default_rng(8)
    p = 100 + rng.gamma(2, 10, (5, 35 * S))
    out = kernel(*p)
    assert_allclose(out["load_factor"], f.load_factor(p))
    assert_allclose(out["cv"], f.coefficient_of_variation(p))
    assert_allclose(out["daily_energy_cv"], f.daily_energy_cv(p, S))
    assert_allclose(out["night_day_ratio"], f.night_day_ratio(p, S))
    assert_allclose(out["daily_cycle_strength"], f.daily_cycle_strength(p, S))
    assert_allclose(out["weekly_cycle_strength"], f.weekly_cycle_strength(p, S, 0))
    assert_allclose(out["autocorr_24h"], f.autocorrelation(p, S))
    assert_allclose(out["autocorr_168h"], f.autocorrelation(p, 7 * S))
    assert_allclose(out["plateau_flatness"], f.plateau_flatness(p, S))
    share = f.curtailment_episodes(p, S)[1]
    assert_allclose(out["curtailed_share"], share)


def test_contract_schema_determinism_and_independence_of_the_block() -> None:
    rng = np.random.default_rng(1)
    p = 50 + rng.normal(0, 5, (6, 30 * S))
    p[2, 100:140] = np.nan
    ids = [f"M{i}" for i in range(6)]
    whole = features_block(ids, p, MONDAY, 60)
    assert whole.schema == FEATURE_SCHEMA
    assert whole.column_names == ["meter_id", *FEATURE_NAMES]
    assert_same(whole, features_block(ids, p.copy(), MONDAY, 60))
    parts = pa.concat_tables(
        [features_block(ids[:2], p[:2], MONDAY, 60), features_block(ids[2:], p[2:], MONDAY, 60)]
    )
    assert_same(parts, whole)


def test_less_than_a_day_gives_no_day_features() -> None:
    out = kernel(np.full(10, 5.0), np.linspace(1, 2, 10))
    assert out["days"] == [0, 0]
    for name in ("daily_cycle_strength", "plateau_flatness", "daily_energy_cv"):
        assert np.isnan(out[name]).all(), name
    assert out["load_factor"][0] == 1.0


def test_contract_errors() -> None:
    with pytest.raises(ValueError, match="meter ids"):
        features_block(["a"], np.ones((2, 48)), MONDAY, 60)
    with pytest.raises(ValueError, match="divide a day"):
        features_block(["a"], np.ones((1, 48)), MONDAY, 7)
    with pytest.raises(ValueError, match="temperature"):
        features_block(["a"], np.ones((1, 48)), MONDAY, 60, temperature=np.ones(3))


def test_a_flat_load_has_no_lag_correlation_whatever_its_rounding() -> None:
    """Constant loads (the sums of the two lag windows differ only by rounding) give NaN,
    never a value outside [−1, 1]; a load with a little noise gives a correlation."""
    levels = np.random.default_rng(5).uniform(0.1, 5000.0, 200)
    for days in (28, 84):
        flat = kernel(*[np.full(days * S, level) for level in levels])
        assert np.isnan(flat["autocorr_24h"]).all()
        assert np.isnan(flat["autocorr_168h"]).all()
    noise = np.random.default_rng(6).normal(0.0, 0.1, (3, 28 * S))  # CV 0.001
    noisy = kernel(*(100.0 + noise))
    assert np.abs(noisy["autocorr_24h"]).max() <= 1.0
    assert not np.isnan(noisy["autocorr_168h"]).any()


@pytest.mark.parametrize("days", [84, 380])  # 380 days: rows longer than numpy's buffer
def test_a_meters_features_do_not_depend_on_the_other_meters_in_its_block(days: int) -> None:
    """Every input used (temperature, external series, grid peaks, capacity), blocks of
    different sizes and places: the same bits for each meter. Numpy adds in an order that
    can depend on a row's place in the block (see ``detection/rows.py``)."""
    rng = np.random.default_rng(days)
    n = days * S
    t = np.arange(n)
    base = rng.uniform(50, 500, (7, 1)) * (1 + 0.3 * np.sin(2 * np.pi * t / S))
    block = base + rng.normal(0, 5, (7, n))
    block[2] = 300.0  # a flat meter
    block[3, 400:700] = np.nan  # a gap
    inputs = {
        "external": rng.normal(0, 1, days + 1).cumsum(),
        "grid_peak_day": rng.random(days + 1) < 0.2,
        "temperature": 15 + 10 * np.sin(2 * np.pi * t / (365 * S)) + rng.normal(0, 1, n),
    }
    capacity = rng.uniform(400, 900, 7)
    ids = [f"M{i}" for i in range(7)]

    def features(rows: slice) -> pa.Table:
        return features_block(ids[rows], block[rows], MONDAY, 60, capacity_kw=capacity[rows],
                              **inputs)  # type: ignore[arg-type]  # fmt: skip

    whole = features(slice(0, 7))
    for i in range(7):
        assert_same(features(slice(i, i + 1)), whole.slice(i, 1))
    assert_same(features(slice(2, 5)), whole.slice(2, 3))


def test_counts_per_day_of_many_intervals_a_day() -> None:
    """Byte sums would overflow beyond 255 intervals a day (1-minute data): counted in full."""
    mask = np.random.default_rng(7).random((3, 4, 1440)) < 0.9
    assert_array_equal(ev._count_per_day(mask), mask.sum(axis=2))
    assert_array_equal(ev._count_per_day(mask[:, :, :96]), mask[:, :, :96].sum(axis=2))
