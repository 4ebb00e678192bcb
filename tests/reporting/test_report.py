from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from hashwatch.reporting.canonical import canonical_json
from hashwatch.reporting.findings import Severity
from hashwatch.reporting.report import (
    REPORT_SCHEMA_VERSION,
    Algorithm,
    Report,
    derived_mining_share_pct,
    normalised_report,
    report_json_schema,
)
from hashwatch.reporting.report_parsing import PARSE_CODES, parse_report
from tests.reporting.report_samples import base_report, example, nil_report


def _parse(raw: dict[str, Any]) -> Report:
    report, problems = parse_report(raw)
    assert problems == []
    assert report is not None
    return report


def _problems(raw: object) -> list[tuple[str, str | None]]:
    report, problems = parse_report(raw)
    assert report is None
    assert all(p.severity is Severity.ERROR for p in problems)
    assert all(p.code in PARSE_CODES for p in problems)
    return [(p.code, p.field) for p in problems]


@pytest.mark.parametrize(
    "facility", [4_000_000, 4_000_000.0, "4,000,000 kWh", "4 GWh", {"value": 4000, "unit": "MWh"}]
)
def test_quantity_forms_give_the_same_report(facility: object) -> None:
    raw = base_report()
    raw["facility_electricity_kwh"] = facility
    assert _parse(raw).facility_electricity_kwh == 4_000_000.0


def test_field_units_are_normalised() -> None:
    raw = base_report()
    raw["peak_demand_kw"] = "7 MW"
    raw["equipment"][0]["rated_power_w"] = "3.25 kW"
    raw["coins"][0]["hashrate_ths"] = "15.4 PH/s"
    raw["power_supply"]["renewable_share_pct"] = "10 %"
    report = _parse(raw)
    assert report.peak_demand_kw == 7000.0
    assert report.equipment[0].rated_power_w == 3250.0
    assert report.coins[0].hashrate_ths == pytest.approx(15400.0)
    assert report.power_supply is not None
    assert report.power_supply.renewable_share_pct == 10.0


@pytest.mark.parametrize(
    ("given", "coin"), [(" btc ", "BTC"), ("Bitcoin", "BTC"), ("比特币", "BTC"), ("ltc", "LTC")]
)
def test_coin_is_normalised(given: str, coin: str) -> None:
    raw = base_report()
    raw["coins"][0]["coin"] = given
    assert _parse(raw).coins[0].coin == coin


