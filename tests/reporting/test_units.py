from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hashwatch.reporting.units import (
    UNITS,
    Dimension,
    QuantityError,
    QuantityErrorKind,
    canonical_unit,
    convert,
    format_quantity,
    normalise_quantity,
    split_quantity,
    to_kw,
    to_kwh,
    to_pct,
    to_ths,
    to_w,
)

ENERGY_UNITS = list(UNITS[Dimension.ENERGY])
POWER_UNITS = list(UNITS[Dimension.POWER])
HASHRATE_UNITS = list(UNITS[Dimension.HASHRATE])
magnitudes = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(
    ("value", "expected_kwh"),
    [
        (1200, 1200.0),
        (1200.5, 1200.5),
        ("1200", 1200.0),
        ("1.2 MWh", 1200.0),
        ("1,200 kWh", 1200.0),
        ("1,234,567.5 kWh", 1234567.5),
        ({"value": 1.2, "unit": "MWh"}, 1200.0),
        ("500 Wh", 0.5),
        ("2 GWh", 2e6),
        ("0.1 TWh", 1e8),
        ("1.2MWh", 1200.0),
        ("  7 kwh ", 7.0),
        ("3 kW·h", 3.0),
        ("5 度", 5.0),
        ("3 万千瓦时", 30000.0),
        ("1e3 kWh", 1000.0),
        (".5 MWh", 500.0),
        ("-5 kWh", -5.0),
    ],
)
def test_energy_forms(value: object, expected_kwh: float) -> None:
    assert to_kwh(value) == pytest.approx(expected_kwh, rel=1e-12)


@pytest.mark.parametrize(
    "text",
    [
        "1 TH/s",
        "1 TH",
        "1 th/s",
        "1 Th/s",
        "1 TH/S",
        "1 THps",
        "1000 GH/s",
        "0.001 PH/s",
        "1e12 H/s",
    ],
)
def test_hashrate_spellings(text: str) -> None:
    assert to_ths(text) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "expected_ths"),
    [("1 EH/s", 1e6), ("15.4 PH/s", 15400.0), ("500 GH/s", 0.5), ("2 MH/s", 2e-6), ("3 kH", 3e-9)],
)
def test_hashrate_prefixes(text: str, expected_ths: float) -> None:
    assert to_ths(text) == pytest.approx(expected_ths, rel=1e-12)


def test_power_in_w_and_kw() -> None:
    assert to_w("3.25 kW") == 3250.0
    assert to_w(3250) == 3250.0
    assert to_kw("12 MW") == 12000.0
    assert to_kw("500 W") == 0.5
    assert to_kw({"value": 1, "unit": "GW"}) == 1e6
    assert to_kw("2 千瓦") == 2.0


def test_share_in_percent() -> None:
    assert to_pct("12.5 %") == 12.5
    assert to_pct("12.5%") == 12.5
    assert to_pct(12.5) == 12.5
    assert to_pct({"value": 3, "unit": "pct"}) == 3.0


@pytest.mark.parametrize(
    ("value", "kind", "quoted"),
    [
        ("5 kW", QuantityErrorKind.WRONG_DIMENSION, "5 kW"),
        ("5 TH/s", QuantityErrorKind.WRONG_DIMENSION, "5 TH/s"),
        ("5 furlongs", QuantityErrorKind.UNKNOWN_UNIT, "furlongs"),
        ("5 mWh", QuantityErrorKind.AMBIGUOUS_UNIT, "mWh"),
        ("lots", QuantityErrorKind.NOT_NUMERIC, "lots"),
        ("1,2 MWh", QuantityErrorKind.NOT_NUMERIC, "1,2 MWh"),
        ("12,00 kWh", QuantityErrorKind.NOT_NUMERIC, "12,00 kWh"),
        (True, QuantityErrorKind.NOT_NUMERIC, "True"),
        (None, QuantityErrorKind.NOT_NUMERIC, "None"),
        ([1], QuantityErrorKind.NOT_NUMERIC, "[1]"),
        ({"value": 1}, QuantityErrorKind.NOT_NUMERIC, "'value': 1"),
        ({"value": "1", "unit": "kWh"}, QuantityErrorKind.NOT_NUMERIC, "'value': '1'"),
        ({"value": 1, "unit": "kWh", "x": 2}, QuantityErrorKind.NOT_NUMERIC, "'x': 2"),
        (float("nan"), QuantityErrorKind.NOT_FINITE, "nan"),
        (float("inf"), QuantityErrorKind.NOT_FINITE, "inf"),
        ("NaN", QuantityErrorKind.NOT_FINITE, "NaN"),
        ("inf kWh", QuantityErrorKind.NOT_FINITE, "inf kWh"),
        ("1e400 kWh", QuantityErrorKind.TOO_LARGE, "1e400 kWh"),
        ("1e308 TWh", QuantityErrorKind.TOO_LARGE, "1e308 TWh"),
        ("1e9999999999999999999 kWh", QuantityErrorKind.TOO_LARGE, "1e9999999999999999999 kWh"),
        pytest.param("9" * 5000, QuantityErrorKind.TOO_LARGE, "999...", id="5000-digits"),
        pytest.param(10**400, QuantityErrorKind.TOO_LARGE, "too large", id="10**400"),
        pytest.param(
            10**5000, QuantityErrorKind.TOO_LARGE, "an integer of 5001 digits", id="10**5000"
        ),
        pytest.param(
            {"value": 10**400, "unit": "kWh"}, QuantityErrorKind.TOO_LARGE, "too large", id="obj"
        ),
    ],
)
def test_errors_name_the_value(value: object, kind: QuantityErrorKind, quoted: str) -> None:
    with pytest.raises(QuantityError) as info:
        to_kwh(value)
    assert info.value.kind is kind
    assert quoted in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unknown_target_unit_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not a target unit"):
        normalise_quantity(1, "MWh")


