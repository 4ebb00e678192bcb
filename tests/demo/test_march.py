"""The demo's March notice: reports derived from April's that the real rules accept."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from hashwatch.demo.facilities import generate_registry
from hashwatch.demo.march import (
    MARCH_DEADLINE,
    MARCH_END,
    MARCH_START,
    MarchPlan,
    april_reports,
    plan_march,
)
from hashwatch.demo.plan import Action, CityPlan, plan_city
from hashwatch.demo.reports import PERIOD_START, Scenario, kwh_value
from hashwatch.reporting.rules import RuleContext, validate_report

FACILITIES = 300


@pytest.fixture(scope="module")
def months() -> tuple[dict[str, tuple[float, float]], CityPlan, MarchPlan]:
    """A full-size city: capacities by facility code, the April plan and the March plan."""
    rng = random.Random(2021)
    registry = generate_registry(rng, FACILITIES)
    april = plan_city(rng, registry.facilities)
    march = plan_march(random.Random(7), registry.facilities, april)
    capacities = {
        f.code: (f.rated_it_capacity_kw, f.contracted_grid_capacity_kw) for f in registry.facilities
    }
    return capacities, april, march


def _submitted(march: MarchPlan) -> dict[str, dict[str, Any]]:
    return {s.facility_code: s.report for s in march.steps if s.report is not None}


def test_march_reports_pass_the_real_rules(
    months: tuple[dict[str, tuple[float, float]], CityPlan, MarchPlan],
) -> None:
    capacities, april, march = months
    hosting = {c for c, s in april.scenarios.items() if s is Scenario.HOSTING_COINS_UNKNOWN}
    received = {s.facility_code: s.at for s in march.steps if s.action is Action.SUBMIT}
    for code, report in _submitted(march).items():
        context = RuleContext(
            MARCH_START, MARCH_END, "Asia/Shanghai", *capacities[code], received[code]
        )
        result = validate_report(report, context)
        assert result.accepted, (code, [f.message for f in result.findings])
        expected = {"submission.coins_missing"} if code in hosting else set()
        assert {f.code for f in result.findings} == expected, code


def test_march_agrees_with_april_and_mining_grew(
    months: tuple[dict[str, tuple[float, float]], CityPlan, MarchPlan],
) -> None:
    _, april, march = months
    april_final = april_reports(april)
    march_reports = _submitted(march)
    assert len(march.non_responders) == round(FACILITIES * 0.03)
    assert set(march.non_responders) & set(april.non_responders)
    assert len(march_reports) == FACILITIES - len(march.non_responders)
    started = {
        code
        for code, r in april_final.items()
        if r.get("mining_start_date") == PERIOD_START.isoformat()
    }
    assert started
    for code, report in march_reports.items():
        before = april_final[code]
        assert report["contact"] == before["contact"]
        mining = bool(before["involved_in_mining"]) and code not in started
        assert report["involved_in_mining"] is mining, code
        if mining:
            models = {e["model"] for e in report["equipment"]}
            assert models == {e["model"] for e in before["equipment"]}
    mining_kwh = {
        month: sum(float(kwh_value(r.get("mining_electricity_kwh") or 0)) for r in reports.values())
        for month, reports in (("march", march_reports), ("april", april_final))
    }
    assert 0 < mining_kwh["march"] / 31 < mining_kwh["april"] / 30


def test_march_timeline_every_report_accepted_most_by_the_deadline(
    months: tuple[dict[str, tuple[float, float]], CityPlan, MarchPlan],
) -> None:
    _, _, march = months
    actions = Counter(s.action for s in march.steps)
    assert actions == {Action.SUBMIT: len(_submitted(march)), Action.ACCEPT: len(_submitted(march))}
    first: dict[str, Action] = {}
    for step in march.steps:
        first.setdefault(step.facility_code, step.action)
    assert set(first.values()) == {Action.SUBMIT}
    submitted_at = [s.at for s in march.steps if s.action is Action.SUBMIT]
    late = sum(at > MARCH_DEADLINE for at in submitted_at)
    assert 0 < late < 0.1 * len(submitted_at)
    assert all(at.date() > MARCH_END for at in submitted_at)
