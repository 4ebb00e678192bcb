"""Reports the demo city's data centers file: nil returns, mining reports, slips, corrections.

Pure generation: a facility and a :class:`Scenario` in, a report as the JSON a submitter
sends out (``docs/examples/report.json`` form, with quantities written in the several ways
people write them). Electricity is built bottom-up so that it agrees with the rules of
:mod:`hashwatch.reporting.rules` unless a scenario means it not to:

* facility electricity ``E = P_IT × utilisation × PUE × h``, below the rated IT capacity ×
  PUE upper bound and the contracted grid capacity;
* mining electricity per machine line ``n × P_rated × h × running fraction × uptime ×
  PUE_mining``, summed per coin; the mean hashrate likewise.

A :class:`Slip` is a first attempt with a blocking error (it is corrected at once); a
:class:`Deficiency` is what a reviewer returns a version 1 for.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo

from hashwatch.demo.equipment import FleetLine, build_fleet
from hashwatch.demo.facilities import DemoFacility
from hashwatch.reporting.models import OrganizationKind
from hashwatch.reporting.rules import hours_in_period

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
PERIOD_START: Final = dt.date(2021, 4, 1)
PERIOD_END: Final = dt.date(2021, 4, 30)
PERIOD_HOURS: Final = hours_in_period(PERIOD_START, PERIOD_END, "Asia/Shanghai")
GRID_SUPPLIER: Final = "国网北京市电力公司 State Grid Beijing Electric Power Company"
SIGNER_TITLES: Final = ("总经理 General manager", "运维总监 Operations director")


class Scenario(StrEnum):
    """What a facility has to report."""

    NIL = "nil"
    IT_CAPACITY_OUTDATED = "it_capacity_outdated"
    MINING = "mining"
    MID_MONTH_INSTALL = "mid_month_install"
    STOPPED_AFTER_NOTICE = "stopped_after_notice"
    HOSTING_COINS_UNKNOWN = "hosting_coins_unknown"

    @property
    def involved(self) -> bool:
        """Whether the facility mined in the period."""
        return self not in (Scenario.NIL, Scenario.IT_CAPACITY_OUTDATED)


#: Scenarios whose report carries a warning, and the explanation it needs.
WARNING_SCENARIOS: Final = (
    Scenario.MID_MONTH_INSTALL,
    Scenario.STOPPED_AFTER_NOTICE,
    Scenario.HOSTING_COINS_UNKNOWN,
)


class Slip(StrEnum):
    """A mistake in a first attempt that validation refuses."""

    MWH_AS_KWH = "mwh_as_kwh"
    SHARE_AS_FRACTION = "share_as_fraction"
    MISSPELT_FIELD = "misspelt_field"
    ATTESTATION_MISSING = "attestation_missing"
    EMAIL_TYPO = "email_typo"
    UNEXPLAINED_WARNING = "unexplained_warning"


class Deficiency(StrEnum):
    """Why a reviewer returns a version 1 for correction."""

    EXIT_DATE_MISSING = "exit_date_missing"
    METER_READING = "meter_reading"
    POWER_SUPPLY_MISSING = "power_supply_missing"


@dataclass(frozen=True)
class Signer:
    """Who signs a facility's attestation."""

    name: str
    title: str


def quantity_as_written(rng: random.Random, kwh: float) -> Any:
    """``kwh`` written as people write it: a number, '1,234 kWh', '1.234 MWh' or an object."""
    roll = rng.random()
    if roll < 0.5:
        return round(kwh)
    if roll < 0.7:
        return f"{round(kwh):,} kWh"
    if roll < 0.85:
        return f"{round(kwh) / 1000:.3f} MWh"
    return {"value": round(kwh) / 1000, "unit": "MWh"}


def _base(rng: random.Random, facility: DemoFacility) -> dict[str, Any]:
    org = facility.organization
    report: dict[str, Any] = {
        "schema_version": "1",
        "contact": {
            "name": org.contact_name,
            "title": "能源管理主管 Energy manager",
            "phone": org.contact_phone,
            "email": org.contact_email,
        },
        "power_supply": {
            "grid_supplier": GRID_SUPPLIER,
            "renewable_share_pct": round(rng.uniform(3.0, 25.0), 1),
        },
    }
    return report


