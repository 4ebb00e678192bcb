"""The assessment of the fixture city (tests/assessment/city.py), figures worked by hand.

April 2021: 30 days = 720 h. Counted reports (basis ``submitted``): A1 A2 A3 T1 T2 C1 C2
(T3 was returned, C3 and C4 never reported).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hashwatch.assessment.data import Basis
from hashwatch.errors import NotFoundError
from hashwatch.services.assessment import assess
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from tests.assessment.city import REF, btc, build_city, file_notice, report
from tests.factories import settings_for

FACTORS = """level,region,vintage_year,value,unit,publication_date,source,verified
provincial,Beijing,2021,0.5,kgCO2/kWh,2024-04-12,https://example.org/ef-2021,true
national,China,2019,600,gCO2/kWh,2021-01-01,https://example.org/ef-2019,true
national,China,2023,0.7,kgCO2/kWh,2025-12-31,https://example.org/ef-2023,false
"""
ELECTRICITY = """jurisdiction,year,value,unit,source
Beijing,2021,1000,1e8 kWh,Beijing Statistical Yearbook 2022 (test figure)
"""


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    factors = tmp_path / "factors.csv"
    factors.write_text(FACTORS, encoding="utf-8")
    electricity = tmp_path / "electricity.csv"
    electricity.write_text(ELECTRICITY, encoding="utf-8")
    return settings_for(tmp_path).model_copy(
        update={"emission_factor_file": factors, "jurisdiction_electricity_file": electricity}
    )


@pytest.fixture
def city(db: Database, cfg: Settings) -> Database:
    build_city(db, cfg)
    return db


def test_totals_coverage_and_imputation(city: Database, cfg: Settings) -> None:
    result = assess(city, REF, settings=cfg)
    t = result.totals
    assert (t.recipients, t.counted, t.accepted, t.awaiting_review) == (10, 7, 2, 5)
    assert (t.returned, t.no_report, t.involved) == (1, 2, 6)
    # facility: 400k + 200k + 100k + 1,000k + 500k + 300k + 300k = 2,800,000 kWh
    assert t.facility_electricity_kwh == 2_800_000
    # mining: 300k + 100k + 50k + 0 (T1 nil) + 50k + 20k + 30k = 550,000 kWh; T3's 9,000 not
    assert t.mining_electricity_kwh == 550_000
    assert t.mining_share_pct == pytest.approx(100 * 550_000 / 2_800_000)  # 19.642857 %
    c = result.coverage
    assert c.facility_coverage_pct == pytest.approx(70.0)  # 7 of 10
    # registered IT kW: A 3×1000 + T 2000+2000+500 + C 3×1000 = 10,500 (C4 has none);
    # counted: A 3000 + T1 T2 4000 + C1 C2 2000 = 9,000 → 85.714 %
    assert (c.registered_capacity_kw, c.counted_capacity_kw) == (10_500, 9_000)
    assert c.capacity_coverage_pct == pytest.approx(100 * 9_000 / 10_500)
    assert c.recipients_without_capacity == 1
    imp = result.imputation
    # r = 550,000 kWh / 9,000 kW = 61.11 kWh/kW of the counted facilities
    assert imp.ratio_kwh_per_kw == pytest.approx(550_000 / 9_000)
    ranges = {r.facility_code: r for r in imp.facilities}
    assert sorted(ranges) == ["C3", "C4", "T3"]
    # T3 (returned): IT 500 kW × 1.2 × 720 h = 432,000 kWh; no grid contract
    assert ranges["T3"].upper_kwh == pytest.approx(432_000)
    assert ranges["T3"].capacity_basis == "rated_it_capacity_kw"
    assert ranges["T3"].ratio_kwh == pytest.approx(500 * 550_000 / 9_000)  # 30,555.6
    # C3: min(1000 × 1.2 × 720 = 864,000; grid 1000 × 720 = 720,000) = 720,000 kWh
    assert ranges["C3"].upper_kwh == pytest.approx(720_000)
    assert ranges["C3"].capacity_basis == "contracted_grid_capacity_kw"
    # C4: no registered capacity → no bound, left out of the totals
    assert ranges["C4"].upper_kwh is None
    assert ranges["C4"].ratio_kwh is None
    assert (imp.unknown, imp.without_capacity, imp.lower_kwh) == (3, 1, 0.0)
    assert imp.upper_kwh == pytest.approx(432_000 + 720_000)
    assert imp.ratio_kwh == pytest.approx(1_500 * 550_000 / 9_000)  # 91,666.7
    # imputed figures never enter the declared totals
    assert t.mining_electricity_kwh == 550_000


def test_jurisdiction_share(city: Database, cfg: Settings) -> None:
    result = assess(city, REF, settings=cfg)
    # Beijing 2021: 1000 × 1e8 kWh = 1e11 kWh a year; April = 30/365 of it
    period_kwh = 1e11 * 30 / 365  # 8,219,178,082 kWh
    assert result.jurisdiction.electricity.electricity_kwh == pytest.approx(period_kwh)
    assert result.jurisdiction.share_pct == pytest.approx(100 * 550_000 / period_kwh)  # 0.00669 %
    assert result.jurisdiction.electricity.sources == (
        "Beijing Statistical Yearbook 2022 (test figure)",
    )


def test_jurisdiction_share_needs_the_year(city: Database, tmp_path: Path) -> None:
    result = assess(city, REF, settings=settings_for(tmp_path))  # the shipped table
    assert result.jurisdiction.share_pct is None
    assert "no total electricity of Beijing for 2021" in result.jurisdiction.electricity.note
    assert any("No total electricity of Beijing" in n.text for n in result.notes)


def test_breakdowns(city: Database, cfg: Settings) -> None:
    result = assess(city, REF, settings=cfg)
    districts = {r.key: r for r in result.by_district}
    haidian, chaoyang = districts["110108"], districts["110105"]
    # Haidian: A1 A2 A3 = 700,000 kWh, mining 450,000 (64.29 %; 81.82 % of all mining)
    assert (haidian.facility_electricity_kwh, haidian.mining_electricity_kwh) == (
        700_000,
        450_000,
    )
    assert haidian.mining_share_pct == pytest.approx(100 * 450 / 700)
    assert haidian.share_of_mining_pct == pytest.approx(100 * 450 / 550)
    assert haidian.label.startswith("海淀区")
    # Chaoyang: T1 + T2 counted (1,500,000 / 50,000); T3 returned: unknown, imputed 432,000
    assert (chaoyang.counted, chaoyang.unknown, chaoyang.involved) == (2, 1, 1)
    assert chaoyang.mining_electricity_kwh == 50_000
    assert chaoyang.imputed_upper_kwh == pytest.approx(432_000)
    tongzhou = districts["110112"]
    assert (tongzhou.counted, tongzhou.mining_electricity_kwh, tongzhou.unknown) == (0, 0, 2)
    kinds = {r.key: r.mining_electricity_kwh for r in result.by_organization_kind}
    assert kinds == {"colocation": 450_000, "telecom": 50_000, "cloud": 50_000}
    orgs = {r.label: r.mining_electricity_kwh for r in result.by_organization}
    assert orgs == {"Alpha Data": 450_000, "Tele Beijing": 50_000, "Cloud North": 50_000}
    coins = {r.key: (r.facilities, r.mining_electricity_kwh) for r in result.by_coin}
    # BTC: A1 300k + A2 100k + A3 50k + T2 50k; C2 has no coin line: "unspecified"
    assert coins == {"BTC": (4, 500_000), "ETH": (1, 20_000), "unspecified": (1, 30_000)}
    assert [r.key for r in result.by_coin] == ["BTC", "ETH", "unspecified"]


def test_suppression_of_the_city(city: Database, cfg: Settings) -> None:
    result = assess(city, REF, settings=cfg)
    # Haidian: 3 mining facilities → shown; Fengtai: 2 → primary; Chaoyang: 1 → primary.
    # The two hidden together hold T2, C1, C2 (3) → no complementary cell needed.
    assert result.suppression["by_district"] == {"110105": "primary", "110106": "primary"}
    # coins: ETH (C1) and unspecified (C2) are primary; together they are only 2
    # facilities, so the total minus BTC would disclose them: BTC is hidden as well.
    assert result.suppression["by_coin"] == {
        "ETH": "primary",
        "unspecified": "primary",
        "BTC": "complementary",
    }
    public = assess(city, REF, settings=cfg, public=True).as_dict()
    rows = {r["key"]: r for r in public["by_district"]}
    assert rows["110108"]["mining_electricity_kwh"] == 450_000
    assert rows["110106"]["mining_electricity_kwh"] is None
    assert rows["110106"]["suppressed"] == "primary"
    assert all(r["mining_electricity_kwh"] is None for r in public["by_coin"])
    assert public["totals"]["mining_electricity_kwh"] == 550_000  # 6 miners
    assert "by_organization" not in public
    assert "suppression" not in public
    assert "facilities" not in public["imputation"]
    assert "outside" not in public["declared_vs_estimated"]
    assert public["declared_vs_estimated"]["declared_kwh"] is None  # A1, A3: only 2
    assert public["classification"].startswith("public")
    internal = assess(city, REF, settings=cfg).as_dict()
    assert {r["key"]: r["mining_electricity_kwh"] for r in internal["by_coin"]}["ETH"] == 20_000
    assert internal["classification"] == "internal"


def test_emissions(city: Database, cfg: Settings) -> None:
    result = assess(city, REF, settings=cfg)
    e = result.emissions
    # emitting shares: A2 1 − 0.5 (renewable) = 0.5; T2 1 − 100,000/500,000 = 0.8; others 1
    # grid kWh = 300k + 50k + 50k + 40k + 20k + 30k = 490,000
    assert e.grid_emitting_mining_kwh == pytest.approx(490_000)
    assert e.renewable_mining_kwh == pytest.approx(50_000)
    assert e.self_generated_mining_kwh == pytest.approx(10_000)
    rows = {r.level: r for r in e.rows}
    # provincial 2021 at 0.5 kg/kWh: 550,000 × 0.5 / 1000 = 275 t; net 490,000 × 0.5 = 245 t
    assert rows["provincial"].gross_t == pytest.approx(275)
    assert rows["provincial"].net_t == pytest.approx(245)
    # imputed upper 1,152,000 kWh × 0.5 = 576 t, kept apart
    assert rows["provincial"].imputed_upper_t == pytest.approx(576)
    # national: the 2019 vintage (600 g = 0.6 kg/kWh) is the newest up to 2021, not 2023
    assert rows["national"].vintage_year == 2019
    assert rows["national"].vintage_gap_years == -2
    assert rows["national"].gross_t == pytest.approx(330)
    assert rows["national"].net_t == pytest.approx(294)
    assert rows["national"].source == "https://example.org/ef-2019"


def test_declared_vs_estimated(city: Database, cfg: Settings) -> None:
    result = assess(city, REF, settings=cfg)
    dve = result.declared_vs_estimated
    checks = {c.facility_code: c for c in dve.facilities}
    assert sorted(checks) == ["A1", "A3"]
    # factors: lower 0.90 × 1.01 × 1.01 = 0.91809, best 0.97 × 1.03 × 1.10 = 1.09901,
    # upper 1.00 × 1.06 × 1.20 = 1.272
    # A1: 80 × 3,250 W = 260 kW × 720 h = 187,200 kWh rated → upper 238,118.4 kWh;
    # declared 300,000 → above by 61,881.6 kWh = 25.99 % of the upper bound
    a1 = checks["A1"]
    assert a1.upper_kwh == pytest.approx(187_200 * 1.272)
    assert a1.lower_kwh == pytest.approx(187_200 * 0.91809)
    assert a1.status == "above"
    assert a1.gap_kwh == pytest.approx(300_000 - 238_118.4)
    assert a1.gap_pct == pytest.approx(100 * 61_881.6 / 238_118.4)
    # A3: 20 × 3,250 W × 720 h = 46,800 kWh → 42,966.6 to 59,529.6; declared 50,000: inside
    a3 = checks["A3"]
    assert (a3.status, a3.gap_kwh) == ("inside", 0.0)
    assert a3.lower_kwh == pytest.approx(46_800 * 0.91809)
    assert a3.best_kwh == pytest.approx(46_800 * 1.09901)
    assert [c.facility_code for c in dve.outside] == ["A1"]
    assert dve.declared_kwh == 350_000
    assert dve.upper_kwh == pytest.approx((187_200 + 46_800) * 1.272)
    assert sorted(dve.not_estimated) == ["A2", "C1", "C2", "T2"]


def test_accepted_only_basis(city: Database, cfg: Settings) -> None:
    result = assess(city, REF, settings=cfg, basis=Basis.ACCEPTED)
    # A1 (300,000 of 400,000) and T2 (50,000 of 500,000)
    assert result.totals.counted == 2
    assert result.totals.mining_electricity_kwh == 350_000
    assert result.totals.facility_electricity_kwh == 900_000
    assert result.imputation.unknown == 8
    assert any("awaiting review are not counted" in n.text for n in result.notes)


def test_trend_across_notices(city: Database, cfg: Settings) -> None:
    file_notice(
        city,
        cfg,
        "BJ-2021-05",
        {"A1": report(300_000, 155_000, coins=[btc(155_000)]), "T1": report(900_000)},
        period_start=dt.date(2021, 5, 1),
        period_end=dt.date(2021, 5, 31),
        deadline=dt.datetime(2021, 6, 7, 10, tzinfo=dt.UTC),
    )
    may = assess(city, "BJ-2021-05", settings=cfg)
    assert [p.ref for p in may.trend] == ["BJ-2021-04", "BJ-2021-05"]
    april, point = may.trend
    assert april.mining_electricity_kwh_per_day == pytest.approx(550_000 / 30)
    # May: 155,000 kWh over 31 days = 5,000 kWh/day; April 18,333.3/day → −72.73 %
    assert point.mining_electricity_kwh_per_day == pytest.approx(5_000)
    assert point.change_pct == pytest.approx(5_000 / (550_000 / 30) * 100 - 100)
    assert (point.counted, point.involved, point.current) == (2, 1, True)
    assert point.mining_share_pct == pytest.approx(100 * 155_000 / 1_200_000)
    # the April assessment does not see May (its period ends later)
    assert [p.ref for p in assess(city, REF, settings=cfg).trend] == [REF]
    public = assess(city, "BJ-2021-05", settings=cfg, public=True).as_dict()
    # May rests on one mining facility: hidden in public, April (6 miners) shown
    assert public["trend"][1]["mining_electricity_kwh"] is None
    assert public["trend"][1]["change_pct"] is None
    assert public["trend"][0]["mining_electricity_kwh"] == 550_000


def test_unknown_notice(db: Database, cfg: Settings) -> None:
    with pytest.raises(NotFoundError, match="no notice"):
        assess(db, "NOPE", settings=cfg)
