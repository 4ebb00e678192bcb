from __future__ import annotations

import datetime as dt

import pytest

from hashwatch.assessment.aggregates import (
    coverage,
    declared_totals,
    impute_unknown,
    max_mining_kwh,
    share_pct,
)
from hashwatch.assessment.data import Basis, FacilityRecord, Standing, is_counted
from hashwatch.assessment.factors import (
    EmissionFactor,
    JurisdictionElectricity,
    choose_factors,
    period_electricity_kwh,
)


def record(
    code: str,
    standing: Standing,
    *,
    it_kw: float | None = 1000.0,
    grid_kw: float | None = None,
    facility_kwh: float | None = None,
    mining_kwh: float | None = None,
) -> FacilityRecord:
    reported = standing is not Standing.NO_REPORT
    return FacilityRecord(
        facility_code=code,
        facility_name=code,
        organization_uscc="U",
        organization_name="Org",
        organization_kind="colocation",
        district_code="110108",
        rated_it_capacity_kw=it_kw,
        contracted_grid_capacity_kw=grid_kw,
        standing=standing,
        counted=is_counted(standing, Basis.SUBMITTED),
        version=1 if reported else None,
        involved_in_mining=(mining_kwh is not None) if reported else None,
        facility_electricity_kwh=facility_kwh,
        mining_electricity_kwh=mining_kwh,
    )


def test_which_reports_count() -> None:
    assert is_counted(Standing.ACCEPTED, Basis.ACCEPTED)
    assert is_counted(Standing.AWAITING_REVIEW, Basis.SUBMITTED)
    assert not is_counted(Standing.AWAITING_REVIEW, Basis.ACCEPTED)
    assert not is_counted(Standing.RETURNED, Basis.SUBMITTED)
    assert not is_counted(Standing.NO_REPORT, Basis.SUBMITTED)


def test_max_mining_kwh_takes_the_tighter_capacity() -> None:
    # 24 h: IT 100 kW × 1.2 = 2,880 kWh; grid 100 kW = 2,400 kWh
    assert max_mining_kwh(100, 100, 24) == (2_400.0, "contracted_grid_capacity_kw")
    assert max_mining_kwh(100, 500, 24) == (100 * 1.2 * 24, "rated_it_capacity_kw")
    assert max_mining_kwh(None, 500, 24) == (12_000.0, "contracted_grid_capacity_kw")
    assert max_mining_kwh(None, None, 24) == (None, None)


def test_a_non_responder_gets_an_imputed_range_kept_out_of_the_totals() -> None:
    records = [
        record("R", Standing.ACCEPTED, it_kw=1000, facility_kwh=500_000, mining_kwh=100_000),
        record("N", Standing.NO_REPORT, it_kw=500),
    ]
    imputation = impute_unknown(records, hours=100)
    (only,) = imputation.facilities
    assert only.facility_code == "N"
    assert only.lower_kwh == 0.0
    assert only.upper_kwh == pytest.approx(500 * 1.2 * 100)  # 60,000 kWh
    # ratio: 100,000 kWh / 1,000 kW = 100 kWh/kW → 50,000 kWh for 500 kW
    assert only.ratio_kwh == pytest.approx(50_000)
    assert declared_totals(records).mining_electricity_kwh == 100_000


def test_facilities_that_report_get_no_imputation() -> None:
    records = [
        record("R", Standing.ACCEPTED, facility_kwh=500_000, mining_kwh=100_000),
        record("S", Standing.AWAITING_REVIEW, facility_kwh=200_000),
    ]
    imputation = impute_unknown(records, hours=100)
    assert imputation.facilities == ()
    assert (imputation.unknown, imputation.upper_kwh, imputation.lower_kwh) == (0, 0.0, 0.0)
    assert imputation.ratio_kwh == 0.0


def test_the_ratio_is_capped_by_the_upper_bound() -> None:
    # the reporting facility used 900 kWh per kW in 100 h; the non-responder's upper bound
    # (grid 100 kW × 100 h = 10,000 kWh) caps its 90,000 kWh ratio estimate
    records = [
        record("R", Standing.ACCEPTED, it_kw=100, facility_kwh=90_000, mining_kwh=90_000),
        record("N", Standing.RETURNED, it_kw=100, grid_kw=100),
    ]
    (only,) = impute_unknown(records, hours=100).facilities
    assert only.standing is Standing.RETURNED
    assert only.ratio_kwh == pytest.approx(10_000) == only.upper_kwh


def test_no_ratio_without_counted_capacity() -> None:
    records = [record("N", Standing.NO_REPORT, it_kw=None, grid_kw=200)]
    imputation = impute_unknown(records, hours=10)
    assert imputation.ratio_kwh_per_kw is None
    assert imputation.ratio_kwh is None
    assert imputation.upper_kwh == pytest.approx(2_000)


def test_coverage_without_any_capacity() -> None:
    found = coverage([record("N", Standing.NO_REPORT, it_kw=None)])
    assert found.capacity_coverage_pct is None
    assert found.facility_coverage_pct == 0.0
    assert found.recipients_without_capacity == 1
    assert coverage([]).facility_coverage_pct is None


def test_a_nil_return_declares_zero() -> None:
    totals = declared_totals([record("Z", Standing.ACCEPTED, facility_kwh=1_000)])
    assert (totals.mining_electricity_kwh, totals.mining_share_pct) == (0.0, 0.0)
    assert totals.mining_codes == frozenset()
    assert totals.reporting_codes == {"Z"}


def test_share_pct() -> None:
    assert share_pct(1, 4) == 25.0
    assert share_pct(1, 0) is None
    assert share_pct(None, 4) is None


TABLE = [
    JurisdictionElectricity("Beijing", 2020, 366e8, "yearbook 2021"),
    JurisdictionElectricity("Beijing", 2021, 365e8, "yearbook 2022"),
]


def test_period_electricity_across_years() -> None:
    # 2020-12-17 … 2021-01-15: 15 days of leap 2020 (366e8 / 366 = 1e8 a day) and 15 of
    # 2021 (365e8 / 365 = 1e8 a day) = 30e8 kWh
    found = period_electricity_kwh(TABLE, "beijing", dt.date(2020, 12, 17), dt.date(2021, 1, 15))
    assert found.electricity_kwh == pytest.approx(30e8)
    assert found.years == (2020, 2021)
    assert found.sources == ("yearbook 2021", "yearbook 2022")


def test_period_electricity_never_takes_another_year() -> None:
    found = period_electricity_kwh(TABLE, "Beijing", dt.date(2023, 4, 1), dt.date(2023, 4, 30))
    assert found.electricity_kwh is None
    assert "2023" in found.note
    assert "nearest year in the table is 2021" in found.note
    other = period_electricity_kwh(TABLE, "Tianjin", dt.date(2021, 4, 1), dt.date(2021, 4, 30))
    assert other.electricity_kwh is None


def factor(level: str, region: str, year: int, value: float) -> EmissionFactor:
    return EmissionFactor(level, region, year, value, None, f"src-{year}", True)


def test_choose_factors_takes_the_newest_vintage_up_to_the_period() -> None:
    table = [
        factor("national", "China", 2019, 0.6),
        factor("national", "China", 2021, 0.58),
        factor("national", "China", 2023, 0.53),
        factor("provincial", "Beijing", 2023, 0.55),
    ]
    chosen = choose_factors(table, 2022)
    assert [(c.factor.level, c.factor.vintage_year) for c in chosen] == [
        ("provincial", 2023),  # none up to 2022: the oldest later one, flagged
        ("national", 2021),
    ]
    assert [c.vintage_gap_years for c in chosen] == [1, -1]