@pytest.mark.parametrize(
    ("given", "algorithm"),
    [("sha256", Algorithm.SHA256), ("SHA-256", Algorithm.SHA256), ("etchash", Algorithm.ETHASH)],
)
def test_algorithm_spellings(given: str, algorithm: Algorithm) -> None:
    raw = base_report()
    raw["coins"][0]["algorithm"] = given
    assert _parse(raw).coins[0].algorithm is algorithm


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("involved_in_mining",), "yes", ("submission.invalid_value", "involved_in_mining")),
        (("involved_in_mining",), 1, ("submission.invalid_value", "involved_in_mining")),
        (("equipment", 0, "count"), "3", ("submission.invalid_value", "equipment.0.count")),
        (("equipment", 0, "count"), 2.5, ("submission.invalid_value", "equipment.0.count")),
        (("equipment", 0, "count"), 0, ("submission.out_of_range", "equipment.0.count")),
        (("equipment", 0, "count"), -1, ("submission.negative_value", "equipment.0.count")),
        (("hosted_clients",), -1, ("submission.negative_value", "hosted_clients")),
        (("mining_start_date",), "2020/06/01", ("submission.invalid_value", "mining_start_date")),
        (("mining_start_date",), 20200601, ("submission.invalid_value", "mining_start_date")),
        (("mining_start_date",), "2021-02-30", ("submission.invalid_value", "mining_start_date")),
        (
            ("attestation", "signed_at"),
            "2021-05-06T10:00:00",
            ("submission.invalid_value", "attestation.signed_at"),
        ),
        (("schema_version",), "2", ("submission.invalid_value", "schema_version")),
        (("operation_mode",), "rent", ("submission.invalid_value", "operation_mode")),
        (("coins", 0, "algorithm"), "sha-257", ("submission.invalid_value", "coins.0.algorithm")),
        (("coins", 0, "coin"), "", ("submission.invalid_value", "coins.0.coin")),
        (
            ("coins", 0, "electricity_kwh"),
            -3,
            ("submission.negative_value", "coins.0.electricity_kwh"),
        ),
        (
            ("coins", 0, "electricity_kwh"),
            "3 MW",
            ("submission.wrong_unit", "coins.0.electricity_kwh"),
        ),
        (("coins", 0, "hashrate_ths"), "3 kWh", ("submission.wrong_unit", "coins.0.hashrate_ths")),
        (("peak_demand_kw",), "7 parsecs", ("submission.unknown_unit", "peak_demand_kw")),
        (("peak_demand_kw",), float("nan"), ("submission.not_numeric", "peak_demand_kw")),
        (("peak_demand_kw",), True, ("submission.not_numeric", "peak_demand_kw")),
        (("contact", "email"), None, ("submission.invalid_value", "contact.email")),
        (("explanations",), {"Bad key": "x"}, ("submission.invalid_value", "explanations.Bad key")),
        (
            ("explanations",),
            {"submission.exit_in_period": "  "},
            ("submission.invalid_value", "explanations.submission.exit_in_period"),
        ),
    ],
)
def test_parsing_problems_are_findings_with_the_field(
    path: tuple[str | int, ...], value: object, expected: tuple[str, str]
) -> None:
    raw: Any = base_report()
    target = raw
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    assert _problems(raw) == [expected]


def test_unknown_fields_are_refused_with_a_suggestion() -> None:
    raw = base_report()
    raw["facility_electricty_kwh"] = raw.pop("facility_electricity_kwh")
    raw["equipment"][1]["modle"] = raw["equipment"][1].pop("model")
    report, problems = parse_report(raw)
    assert report is None
    by_field = {p.field: p for p in problems}
    assert by_field["facility_electricty_kwh"].code == "submission.unknown_field"
    assert "did you mean 'facility_electricity_kwh'" in by_field["facility_electricty_kwh"].message
    assert by_field["facility_electricity_kwh"].code == "submission.missing_field"
    assert by_field["equipment.1.modle"].code == "submission.unknown_field"
    assert "did you mean 'model'" in by_field["equipment.1.modle"].message


def test_not_an_object() -> None:
    assert _problems([]) == [("submission.invalid_value", None)]


def test_a_field_named_like_pydantics_key_marker() -> None:
    # found by Hypothesis: pydantic marks a bad mapping key with a "[key]" location part
    problems = _problems({"[key]": None})
    assert ("submission.unknown_field", "[key]") in problems


def test_problem_data_is_canonical_json_even_for_nan() -> None:
    raw = base_report()
    raw["facility_electricity_kwh"] = float("inf")
    raw["mining_electricity_kwh"] = {"value": float("nan"), "unit": "kWh"}
    _, problems = parse_report(raw)
    assert len(problems) == 2
    for problem in problems:
        canonical_json(problem.as_dict())
        assert "nan" in problem.message or "inf" in problem.message


def test_minus_zero_is_zero() -> None:
    raw = base_report() | {"hosted_clients": 0, "mining_share_pct": "-0 %"}
    raw["power_supply"]["self_generation_kwh"] = "-0 kWh"
    normal = normalised_report(_parse(raw))
    assert canonical_json(normal["power_supply"]["self_generation_kwh"]) == "0.0"
    assert canonical_json(normal["mining_share_pct"]) == "0.0"


