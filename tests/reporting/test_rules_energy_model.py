"""The equipment and hashrate checks use the energy model's facility estimate and its bounds."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from hashwatch.energy.catalogue import Machine
from hashwatch.energy.estimate import estimate_equipment, estimate_hashrate
from hashwatch.io.catalogue_files import builtin_catalogue
from hashwatch.reporting.rules import RuleSettings
from hashwatch.reporting.rules_capacity import (
    equipment_energy_mismatch,
    hashrate_energy_mismatch,
    sha256_efficiency_j_per_th,
)
from tests.reporting.report_samples import CONTEXT
from tests.reporting.test_rules_boundaries import _report

APRIL = (dt.date(2021, 4, 1), dt.date(2021, 4, 30))
NO_TOLERANCE = RuleSettings(equipment_tolerance_pct=0.0)


def _machine(model: str) -> Machine:
    return next(m for m in builtin_catalogue() if m.model == model)


def test_equipment_bounds_are_the_energy_model_estimate() -> None:
    # far too little declared: the finding carries the estimate of energy.estimate itself
    (found,) = equipment_energy_mismatch(
        _report({"mining_electricity_kwh": 1_000}), CONTEXT, NO_TOLERANCE
    )
    s19, m30s = _machine("Antminer S19 Pro"), _machine("Whatsminer M30S")
    expected = estimate_equipment([(s19, 100), (m30s, 50)], *APRIL)
    assert found.data["estimate_lower_kwh"] == pytest.approx(expected.energy_lower_kwh)
    assert found.data["estimate_best_kwh"] == pytest.approx(expected.energy_best_kwh)
    assert found.data["estimate_upper_kwh"] == pytest.approx(expected.energy_upper_kwh)
    assert found.data["expected_min_kwh"] == pytest.approx(expected.energy_lower_kwh)


def test_known_models_are_rated_from_the_catalogue_unknown_ones_as_declared() -> None:
    # the S19 Pro line declares 1,000 W: the catalogue's 3,250 W is used instead
    low_rating = _report({"equipment.0.rated_power_w": 1_000, "mining_electricity_kwh": 1})
    (found,) = equipment_energy_mismatch(low_rating, CONTEXT, NO_TOLERANCE)
    assert found.data["rated_power_kw"] == pytest.approx(492.2)
    assert found.data["catalogue_lines"] == 2
    # an unknown model keeps its declared rating
    unknown = _report(
        {"equipment.0.model": "Homebrew rig 7", "equipment.0.rated_power_w": 1_000}
        | {"mining_electricity_kwh": 1}
    )
    (found,) = equipment_energy_mismatch(unknown, CONTEXT, NO_TOLERANCE)
    assert found.data["rated_power_kw"] == pytest.approx(100 * 1.0 + 50 * 3.344)
    assert found.data["catalogue_lines"] == 1


def test_the_clean_sample_is_inside_the_bounds_and_a_double_count_is_not() -> None:
    assert equipment_energy_mismatch(_report({}), CONTEXT, RuleSettings()) == []
    doubled = _report({"equipment.0.count": 300})  # 300 S19 Pro for the same electricity
    assert [f.code for f in equipment_energy_mismatch(doubled, CONTEXT, RuleSettings())] == [
        "submission.equipment_energy_mismatch"
    ]


def test_hashrate_efficiency_comes_from_the_declared_machines_first() -> None:
    report = _report({})
    efficiency, basis = sha256_efficiency_j_per_th(report, CONTEXT, RuleSettings(), APRIL[1])
    # 100 × 110 TH/s at 29.5 J/TH and 50 × 88 TH/s at 38 J/TH: fleet (hashrate-weighted) mean
    fleet = (11_000 * 29.5 + 4_400 * 38.0) / 15_400
    assert basis == "declared machines"
    assert efficiency == pytest.approx((29.5, fleet, 38.0))


def test_hashrate_efficiency_falls_back_to_the_catalogue_then_the_settings() -> None:
    no_machines = _report({"equipment": []})
    efficiency, basis = sha256_efficiency_j_per_th(no_machines, CONTEXT, RuleSettings(), APRIL[1])
    assert basis == "catalogue machines in use"
    in_use = [
        m.efficiency_j_per_th
        for m in builtin_catalogue()
        if m.algorithm == "SHA-256"
        and m.release_date is not None
        and dt.date(2016, 4, 28) < m.release_date <= APRIL[1]
    ]
    assert efficiency[0] == min(in_use)
    assert efficiency[2] == max(in_use)
    bare = dataclasses.replace(CONTEXT, catalogue=())
    efficiency, basis = sha256_efficiency_j_per_th(no_machines, bare, RuleSettings(), APRIL[1])
    assert (efficiency, basis) == ((14.0, 87.0, 160.0), "notice settings")


def test_hashrate_bounds_are_the_energy_model_estimate() -> None:
    report = _report({"coins.0.electricity_kwh": 1_000})
    (found,) = hashrate_energy_mismatch(report, CONTEXT, NO_TOLERANCE)
    fleet = (11_000 * 29.5 + 4_400 * 38.0) / 15_400
    expected = estimate_hashrate(15_400, (29.5, fleet, 38.0), *APRIL)
    assert found.data["estimate_lower_kwh"] == pytest.approx(expected.energy_lower_kwh)
    assert found.data["estimate_best_kwh"] == pytest.approx(expected.energy_best_kwh)
    assert found.data["estimate_upper_kwh"] == pytest.approx(expected.energy_upper_kwh)
    assert found.data["efficiency_basis"] == "declared machines"
    assert hashrate_energy_mismatch(_report({}), CONTEXT, RuleSettings()) == []


def test_a_lower_pue_cap_lowers_every_pue_value() -> None:
    settings = RuleSettings(pue_upper=1.05, equipment_tolerance_pct=0.0)
    (found,) = equipment_energy_mismatch(_report({"mining_electricity_kwh": 1}), CONTEXT, settings)
    rated_kwh = 492.2 * 720
    assert found.data["estimate_upper_kwh"] == pytest.approx(rated_kwh * 1.06 * 1.05)
    assert found.data["estimate_best_kwh"] == pytest.approx(rated_kwh * 0.97 * 1.03 * 1.05)
