"""Findings on the pages read in the page's language: check, receipt, review, bulk upload."""

from __future__ import annotations

import html
from pathlib import Path

from hashwatch.services import api_tokens
from hashwatch.services.submissions import submit_report
from hashwatch.store.engine import Database
from hashwatch.web.app import create_app
from tests.factories import ORG_USCC
from tests.services.test_dashboard import ON_TIME, REF, example
from tests.web.pages.reporter_world import (
    TestClient,
    build,
    enter,
    form_fields,
    hidden,
    without_equipment,
)
from tests.web.pages.test_regulator import sign_in, staff_world
from tests.web.pages.test_reporter_bulk import HEADER, _csv, _row

MINING_ABOVE_TOTAL_ZH = "挖矿用电量 5,000,000千瓦时 超过数据中心总用电量 4,000,000千瓦时"
NO_EQUIPMENT_ZH = "数据中心填报涉及挖矿，但未列出挖矿设备"


def _text(page: str) -> str:
    return html.unescape(page)


def test_the_check_and_the_receipt_show_chinese_sentences(db: Database, tmp_path: Path) -> None:
    world = build(db, tmp_path)
    with TestClient(create_app(world.settings, world.db)) as client:
        page = enter(client, world.tokens["DC-000"])
        broken = {
            **form_fields(
                **{"mining_electricity_kwh": "5000", "mining_electricity_kwh:unit": "MWh"}
            ),
            "csrf_token": hidden(page, "csrf_token"),
        }
        fragment = _text(
            client.post("/report/check", data=broken, headers={"hx-request": "true"}).text
        )
        assert MINING_ABOVE_TOTAL_ZH in fragment
        assert "is above the facility" not in fragment
        english = client.post(
            "/report/check", data=broken, headers={"hx-request": "true", "accept-language": "en"}
        ).text
        assert "mining electricity 5,000,000 kWh is above the facility&#39;s total" in english

        explained = {
            **without_equipment(form_fields()),
            "explain:submission.equipment_missing@equipment": "机器已于三月搬走",
            "csrf_token": hidden(page, "csrf_token"),
            "idempotency_key": "k1",
        }
        filed = client.post("/report/submit", data=explained, follow_redirects=True)
        receipt = _text(filed.text)
        assert NO_EQUIPMENT_ZH in receipt
        assert "lists no mining equipment" not in receipt


def test_the_review_page_shows_chinese_sentences(db: Database, tmp_path: Path) -> None:
    world = staff_world(db, tmp_path)
    raw = example("report.json")
    raw.pop("equipment")
    raw["explanations"] = {"submission.equipment_missing": "机器已搬走"}
    submit_report(db, world.tokens["DC-005"], raw, now=ON_TIME)
    with TestClient(create_app(world.settings, world.db)) as client:
        sign_in(client)
        page = _text(client.get(f"/notices/{REF}/facilities/DC-005").text)
    assert NO_EQUIPMENT_ZH in page
    assert "lists no mining equipment" not in page


def test_the_bulk_upload_lists_problems_in_chinese(db: Database, tmp_path: Path) -> None:
    world = build(db, tmp_path)
    unexplained = _row("DC-000")
    unexplained[-1] = ""  # no explanation of the missing equipment
    reports = _csv([HEADER, unexplained, _row("DC-002", "5000")])
    coins = _csv(
        [
            ["facility_code", "coin", "algorithm", "electricity_kwh [MWh]"],
            ["DC-000", "BTC", "SHA-256", "380"],
            ["DC-002", "BTC", "SHA-256", "5000"],
        ]
    )
    with TestClient(create_app(world.settings, world.db)) as client:
        secret, _ = api_tokens.create_api_token(world.db, ORG_USCC[0], "bulk", actor="admin")
        client.post("/org/enter", data={"api_token": secret})
        overview = client.get("/org").text
        response = client.post(
            "/org/upload",
            data={"notice_ref": REF, "csrf_token": hidden(overview, "csrf_token")},
            files={
                "reports": ("reports.csv", reports, "text/csv"),
                "coins": ("coins.csv", coins, "text/csv"),
            },
        )
    assert response.status_code == 422
    page = _text(response.text)
    assert MINING_ABOVE_TOTAL_ZH in page
    assert (
        f"{NO_EQUIPMENT_ZH} （请在 explanations 列中以“submission.equipment_missing: …”的形式说明）"
    ) in page
    assert "explain it in the column" not in page