def _it_energy_kwh(rng: random.Random, facility: DemoFacility, load_ratio: float) -> float:
    """Non-mining electricity: rated IT × utilisation × PUE (1.30–1.55) × hours."""
    return facility.rated_it_capacity_kw * load_ratio * rng.uniform(1.30, 1.55) * PERIOD_HOURS


def nil_report(rng: random.Random, facility: DemoFacility, scenario: Scenario) -> dict[str, Any]:
    """A nil return (no mining); ``IT_CAPACITY_OUTDATED`` draws more than the registry allows."""
    report = _base(rng, facility)
    if scenario is Scenario.IT_CAPACITY_OUTDATED:
        total_kwh = facility.rated_it_capacity_kw * rng.uniform(1.25, 1.29) * PERIOD_HOURS
        report["explanations"] = {
            "submission.energy_exceeds_it_capacity": "Hall B was fitted out in March 2021, "
            f"raising the rated IT capacity from {facility.rated_it_capacity_kw:,.0f} kW to "
            f"{facility.rated_it_capacity_kw * 1.4:,.0f} kW; the registry still has the old "
            "figure and we have asked the bureau to update it."
        }
    else:
        total_kwh = _it_energy_kwh(rng, facility, rng.uniform(0.30, 0.64))
    report["involved_in_mining"] = False
    report["facility_electricity_kwh"] = quantity_as_written(rng, total_kwh)
    if rng.random() < 0.5:
        report["mining_electricity_kwh"] = 0
        report["mining_share_pct"] = 0
    mean_kw = total_kwh / PERIOD_HOURS
    peak_kw = min(mean_kw * rng.uniform(1.08, 1.2), facility.contracted_grid_capacity_kw * 0.98)
    report["peak_demand_kw"] = round(max(peak_kw, mean_kw * 1.02))
    return report


def _mining_hours(scenario: Scenario, exit_date: dt.date | None) -> float:
    if scenario is Scenario.STOPPED_AFTER_NOTICE and exit_date is not None:
        return hours_in_period(PERIOD_START, exit_date - dt.timedelta(days=1), "Asia/Shanghai")
    return PERIOD_HOURS


def _install_late(rng: random.Random, fleet: list[FleetLine]) -> tuple[list[FleetLine], str]:
    """Most machines (a new hall) arrive in the third week of April; returns the explanation.

    With 75–85 % of the machines running 8–12 of the 30 days the month's mining electricity
    is 50–65 % of what the equipment list implies: outside the rule's 30 % tolerance.
    """
    day = rng.randint(19, 23)
    days_run = PERIOD_END.day - day + 1
    late_share = rng.uniform(0.75, 0.85)
    lines: list[FleetLine] = []
    late_total = 0
    for line in fleet:
        late = min(line.count, max(1, round(line.count * late_share)))
        late_total += late
        if line.count > late:
            lines.append(FleetLine(line.machine, line.count - late))
        lines.append(FleetLine(line.machine, late, days_run / PERIOD_END.day))
    total = sum(line.count for line in fleet)
    text = (
        f"{late_total} of our {total} mining machines (the new hall) were installed and "
        f"switched on on 2021-04-{day:02d}; they ran {days_run} of the 30 days of April. "
        "The equipment list gives the machines in place at the end of April, so the "
        "electricity it implies for the whole month overstates April's consumption."
    )
    return lines, text


def equipment_lines(rng: random.Random, fleet: list[FleetLine]) -> list[dict[str, Any]]:
    """The report's equipment lines: one per machine model, rated power in W or kW."""
    merged: dict[str, int] = defaultdict(int)
    power = {}
    for line in fleet:
        merged[line.machine.model] += line.count
        power[line.machine.model] = line.machine.rated_power_w
    return [
        {
            "model": model,
            "count": count,
            "rated_power_w": f"{power[model] / 1000:g} kW" if rng.random() < 0.2 else power[model],
        }
        for model, count in merged.items()
    ]


