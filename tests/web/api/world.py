"""A small world for API tests: a regulator, organizations A and B, an issued notice, reports.

Organization A has facilities A-DC-1 and A-DC-2, B has B-DC-1; all three receive notice
BJ-2021-04. A-DC-1 and B-DC-1 have filed the example report (A's with distinctive figures). The
regulator has an admin and an analyst.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from hashwatch.accounts.models import Role
from hashwatch.reporting.models import Facility, Organization, OrganizationKind
from hashwatch.services import accounts, api_tokens, notices
from hashwatch.services.submissions import submit_report
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from hashwatch.web.app import create_app
from hashwatch.web.cookies import SESSION_COOKIE
from tests.factories import draft, tokens_from_outbox

__all__ = ["TestClient"]  # re-exported for the tests (names defined here are public too)
EXAMPLES = Path(__file__).parents[3] / "docs" / "examples"
REF = "BJ-2021-04"
USCC_A, USCC_B = "91110000MA01TEST0X", "91110000MA01TEST1X"
PASSWORD = "correct horse battery staple"
ADMIN, ANALYST = "admin", "analyst"  # regulator users, both with PASSWORD
A_FACILITY_NAME = "Alpha Nebula Hosting Center"
A_ORG_NAME = "Alpha Quasar Compute Ltd"
# A's report has figures nobody else has, so that a leak shows in a response body.
A_FACILITY_KWH = 4_321_987.0
A_MINING_KWH = 387_654.0


def example(name: str = "report.json") -> dict[str, Any]:
    value: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return value


def report_a() -> dict[str, Any]:
    """The example report with A's distinctive figures (share and coin consistent)."""
    report = copy.deepcopy(example())
    report["facility_electricity_kwh"] = A_FACILITY_KWH
    report["mining_electricity_kwh"] = A_MINING_KWH
    report["mining_share_pct"] = 100 * A_MINING_KWH / A_FACILITY_KWH
    report["coins"][0]["electricity_kwh"] = A_MINING_KWH
    report["explanations"] = {
        "submission.equipment_energy_mismatch": "machines ran part of the month",
        "submission.hashrate_energy_mismatch": "older firmware",
    }
    return report


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": tmp_path / "data", "max_request_body_bytes": 64 * 1024}
    return Settings(**(values | overrides))


@dataclass
class World:
    db: Database
    settings: Settings
    tokens: dict[str, str]  # facility code -> recipient access token
    api_token_a: str
    api_token_b: str

    def session(self, client: TestClient, username: str = ADMIN) -> dict[str, str]:
        """Sign a regulator user in on ``client`` (the admin unless told); returns the CSRF
        header to send."""
        answer = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return {"X-CSRF-Token": answer.json()["csrf_token"]}

    def recipient_session(self, client: TestClient, code: str) -> dict[str, str]:
        """Enter ``client`` through a recipient's notice link; returns the CSRF header."""
        info = accounts.enter_with_token(self.db, self.tokens[code])
        client.cookies.set(SESSION_COOKIE, info.session_id)
        return {"X-CSRF-Token": info.csrf_token}

    def organization_session(self, client: TestClient, secret: str) -> dict[str, str]:
        info = api_tokens.enter_with_api_token(self.db, secret)
        client.cookies.set(SESSION_COOKIE, info.session_id)
        return {"X-CSRF-Token": info.csrf_token}


def _registry(db: Database) -> None:
    with db.transaction() as session:
        a = Organization(
            uscc=USCC_A,
            name=A_ORG_NAME,
            kind=OrganizationKind.COLOCATION,
            contact_email="ops@alpha.example.cn",
        )
        b = Organization(uscc=USCC_B, name="Bravo Cloud", kind=OrganizationKind.CLOUD)
        for code, name, org in (
            ("A-DC-1", A_FACILITY_NAME, a),
            ("A-DC-2", "Alpha Second Site", a),
            ("B-DC-1", "Bravo Main Site", b),
        ):
            session.add(
                Facility(
                    code=code,
                    name=name,
                    organization=org,
                    district_code="110105",
                    rated_it_capacity_kw=8000.0,
                    contracted_grid_capacity_kw=10000.0,
                )
            )


def build_world(db: Database, settings: Settings, *, submit: bool = True) -> World:
    _registry(db)
    accounts.add_user(db, ANALYST, PASSWORD, role=Role.ANALYST, actor="test")
    accounts.add_user(db, ADMIN, PASSWORD, role=Role.ADMIN, actor="test")
    notices.create_notice(db, draft(REF), actor="test")
    notices.add_recipients(db, REF, actor="test", settings=settings, all_facilities=True)
    notices.issue_notice(db, REF, actor="test", settings=settings)
    tokens = tokens_from_outbox(settings, REF)
    secret_a, _ = api_tokens.create_api_token(db, USCC_A, "a", actor="test")
    secret_b, _ = api_tokens.create_api_token(db, USCC_B, "b", actor="test")
    if submit:
        submit_report(db, tokens["A-DC-1"], report_a())
        submit_report(db, tokens["B-DC-1"], example("nil-return.json"))
    return World(db, settings, tokens, secret_a, secret_b)


def client_for(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings, world.db)) as client:
        yield client
