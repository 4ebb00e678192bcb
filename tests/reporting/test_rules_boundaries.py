"""Rules at their boundaries: equal amounts in different units, mining-day edges, extremes.

Each boundary case writes two amounts that are exactly equal (or exactly at a limit) in
different units; binary floating point used to put one a few ulps above the other and trip
the rule. The numbers were found by searching the old code for such failures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashwatch.reporting import findings
from hashwatch.reporting.canonical import canonical_json
from hashwatch.reporting.findings import Finding, Severity
from hashwatch.reporting.report import Report
from hashwatch.reporting.report_parsing import parse_report
from hashwatch.reporting.rules import FINDING_CODES, RuleContext, RuleSettings, validate_report
from hashwatch.reporting.rules_amounts import (
    coin_sum_mismatch,
    mining_exceeds_total,
    renewable_share_out_of_range,
    self_generation_exceeds_total,
    share_mismatch,
    share_out_of_range,
)
from hashwatch.reporting.rules_capacity import (
    energy_exceeds_grid_capacity,
    energy_exceeds_it_capacity,
    energy_exceeds_peak_demand,
    equipment_energy_mismatch,
    equipment_power_implausible,
    hashrate_energy_mismatch,
    peak_exceeds_grid_capacity,
)
from hashwatch.reporting.rules_common import (
    AMOUNT_REL_TOLERANCE,
    Rule,
    exceeds,
    falls_short,
    finding,
    finite_data,
    within,
)
from hashwatch.reporting.rules_dates import exit_in_period, no_mining_in_period
from tests.reporting.report_samples import CONTEXT, base_report, nil_report

_BCH = {"coin": "BCH", "algorithm": "SHA-256"}


def _apply(raw: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Set dotted paths in ``raw``; a list index one past the end appends."""
    for path, value in changes.items():
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        target: Any = raw
        for part in parents:
            target = target[part]
        if isinstance(target, list) and last == len(target):
            target.append(value)
        else:
            target[last] = value
    return raw


def _report(changes: dict[str, Any], raw: dict[str, Any] | None = None) -> Report:
    """The base report (or ``raw``) with dotted paths set, parsed."""
    report, problems = parse_report(_apply(base_report() if raw is None else raw, changes))
    assert report is not None, problems
    return report


class Boundary(NamedTuple):
    rule: Rule
    changes: dict[str, Any]
    settings: dict[str, float] = {}  # noqa: RUF012 - read only
    context: dict[str, Any] = {}  # noqa: RUF012 - read only

    def findings(self) -> list[Finding]:
        context = dataclasses.replace(CONTEXT, **self.context)
        return self.rule(_report(self.changes), context, RuleSettings(**self.settings))


_STRICT = {"capacity_tolerance_pct": 0.0}
_MODEL_EDGE = {"pue_upper": 1.0, "equipment_tolerance_pct": 0.0}

