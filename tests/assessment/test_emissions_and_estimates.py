from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from hashwatch.assessment.data import (
    CoinRecord,
    EquipmentRecord,
    FacilityRecord,
    NoticeFigures,
    Standing,
)
from hashwatch.assessment.declared_vs_estimated import (
    active_hours,
    check_facility,
    declared_vs_estimated,
)
from hashwatch.assessment.emissions import co2_t, emitting_share, mining_emissions
from hashwatch.assessment.factors import ChosenFactor, EmissionFactor
from hashwatch.assessment.trend import trend
from hashwatch.io.catalogue_files import builtin_catalogue

APRIL = (dt.date(2021, 4, 1), dt.date(2021, 4, 30))
LOWER, BEST, UPPER = 0.90 * 1.01 * 1.01, 0.97 * 1.03 * 1.10, 1.00 * 1.06 * 1.20


def miner(**changes: object) -> FacilityRecord:
    base = FacilityRecord(
        facility_code="M",
        facility_name="M",
        organization_uscc="U",
        organization_name="Org",
        organization_kind="colocation",
        district_code="110108",
        rated_it_capacity_kw=1000.0,
        contracted_grid_capacity_kw=None,
        standing=Standing.ACCEPTED,
        counted=True,
        version=1,
        involved_in_mining=True,
        facility_electricity_kwh=500_000.0,
        mining_electricity_kwh=100_000.0,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_emitting_share() -> None:
    assert emitting_share(500, None, None) == 1.0
    assert emitting_share(500, None, 30) == pytest.approx(0.7)
    # self-generation 20 %, renewable 50 %: the larger is taken out, never the sum
    assert emitting_share(500, 100, 50) == pytest.approx(0.5)
    assert emitting_share(500, 400, 50) == pytest.approx(0.2)
    assert emitting_share(500, 900, None) == 0.0  # more than the total: all self-generated
    assert emitting_share(500, None, 150) == 0.0  # a share above 100 % is clipped
    assert emitting_share(0, 100, None) == 1.0  # no total: the share is unknown


def test_mining_emissions_at_each_factor() -> None:
    factor = EmissionFactor("regional", "North China", 2021, 0.8, None, "src", True)
    records = [
        miner(renewable_share_pct=25.0),
        miner(facility_code="U", counted=False),  # not counted: left out
    ]
    found = mining_emissions(records, [ChosenFactor(factor, 2021)], imputed_upper_kwh=10_000)
    (row,) = found.rows
    # 100,000 kWh × 0.8 kg/kWh = 80 t gross; 75 % emitting = 60 t net; imputed 8 t apart
    assert row.gross_t == pytest.approx(80)
    assert row.net_t == pytest.approx(60)
    assert row.imputed_upper_t == pytest.approx(8)
    assert found.renewable_mining_kwh == pytest.approx(25_000)
    assert co2_t(1_000, 0.5) == 0.5


def test_active_hours_clip_the_period() -> None:
    assert active_hours(*APRIL, None, None) == 720
    assert active_hours(*APRIL, dt.date(2021, 4, 21), None) == 240  # 21st–30th
    assert active_hours(*APRIL, None, dt.date(2021, 4, 11)) == 240  # 1st–10th
    assert active_hours(*APRIL, dt.date(2021, 5, 1), None) == 0
    assert active_hours(*APRIL, dt.date(2020, 1, 1), dt.date(2022, 1, 1)) == 720


def test_hashrate_only_uses_the_catalogue_range() -> None:
    catalogue = builtin_catalogue()
    record = miner(coins=(CoinRecord("BTC", "SHA-256", 1_000.0, 100_000.0),))
    check = check_facility(record, *APRIL, catalogue)
    assert check is not None
    assert check.basis == "hashrate"
    # 1,000 TH/s × ε [J/TH] × 720 h / 1000 × factors, ε the catalogue's range on 2021-04-01
    best_eff = check.best_kwh / (1_000 * 720 / 1000 * BEST)
    worst_eff = check.upper_kwh / (1_000 * 720 / 1000 * UPPER)
    assert 15 < best_eff < worst_eff < 200


def test_equipment_and_hashrate_give_the_envelope() -> None:
    catalogue = builtin_catalogue()
    # 100 × S19 Pro (3,250 W, 29.5 J/TH); hashrate 11,000 TH/s × 29.5 J/TH = 324,500 W
    record = miner(
        equipment=(EquipmentRecord("S19Pro", 100, 3250.0),),
        coins=(CoinRecord("BTC", "SHA-256", 11_000.0, 100_000.0),),
    )
    check = check_facility(record, *APRIL, catalogue)
    assert check is not None
    assert check.basis == "equipment+hashrate"
    assert check.lower_kwh == pytest.approx(324_500 * 720 / 1000 * LOWER)
    assert check.upper_kwh == pytest.approx(325_000 * 720 / 1000 * UPPER)
    assert check.best_kwh == pytest.approx(325_000 * 720 / 1000 * BEST)  # equipment's


def test_below_the_bounds_and_an_unknown_model() -> None:
    # 10 machines the catalogue does not know, at their declared 2,000 W: 20 kW × 720 h =
    # 14,400 kWh rated → lower 13,220.5 kWh; declared 1,000 kWh is below by 12,220.5 kWh
    record = miner(
        mining_electricity_kwh=1_000.0, equipment=(EquipmentRecord("Homebrew X1", 10, 2000.0),)
    )
    check = check_facility(record, *APRIL, builtin_catalogue())
    assert check is not None
    assert check.unmatched_lines == 1
    assert check.status == "below"
    assert check.gap_kwh == pytest.approx(1_000 - 14_400 * LOWER)
    assert check.gap_pct == pytest.approx(100 * (1_000 - 14_400 * LOWER) / (14_400 * LOWER))


def test_nothing_to_estimate_from() -> None:
    records = [miner(), miner(facility_code="N", involved_in_mining=False, counted=True)]
    found = declared_vs_estimated(records, *APRIL, builtin_catalogue())
    assert found.facilities == ()
    assert found.not_estimated == ("M",)
    assert found.declared_kwh == 0.0


def figures(ref: str, start: dt.date, end: dt.date, mining_kwh: float) -> NoticeFigures:
    return NoticeFigures(ref, start, end, 10, 8, 3, 1_000_000.0, mining_kwh)


def test_trend_compares_daily_means() -> None:
    points = trend(
        [
            figures("B", dt.date(2021, 5, 1), dt.date(2021, 5, 31), 31_000),  # 1,000 a day
            figures("A", *APRIL, 60_000),  # 2,000 a day
            figures("C", dt.date(2021, 6, 1), dt.date(2021, 6, 30), 0),
            figures("D", dt.date(2021, 7, 1), dt.date(2021, 7, 31), 3_100),
        ],
        current_ref="B",
    )
    assert [p.ref for p in points] == ["A", "B", "C", "D"]
    assert [p.change_pct for p in points] == [None, pytest.approx(-50), -100, None]
    assert [p.current for p in points] == [False, True, False, False]
    assert points[0].reporting_rate_pct == 80.0


def test_a_sha256_hashrate_is_not_compared_with_other_coins_electricity() -> None:
    # BTC with a hashrate and ETH without machines: the hashrate estimate covers BTC only,
    # the declared mining electricity both, so the facility is not estimated (not "above")
    record = miner(
        coins=(
            CoinRecord("BTC", "SHA-256", 1_000.0, 100_000.0),
            CoinRecord("ETH", "Ethash", None, 400_000.0),
        ),
    )
    assert check_facility(record, *APRIL, builtin_catalogue()) is None
    found = declared_vs_estimated([record], *APRIL, builtin_catalogue())
    assert found.not_estimated == (record.facility_code,)
