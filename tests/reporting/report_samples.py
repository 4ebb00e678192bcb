"""Clean sample reports and their context, for the report and rule tests.

The involved report: April 2021 in Asia/Shanghai (no DST: 720 h); facility 4,000,000 kWh;
mining 380,000 kWh = 9.5 %; 100 × 3,250 W + 50 × 3,344 W = 492.2 kW rated (the catalogue's
ratings too); the energy model over 720 h gives 325,356–450,776 kWh (accepted with the
30 % tolerance: 227,749–586,009 kWh); BTC 15,400 TH/s at 380,000 kWh = 34.3 J/TH against
the declared machines' 29.5–38 J/TH (accepted 210,212–696,734 kWh).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

from hashwatch.io.catalogue_files import builtin_catalogue
from hashwatch.reporting.rules import RuleContext

EXAMPLES = Path(__file__).parent.parent.parent / "docs" / "examples"
CST = dt.timezone(dt.timedelta(hours=8))

CONTEXT = RuleContext(
    period_start=dt.date(2021, 4, 1),
    period_end=dt.date(2021, 4, 30),
    timezone="Asia/Shanghai",
    rated_it_capacity_kw=8_000.0,
    contracted_grid_capacity_kw=10_000.0,
    received_at=dt.datetime(2021, 5, 6, 12, 0, tzinfo=CST),
    catalogue=tuple(builtin_catalogue()),  # as the submission service gives it
)

_BASE: dict[str, Any] = {
    "involved_in_mining": True,
    "facility_electricity_kwh": 4_000_000,
    "mining_electricity_kwh": 380_000,
    "mining_share_pct": 9.5,
    "peak_demand_kw": 7_000,
    "coins": [
        {
            "coin": "BTC",
            "algorithm": "SHA-256",
            "hashrate_ths": 15_400,
            "electricity_kwh": 380_000,
        }
    ],
    "equipment": [
        {"model": "Antminer S19 Pro", "count": 100, "rated_power_w": 3_250},
        {"model": "Whatsminer M30S", "count": 50, "rated_power_w": 3_344},
    ],
    "operation_mode": "own",
    "hosted_clients": 0,
    "power_supply": {
        "grid_supplier": "State Grid Beijing Electric Power Company",
        "self_generation_kwh": 0,
        "renewable_share_pct": 10,
    },
    "mining_start_date": "2020-06-01",
    "planned_exit_date": "2021-06-30",
    "contact": {
        "name": "Li Wei",
        "title": "Facility manager",
        "phone": "+86 10 5555 0100",
        "email": "li.wei@example.cn",
    },
    "attestation": {
        "name": "Zhang Min",
        "title": "General manager",
        "statement_accepted": True,
        "signed_at": "2021-05-06T10:00:00+08:00",
    },
}

_NIL: dict[str, Any] = {
    "involved_in_mining": False,
    "facility_electricity_kwh": 1_200_000,
    "peak_demand_kw": 2_500,
    "contact": {"name": "Wang Fang", "phone": "+86 10 5555 0200", "email": "wf@example.cn"},
    "attestation": {
        "name": "Chen Jie",
        "statement_accepted": True,
        "signed_at": "2021-05-06T09:30:00+08:00",
    },
}


def base_report() -> dict[str, Any]:
    """A fresh copy of the clean involved report."""
    return copy.deepcopy(_BASE)


def nil_report() -> dict[str, Any]:
    """A fresh copy of a clean nil return."""
    return copy.deepcopy(_NIL)


def example(name: str) -> dict[str, Any]:
    """A committed example from docs/examples."""
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data