def test_signed_at_accepts_z() -> None:
    raw = base_report()
    raw["attestation"]["signed_at"] = "2021-05-06T02:00:00Z"
    report = _parse(raw)
    assert report.attestation is not None
    assert report.attestation.signed_at == dt.datetime(2021, 5, 6, 2, tzinfo=dt.UTC)


def test_models_are_frozen() -> None:
    report = _parse(base_report())
    with pytest.raises(ValueError, match="frozen"):
        report.facility_electricity_kwh = 1.0


# --- normal form -------------------------------------------------------------------------


def test_normalised_report() -> None:
    normal = normalised_report(_parse(example("report.json")))
    assert normal["facility_electricity_kwh"] == 4_000_000.0
    assert normal["peak_demand_kw"] == 7_000.0
    assert normal["coins"][0]["hashrate_ths"] == pytest.approx(15_400.0)
    assert normal["equipment"][1]["rated_power_w"] == pytest.approx(3_344.0)
    assert normal["mining_share_pct_derived"] == pytest.approx(9.5)
    assert normal["attestation"]["signed_at"] == "2021-05-06T02:00:00+00:00"
    assert normal["schema_version"] == REPORT_SCHEMA_VERSION
    assert list(normal) == sorted(normal)
    assert json.loads(canonical_json(normal)) == normal


def test_normalised_report_reads_back_to_the_same_report() -> None:
    report = _parse(example("report.json"))
    normal = normalised_report(report)
    normal.pop("mining_share_pct_derived")
    assert _parse(normal) == report


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, 9.5),
        ({"mining_electricity_kwh": None}, None),
        ({"facility_electricity_kwh": 0, "mining_electricity_kwh": 0}, None),
    ],
)
def test_derived_share(changes: dict[str, Any], expected: float | None) -> None:
    raw = base_report() | changes
    assert derived_mining_share_pct(_parse(raw)) == pytest.approx(expected)


def test_derived_share_of_a_nil_return_is_zero() -> None:
    assert derived_mining_share_pct(_parse(nil_report())) == 0.0


# --- JSON Schema -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return report_json_schema()


def test_schema_is_well_formed(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(REPORT_SCHEMA_VERSION)
    assert schema["additionalProperties"] is False
    assert json.loads(json.dumps(schema)) == schema
    Draft202012Validator.check_schema(schema)


def _schema_errors(document: object, schema: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return [e.message for e in validator.iter_errors(document)]


@pytest.mark.parametrize(
    "document",
    [
        example("report.json"),
        example("nil-return.json"),
        base_report(),
        nil_report(),
        base_report() | {"facility_electricity_kwh": "4,000 MWh"},
        base_report() | {"facility_electricity_kwh": {"value": 4, "unit": "gwh"}},
        base_report() | {"peak_demand_kw": "7MW", "mining_share_pct": "9.5 %"},
        base_report() | {"explanations": {"submission.exit_in_period": "planned", "a.b@c.0": "x"}},
    ],
)
def test_accepted_documents_validate_against_the_schema(
    schema: dict[str, Any], document: dict[str, Any]
) -> None:
    assert _parse(document) is not None
    assert _schema_errors(document, schema) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"facility_electricty_kwh": 1},
        {"facility_electricity_kwh": "5 furlongs"},
        {"facility_electricity_kwh": "5 mWh"},
        {"facility_electricity_kwh": -5},
        {"facility_electricity_kwh": "-5 kWh"},
        {"facility_electricity_kwh": {"value": 5}},
        {"involved_in_mining": "yes"},
        {"contact": None},
        {"operation_mode": "rent"},
        {"explanations": {"Bad key": "x"}},
        {"equipment": [{"model": "S9", "count": 0, "rated_power_w": 1300}]},
    ],
)
def test_refused_documents_fail_the_schema(schema: dict[str, Any], changes: dict[str, Any]) -> None:
    document = copy.deepcopy(base_report()) | changes
    assert parse_report(document)[0] is None
    assert _schema_errors(document, schema) != []
