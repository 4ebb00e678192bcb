from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hashwatch.errors import InputError
from hashwatch.reporting.canonical import canonical_json
from hashwatch.reporting.findings import Severity
from hashwatch.reporting.report import Report
from hashwatch.reporting.report_parsing import parse_report
from hashwatch.reporting.rules import (
    FINDING_CODES,
    RULES,
    RuleSettings,
    ValidationResult,
    hours_in_period,
    mining_days,
    mining_hours,
    validate_report,
)
from tests.reporting.report_samples import CONTEXT, CST, base_report, example, nil_report

DELETE = object()


def _apply(raw: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Set (or delete) dotted paths; a list index one past the end appends."""
    for path, value in changes.items():
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        target: Any = raw
        for part in parents:
            target = target[part]
        if value is DELETE:
            del target[last]
        elif isinstance(target, list) and last == len(target):
            target.append(value)
        else:
            target[last] = value
    return raw


class Case(NamedTuple):
    code: str
    changes: dict[str, Any]
    field: str | None
    nil: bool = False
    context: dict[str, Any] = {}  # noqa: RUF012 - read only

    def run(self, rule_settings: RuleSettings | None = None) -> ValidationResult:
        raw = _apply(nil_report() if self.nil else base_report(), self.changes)
        context = dataclasses.replace(CONTEXT, **self.context)
        return validate_report(raw, context, rule_settings)


_BTC_HALF = {
    "coin": "bitcoin",
    "algorithm": "SHA-256",
    "hashrate_ths": 7_700,
    "electricity_kwh": 190_000,
}
_RACK = {"model": "Custom rack", "count": 1, "rated_power_w": "20 kW"}

CASES = [
    # parsing
    Case(
        "submission.missing_field", {"facility_electricity_kwh": DELETE}, "facility_electricity_kwh"
    ),
    Case("submission.missing_field", {"contact.email": DELETE}, "contact.email"),
    Case("submission.unknown_field", {"facility_electricty_kwh": 5}, "facility_electricty_kwh"),
    Case("submission.unknown_field", {"coins.0.price": 5}, "coins.0.price"),
    Case("submission.negative_value", {"mining_electricity_kwh": -5}, "mining_electricity_kwh"),
    Case("submission.negative_value", {"equipment.1.count": -2}, "equipment.1.count"),
    Case("submission.not_numeric", {"peak_demand_kw": "lots"}, "peak_demand_kw"),
    Case("submission.not_numeric", {"coins.0.hashrate_ths": "NaN TH/s"}, "coins.0.hashrate_ths"),
    Case(
        "submission.unknown_unit", {"facility_electricity_kwh": "4 GJ"}, "facility_electricity_kwh"
    ),
    Case("submission.wrong_unit", {"facility_electricity_kwh": "4 MW"}, "facility_electricity_kwh"),
    Case("submission.out_of_range", {"equipment.0.count": 0}, "equipment.0.count"),
    Case("submission.invalid_value", {"involved_in_mining": "yes"}, "involved_in_mining"),
    # amounts
    Case(
        "submission.mining_exceeds_total",
        {"facility_electricity_kwh": 300_000, "mining_share_pct": DELETE},
        "mining_electricity_kwh",
    ),
    Case("submission.share_out_of_range", {"mining_share_pct": 150}, "mining_share_pct"),
    Case("submission.share_out_of_range", {"mining_share_pct": -1}, "mining_share_pct"),
    Case("submission.share_mismatch", {"mining_share_pct": 12}, "mining_share_pct"),
    Case("submission.share_mismatch", {"mining_share_pct": "8.9 %"}, "mining_share_pct"),
    Case(
        "submission.mining_electricity_missing",
        {"mining_electricity_kwh": DELETE, "mining_share_pct": DELETE},
        "mining_electricity_kwh",
    ),
    Case(
        "submission.nil_return_with_mining",
        {"mining_electricity_kwh": 10},
        "mining_electricity_kwh",
        nil=True,
    ),
    Case(
        "submission.nil_return_with_mining", {"mining_share_pct": 1}, "mining_share_pct", nil=True
    ),
    Case("submission.nil_return_with_mining", {"coins": base_report()["coins"]}, "coins", nil=True),
    Case(
        "submission.nil_return_with_mining",
        {"equipment": base_report()["equipment"]},
        "equipment",
        nil=True,
    ),
    Case(
        "submission.nil_return_with_mining",
        {"mining_start_date": "2021-04-20"},
        "mining_start_date",
        nil=True,
    ),
    Case("submission.nil_return_with_mining", {"involved_in_mining": False}, None),
    Case("submission.coin_sum_mismatch", {"coins.0.electricity_kwh": 300_000}, "coins"),
    Case("submission.duplicate_coin", {"coins.0": _BTC_HALF, "coins.1": _BTC_HALF}, "coins.1.coin"),
    Case("submission.coins_missing", {"coins": []}, "coins"),
    Case(
        "submission.coin_algorithm_mismatch", {"coins.0.algorithm": "Scrypt"}, "coins.0.algorithm"
    ),
    Case(
        "submission.renewable_share_out_of_range",
        {"power_supply.renewable_share_pct": 120},
        "power_supply.renewable_share_pct",
    ),
    Case(
        "submission.self_generation_exceeds_total",
        {"power_supply.self_generation_kwh": "5 GWh"},
        "power_supply.self_generation_kwh",
    ),
    # capacity, equipment, hashrate
    Case(
        "submission.energy_exceeds_grid_capacity",
        {"peak_demand_kw": DELETE},
        "facility_electricity_kwh",
        context={"contracted_grid_capacity_kw": 5_000.0},
    ),
    Case(
        "submission.energy_exceeds_it_capacity",
        {},
        "facility_electricity_kwh",
        context={"rated_it_capacity_kw": 4_000.0},
    ),
    Case("submission.peak_exceeds_grid_capacity", {"peak_demand_kw": 12_000}, "peak_demand_kw"),
    Case(
        "submission.energy_exceeds_peak_demand",
        {"peak_demand_kw": "5 MW"},
        "facility_electricity_kwh",
    ),
    Case(
        "submission.equipment_energy_mismatch", {"equipment.0.count": 400}, "mining_electricity_kwh"
    ),
    Case(
        "submission.equipment_energy_mismatch", {"equipment.0.count": 10}, "mining_electricity_kwh"
    ),
    Case(
        "submission.hashrate_energy_mismatch",
        {"coins.0.hashrate_ths": "150 PH/s"},
        "coins.0.electricity_kwh",
    ),
    Case(
        "submission.hashrate_energy_mismatch",
        {"coins.0.hashrate_ths": 1_000},
        "coins.0.electricity_kwh",
    ),
    Case(
        "submission.equipment_power_implausible",
        {"equipment.2": _RACK},
        "equipment.2.rated_power_w",
    ),
    Case("submission.equipment_missing", {"equipment": []}, "equipment"),
    Case(
        "submission.equipment_power_off_catalogue",
        {"equipment.0.rated_power_w": 2_300},  # 29 % below the catalogue's 3,250 W
        "equipment.0.rated_power_w",
    ),
    # dates
    Case(
        "submission.mining_start_after_period",
        {"mining_start_date": "2021-05-10"},
        "mining_start_date",
    ),
    Case("submission.exit_before_start", {"planned_exit_date": "2020-05-01"}, "planned_exit_date"),
    Case(
        "submission.no_mining_in_period",
        {"mining_start_date": "2019-01-01", "planned_exit_date": "2020-01-01"},
        "planned_exit_date",
    ),
    Case(
        "submission.no_mining_in_period", {"planned_exit_date": "2021-04-01"}, "planned_exit_date"
    ),
    Case("submission.exit_in_period", {"planned_exit_date": "2021-04-25"}, "planned_exit_date"),
    Case(
        "submission.attestation_before_period",
        {"attestation.signed_at": "2021-03-31T23:59:00+08:00"},
        "attestation.signed_at",
    ),
    Case(
        "submission.attestation_in_future",
        {"attestation.signed_at": "2021-05-06T12:06:00+08:00"},
        "attestation.signed_at",
    ),
    # parties
    Case("submission.attestation_missing", {"attestation": DELETE}, "attestation"),
    Case(
        "submission.attestation_not_accepted",
        {"attestation.statement_accepted": False},
        "attestation.statement_accepted",
    ),
    Case(
        "submission.contact_email_invalid", {"contact.email": "li.wei.example.cn"}, "contact.email"
    ),
    Case(
        "submission.contact_email_invalid", {"contact.email": "li wei@example.cn"}, "contact.email"
    ),
    Case("submission.operation_mode_missing", {"operation_mode": DELETE}, "operation_mode"),
    Case("submission.hosting_without_clients", {"operation_mode": "hosting"}, "hosted_clients"),
    Case(
        "submission.hosting_without_clients",
        {"operation_mode": "both", "hosted_clients": DELETE},
        "hosted_clients",
    ),
    Case("submission.own_mining_with_clients", {"hosted_clients": 3}, "hosted_clients"),
]


def _case_id(case: Case) -> str:
    return f"{case.code.removeprefix('submission.')}:{'|'.join(case.changes) or 'context'}"


# --- every rule broken and clean ---------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_each_mutation_triggers_exactly_its_code(case: Case) -> None:
    result = case.run()
    assert {f.code for f in result.findings} == {case.code}
    assert all(f.severity is FINDING_CODES[case.code] for f in result.findings)
    if case.field is not None:
        assert case.field in {f.field for f in result.findings}
    assert result.accepted is False
    for f in result.findings:
        assert f.message
        canonical_json(f.as_dict())


def test_every_code_has_a_broken_case() -> None:
    assert {c.code for c in CASES} == set(FINDING_CODES)


@pytest.mark.parametrize("rule", RULES, ids=[r.__name__ for r in RULES])
@pytest.mark.parametrize("name", ["base", "nil", "report.json", "nil-return.json"])
def test_each_rule_is_clean_on_the_clean_reports(rule: Any, name: str) -> None:
    raw = {"base": base_report, "nil": nil_report}.get(name, lambda: example(name))()
    report, problems = parse_report(raw)
    assert problems == []
    assert report is not None
    assert rule(report, CONTEXT, RuleSettings()) == []


@pytest.mark.parametrize("name", ["report.json", "nil-return.json"])
def test_committed_examples_are_accepted(name: str) -> None:
    result = validate_report(example(name), CONTEXT)
    assert result.findings == ()
    assert result.accepted
    assert result.normalised is not None


def test_rules_are_documented_and_named_after_their_code() -> None:
    for rule in RULES:
        assert rule.__doc__
        assert f"``submission.{rule.__name__}``" in rule.__doc__


# --- messages, fields and data -----------------------------------------------------------


def _only(case: Case) -> Any:
    (found,) = case.run().findings
    return found


def test_messages_carry_numbers_and_units() -> None:
    exceeds = _only(
        Case("x", {"facility_electricity_kwh": 300_000, "mining_share_pct": DELETE}, None)
    )
    assert "380,000 kWh" in exceeds.message
    assert "300,000 kWh" in exceeds.message
    assert exceeds.data == {
        "mining_electricity_kwh": 380_000.0,
        "facility_electricity_kwh": 300_000.0,
    }
    grid = _only(
        Case(
            "x", {"peak_demand_kw": DELETE}, None, context={"contracted_grid_capacity_kw": 5_000.0}
        )
    )
    assert "5,000 kW × 720 h = 3,600,000 kWh" in grid.message
    assert grid.data["hours"] == 720.0
    exit_warning = _only(Case("x", {"planned_exit_date": "2021-04-25"}, None))
    assert "2021-04-25" in exit_warning.message
    share = _only(Case("x", {"mining_share_pct": 12}, None))
    assert "12 %" in share.message
    assert "9.5 %" in share.message
    assert share.data["gap_pct_points"] == pytest.approx(2.5)


def test_equipment_check_uses_the_hours_mining_ran() -> None:
    # exit on 2021-04-25: mining 1–24 April = 576 h; 400 × 3,250 W + 50 × 3,344 W = 1,467.2 kW
    changes = {"planned_exit_date": "2021-04-25", "equipment.0.count": 400}
    by_code = {f.code: f for f in Case("x", changes, None).run().findings}
    assert set(by_code) == {"submission.exit_in_period", "submission.equipment_energy_mismatch"}
    mismatch = by_code["submission.equipment_energy_mismatch"]
    assert mismatch.data["hours"] == 576.0
    # the energy model: uptime 0.90/0.97/1.00 × overhead 1.01/1.03/1.06 × PUE 1.01/1.10/1.20
    assert mismatch.data["estimate_lower_kwh"] == pytest.approx(1_467.2 * 576 * 0.9 * 1.01**2)
    assert mismatch.data["estimate_best_kwh"] == pytest.approx(1_467.2 * 576 * 0.97 * 1.03 * 1.1)
    assert mismatch.data["estimate_upper_kwh"] == pytest.approx(1_467.2 * 576 * 1.06 * 1.2)
    assert mismatch.data["expected_min_kwh"] == pytest.approx(1_467.2 * 576 * 0.9 * 1.01**2 * 0.7)
    assert mismatch.data["expected_max_kwh"] == pytest.approx(1_467.2 * 576 * 1.06 * 1.2 * 1.3)


def test_hashrate_check_reports_the_implied_efficiency() -> None:
    found = _only(Case("x", {"coins.0.hashrate_ths": 1_000}, None))
    # 380,000 kWh × 1000 / (1,000 TH/s × 720 h) = 527.8 J/TH
    assert found.data["implied_efficiency_j_per_th"] == pytest.approx(527.777, rel=1e-4)
    assert "J/TH" in found.message


def test_a_nil_return_gives_one_finding_per_contradiction() -> None:
    result = Case("x", {"involved_in_mining": False}, None).run()
    assert sorted(f.field or "" for f in result.findings) == [
        "coins",
        "equipment",
        "mining_electricity_kwh",
        "mining_share_pct",
        "mining_start_date",
    ]


def test_a_planned_start_after_the_period_is_fine_on_a_nil_return() -> None:
    assert Case("x", {"mining_start_date": "2021-09-01"}, None, nil=True).run().findings == ()


# --- settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "loose"),
    [
        (
            Case("submission.share_mismatch", {"mining_share_pct": 12}, None),
            {"share_tolerance_pct_points": 3},
        ),
        (
            Case("submission.coin_sum_mismatch", {"coins.0.electricity_kwh": 300_000}, None),
            {"coin_sum_tolerance_pct": 25},
        ),
        (
            Case("submission.equipment_energy_mismatch", {"equipment.0.count": 10}, None),
            {"equipment_tolerance_pct": 200},
        ),
        (
            Case(
                "submission.hashrate_energy_mismatch",
                {"coins.0.hashrate_ths": 1_000},
                None,
                context={"catalogue": ()},
            ),
            {"sha256_efficiency_max_j_per_th": 600},
        ),
        (
            Case("submission.equipment_power_implausible", {"equipment.2": _RACK}, None),
            {"rated_power_max_w": 25_000},
        ),
        (
            Case(
                "submission.attestation_in_future",
                {"attestation.signed_at": "2021-05-06T12:06:00+08:00"},
                None,
            ),
            {"clock_skew_s": 600},
        ),
        (
            Case(
                "submission.energy_exceeds_it_capacity",
                {},
                None,
                context={"rated_it_capacity_kw": 4_000.0},
            ),
            {"pue_upper": 1.5},
        ),
    ],
)
def test_tolerances_come_from_the_settings(case: Case, loose: dict[str, float]) -> None:
    assert {f.code for f in case.run().findings} == {case.code}
    assert case.run(RuleSettings(**loose)).findings == ()


def test_capacity_tolerance_is_an_allowance_for_rounding() -> None:
    # 10,000 kW × 720 h = 7,200,000 kWh; 1 % over is allowed by default
    within = {
        "facility_electricity_kwh": 7_250_000,
        "peak_demand_kw": DELETE,
        "mining_share_pct": DELETE,
    }
    context = {"rated_it_capacity_kw": None}
    assert Case("x", within, None, context=context).run().findings == ()
    strict = RuleSettings(capacity_tolerance_pct=0)
    found = Case("x", within, None, context=context).run(strict).findings
    assert [f.code for f in found] == ["submission.energy_exceeds_grid_capacity"]


def test_settings_are_frozen_bounded_and_described() -> None:
    defaults = RuleSettings()
    assert defaults.share_tolerance_pct_points == 0.5
    assert defaults.coin_sum_tolerance_pct == 1.0
    assert defaults.equipment_tolerance_pct == 30.0
    with pytest.raises(ValidationError):
        defaults.pue_upper = 2.0  # type: ignore[misc]
    with pytest.raises(ValidationError):
        RuleSettings(share_tolerance_pct_points=-1)
    with pytest.raises(ValidationError):
        RuleSettings(sha256_efficiency_min_j_per_th=200, sha256_efficiency_max_j_per_th=100)
    with pytest.raises(ValidationError):
        RuleSettings(rated_power_min_w=5_000, rated_power_max_w=1_000)
    with pytest.raises(ValidationError):
        RuleSettings(share_tolerance=1)  # type: ignore[call-arg]
    for name, info in RuleSettings.model_fields.items():
        assert info.description, name
        assert info.metadata, f"{name} has no bounds"


# --- explanations ------------------------------------------------------------------------

_EXIT = {"planned_exit_date": "2021-04-25"}


@pytest.mark.parametrize(
    ("explanations", "accepted"),
    [
        ({}, False),
        ({"submission.exit_in_period": "We moved the machines to Sichuan."}, True),
        ({"submission.exit_in_period@planned_exit_date": "Moved to Sichuan."}, True),
        ({"submission.exit_in_period@mining_start_date": "wrong field"}, False),
        ({"submission.share_mismatch": "not the warning raised"}, False),
    ],
)
def test_warnings_need_an_explanation(explanations: dict[str, str], accepted: bool) -> None:
    result = Case("x", _EXIT | {"explanations": explanations}, None).run()
    assert [f.code for f in result.warnings] == ["submission.exit_in_period"]
    assert result.errors == []
    assert result.accepted is accepted
    assert len(result.unexplained_warnings) == (0 if accepted else 1)
    assert result.as_dict()["accepted"] is accepted


def test_explanations_for_codes_not_raised_are_harmless() -> None:
    raw = base_report() | {"explanations": {"submission.exit_in_period": "n/a", "x.y@z": "n/a"}}
    result = validate_report(raw, CONTEXT)
    assert result.findings == ()
    assert result.accepted


def test_errors_cannot_be_explained() -> None:
    result = Case(
        "x", {"mining_share_pct": 12, "explanations": {"submission.share_mismatch": "x"}}, None
    ).run()
    assert result.errors
    assert not result.accepted


def test_one_explanation_per_field() -> None:
    changes = {
        "equipment.2": _RACK,
        "equipment.3": _RACK | {"rated_power_w": 50},
        "equipment.0.count": 94,
    }
    result = Case("x", changes, None).run()
    fields = sorted(f.field or "" for f in result.warnings)
    assert fields == ["equipment.2.rated_power_w", "equipment.3.rated_power_w"]
    explained = {"submission.equipment_power_implausible@equipment.2.rated_power_w": "a rack"}
    again = Case("x", changes | {"explanations": explained}, None).run()
    assert [f.field for f in again.unexplained_warnings] == ["equipment.3.rated_power_w"]


# --- unparsable input --------------------------------------------------------------------


def test_unparsable_input_has_no_report() -> None:
    raw = base_report() | {"mining_electricity_kwh": "lots", "explanations": {"a.b": "text"}}
    result = validate_report(raw, CONTEXT)
    assert result.report is None
    assert result.normalised is None
    assert [f.code for f in result.findings] == ["submission.not_numeric"]
    assert result.explanations == {"a.b": "text"}
    assert not result.accepted


_json = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
_FIELDS = [
    *Report.model_fields,
    "coins.0.electricity_kwh",
    "equipment.1.count",
    "attestation.signed_at",
]


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(_FIELDS), _json, max_size=4))
def test_validation_never_raises(changes: dict[str, Any]) -> None:
    raw = base_report()
    for path, value in changes.items():
        with contextlib.suppress(LookupError, TypeError):  # a parent replaced earlier
            _apply(raw, {path: value})
    result = validate_report(raw, CONTEXT)
    assert (result.report is None) == (result.normalised is None)
    if result.report is None:
        assert result.errors
    else:
        canonical_json(result.normalised)
    for f in result.findings:
        assert f.code in FINDING_CODES
        assert f.severity is FINDING_CODES[f.code]
        canonical_json(f.as_dict())


@settings(max_examples=100, deadline=None)
@given(_json)
def test_validation_of_any_json_never_raises(raw: Any) -> None:
    result = validate_report(raw, CONTEXT)
    assert not result.accepted


# --- hours and the context ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "zone", "hours"),
    [
        (dt.date(2021, 4, 1), dt.date(2021, 4, 30), "Asia/Shanghai", 720.0),
        (dt.date(2021, 4, 27), dt.date(2021, 4, 27), "Asia/Shanghai", 24.0),
        (dt.date(2021, 3, 1), dt.date(2021, 3, 31), "Europe/Berlin", 743.0),
        (dt.date(2021, 10, 1), dt.date(2021, 10, 31), "Europe/Berlin", 745.0),
        (dt.date(2021, 3, 14), dt.date(2021, 3, 14), "America/New_York", 23.0),
        (dt.date(2021, 1, 1), dt.date(2021, 12, 31), "Europe/Berlin", 8760.0),
        (dt.date(2020, 1, 1), dt.date(2020, 12, 31), "UTC", 8784.0),
    ],
)
def test_hours_in_period(start: dt.date, end: dt.date, zone: str, hours: float) -> None:
    assert hours_in_period(start, end, zone) == hours


def test_hours_in_period_refuses_bad_input() -> None:
    with pytest.raises(InputError, match="before"):
        hours_in_period(dt.date(2021, 4, 2), dt.date(2021, 4, 1), "UTC")
    with pytest.raises(InputError, match="time zone"):
        hours_in_period(dt.date(2021, 4, 1), dt.date(2021, 4, 1), "Mars/Olympus")


def test_dst_changes_the_capacity_limit() -> None:
    # 10,000 kW for March: 7,440,000 kWh in Shanghai (744 h), 7,430,000 kWh in Berlin (743 h)
    raw = base_report() | {"facility_electricity_kwh": 7_435_000, "peak_demand_kw": 10_000}
    raw["mining_share_pct"] = None
    strict = RuleSettings(capacity_tolerance_pct=0)
    shanghai = dataclasses.replace(
        CONTEXT,
        period_start=dt.date(2021, 3, 1),
        period_end=dt.date(2021, 3, 31),
        rated_it_capacity_kw=None,
    )
    berlin = dataclasses.replace(shanghai, timezone="Europe/Berlin")
    assert validate_report(raw, shanghai, strict).errors == []
    codes = sorted(f.code for f in validate_report(raw, berlin, strict).errors)
    assert codes == [
        "submission.energy_exceeds_grid_capacity",
        "submission.energy_exceeds_peak_demand",
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"period_end": dt.date(2021, 3, 1)},
        {"timezone": "Beijing"},
        {"received_at": dt.datetime(2021, 5, 6, 12)},  # noqa: DTZ001 - naive on purpose
        {"contracted_grid_capacity_kw": -1.0},
        {"rated_it_capacity_kw": float("nan")},
    ],
)
def test_context_refuses_bad_values(changes: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        dataclasses.replace(CONTEXT, **changes)


def test_zero_capacity_means_not_recorded() -> None:
    context = dataclasses.replace(
        CONTEXT, contracted_grid_capacity_kw=0.0, rated_it_capacity_kw=0.0
    )
    assert validate_report(base_report(), context).findings == ()


def _report(**changes: Any) -> Report:
    report, problems = parse_report(base_report() | changes)
    assert report is not None, problems
    return report


@pytest.mark.parametrize(
    ("changes", "received_at", "days"),
    [
        ({}, CONTEXT.received_at, (dt.date(2021, 4, 1), dt.date(2021, 4, 30))),
        (
            {"mining_start_date": "2021-04-16"},
            CONTEXT.received_at,
            (dt.date(2021, 4, 16), dt.date(2021, 4, 30)),
        ),
        (
            {"planned_exit_date": "2021-04-25"},
            CONTEXT.received_at,
            (dt.date(2021, 4, 1), dt.date(2021, 4, 24)),
        ),
        ({"planned_exit_date": "2021-04-25"}, None, (dt.date(2021, 4, 1), dt.date(2021, 4, 24))),
        # received before the exit: the exit is only a plan, mining ran to the period's end
        (
            {"planned_exit_date": "2021-04-25"},
            dt.datetime(2021, 4, 20, tzinfo=CST),
            (dt.date(2021, 4, 1), dt.date(2021, 4, 30)),
        ),
        ({"mining_start_date": "2021-05-02"}, CONTEXT.received_at, None),
        ({"planned_exit_date": "2021-04-01"}, CONTEXT.received_at, None),
    ],
)
def test_mining_days(
    changes: dict[str, Any], received_at: dt.datetime | None, days: tuple[dt.date, dt.date] | None
) -> None:
    context = dataclasses.replace(CONTEXT, received_at=received_at)
    report = _report(**changes)
    assert mining_days(report, context) == days
    expected_hours = 0.0 if days is None else ((days[1] - days[0]).days + 1) * 24.0
    assert mining_hours(report, context) == expected_hours


def test_finding_codes_have_the_documented_severity() -> None:
    assert FINDING_CODES["submission.energy_exceeds_grid_capacity"] is Severity.ERROR
    assert FINDING_CODES["submission.energy_exceeds_it_capacity"] is Severity.WARNING
    assert all(code.startswith("submission.") for code in FINDING_CODES)
