"""The labelled synthetic meter generator: calendar, series, profiles, defects, determinism."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from hashwatch.detection import synthetic_profiles as profiles
from hashwatch.detection.synthetic import (
    NO_DEFECTS,
    DefectRates,
    generate_batch,
    iter_batches,
    plan_city,
    plan_meters,
)
from hashwatch.detection.synthetic_series import shared_series, time_axis


def test_time_axis_starts_at_beijing_midnight_and_knows_holidays() -> None:
    axis = time_axis(days=3, interval_minutes=15)
    assert axis.intervals == 3 * 96
    first = dt.datetime.fromtimestamp(int(axis.start_utc_s[0]), dt.UTC)
    assert first == dt.datetime(2020, 12, 31, 16, tzinfo=dt.UTC)  # 2021-01-01 00:00 +08:00
    assert_array_equal(np.diff(axis.start_utc_s), 900)
    assert_allclose(axis.local_hour[:2], [0.125, 0.375])  # interval middles
    assert_array_equal(axis.day_index[[0, 95, 96]], [0, 0, 1])
    # 1 January 2021 was a Friday and a public holiday; the 2nd and 3rd a weekend
    assert axis.weekday.tolist() == [4, 5, 6]
    assert axis.is_workday.tolist() == [False, False, False]
    assert time_axis(5, 60).is_workday.tolist() == [False, False, False, True, True]


def test_time_axis_refuses_other_intervals() -> None:
    with pytest.raises(ValueError, match="interval_minutes"):
        time_axis(1, 20)


def test_temperature_follows_the_beijing_seasons() -> None:
    series = shared_series(seed=1, days=365, interval_minutes=60)
    t = series.temperature_c.reshape(365, 24)
    january, july = t[:31].mean(), t[181:212].mean()
    assert -8 < january < 2
    assert 22 < july < 32
    # the afternoon is warmer than the small hours, on average
    assert t[:, 14:16].mean() - t[:, 3:5].mean() > 6


def test_hashprice_and_peak_days_are_daily_and_plausible() -> None:
    series = shared_series(seed=4, days=120, interval_minutes=30)
    price = series.hashprice_usd_per_th_day
    assert price.shape == (120,)
    assert np.all(price > 0.02)
    assert np.all(price < 2.5)
    assert series.grid_peak_day.shape == (120,)
    assert series.grid_peak_interval.sum() <= series.peak_hours.sum()


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    a = generate_batch(plan_city(7, 40, 10), 0, 40)
    b = generate_batch(plan_city(7, 40, 10), 0, 40)
    c = generate_batch(plan_city(8, 40, 10), 0, 40)
    assert_array_equal(a.energy_kwh, b.energy_kwh)
    assert_array_equal(a.labels.profile_class, b.labels.profile_class)
    assert a.energy_kwh.size != c.energy_kwh.size or not np.array_equal(a.energy_kwh, c.energy_kwh)


def test_batches_cover_every_meter_once_in_order() -> None:
    plan = plan_city(2, 25, 3)
    batches = list(iter_batches(plan, batch_meters=10))
    ids = np.concatenate([b.meter_id for b in batches])
    assert ids.tolist() == [f"M{i:06d}" for i in range(25)]
    again = generate_batch(plan, 10, 20)
    assert_array_equal(again.energy_kwh, batches[1].energy_kwh)


def test_class_mix_and_labels() -> None:
    plan = plan_city(3, 200, 14, defects=NO_DEFECTS)
    classes, counts = np.unique(plan.profile_class, return_counts=True)
    assert dict(zip(classes.tolist(), counts.tolist(), strict=True)) == {
        "datacenter": 70,
        "office": 30,
        "factory": 40,
        "residential": 20,
        "mining_farm": 20,
        "mining_in_datacenter": 10,
        "mining_in_factory": 10,
    }
    labels = generate_batch(plan, 0, 200).labels
    farm = labels.profile_class == "mining_farm"
    hidden = np.char.startswith(labels.profile_class, "mining_in_")
    assert labels.is_mining.tolist() == (farm | hidden).tolist()
    assert_allclose(labels.mining_share[farm], 1.0)
    assert np.all((labels.mining_share[hidden] > 0.049) & (labels.mining_share[hidden] < 0.51))
    assert_allclose(labels.mining_share[~labels.is_mining], 0.0)
    assert np.all(labels.contracted_capacity_kw > 0)


def test_without_defects_every_reading_is_there_once_and_non_negative() -> None:
    plan = plan_city(5, 30, 7, interval_minutes=30, defects=NO_DEFECTS)
    batch = generate_batch(plan, 0, 30)
    assert batch.rows == 30 * 7 * 48
    assert np.all(batch.energy_kwh >= 0)
    # recorded to 0.01 kWh
    assert_allclose(batch.energy_kwh * 100, np.round(batch.energy_kwh * 100), atol=1e-6)


def test_given_meters_keep_their_ids_classes_and_mean_power() -> None:
    classes = ["datacenter", "mining_farm", "mining_in_datacenter", "office"]
    ids = ["M-A-1", "M-A-2", "M-B-1", "M-C-1"]
    mean_kw = [250.0, 1200.0, 80.0, float("nan")]  # NaN: as the profile draws it
    plan = plan_meters(9, classes, 14, meter_id=ids, mean_power_kw=mean_kw, defects=NO_DEFECTS)
    batch = generate_batch(plan, 0, 4)
    assert batch.meter_id.tolist() == ids
    assert batch.labels.profile_class.tolist() == classes
    hours = 14 * 24
    energy = np.bincount(batch.meter_index, weights=batch.energy_kwh, minlength=4)
    # the clean load is scaled to the mean; noise (1-3 %) and rounding stay around it
    assert_allclose(energy[:3] / hours, mean_kw[:3], rtol=0.01)
    unscaled = generate_batch(plan_meters(9, classes, 14, defects=NO_DEFECTS), 0, 4)
    assert_array_equal(batch.energy_kwh[batch.meter_index == 3],
                       unscaled.energy_kwh[unscaled.meter_index == 3])  # fmt: skip
    assert unscaled.meter_id.tolist() == ["M000000", "M000001", "M000002", "M000003"]
    with pytest.raises(ValueError, match="3 values of meter_id for 4 meters"):
        plan_meters(9, classes, 14, meter_id=ids[:3])
    with pytest.raises(ValueError, match="known classes"):
        plan_meters(9, ["bakery"], 14)
    for bad in (-1.0, float("inf")):
        with pytest.raises(ValueError, match="finite and not negative"):
            plan_meters(9, classes, 14, mean_power_kw=[1.0, 2.0, 3.0, bad])


def test_defects_happen_at_their_documented_rates() -> None:
    rates = DefectRates(
        missing_reading=0.01,
        meter_with_gaps=0.0,
        duplicate_row=0.02,
        meter_reset=1.0,
        wh_spike=0.0,
    )
    plan = plan_city(6, 100, 30, defects=rates)
    batch = generate_batch(plan, 0, 100)
    full = 100 * 30 * 24
    keys = batch.meter_index * 10_000 + batch.interval_index
    unique = np.unique(keys).size
    assert 0.985 * full < unique < 0.995 * full  # about 1 % lost
    assert 0.015 < (batch.rows - unique) / unique < 0.025  # about 2 % sent twice
    # every meter resets once: one large negative reading each (some may be lost)
    negatives = np.unique(batch.meter_index[batch.energy_kwh < 0])
    assert 90 <= negatives.size <= 100


def _clean(name: str, n: int, days: int = 28) -> tuple[np.ndarray, np.ndarray]:
    series = shared_series(seed=11, days=days, interval_minutes=60)
    rng = np.random.default_rng(0)
    block = getattr(profiles, name)(rng, n, series)
    return block.power_kw, series.axis.local_hour


@pytest.mark.parametrize(("name", "low", "high"), [("office", 1.6, 5), ("residential", 0.5, 1.3)])
def test_buildings_have_a_daily_cycle(name: str, low: float, high: float) -> None:
    power, hour = _clean(name, 50)
    day = power[:, (hour > 10) & (hour < 17)].mean(axis=1)
    night = power[:, hour < 5].mean(axis=1)
    assert low < np.median(day / night) < high


def test_datacenters_are_flat_and_mining_farms_flat_between_events() -> None:
    power, hour = _clean("datacenter", 50)
    cv = power.std(axis=1) / power.mean(axis=1)
    assert np.median(cv) < 0.08
    farms, hour = _clean("mining_farm", 50)
    day_night = farms[:, (hour > 1) & (hour < 5)].mean(axis=1) / farms.mean(axis=1)
    assert 0.85 < np.median(day_night) < 1.15


def test_hidden_mining_adds_a_farm_of_the_drawn_share() -> None:
    series = shared_series(seed=2, days=20, interval_minutes=60)
    block, share = profiles.hidden_mining(np.random.default_rng(1), 30, series, "datacenter")
    assert block.power_kw.shape == (30, 20 * 24)
    assert np.all((share >= 0.05 - 1e-9) & (share <= 0.5 + 1e-9))


def test_generation_is_fast_enough() -> None:
    """The issue's yardstick, scaled down: 500 meters x 90 days hourly in well under a second."""
    import time

    plan = plan_city(1, 500, 90)
    started = time.perf_counter()
    rows = sum(b.rows for b in iter_batches(plan))
    assert rows > 500 * 90 * 24 * 0.98
    assert time.perf_counter() - started < 3.0
