"""The month before: the demo city's March 2021 notice, its reports and their review.

The demo's own invention (no such notice is known): a monthly notice for March 2021 goes out
on 1 April 2021, due 12 April, so that the April notice's assessment has a trend to show.
Pure planning, as :mod:`hashwatch.demo.plan`: each facility's March report is derived from
its April report (:func:`april_reports`), so that the two months agree:

* a nil return in April is a nil return in March, the electricity for 31 days (± 4 %); the
  facility whose new hall was fitted out in March (``IT_CAPACITY_OUTDATED``) drew 78–86 % of
  April's;
* mining from 1 April (``mining_start_date`` 2021-04-01) is a nil return in March with the
  facility's other electricity only;
* mining is the same machine models in March: 65–95 % of April's machines for two in three
  facilities (they grew in April), all of them for the rest; the new hall switched on in
  late April (``MID_MONTH_INSTALL``) leaves 15–25 %; the facility that stopped after the
  April notice (``STOPPED_AFTER_NOTICE``) mined all of March and had no exit date yet.

Mining electricity per coin is built bottom-up over March's 744 hours as in
:mod:`hashwatch.demo.reports`, the other electricity is April's for 31 days (± 4 %) within
the same room (rated IT × 1.12). About 3 % of recipients do not report (half of them April's
non-responders); a few report after the deadline; the reviewer accepts every report.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from hashwatch.demo.equipment import ETHASH_MACHINES, MACHINES, SCRYPT_MACHINE, FleetLine
from hashwatch.demo.facilities import DemoFacility
from hashwatch.demo.plan import Action, CityPlan, Step
from hashwatch.demo.reports import (
    PERIOD_HOURS,
    PERIOD_START,
    SHANGHAI,
    Scenario,
    Signer,
    attested,
    coin_lines,
    equipment_lines,
    kwh_value,
    quantity_as_written,
)
from hashwatch.reporting.rules import hours_in_period

MARCH_START: Final = dt.date(2021, 3, 1)
MARCH_END: Final = dt.date(2021, 3, 31)
MARCH_HOURS: Final = hours_in_period(MARCH_START, MARCH_END, "Asia/Shanghai")
MARCH_SENT: Final = dt.datetime(2021, 4, 1, 10, 0, tzinfo=SHANGHAI)
MARCH_DEADLINE: Final = dt.datetime(2021, 4, 12, 18, 0, tzinfo=SHANGHAI)
MARCH_NON_RESPONSE_SHARE: Final = 0.03
MARCH_LATE_SHARE: Final = 0.03
#: Days of April 2021 the March reports arrive, with weights (3-5 April: Qingming holiday).
MARCH_REPORT_DAYS: Final = {1: 0.3, 2: 0.6, 6: 1.0, 7: 1.0, 8: 1.5, 9: 2.0, 12: 3.0}
MARCH_LATE_DAYS: Final = {13: 2.0, 14: 1.0, 15: 1.0}
#: Share of April's machines already running in March, (low, high) of a uniform draw: at a
#: facility that grew in April, and at one whose new hall was switched on in late April.
GROWN_SHARE: Final = (0.65, 0.95)
NEW_HALL_SHARE: Final = (0.15, 0.25)
#: The most a facility draws per hour, as a multiple of its rated IT capacity (as in April).
ROOM_PER_IT_KW: Final = 1.12
_MACHINE_BY_MODEL: Final = {m.model: m for m in (*MACHINES, SCRYPT_MACHINE, *ETHASH_MACHINES)}


@dataclass(frozen=True)
class MarchPlan:
    """The March notice's timeline: reports and acceptances, and who never reported."""

    steps: tuple[Step, ...]
    non_responders: tuple[str, ...]


def april_reports(plan: CityPlan) -> dict[str, dict[str, Any]]:
    """Each facility's April report as finally filed (or, if still owed, as it will be)."""
    final: dict[str, dict[str, Any]] = {}
    for step in plan.steps:
        if step.action is Action.SUBMIT and not step.expect_rejection and step.report:
            final[step.facility_code] = step.report
    return {**final, **plan.pending}


def _other_kwh(april: dict[str, Any]) -> float:
    """April's electricity other than mining [kWh]."""
    mining_kwh = float(april.get("mining_electricity_kwh") or 0)
    return kwh_value(april["facility_electricity_kwh"]) - mining_kwh


def _peak_kw(rng: random.Random, facility: DemoFacility, mean_kw: float) -> int:
    """A nil return's peak demand, as in :func:`hashwatch.demo.reports.nil_report`."""
    peak_kw = min(mean_kw * rng.uniform(1.08, 1.2), facility.contracted_grid_capacity_kw * 0.98)
    return round(max(peak_kw, mean_kw * 1.02))


def _nil(
    rng: random.Random, facility: DemoFacility, april: dict[str, Any], total_kwh: float
) -> dict[str, Any]:
    report: dict[str, Any] = {
        key: copy.deepcopy(april[key])
        for key in ("schema_version", "contact", "power_supply")
        if key in april
    }
    report["involved_in_mining"] = False
    report["facility_electricity_kwh"] = quantity_as_written(rng, total_kwh)
    report["peak_demand_kw"] = _peak_kw(rng, facility, total_kwh / MARCH_HOURS)
    return report


def _march_fleet(april: dict[str, Any], share: float) -> list[FleetLine]:
    """April's machines, ``share`` of each line (at least one machine a line)."""
    return [
        FleetLine(_MACHINE_BY_MODEL[line["model"]], max(1, round(int(line["count"]) * share)))
        for line in april.get("equipment", [])
    ]


