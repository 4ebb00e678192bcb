"""A small fixture city for the assessment, built through the services; its figures are
worked out by hand in the tests.

Ten facilities of three organizations, notice BJ-2021-04 (April 2021: 30 days, 720 h).
Capacities: rated IT / contracted grid kW; amounts: facility / mining kWh.

| code | org (kind) | district | capacity | report | amounts | details |
| --- | --- | --- | --- | --- | --- | --- |
| A1 | Alpha (colocation) | 110108 | 1000/1500 | accepted | 400k/300k | BTC; 80 × S19 Pro |
| A2 | Alpha (colocation) | 110108 | 1000/1500 | awaiting review | 200k/100k | BTC; 50 % renew. |
| A3 | Alpha (colocation) | 110108 | 1000/1500 | awaiting review | 100k/50k | BTC; 20 × S19 Pro |
| T1 | Tele (telecom) | 110105 | 2000/3000 | awaiting review | 1,000k/nil | |
| T2 | Tele (telecom) | 110105 | 2000/2000 | accepted | 500k/50k | BTC; self-gen. 100k |
| T3 | Tele (telecom) | 110105 | 500/– | returned | (90k/9k) | BTC |
| C1 | Cloud (cloud) | 110106 | 1000/1000 | awaiting review | 300k/20k | ETH |
| C2 | Cloud (cloud) | 110106 | 1000/1000 | awaiting review | 300k/30k | no coin line |
| C3 | Cloud (cloud) | 110112 | 1000/1000 | no report | | |
| C4 | Cloud (cloud) | 110112 | –/– | no report | | |

Districts: 110108 Haidian, 110105 Chaoyang, 110106 Fengtai, 110112 Tongzhou.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hashwatch.reporting.models import Facility, Organization, OrganizationKind, ReviewAction
from hashwatch.services import notices
from hashwatch.services.review import review_submission
from hashwatch.services.submissions import submit_report
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from tests.factories import draft, tokens_from_outbox

REF = "BJ-2021-04"
ACTOR = "user:analyst"
FILED = dt.datetime(2021, 5, 6, 2, 0, tzinfo=dt.UTC)

ORGS = {
    "A": ("91110108MA01ALPHA1", "Alpha Data", OrganizationKind.COLOCATION),
    "T": ("91110105MA01TELEC2", "Tele Beijing", OrganizationKind.TELECOM),
    "C": ("91110106MA01CLOUD3", "Cloud North", OrganizationKind.CLOUD),
}
#: code → (district, rated IT kW, contracted grid kW)
FACILITIES: dict[str, tuple[str, float | None, float | None]] = {
    "A1": ("110108", 1000.0, 1500.0),
    "A2": ("110108", 1000.0, 1500.0),
    "A3": ("110108", 1000.0, 1500.0),
    "T1": ("110105", 2000.0, 3000.0),
    "T2": ("110105", 2000.0, 2000.0),
    "T3": ("110105", 500.0, None),
    "C1": ("110106", 1000.0, 1000.0),
    "C2": ("110106", 1000.0, 1000.0),
    "C3": ("110112", 1000.0, 1000.0),
    "C4": ("110112", None, None),
}


def report(
    facility_kwh: float,
    mining_kwh: float | None = None,
    *,
    coins: list[dict[str, Any]] | None = None,
    equipment: list[dict[str, Any]] | None = None,
    supply: dict[str, Any] | None = None,
    explanations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A valid report (a nil return without ``mining_kwh``)."""
    value: dict[str, Any] = {
        "involved_in_mining": mining_kwh is not None,
        "facility_electricity_kwh": facility_kwh,
        "contact": {"name": "Li Wei", "phone": "+86 10 5555 0100", "email": "li@example.cn"},
        "attestation": {
            "name": "Zhang Min",
            "statement_accepted": True,
            "signed_at": "2021-05-06T10:00:00+08:00",
        },
    }
    if mining_kwh is not None:
        value |= {
            "mining_electricity_kwh": mining_kwh,
            "operation_mode": "own",
            "mining_start_date": "2020-06-01",
        }
    if coins is not None:
        value["coins"] = coins
    if equipment is not None:
        value["equipment"] = equipment
    if supply is not None:
        value["power_supply"] = supply
    explained = dict(explanations or {})
    if mining_kwh is not None and not equipment:
        explained["submission.equipment_missing"] = "the machines belong to a hosting client"
    if explained:
        value["explanations"] = explained
    return value


def btc(kwh: float) -> dict[str, Any]:
    return {"coin": "BTC", "algorithm": "SHA-256", "electricity_kwh": kwh}


def s19_pro(count: int) -> dict[str, Any]:
    return {"model": "Antminer S19 Pro", "count": count, "rated_power_w": 3250}


REPORTS: dict[str, dict[str, Any]] = {
    "A1": report(400_000, 300_000, coins=[btc(300_000)], equipment=[s19_pro(80)]),
    "A2": report(200_000, 100_000, coins=[btc(100_000)], supply={"renewable_share_pct": 50}),
    "A3": report(100_000, 50_000, coins=[btc(50_000)], equipment=[s19_pro(20)]),
    "T1": report(1_000_000),
    "T2": report(500_000, 50_000, coins=[btc(50_000)], supply={"self_generation_kwh": 100_000}),
    "T3": report(90_000, 9_000, coins=[btc(9_000)]),
    "C1": report(
        300_000, 20_000, coins=[{"coin": "ETH", "algorithm": "Ethash", "electricity_kwh": 20_000}]
    ),
    "C2": report(
        300_000,
        30_000,
        explanations={"submission.coins_missing": "the coin is not known to the operator"},
    ),
}
ACCEPTED = ("A1", "T2")
RETURNED = ("T3",)


def add_city(db: Database) -> None:
    with db.transaction() as session:
        orgs = {
            key: Organization(uscc=uscc, name=name, kind=kind, contact_email=f"{key}@example.cn")
            for key, (uscc, name, kind) in ORGS.items()
        }
        session.add_all(orgs.values())
        for code, (district, it_kw, grid_kw) in FACILITIES.items():
            session.add(
                Facility(
                    code=code,
                    name=f"Data center {code}",
                    organization=orgs[code[0]],
                    district_code=district,
                    rated_it_capacity_kw=it_kw,
                    contracted_grid_capacity_kw=grid_kw,
                )
            )


def build_city(db: Database, cfg: Settings, ref: str = REF, **changes: object) -> dict[str, str]:
    """The city and its notice with every report filed and reviewed; returns the tokens."""
    add_city(db)
    return file_notice(db, cfg, ref, REPORTS, ACCEPTED, RETURNED, **changes)


def file_notice(
    db: Database,
    cfg: Settings,
    ref: str,
    reports: dict[str, dict[str, Any]],
    accepted: tuple[str, ...] = (),
    returned: tuple[str, ...] = (),
    **changes: object,
) -> dict[str, str]:
    """Create and issue ``ref`` to every facility, file ``reports`` and review them."""
    notices.create_notice(db, draft(ref, **changes), actor=ACTOR)
    notices.add_recipients(db, ref, actor=ACTOR, settings=cfg, all_facilities=True)
    notices.issue_notice(db, ref, actor=ACTOR, settings=cfg)
    tokens = tokens_from_outbox(cfg, ref)
    for code, value in reports.items():
        submit_report(db, tokens[code], value, now=FILED)
    for code in accepted:
        review_submission(db, ref, code, ReviewAction.ACCEPT, reviewer=ACTOR)
    for code in returned:
        review_submission(db, ref, code, ReviewAction.RETURN, reviewer=ACTOR, comment="Fix")
    return tokens
