"""The public output gives no hidden figure back, not even by arithmetic on what it shows.

The fixture city counted on accepted reports only has two counted facilities (A1 and T2), so
its totals are suppressed; A2 alone reports a renewable share and T2 alone self-generation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hashwatch.assessment.data import Basis
from hashwatch.services.assessment import assess
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from tests.assessment.city import REF, build_city
from tests.factories import settings_for


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    return settings_for(tmp_path)


def _public(db: Database, cfg: Settings, basis: Basis) -> dict[str, Any]:
    build_city(db, cfg)
    return assess(db, REF, settings=cfg, basis=basis, public=True).as_dict()


def test_a_hidden_total_cannot_be_rebuilt_from_the_reporters_ratio(
    db: Database, cfg: Settings
) -> None:
    data = _public(db, cfg, Basis.ACCEPTED)
    assert data["totals"]["mining_electricity_kwh"] is None
    # ratio [kWh/kW] × counted capacity [kW] was exactly the hidden total
    assert data["imputation"]["ratio_kwh_per_kw"] is None
    assert data["imputation"]["ratio_kwh"] is None
    assert data["declared_vs_estimated"]["declared_kwh"] is None


def test_supply_splits_of_one_facility_are_not_published(db: Database, cfg: Settings) -> None:
    data = _public(db, cfg, Basis.SUBMITTED)
    emissions = data["emissions"]
    assert emissions["renewable_mining_kwh"] is None  # A2's alone
    assert emissions["self_generated_mining_kwh"] is None  # T2's alone
    assert emissions["grid_emitting_mining_kwh"] is None  # total − it = the two above
    assert all(row["net_t"] is None for row in emissions["rows"])
    assert all(row["gross_t"] is not None for row in emissions["rows"])  # seven facilities
    assert not any("Self-generated" in note for note in data["notes"])


def test_the_internal_output_keeps_everything(db: Database, cfg: Settings) -> None:
    build_city(db, cfg)
    data = assess(db, REF, settings=cfg, basis=Basis.SUBMITTED).as_dict()
    assert data["emissions"]["self_generated_mining_kwh"] == pytest.approx(10_000)
    assert data["emissions"]["renewable_mining_kwh"] == pytest.approx(50_000)
    assert any("Self-generated" in note for note in data["notes"])
    assert data["imputation"]["ratio_kwh_per_kw"] is not None