def _fleet_share(rng: random.Random, scenario: Scenario) -> float:
    """The share of its April machines a mining facility ran in March."""
    if scenario is Scenario.MID_MONTH_INSTALL:
        return rng.uniform(*NEW_HALL_SHARE)
    if scenario is Scenario.STOPPED_AFTER_NOTICE or rng.random() < 1 / 3:
        return 1.0
    return rng.uniform(*GROWN_SHARE)


def _mining(
    rng: random.Random, facility: DemoFacility, april: dict[str, Any], scenario: Scenario
) -> dict[str, Any]:
    report = copy.deepcopy(april)
    report.pop("attestation", None)
    fleet = _march_fleet(april, _fleet_share(rng, scenario))
    coins, mining_kwh = coin_lines(rng, fleet, MARCH_HOURS)
    room_kwh = max(0.0, facility.rated_it_capacity_kw * ROOM_PER_IT_KW * MARCH_HOURS - mining_kwh)
    other_kwh = _other_kwh(april) / PERIOD_HOURS * MARCH_HOURS * rng.uniform(0.96, 1.04)
    total_kwh = round(mining_kwh + min(other_kwh, room_kwh))
    rated_kw = sum(line.rated_power_kw for line in fleet)
    report.update(
        {
            "facility_electricity_kwh": quantity_as_written(rng, total_kwh),
            "mining_electricity_kwh": mining_kwh,
            "mining_share_pct": round(mining_kwh / total_kwh * 100, 2),
            "peak_demand_kw": round(max(total_kwh / MARCH_HOURS * 1.1, rated_kw * 1.05)),
            "coins": [] if scenario is Scenario.HOSTING_COINS_UNKNOWN else coins,
            "equipment": equipment_lines(rng, fleet),
        }
    )
    if scenario is not Scenario.HOSTING_COINS_UNKNOWN:
        report.pop("explanations", None)  # April's explain April's changes
    if scenario is Scenario.STOPPED_AFTER_NOTICE:
        report.pop("planned_exit_date", None)  # decided after the April notice
    return report


def march_report(
    rng: random.Random, facility: DemoFacility, april: dict[str, Any], scenario: Scenario
) -> dict[str, Any]:
    """The March report (without its attestation) of a facility that filed ``april``."""
    if april.get("involved_in_mining") is not True:
        ratio = rng.uniform(0.78, 0.86) if scenario is Scenario.IT_CAPACITY_OUTDATED else 1.0
        total_kwh = _other_kwh(april) / PERIOD_HOURS * MARCH_HOURS * ratio
        return _nil(rng, facility, april, total_kwh * rng.uniform(0.96, 1.04))
    if april.get("mining_start_date") == PERIOD_START.isoformat():
        room_kwh = facility.rated_it_capacity_kw * ROOM_PER_IT_KW * MARCH_HOURS
        other_kwh = _other_kwh(april) / PERIOD_HOURS * MARCH_HOURS * rng.uniform(0.96, 1.04)
        return _nil(rng, facility, april, min(other_kwh, room_kwh))
    return _mining(rng, facility, april, scenario)


def _moment(rng: random.Random, days: dict[int, float]) -> dt.datetime:
    day = rng.choices(list(days), weights=list(days.values()))[0]
    last_hour = 17 if day == MARCH_DEADLINE.day else 19
    minute = rng.randint(9 * 60, last_hour * 60 + 59)
    return dt.datetime(2021, 4, day, minute // 60, minute % 60, rng.randint(0, 59), tzinfo=SHANGHAI)


def _silent(rng: random.Random, codes: list[str], april_silent: Sequence[str]) -> list[str]:
    """Who does not report in March: half of them April's non-responders."""
    count = max(1, round(len(codes) * MARCH_NON_RESPONSE_SHARE))
    again = rng.sample(sorted(april_silent), min(len(april_silent), max(1, count // 2)))
    others = [c for c in codes if c not in again]
    return sorted([*again, *rng.sample(others, count - len(again))])


def plan_march(
    rng: random.Random, facilities: Sequence[DemoFacility], april: CityPlan
) -> MarchPlan:
    """The March notice's timeline for ``facilities``, from their April reports."""
    reports = april_reports(april)
    codes = sorted(f.code for f in facilities)
    silent = _silent(rng, codes, april.non_responders)
    steps: list[Step] = []
    for facility in sorted(facilities, key=lambda f: f.code):
        code = facility.code
        if code in silent:
            continue
        late = rng.random() < MARCH_LATE_SHARE
        at = _moment(rng, MARCH_LATE_DAYS if late else MARCH_REPORT_DAYS)
        scenario = april.scenarios.get(code, Scenario.NIL)
        report = march_report(rng, facility, reports[code], scenario)
        signature = reports[code]["attestation"]
        signer = Signer(signature["name"], signature["title"])
        signed_at = at - dt.timedelta(minutes=rng.randint(10, 240))
        steps.append(Step(at, code, Action.SUBMIT, attested(report, signer, signed_at)))
        accepted_at = at + dt.timedelta(days=rng.randint(1, 6), minutes=rng.randint(0, 300))
        steps.append(Step(accepted_at, code, Action.ACCEPT))
    steps.sort(key=lambda s: (s.at, s.facility_code, s.action != Action.SUBMIT))
    return MarchPlan(tuple(steps), tuple(silent))