BOUNDARIES = [
    # the review's example, and the first failure of the old code in 1,000–100,000 kWh
    Boundary(
        mining_exceeds_total,
        {"facility_electricity_kwh": 2007, "mining_electricity_kwh": "2.007 MWh"},
    ),
    Boundary(
        mining_exceeds_total,
        {
            "facility_electricity_kwh": 2015,
            "mining_electricity_kwh": {"value": 2.015, "unit": "MWh"},
        },
    ),
    Boundary(
        self_generation_exceeds_total,
        {"facility_electricity_kwh": 2015, "power_supply.self_generation_kwh": "2.015 MWh"},
    ),
    # coins summing exactly to the mining total, with no tolerance
    Boundary(
        coin_sum_mismatch,
        {
            "mining_electricity_kwh": 16_200,
            "coins.0.electricity_kwh": "16.1 MWh",
            "coins.1": _BCH | {"electricity_kwh": "0.1 MWh"},
        },
        {"coin_sum_tolerance_pct": 0.0},
    ),
    # coins exactly 1 % (the default tolerance) above the mining total
    Boundary(
        coin_sum_mismatch,
        {"mining_electricity_kwh": 127_000, "coins.0.electricity_kwh": "128.27 MWh"},
    ),
    # stated share exactly the tolerance (0.5 points) from 11 kWh / 1,000 kWh = 1.1 %
    Boundary(
        share_mismatch,
        {
            "facility_electricity_kwh": "1000 kWh",
            "mining_electricity_kwh": "0.011 MWh",
            "mining_share_pct": "1.6 %",
        },
    ),
    Boundary(share_out_of_range, {"mining_share_pct": "100 %"}),
    Boundary(share_out_of_range, {"mining_share_pct": {"value": 0, "unit": "pct"}}),
    Boundary(renewable_share_out_of_range, {"power_supply.renewable_share_pct": "100 percent"}),
    Boundary(renewable_share_out_of_range, {"power_supply.renewable_share_pct": "-0 %"}),
    # capacity × hours exactly at the limit: 709 kW × 720 h = 510,480 kWh
    Boundary(
        energy_exceeds_grid_capacity,
        {"facility_electricity_kwh": "0.51048 GWh"},
        _STRICT,
        {"contracted_grid_capacity_kw": 709.0},
    ),
    # ... and exactly at the default 1 % allowance: 177 kW × 720 h × 1.01 = 128,714.4 kWh
    Boundary(
        energy_exceeds_grid_capacity,
        {"facility_electricity_kwh": "0.1287144 GWh"},
        {},
        {"contracted_grid_capacity_kw": 177.0},
    ),
    # 114 kW × PUE 1.2 × 720 h = 98,496 kWh
    Boundary(
        energy_exceeds_it_capacity,
        {"facility_electricity_kwh": "0.098496 GWh"},
        _STRICT,
        {"rated_it_capacity_kw": 114.0},
    ),
    Boundary(
        energy_exceeds_peak_demand,
        {"peak_demand_kw": "0.709 MW", "facility_electricity_kwh": "0.51048 GWh"},
        _STRICT,
    ),
    Boundary(
        peak_exceeds_grid_capacity,
        {"peak_demand_kw": "2.011 MW"},
        _STRICT,
        {"contracted_grid_capacity_kw": 2_011.0},
    ),
    # the energy model with PUE 1 and no tolerance: 100 × 3,250 W + 50 × 3,344 W (the
    # catalogue's ratings, whatever is declared) = 492,200 W over 720 h; upper = × 1.00
    # uptime × 1.06 overhead = 375,646.56 kWh, lower = × 0.90 × 1.01 = 322,135.056 kWh
    Boundary(
        equipment_energy_mismatch,
        {"equipment.0.rated_power_w": "1.884 kW", "mining_electricity_kwh": "375.64656 MWh"},
        _MODEL_EDGE,
    ),
    Boundary(
        equipment_energy_mismatch,
        {"mining_electricity_kwh": "322.135056 MWh"},
        _MODEL_EDGE,
    ),
    # no catalogue: efficiency from the settings, 14–160 J/TH; 1,016 TH/s × 720 h:
    # upper 160 × 1.06 → 124,065.792 kWh, lower 14 × 0.90 × 1.01 → 9,309.32352 kWh
    Boundary(
        hashrate_energy_mismatch,
        {"coins.0.hashrate_ths": "1.016 PH/s", "coins.0.electricity_kwh": "124.065792 MWh"},
        _MODEL_EDGE,
        {"catalogue": ()},
    ),
    Boundary(
        hashrate_energy_mismatch,
        {"coins.0.hashrate_ths": "1.016 PH/s", "coins.0.electricity_kwh": "9.30932352 MWh"},
        _MODEL_EDGE,
        {"catalogue": ()},
    ),
    Boundary(equipment_power_implausible, {"equipment.0.rated_power_w": "0.1 kW"}),
    Boundary(equipment_power_implausible, {"equipment.0.rated_power_w": "0.015 MW"}),
]


@pytest.mark.parametrize(
    "case", BOUNDARIES, ids=[f"{c.rule.__name__}-{i}" for i, c in enumerate(BOUNDARIES)]
)
def test_amounts_exactly_at_a_limit_never_trip_a_rule(case: Boundary) -> None:
    assert case.findings() == []


@pytest.mark.parametrize(
    ("rule", "changes"),
    [
        (mining_exceeds_total, {"facility_electricity_kwh": 2007, "mining_electricity_kwh": 2008}),
        (share_out_of_range, {"mining_share_pct": "100.001 %"}),
        (share_out_of_range, {"mining_share_pct": "-0.001 %"}),
        (
            coin_sum_mismatch,
            {"mining_electricity_kwh": 127_000, "coins.0.electricity_kwh": "128.271 MWh"},
        ),
    ],
)
def test_amounts_just_past_a_limit_still_trip_it(rule: Rule, changes: dict[str, Any]) -> None:
    assert len(rule(_report(changes), CONTEXT, RuleSettings())) == 1


def test_a_report_with_equal_amounts_in_different_units_is_accepted() -> None:
    raw = base_report() | {
        "facility_electricity_kwh": 2007,
        "mining_electricity_kwh": "2.007 MWh",
        "mining_share_pct": "100 %",
    }
    result = validate_report(raw, CONTEXT)
    assert "submission.mining_exceeds_total" not in {f.code for f in result.findings}
    assert result.normalised is not None
    assert result.normalised["mining_electricity_kwh"] == 2007.0


