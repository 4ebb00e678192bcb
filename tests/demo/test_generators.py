"""The demo's pure generators: registry rows and reports that the real rules accept."""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
from collections import Counter

import pytest

from hashwatch.demo.facilities import generate_registry
from hashwatch.demo.geography import BEIJING_BBOX
from hashwatch.demo.reports import (
    PERIOD_END,
    PERIOD_START,
    SHANGHAI,
    Scenario,
    Signer,
    Slip,
    attested,
    build_report,
    with_slip,
)
from hashwatch.reporting.models import OrganizationKind
from hashwatch.reporting.rules import RuleContext, validate_report
from hashwatch.reporting.uscc import is_valid_uscc

RECEIVED = dt.datetime(2021, 5, 6, 10, 0, tzinfo=SHANGHAI)
EXPECTED_WARNING = {
    Scenario.NIL: set(),
    Scenario.MINING: set(),
    Scenario.IT_CAPACITY_OUTDATED: {"submission.energy_exceeds_it_capacity"},
    Scenario.MID_MONTH_INSTALL: {"submission.equipment_energy_mismatch"},
    Scenario.STOPPED_AFTER_NOTICE: {"submission.exit_in_period"},
    Scenario.HOSTING_COINS_UNKNOWN: {"submission.coins_missing"},
}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_full_size_registry(seed: int) -> None:
    registry = generate_registry(random.Random(seed), 300)
    facilities = registry.facilities
    assert len(facilities) == 300
    assert len({f.district_code for f in facilities}) == 16
    telecoms = Counter(
        f.organization.name for f in facilities if f.organization.kind is OrganizationKind.TELECOM
    )
    assert len(telecoms) == 3
    assert all(25 <= n <= 45 for n in telecoms.values())
    assert all(is_valid_uscc(o.uscc) for o in registry.organizations)
    assert len({o.uscc for o in registry.organizations}) == len(registry.organizations)
    assert len({f.code for f in facilities}) == 300
    meters = [m for f in facilities for m in f.meter_ids]
    assert len(set(meters)) == len(meters)
    south, west, north, east = BEIJING_BBOX
    for f in facilities:
        assert south <= f.latitude <= north
        assert west <= f.longitude <= east
        assert 200 <= f.rated_it_capacity_kw <= 30_000
        assert 1.29 <= f.contracted_grid_capacity_kw / f.rated_it_capacity_kw <= 2.01
        assert all(ipaddress.ip_network(r).is_private for r in f.ip_ranges)


def _context(capacity_kw: float, grid_kw: float) -> RuleContext:
    return RuleContext(PERIOD_START, PERIOD_END, "Asia/Shanghai", capacity_kw, grid_kw, RECEIVED)


@pytest.mark.parametrize("scenario", list(Scenario))
def test_reports_pass_the_real_rules_with_exactly_their_warning(scenario: Scenario) -> None:
    rng = random.Random(11)
    facilities = generate_registry(rng, 300).facilities
    roomy = [
        f for f in facilities if f.contracted_grid_capacity_kw >= 1.45 * f.rated_it_capacity_kw
    ]
    for facility in roomy[:60]:
        report = attested(
            build_report(rng, facility, scenario),
            Signer("陈杰", "总经理 General manager"),
            RECEIVED - dt.timedelta(hours=1),
        )
        context = _context(facility.rated_it_capacity_kw, facility.contracted_grid_capacity_kw)
        result = validate_report(report, context)
        assert result.accepted, [f.message for f in result.findings]
        assert {f.code for f in result.findings} == EXPECTED_WARNING[scenario]


@pytest.mark.parametrize("slip", list(Slip))
def test_slips_are_refused(slip: Slip) -> None:
    rng = random.Random(5)
    facility = generate_registry(rng, 50).facilities[0]
    scenario = Scenario.MID_MONTH_INSTALL if slip is Slip.UNEXPLAINED_WARNING else Scenario.MINING
    report = attested(build_report(rng, facility, scenario), Signer("王芳", "运维总监"), RECEIVED)
    context = _context(facility.rated_it_capacity_kw, facility.contracted_grid_capacity_kw)
    assert validate_report(report, context).accepted
    assert not validate_report(with_slip(report, slip), context).accepted