def test_canonical_unit() -> None:
    assert canonical_unit("th") == (Dimension.HASHRATE, "TH/s")
    assert canonical_unit("MWH") == (Dimension.ENERGY, "MWh")
    assert canonical_unit("mwh") == (Dimension.ENERGY, "MWh")
    assert canonical_unit("kw") == (Dimension.POWER, "kW")


@given(magnitudes, st.sampled_from(ENERGY_UNITS))
def test_energy_string_and_object_round_trip(x: float, unit: str) -> None:
    expected = x * UNITS[Dimension.ENERGY][unit]
    assert split_quantity(format_quantity(x, unit)) == (x, unit)
    assert to_kwh(format_quantity(x, unit)) == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert to_kwh({"value": x, "unit": unit}) == to_kwh(format_quantity(x, unit))


@given(magnitudes, st.sampled_from(POWER_UNITS))
def test_power_round_trip(x: float, unit: str) -> None:
    assert to_w(format_quantity(x, unit)) == pytest.approx(
        x * UNITS[Dimension.POWER][unit], rel=1e-12, abs=1e-300
    )
    back = convert(convert(x, "kW", unit), unit, "kW")
    assert back == pytest.approx(x, rel=1e-12, abs=1e-300)


@given(magnitudes, st.sampled_from(HASHRATE_UNITS), st.lists(st.booleans(), min_size=5))
def test_hashrate_any_case_with_or_without_per_second(
    x: float, unit: str, upper: list[bool]
) -> None:
    spelled = "".join(c.upper() if u else c.lower() for c, u in zip(unit, upper * 2, strict=False))
    expected = to_ths(format_quantity(x, unit))
    assert to_ths(f"{x!r} {spelled}") == expected
    assert to_ths(f"{x!r} {spelled.removesuffix('/s').removesuffix('/S')}") == expected


@given(st.sampled_from(ENERGY_UNITS + HASHRATE_UNITS + POWER_UNITS), magnitudes)
def test_convert_round_trip(unit: str, x: float) -> None:
    dimension, _ = canonical_unit(unit)
    base = {Dimension.ENERGY: "kWh", Dimension.POWER: "W", Dimension.HASHRATE: "TH/s"}[dimension]
    assert convert(convert(x, base, unit), unit, base) == pytest.approx(x, rel=1e-12, abs=1e-300)


@given(st.integers(min_value=0, max_value=10**15))
def test_thousands_separators(n: int) -> None:
    assert to_kwh(f"{n:,} kWh") == float(n)
    assert to_kwh(f"{n:,}") == float(n)


@given(st.one_of(st.integers(-(10**15), 10**15), magnitudes))
def test_bare_number_is_the_field_unit(x: float) -> None:
    assert to_kwh(x) == pytest.approx(float(x), rel=1e-14)
    assert to_ths(x) == to_kwh(x)
    if len(repr(x).replace("-", "").replace(".", "").lstrip("0").split("e")[0]) <= 15:
        assert to_kwh(x) == float(x)


# --- exact decimal conversion --------------------------------------------------------------


def test_every_three_decimal_mwh_is_exactly_its_kwh() -> None:
    # binary floating point put 731 of these a few ulps off (2.007 MWh → 2007.0000000000002)
    wrong = [n for n in range(1, 100_000) if to_kwh(f"{n / 1000:.3f} MWh") != float(n)]
    assert wrong == []


@pytest.mark.parametrize(
    "value",
    ["2.007 MWh", {"value": 2.007, "unit": "MWh"}, "2,007 kWh", 2007, "0.002007 GWh", "2007000 Wh"],
)
def test_equal_amounts_in_any_unit_are_the_same_float(value: object) -> None:
    assert to_kwh(value) == 2007.0
    assert repr(to_kwh(value)) == "2007.0"


def test_float_artefacts_in_the_input_are_rounded_away() -> None:
    assert to_kwh({"value": 0.1 + 0.2, "unit": "MWh"}) == 300.0
    assert to_kwh("2.0069999999999997 MWh") == 2007.0
    assert to_w("3.3440000000000003 kW") == 3344.0
    assert convert(2.007, "MWh", "kWh") == 2007.0
    assert convert(2007.0, "kWh", "MWh") == 2.007


def test_numbers_below_the_float_range_are_zero() -> None:
    assert to_kwh("1e-9999999999999999999 kWh") == 0.0
    assert to_kwh("1e-400 MWh") == 0.0


def test_fifteen_significant_digits_are_kept() -> None:
    assert to_kwh("123456789012.345 kWh") == 123456789012.345
    assert to_kwh("123456789.012345 MWh") == 123456789012.345
    assert to_kwh("0.000000000000001 kWh") == 1e-15


@given(st.sampled_from(ENERGY_UNITS), magnitudes)
def test_normalising_is_idempotent(unit: str, x: float) -> None:
    once = to_kwh(format_quantity(x, unit))
    assert to_kwh(once) == once
    assert to_kwh(repr(once)) == once


@given(st.text(max_size=30))
def test_arbitrary_text_gives_a_number_or_a_quantity_error(text: str) -> None:
    try:
        value = to_kwh(text)
    except QuantityError:
        return
    assert math.isfinite(value)
