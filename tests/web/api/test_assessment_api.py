"""Assessment routes: the figures as JSON and the report as a file, for regulator users only."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from hashwatch.services.assessment import assess
from tests.web.api.world import ANALYST, REF, TestClient, World


def test_the_json_is_the_services(client: TestClient, world: World) -> None:
    world.session(client, ANALYST)
    answer = client.get(f"/api/v1/notices/{REF}/assessment")
    assert answer.status_code == 200
    expected = assess(world.db, REF, settings=world.settings).as_dict()
    assert answer.json()["totals"] == expected["totals"]
    assert answer.json()["classification"] == "internal"
    public = client.get(f"/api/v1/notices/{REF}/assessment", params={"public": True}).json()
    assert public["public"] is True
    assert "by_organization" not in public


def test_the_report_file(client: TestClient, world: World) -> None:
    world.session(client, ANALYST)
    answer = client.get(
        f"/api/v1/notices/{REF}/report", params={"format": "xlsx", "lang": "en", "public": True}
    )
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].endswith("-public-en.xlsx")
    assert "Summary" in load_workbook(io.BytesIO(answer.content), read_only=True).sheetnames
    refused = client.get(f"/api/v1/notices/{REF}/report", params={"lang": "fr"})
    assert refused.status_code == 422
    assert "lang" in refused.text


def test_entities_are_refused(client: TestClient, world: World) -> None:
    headers = {"Authorization": f"Bearer {world.api_token_a}"}
    for path in ("assessment", "report"):
        answer = client.get(f"/api/v1/notices/{REF}/{path}", headers=headers)
        assert answer.status_code == 403


def test_a_chinese_notice_ref_downloads_under_its_name(client: TestClient, world: World) -> None:
    headers = world.session(client)  # the admin creates the notice
    ref = "京发改〔2026〕1号"
    notice = {
        "ref": ref,
        "title": "关于数据中心挖矿用电的通知",
        "legal_basis": "节约能源法",
        "issuer": "北京市经济和信息化局",
        "period_start": "2026-01-01",
        "period_end": "2026-01-31",
        "deadline": "2026-02-07T18:00:00+08:00",
    }
    assert client.post("/api/v1/notices", json=notice, headers=headers).status_code == 201
    answer = client.get(f"/api/v1/notices/{ref}/report", params={"format": "xlsx"})
    assert answer.status_code == 200
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E4%BA%AC" in disposition  # 京, percent-encoded