def coin_lines(
    rng: random.Random, fleet: list[FleetLine], hours: float
) -> tuple[list[dict[str, Any]], int]:
    """Per-coin lines and the mining electricity (their sum, whole kWh) over ``hours``."""
    kwh: dict[str, float] = defaultdict(float)
    ths: dict[str, float] = defaultdict(float)
    algorithms = {}
    for line in fleet:
        uptime, pue = rng.uniform(0.93, 0.99), rng.uniform(1.04, 1.12)
        coin = line.machine.coin
        kwh[coin] += line.rated_power_kw * hours * line.running_fraction * uptime * pue
        ths[coin] += line.count * line.machine.hashrate_ths * line.running_fraction * uptime
        algorithms[coin] = line.machine.algorithm.value
    lines = []
    for coin, energy in kwh.items():
        hashrate: Any = round(ths[coin], 1)
        if ths[coin] >= 1000 and rng.random() < 0.5:
            hashrate = f"{ths[coin] / 1000:.2f} PH/s"
        elif ths[coin] < 1:
            hashrate = f"{ths[coin] * 1000:.2f} GH/s"
        lines.append(
            {
                "coin": coin,
                "algorithm": algorithms[coin],
                "hashrate_ths": hashrate,
                "electricity_kwh": round(energy),
            }
        )
    return lines, sum(line["electricity_kwh"] for line in lines)


def mining_report(rng: random.Random, facility: DemoFacility, scenario: Scenario) -> dict[str, Any]:
    """A report of a facility that mined in April 2021, consistent with its equipment."""
    report = _base(rng, facility)
    it_kw = facility.rated_it_capacity_kw
    fleet = build_fleet(rng, it_kw * rng.uniform(0.2, 0.5))
    explanations: dict[str, str] = {}
    exit_date: dt.date | None = rng.choice((None, dt.date(2021, 6, 30), dt.date(2021, 9, 1)))
    if scenario is Scenario.MID_MONTH_INSTALL:
        fleet, explanations["submission.equipment_energy_mismatch"] = _install_late(rng, fleet)
    elif scenario is Scenario.STOPPED_AFTER_NOTICE:
        exit_date = dt.date(2021, 4, 28)
        explanations["submission.exit_in_period"] = (
            "All mining machines were switched off on the evening of 2021-04-27, after the "
            "bureau's emergency notice; 2021-04-28 is the first day without mining, and the "
            "mining amounts cover 1-27 April."
        )
    hours = _mining_hours(scenario, exit_date)
    coins, mining_kwh = coin_lines(rng, fleet, hours)
    rated_kw = sum(line.rated_power_kw for line in fleet)
    room_kw = max(0.0, it_kw * 1.12 - mining_kwh / PERIOD_HOURS)
    other_kwh = min(_it_energy_kwh(rng, facility, rng.uniform(0.15, 0.3)), room_kw * PERIOD_HOURS)
    total_kwh = round(mining_kwh + other_kwh)
    mode = rng.choices(("own", "hosting", "both"), weights=(6, 3, 1))[0]
    if scenario is Scenario.HOSTING_COINS_UNKNOWN:
        mode, coins = "hosting", []
        explanations["submission.coins_missing"] = (
            "The machines belong to hosted clients who choose their own coins and pools; we "
            "meter electricity per rack and do not see which coins are mined. All hosted "
            "machines are SHA-256 ASICs (the clients say they mine BTC)."
        )
    report.update(
        {
            "involved_in_mining": True,
            "facility_electricity_kwh": quantity_as_written(rng, total_kwh),
            "mining_electricity_kwh": mining_kwh,
            "mining_share_pct": round(mining_kwh / total_kwh * 100, 2),
            "peak_demand_kw": round(max(total_kwh / PERIOD_HOURS * 1.1, rated_kw * 1.05)),
            "coins": coins,
            "equipment": equipment_lines(rng, fleet),
            "operation_mode": mode,
            "hosted_clients": 0 if mode == "own" else rng.randint(2, 40),
            "mining_start_date": dt.date(2019, 6, 1) + dt.timedelta(days=rng.randint(0, 600)),
        }
    )
    report["mining_start_date"] = report["mining_start_date"].isoformat()
    if exit_date is not None:
        report["planned_exit_date"] = exit_date.isoformat()
    if explanations:
        report["explanations"] = explanations
    return report


