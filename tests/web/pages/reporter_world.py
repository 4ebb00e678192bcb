"""A notice issued to three facilities, an app over it, and the report form as form fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from hashwatch.services import notices
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from tests.factories import add_facilities, draft, settings_for, tokens_from_outbox

__all__ = ["TestClient"]
REF = "BJ-2021-04"


@dataclass(frozen=True)
class ReporterWorld:
    db: Database
    settings: Settings
    tokens: dict[str, str]


def build(db: Database, tmp_path: Path) -> ReporterWorld:
    add_facilities(db, 3)
    cfg = settings_for(tmp_path)
    notices.create_notice(db, draft(), actor="analyst")
    notices.add_recipients(db, REF, actor="analyst", settings=cfg, all_facilities=True)
    notices.issue_notice(db, REF, actor="analyst", settings=cfg)
    return ReporterWorld(db, cfg, tokens_from_outbox(cfg, REF))


def form_fields(**changes: str) -> dict[str, str]:
    """The example report (docs/examples/report.json) as the form's fields."""
    fields = {
        "involved_in_mining": "yes",
        "facility_electricity_kwh": "4,000",
        "facility_electricity_kwh:unit": "MWh",
        "mining_electricity_kwh": "380000",
        "mining_electricity_kwh:unit": "kWh",
        "mining_share_pct": "9.5",
        "mining_share_pct:unit": "%",
        "peak_demand_kw": "7",
        "peak_demand_kw:unit": "MW",
        "coins.0.coin": "BTC",
        "coins.0.algorithm": "SHA-256",
        "coins.0.hashrate_ths": "15.4",
        "coins.0.hashrate_ths:unit": "PH/s",
        "coins.0.electricity_kwh": "380000",
        "coins.0.electricity_kwh:unit": "kWh",
        "equipment.0.model": "Antminer S19 Pro",
        "equipment.0.count": "100",
        "equipment.0.rated_power_w": "3250",
        "equipment.0.rated_power_w:unit": "W",
        "equipment.1.model": "Whatsminer M30S",
        "equipment.1.count": "50",
        "equipment.1.rated_power_w": "3.344",
        "equipment.1.rated_power_w:unit": "kW",
        "operation_mode": "own",
        "hosted_clients": "0",
        "power_supply.grid_supplier": "State Grid Beijing Electric Power Company",
        "power_supply.self_generation_kwh": "0",
        "power_supply.renewable_share_pct": "10",
        "mining_start_date": "2020-06-01",
        "planned_exit_date": "2021-06-30",
        "contact.name": "Li Wei",
        "contact.title": "Facility manager",
        "contact.phone": "+86 10 5555 0100",
        "contact.email": "li.wei@example.cn",
        "attestation.name": "Zhang Min",
        "attestation.title": "General manager",
        "attestation.signed_at": "2021-05-06T10:00",
        "attestation.statement_accepted": "yes",
    }
    fields.update(changes)
    return fields


def without_equipment(fields: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in fields.items() if not k.startswith("equipment.")}


def hidden(html: str, name: str) -> str:
    """The value of a hidden input of a page."""
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match is not None, f"no hidden field {name}"
    return match.group(1)


def enter(client: TestClient, token: str) -> str:
    """Open a notice link; returns the report page."""
    response = client.get(f"/r/{token}", follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/report"
    page = client.get("/report")
    assert page.status_code == 200, page.text
    return str(page.text)