def test_the_comparison_helpers() -> None:
    assert not exceeds(2007.0000000000002, 2007.0)
    assert exceeds(2007.001, 2007.0)
    assert falls_short(-1e-9, 0.0)
    assert not falls_short(2006.9999999999998, 2007.0)
    assert within(100.00000000000001, 0.0, 100.0)
    assert not within(100.0 * (1 + 10 * AMOUNT_REL_TOLERANCE), 0.0, 100.0)
    assert within(0.0, 0.0, 0.0)


# --- no mining in the period, and the exit at the period's edges ------------------------


def _codes(changes: dict[str, Any], *, nil: bool = False, **context: Any) -> set[str]:
    raw = nil_report() if nil else base_report()
    result = validate_report(raw | changes, dataclasses.replace(CONTEXT, **context))
    return {f.code for f in result.findings}


@pytest.mark.parametrize(
    "changes",
    [
        {"mining_start_date": "2019-01-01", "planned_exit_date": "2020-01-01"},
        {"planned_exit_date": "2021-04-01"},  # the exit is the period's first day
        {"mining_start_date": None, "planned_exit_date": "2021-03-15"},
        {"mining_start_date": "2021-04-10", "planned_exit_date": "2021-04-10"},
    ],
)
def test_an_involved_report_without_a_mining_day_is_an_error(changes: dict[str, Any]) -> None:
    assert _codes(changes) - {"submission.exit_in_period"} == {"submission.no_mining_in_period"}


_BEFORE_THE_PERIOD = {"received_at": dt.datetime(2021, 3, 20, tzinfo=dt.UTC)}


@pytest.mark.parametrize(
    ("changes", "nil", "context"),
    [
        ({"planned_exit_date": "2021-04-02"}, False, {}),  # one day of mining
        ({"planned_exit_date": "2021-05-01"}, False, {}),
        ({"planned_exit_date": None}, False, {}),
        ({"mining_start_date": "2019-01-01", "planned_exit_date": "2020-01-01"}, True, {}),
        # filed before the period began: the exit is only a plan
        ({"planned_exit_date": "2021-04-01"}, False, _BEFORE_THE_PERIOD),
    ],
)
def test_no_mining_in_period_is_quiet_when_a_day_was_mined(
    changes: dict[str, Any], nil: bool, context: dict[str, Any]
) -> None:
    report = _report(changes, nil_report() if nil else None)
    rule_context = dataclasses.replace(CONTEXT, **context)
    assert no_mining_in_period(report, rule_context, RuleSettings()) == []


def test_no_mining_in_period_leaves_other_date_errors_to_their_rules() -> None:
    assert _codes({"mining_start_date": "2021-05-10"}) == {"submission.mining_start_after_period"}
    assert _codes({"planned_exit_date": "2020-05-01"}) == {"submission.exit_before_start"}


@pytest.mark.parametrize(
    ("exit_date", "warned"),
    [
        ("2021-04-01", False),  # period_start: no mining in the period at all
        ("2021-04-02", True),
        ("2021-04-30", True),  # period_end: the last day was not mined
        ("2021-05-01", False),  # the day after: mined all period
    ],
)
def test_exit_in_period_boundaries(exit_date: str, warned: bool) -> None:
    report = _report({"planned_exit_date": exit_date})
    assert bool(exit_in_period(report, CONTEXT, RuleSettings())) is warned


# --- extreme values ----------------------------------------------------------------------


def test_finding_data_holds_no_infinity() -> None:
    found = finding(
        "submission.x",
        Severity.WARNING,
        "m",
        None,
        a=math.inf,
        b=-math.inf,
        c=math.nan,
        d=1.5,
        e=[math.inf, 2],
        f={"g": math.nan},
        s="inf",
    )
    assert found.data == {
        "a": None,
        "b": None,
        "c": None,
        "d": 1.5,
        "e": [None, 2],
        "f": {"g": None},
        "s": "inf",
    }
    canonical_json(found.as_dict())
    assert finite_data((1.0, math.inf)) == [1.0, None]


@pytest.mark.parametrize(
    "changes",
    [
        # 1e12 kWh / (1e-300 TH/s × 720 h): the implied efficiency overflows
        {"coins.0.hashrate_ths": 1e-300, "coins.0.electricity_kwh": "1,000 TWh"},
        # gap / 5e-324 kWh × 100 overflows
        {"mining_electricity_kwh": 5e-324, "mining_share_pct": None},
        # 1e12 kWh / 1e-307 kWh × 100: the derived share overflows
        {"facility_electricity_kwh": 1e-307, "mining_electricity_kwh": 1e10},
    ],
)
def test_extreme_but_valid_values_validate_and_serialise(changes: dict[str, Any]) -> None:
    raw = base_report()
    _report(changes, raw)  # applies the changes to raw
    result = validate_report(raw, CONTEXT)
    assert result.normalised is not None
    canonical_json(result.normalised)
    assert result.findings
    for f in result.findings:
        canonical_json(f.as_dict())


