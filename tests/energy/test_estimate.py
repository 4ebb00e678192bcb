"""Facility electricity from equipment or hashrate, with bounds."""

from __future__ import annotations

from datetime import date

import pytest
from numpy.testing import assert_allclose

from hashwatch.energy import estimate as est
from hashwatch.energy.catalogue import lookup
from hashwatch.io.catalogue_files import builtin_catalogue

APRIL = (date(2021, 4, 1), date(2021, 4, 30))


def test_period_hours_include_both_days() -> None:
    assert est.period_hours(*APRIL) == 720.0
    with pytest.raises(ValueError, match="ends before"):
        est.period_hours(date(2021, 4, 2), date(2021, 4, 1))


def test_energy_bounds_multiply_the_factors() -> None:
    lower, best, upper = est.energy_bounds_kwh(1000.0, 10.0)
    assert_allclose(lower, 10.0 * 0.90 * 1.01 * 1.01)
    assert_allclose(best, 10.0 * 0.97 * 1.03 * 1.10)
    assert_allclose(upper, 10.0 * 1.00 * 1.06 * 1.20)
    assert lower < best < upper


def test_500_s19_pro_in_april_2021() -> None:
    s19pro = lookup(builtin_catalogue(), "Antminer S19 Pro")
    result = est.estimate_equipment([(s19pro, 500)], *APRIL)
    assert_allclose(result.rated_power_kw, 1625.0)  # 500 × 3250 W
    assert_allclose(result.energy_best_kwh, 1625.0 * 720 * 0.97 * 1.03 * 1.10)
    assert_allclose(result.power_best_kw, result.energy_best_kwh / 720)
    assert [a.name for a in result.assumptions] == ["uptime", "hardware_overhead", "pue"]
    assert result.lines[0]["catalogue_confidence"] == "high"


def test_hashrate_estimate_matches_the_reference_example() -> None:
    # reference §7.3: 1 EH/s at 30 J/TH is 30 MW before PUE; with uptime 1, overhead 1
    # and PUE 1.10 it is 33 MW, 0.289 TWh a year
    plain = (
        est.Assumption("uptime", 1, 1, 1, "", ""),
        est.Assumption("pue", 1.10, 1.10, 1.10, "", ""),
    )
    result = est.estimate_hashrate(
        1e6, (30.0, 30.0, 30.0), date(2021, 1, 1), date(2021, 12, 31), plain
    )
    assert_allclose(result.power_best_kw, 33_000.0)
    assert_allclose(result.energy_best_kwh / 1e9 * 8766 / 8760, 0.289278, rtol=1e-6)


def test_efficiency_range_of_machines_in_use() -> None:
    best, median, worst = est.efficiency_range_j_per_th(builtin_catalogue(), date(2020, 6, 1))
    assert_allclose(best, 29.5)  # S19 Pro, released 2020-05
    assert best < median < worst
    with pytest.raises(ValueError, match="no SHA-256 machine"):
        est.efficiency_range_j_per_th(builtin_catalogue(), date(2008, 1, 1))