def build_report(rng: random.Random, facility: DemoFacility, scenario: Scenario) -> dict[str, Any]:
    """The report ``facility`` files for ``scenario`` (without its attestation)."""
    if scenario.involved:
        return mining_report(rng, facility, scenario)
    return nil_report(rng, facility, scenario)


def attested(report: dict[str, Any], signer: Signer, signed_at: dt.datetime) -> dict[str, Any]:
    """A copy of ``report`` with the signer's attestation at ``signed_at`` (Beijing time)."""
    signed = copy.deepcopy(report)
    signed["attestation"] = {
        "name": signer.name,
        "title": signer.title,
        "statement_accepted": True,
        "signed_at": signed_at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
    }
    return signed


def with_slip(report: dict[str, Any], slip: Slip) -> dict[str, Any]:
    """A copy of an attested report with a mistake that validation refuses."""
    bad = copy.deepcopy(report)
    if slip is Slip.MWH_AS_KWH:
        total = float(kwh_value(bad["facility_electricity_kwh"]))
        bad["facility_electricity_kwh"] = round(total / 1000, 3)  # MWh typed as kWh
    elif slip is Slip.SHARE_AS_FRACTION:
        bad["mining_share_pct"] = round(bad["mining_share_pct"] / 100, 4)
    elif slip is Slip.MISSPELT_FIELD:
        bad["facility_electrcity_kwh"] = bad.pop("facility_electricity_kwh")
    elif slip is Slip.ATTESTATION_MISSING:
        del bad["attestation"]
    elif slip is Slip.EMAIL_TYPO:
        bad["contact"]["email"] = bad["contact"]["email"].replace("@", "", 1)  # @ forgotten
    else:
        bad.pop("explanations", None)
    return bad


def kwh_value(value: Any) -> float:
    """An amount as :func:`quantity_as_written` writes it, back in kWh."""
    if isinstance(value, dict):
        return float(value["value"]) * 1000
    if isinstance(value, str):
        number, unit = value.rsplit(" ", 1)
        return float(number.replace(",", "")) * (1000 if unit == "MWh" else 1)
    return float(value)


def with_deficiency(report: dict[str, Any], deficiency: Deficiency) -> dict[str, Any]:
    """Version 1 of a report that a reviewer will return: ``report`` with a gap."""
    first = copy.deepcopy(report)
    if deficiency is Deficiency.EXIT_DATE_MISSING:
        first.pop("planned_exit_date", None)
    elif deficiency is Deficiency.METER_READING:
        tenth_kwh = kwh_value(report["facility_electricity_kwh"]) / 10
        first["facility_electricity_kwh"] = round(tenth_kwh)
    else:
        first.pop("power_supply", None)
    return first


def corrected(report: dict[str, Any], deficiency: Deficiency) -> dict[str, Any]:
    """The full report as amended after a return (adds the exit date the reviewer asked for)."""
    amended = copy.deepcopy(report)
    if deficiency is Deficiency.EXIT_DATE_MISSING:
        amended["planned_exit_date"] = "2021-06-30"
    return amended


def return_comment(deficiency: Deficiency, report: dict[str, Any]) -> str:
    """What the reviewer writes when returning version 1."""
    if deficiency is Deficiency.EXIT_DATE_MISSING:
        return (
            "请填写挖矿设备的计划退出日期。Please give planned_exit_date: the date from which "
            "the facility will no longer host mining equipment."
        )
    if deficiency is Deficiency.METER_READING:
        tenth_kwh = kwh_value(report["facility_electricity_kwh"]) / 10
        return (
            f"April electricity of {round(tenth_kwh):,} kWh "
            "is about a tenth of what the facility's load implies; please check the meter "
            "reading (a dropped digit?) and resubmit."
        )
    return "请补充供电信息。Please add power_supply: the grid supplier and the renewable share."


def signer_for(rng: random.Random, facility: DemoFacility) -> Signer:
    """The person who signs for the facility's operator."""
    surnames, given = "王李张刘陈杨赵黄周吴", "伟芳敏静强磊军洋杰涛"
    name = rng.choice(surnames) + rng.choice(given) + rng.choice(given)
    title = SIGNER_TITLES[0 if facility.organization.kind is OrganizationKind.TELECOM else 1]
    return Signer(name, title)
