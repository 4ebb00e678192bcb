from __future__ import annotations

from pathlib import Path

import pytest

from hashwatch.errors import FileFormatError, InputError
from hashwatch.io.assessment_files import (
    emission_factor_table,
    jurisdiction_electricity_table,
    parse_emission_factors,
    parse_jurisdiction_electricity,
)

ELECTRICITY_HEADER = "jurisdiction,year,value,unit,source\n"
FACTOR_HEADER = "level,region,vintage_year,value,unit,publication_date,source,verified\n"


def test_shipped_tables_carry_their_sources() -> None:
    electricity = jurisdiction_electricity_table(None)
    assert {r.year for r in electricity} >= {2008, 2014}
    beijing_2014 = next(r for r in electricity if r.year == 2014)
    assert beijing_2014.electricity_kwh == pytest.approx(937.0e8)  # 93.7 TWh
    assert all(r.source for r in electricity)
    factors = {(f.level, f.region): f for f in emission_factor_table(None)}
    assert factors[("provincial", "Beijing")].kg_co2_per_kwh == 0.5554
    assert factors[("regional", "North China")].kg_co2_per_kwh == 0.6361
    assert factors[("national", "China")].kg_co2_per_kwh == 0.5306
    # values from third-party code (reference §6.3): shipped, but not verified
    assert not any(f.verified for f in factors.values())
    assert all(f.vintage_year == 2023 and f.source.startswith("https://") for f in factors.values())


def test_units_are_converted() -> None:
    text = ELECTRICITY_HEADER + "X,2020,93.7,TWh,s\nX,2021,1,亿千瓦时,s\n"
    rows = parse_jurisdiction_electricity("t.csv", text)
    assert [r.electricity_kwh for r in rows] == [pytest.approx(93.7e9), 1e8]
    factors = parse_emission_factors(
        "f.csv", FACTOR_HEADER + "national,C,2021,581,gCO2/kWh,2024-04-12,s,yes\n"
    )
    assert factors[0].kg_co2_per_kwh == pytest.approx(0.581)
    assert factors[0].verified


@pytest.mark.parametrize(
    ("row", "message", "field"),
    [
        ("X,2020,1,TWh,\n", "source is empty", "source"),
        ("X,20,1,TWh,s\n", "must be a year", "year"),
        ("X,2020,-1,TWh,s\n", "positive number", "value"),
        ("X,2020,abc,TWh,s\n", "not a number", "value"),
        ("X,2020,1,kcal,s\n", "unit 'kcal' is not one of", "unit"),
        ("X,2020,1,TWh,s\nx,2020,2,TWh,s\n", "appears twice", "year"),
    ],
)
def test_bad_electricity_rows_name_the_field(row: str, message: str, field: str) -> None:
    with pytest.raises(FileFormatError, match=message) as caught:
        parse_jurisdiction_electricity("t.csv", ELECTRICITY_HEADER + row)
    assert caught.value.field == field
    assert caught.value.row is not None
    assert caught.value.row >= 2


@pytest.mark.parametrize(
    ("row", "message", "field"),
    [
        ("city,C,2021,0.5,kgCO2/kWh,2024-04-12,s,true\n", "level 'city'", "level"),
        ("national,C,2021,0.5,kgCO2/kWh,12/04/2024,s,true\n", "YYYY-MM-DD", "publication_date"),
        ("national,C,2021,0.5,kgCO2/kWh,2024-04-12,s,maybe\n", "true or false", "verified"),
        ("national,,2021,0.5,kgCO2/kWh,2024-04-12,s,true\n", "region is empty", "region"),
    ],
)
def test_bad_factor_rows_name_the_field(row: str, message: str, field: str) -> None:
    with pytest.raises(FileFormatError, match=message) as caught:
        parse_emission_factors("f.csv", FACTOR_HEADER + row)
    assert caught.value.field == field


def test_missing_columns_and_empty_tables() -> None:
    with pytest.raises(FileFormatError, match=r"missing column.*source"):
        parse_jurisdiction_electricity("t.csv", "jurisdiction,year,value,unit\nX,2020,1,TWh\n")
    with pytest.raises(FileFormatError, match="no rows"):
        parse_emission_factors("f.csv", FACTOR_HEADER)


def test_user_files(tmp_path: Path) -> None:
    path = tmp_path / "electricity.csv"
    path.write_bytes(
        (ELECTRICITY_HEADER + "北京,2021,1180,亿千瓦时,北京统计年鉴\n").encode("gb18030")
    )
    (row,) = jurisdiction_electricity_table(path)
    assert (row.jurisdiction, row.source) == ("北京", "北京统计年鉴")
    with pytest.raises(InputError, match="no such file") as caught:
        emission_factor_table(tmp_path / "missing.csv")
    assert caught.value.field == "emission_factor_file"
