"""Bounds on every input and clean free text: parsing findings, normal form and JSON Schema."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from hashwatch.reporting.canonical import canonical_json
from hashwatch.reporting.report import (
    MAX_ENERGY_KWH,
    MAX_HASHRATE_THS,
    MAX_MACHINE_COUNT,
    MAX_POWER_W,
    derived_mining_share_pct,
    normalised_report,
    report_json_schema,
)
from hashwatch.reporting.report_parsing import parse_report
from tests.reporting.report_samples import base_report


def _set(raw: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target: Any = raw
    for part in parents:
        target = target[part]
    target[last] = value
    return raw


def _problems(path: str, value: object) -> list[tuple[str, str | None]]:
    report, problems = parse_report(_set(base_report(), path, value))
    assert report is None
    for problem in problems:
        canonical_json(problem.as_dict())
    return [(p.code, p.field) for p in problems]


# --- bounds ------------------------------------------------------------------------------

_OUT_OF_RANGE = [
    ("equipment.0.count", 10**400),
    ("equipment.0.count", 10**5000),
    ("equipment.0.count", MAX_MACHINE_COUNT + 1),
    ("equipment.0.count", 10**10),
    ("equipment.0.rated_power_w", 1e300),
    ("equipment.0.rated_power_w", "10.001 GW"),
    ("peak_demand_kw", "10.001 GW"),
    ("coins.0.hashrate_ths", 1e306),
    ("coins.0.hashrate_ths", "1,000.001 EH/s"),
    ("coins.0.electricity_kwh", 1.7e308),
    ("coins.0.electricity_kwh", "1e400 kWh"),
    ("facility_electricity_kwh", MAX_ENERGY_KWH * 1.001),
    ("facility_electricity_kwh", "1,001 TWh"),
    ("facility_electricity_kwh", {"value": 10**5000, "unit": "kWh"}),
    ("mining_electricity_kwh", 10**400),
    ("power_supply.self_generation_kwh", {"value": 1.1e9, "unit": "MWh"}),
    ("hosted_clients", 10**7),
    ("mining_start_date", "1899-12-31"),
    ("planned_exit_date", "2201-01-01"),
    ("attestation.signed_at", "0001-01-01T00:00:00+14:00"),
    ("attestation.signed_at", "9999-12-31T23:59:59-14:00"),
    ("attestation.signed_at", "1899-12-31T23:00:00Z"),
    ("equipment.0.model", "x" * 301),
    ("contact.name", "x" * 301),
    ("coins.0.coin", "x" * 21),
    ("explanations", {"submission.exit_in_period": "x" * 4001}),
    ("coins", [{"coin": f"C{i}", "algorithm": "other", "electricity_kwh": 1} for i in range(101)]),
]


@pytest.mark.parametrize(
    ("path", "value"), _OUT_OF_RANGE, ids=[f"{p}-{i}" for i, (p, _) in enumerate(_OUT_OF_RANGE)]
)
def test_values_beyond_a_bound_are_out_of_range(path: str, value: object) -> None:
    problems = _problems(path, value)
    assert len(problems) == 1
    code, field = problems[0]
    assert code == "submission.out_of_range"
    assert field is not None
    assert field.startswith(path.split(".", maxsplit=1)[0])


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("equipment.0.count", MAX_MACHINE_COUNT),
        ("equipment.0.rated_power_w", "10 GW"),
        ("peak_demand_kw", MAX_POWER_W / 1000),
        ("coins.0.hashrate_ths", "1,000 EH/s"),
        ("facility_electricity_kwh", "1,000 TWh"),
        ("facility_electricity_kwh", 1e-307),
        ("mining_start_date", "1900-01-01"),
        ("planned_exit_date", "2200-12-31"),
        ("attestation.signed_at", "2200-12-31T23:59:59-14:00"),
        ("attestation.signed_at", "1900-01-01T00:00:00+14:00"),
        ("contact.name", "x" * 300),
        ("contact.name", "  Li Wei\n"),  # surrounding white space is stripped first
    ],
)
def test_values_at_a_bound_are_accepted(path: str, value: object) -> None:
    report, problems = parse_report(_set(base_report(), path, value))
    assert problems == []
    assert report is not None
    canonical_json(normalised_report(report))


def test_the_bounds_are_in_the_units_of_the_field() -> None:
    raw = base_report()
    raw["coins"][0]["hashrate_ths"] = MAX_HASHRATE_THS
    raw["equipment"][0]["rated_power_w"] = MAX_POWER_W
    assert parse_report(raw)[1] == []


def test_a_derived_share_that_overflows_is_none() -> None:
    raw = base_report() | {"facility_electricity_kwh": 1e-307, "mining_electricity_kwh": 1e10}
    report, _ = parse_report(raw)
    assert report is not None
    assert derived_mining_share_pct(report) is None
    normal = normalised_report(report)
    assert normal["mining_share_pct_derived"] is None
    canonical_json(normal)


# --- control characters ------------------------------------------------------------------

_TEXT_FIELDS = [
    "equipment.0.model",
    "coins.0.coin",
    "contact.name",
    "contact.title",
    "contact.phone",
    "contact.email",
    "attestation.name",
    "attestation.title",
    "power_supply.grid_supplier",
]


@pytest.mark.parametrize("field", _TEXT_FIELDS)
@pytest.mark.parametrize("char", ["\x00", "\x07", "\t", "\n", "\r", "\x1b", "\x1f", "\x7f", "\x85"])
def test_control_characters_in_free_text_are_refused(field: str, char: str) -> None:
    raw = _set(base_report(), field, f"Ab{char}cd")
    report, problems = parse_report(raw)
    assert report is None
    assert [(p.code, p.field) for p in problems] == [("submission.invalid_value", field)]
    (problem,) = problems
    assert problem.message.startswith(f"{field}: ")
    assert f"control character U+{ord(char):04X} at position 3" in problem.message
    canonical_json(problem.as_dict())


def test_control_characters_in_explanations_are_refused() -> None:
    raw = base_report() | {"explanations": {"submission.exit_in_period": "moved\nto Sichuan"}}
    assert _problems("explanations", raw["explanations"]) == [
        ("submission.invalid_value", "explanations.submission.exit_in_period")
    ]


def test_an_unpaired_surrogate_is_refused_and_its_finding_encodes() -> None:
    report, problems = parse_report(_set(base_report(), "contact.name", "Li\ud800Wei"))
    assert report is None
    assert [(p.code, p.field) for p in problems] == [("submission.invalid_value", "contact.name")]
    canonical_json(problems[0].as_dict()).encode("utf-8")


def test_plain_unicode_text_is_accepted() -> None:
    raw = _set(base_report(), "power_supply.grid_supplier", "国网北京市电力公司 · Zone Ⅱ")
    assert parse_report(raw)[1] == []


# --- the JSON Schema publishes the bounds ------------------------------------------------


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return Draft202012Validator(report_json_schema(), format_checker=FormatChecker())


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("equipment.0.count", MAX_MACHINE_COUNT + 1),
        ("facility_electricity_kwh", 1.1e12),
        ("facility_electricity_kwh", {"value": 1.1e12, "unit": "kWh"}),
        ("equipment.0.rated_power_w", 1.1e10),
        ("peak_demand_kw", 1.1e7),
        ("coins.0.hashrate_ths", 1.1e9),
        ("hosted_clients", 10**7),
        ("mining_start_date", "1899-12-31"),
        ("attestation.signed_at", "0001-01-01T00:00:00+14:00"),
        ("contact.name", "Li\nWei"),
        ("coins.0.coin", "BT\x00C"),
        ("explanations", {"submission.exit_in_period": "a\tb"}),
    ],
)
def test_the_schema_refuses_what_the_parser_refuses(
    validator: Draft202012Validator, path: str, value: object
) -> None:
    document = _set(copy.deepcopy(base_report()), path, value)
    assert parse_report(document)[0] is None
    assert list(validator.iter_errors(document)) != []


def test_the_schema_accepts_values_at_the_bounds(validator: Draft202012Validator) -> None:
    document = base_report()
    document["equipment"][0]["count"] = MAX_MACHINE_COUNT
    document["facility_electricity_kwh"] = MAX_ENERGY_KWH
    document["mining_start_date"] = "1900-01-01"
    document["attestation"]["signed_at"] = "2200-12-31T23:59:59+08:00"
    assert parse_report(document)[1] == []
    assert list(validator.iter_errors(document)) == []