def test_extreme_context_hours_do_not_overflow() -> None:
    context = RuleContext(
        period_start=dt.date(1900, 1, 1),
        period_end=dt.date(2200, 12, 31),
        timezone="UTC",
        rated_it_capacity_kw=1e300,
        contracted_grid_capacity_kw=1e300,
    )
    raw = base_report() | {"mining_start_date": "1900-01-01", "planned_exit_date": None}
    raw["equipment"] = [{"model": "m", "count": 10_000_000, "rated_power_w": "10 GW"}]
    result = validate_report(raw, context)
    for f in result.findings:
        canonical_json(f.as_dict())


_extreme_numbers = st.one_of(
    st.floats(),
    st.sampled_from([0.0, -0.0, 5e-324, 1e-307, 1e-300, 1e12, 1e300, 1.7e308, -1.7e308]),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.sampled_from([10**400, 10_000_000, 10_000_001, 2**63]),
)
_extreme_quantities = st.one_of(
    _extreme_numbers,
    st.builds(
        "{} {}".format,
        st.sampled_from(["1e300", "1.7e308", "1e-307", "999,999,999,999", "1e12", "5e-324"]),
        st.sampled_from(["kWh", "TWh", "Wh", "W", "GW", "TH/s", "EH/s", "H/s", "%", ""]),
    ),
)
_extreme_dates = st.one_of(
    st.dates().map(dt.date.isoformat),
    st.sampled_from(["0001-01-01", "9999-12-31", "1900-01-01", "2200-12-31", "1899-12-31"]),
)
_extreme_times = st.builds(
    "{}T{}{}".format,
    _extreme_dates,
    st.sampled_from(["00:00:00", "23:59:59.999999"]),
    st.sampled_from(["+14:00", "-14:00", "Z", "+23:59", "-23:59"]),
)
_EXTREMES = {
    "facility_electricity_kwh": _extreme_quantities,
    "mining_electricity_kwh": _extreme_quantities,
    "mining_share_pct": _extreme_quantities,
    "peak_demand_kw": _extreme_quantities,
    "hosted_clients": _extreme_numbers,
    "coins.0.electricity_kwh": _extreme_quantities,
    "coins.0.hashrate_ths": _extreme_quantities,
    "coins.1": st.builds(
        lambda kwh: {"coin": "BCH", "algorithm": "SHA-256", "electricity_kwh": kwh},
        _extreme_quantities,
    ),
    "equipment.0.count": _extreme_numbers,
    "equipment.0.rated_power_w": _extreme_quantities,
    "equipment.1.count": _extreme_numbers,
    "power_supply.self_generation_kwh": _extreme_quantities,
    "power_supply.renewable_share_pct": _extreme_quantities,
    "mining_start_date": _extreme_dates,
    "planned_exit_date": _extreme_dates,
    "attestation.signed_at": _extreme_times,
}
_extreme_contexts = st.builds(
    lambda received_at, grid_kw, it_kw: dataclasses.replace(
        CONTEXT,
        received_at=received_at,
        contracted_grid_capacity_kw=grid_kw,
        rated_it_capacity_kw=it_kw,
    ),
    st.one_of(
        st.none(),
        st.datetimes(
            min_value=dt.datetime(1, 1, 2),  # noqa: DTZ001 - made aware below
            max_value=dt.datetime(9999, 12, 30),  # noqa: DTZ001
            timezones=st.just(dt.UTC),
        ),
    ),
    st.one_of(st.none(), st.floats(min_value=0, max_value=1e308)),
    st.one_of(st.none(), st.floats(min_value=0, max_value=1e308)),
)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional=_EXTREMES), _extreme_contexts)
def test_extreme_numbers_and_dates_never_raise_and_serialise(
    changes: dict[str, Any], context: Any
) -> None:
    raw = _apply(base_report(), changes)
    result = validate_report(raw, context)
    assert (result.report is None) == (result.normalised is None)
    if result.normalised is not None:
        canonical_json(result.normalised)
    canonical_json(result.as_dict())
    for f in result.findings:
        assert f.code in FINDING_CODES
        assert f.severity is FINDING_CODES[f.code]
        canonical_json(f.as_dict())


def test_findings_module_exports_only_the_finding_types() -> None:
    public = {
        name
        for name, value in vars(findings).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == findings.__name__
    }
    assert public == {"Finding", "Severity"}
    assert not hasattr(Finding, "from_dict")
