"""Notice routes: create, recipients, issue, status, remind, resend, close, export."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from hashwatch.store.engine import Database
from tests.factories import tokens_from_outbox
from tests.web.api.world import REF, TestClient, World, build_world, client_for, settings_for

NEW = {
    "ref": "BJ-2021-05",
    "title": "May notice",
    "legal_basis": "Energy Conservation Law",
    "issuer": "Bureau",
    "period_start": "2021-05-01",
    "period_end": "2021-05-31",
    "deadline": "2021-06-07T18:00:00+08:00",
    "urgent": True,
}


@pytest.fixture
def regulator(world: World, client: TestClient) -> dict[str, str]:
    return world.session(client)


def test_create_get_and_list(client: TestClient, regulator: dict[str, str]) -> None:
    created = client.post("/api/v1/notices", json=NEW, headers=regulator)
    assert created.status_code == 201
    assert created.json()["state"] == "draft"
    deadline = dt.datetime.fromisoformat(created.json()["deadline"])
    assert deadline == dt.datetime(2021, 6, 7, 10, tzinfo=dt.UTC)
    assert client.get("/api/v1/notices/BJ-2021-05").json()["recipients"] == 0
    refs = [n["ref"] for n in client.get("/api/v1/notices").json()]
    assert refs == [REF, "BJ-2021-05"]
    again = client.post("/api/v1/notices", json=NEW, headers=regulator)
    assert again.status_code == 409
    assert again.json()["field"] == "ref"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"period_end": "2021-04-01"}, "period_end"),
        ({"deadline": "2021-06-07T18:00:00"}, "deadline"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"title": ""}, "title"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_notices_name_the_field(
    client: TestClient, regulator: dict[str, str], change: dict[str, Any], field: str
) -> None:
    answer = client.post("/api/v1/notices", json=NEW | change, headers=regulator)
    assert answer.status_code == 422
    assert answer.json()["field"] == field


def test_malformed_json_names_line_and_column(
    client: TestClient, regulator: dict[str, str]
) -> None:
    answer = client.post(
        "/api/v1/notices",
        content=b'{\n  "ref": "X",\n  "title": oops\n}',
        headers=regulator | {"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("invalid JSON at line 3, column 12")
    assert answer.json()["field"] == "body"


def test_unknown_notice_is_404(client: TestClient, regulator: dict[str, str]) -> None:
    for method, path in [
        ("GET", "/api/v1/notices/NOPE"),
        ("GET", "/api/v1/notices/NOPE/status"),
        ("POST", "/api/v1/notices/NOPE/issue"),
        ("POST", "/api/v1/notices/NOPE/close"),
        ("GET", "/api/v1/notices/NOPE/export"),
    ]:
        answer = client.request(method, path, headers=regulator)
        assert answer.status_code == 404, (method, path)
        assert answer.json()["field"] == "notice_ref"


def test_recipients_issue_and_double_issue(
    world: World, client: TestClient, regulator: dict[str, str]
) -> None:
    client.post("/api/v1/notices", json=NEW, headers=regulator)
    url = "/api/v1/notices/BJ-2021-05"
    none = client.post(f"{url}/recipients", json={}, headers=regulator)
    assert none.status_code == 422
    assert none.json()["field"] == "recipients"
    unknown = client.post(f"{url}/recipients", json={"facility_codes": ["X"]}, headers=regulator)
    assert unknown.status_code == 404
    added = client.post(f"{url}/recipients", json={"district": "朝阳"}, headers=regulator)
    assert added.json() == {
        "notice_ref": "BJ-2021-05",
        "added": 3,
        "already_recipients": 0,
        "delivery": None,
    }
    issued = client.post(f"{url}/issue", headers=regulator)
    assert issued.status_code == 200
    assert issued.json()["recipients"] == 3
    assert issued.json()["delivery"]["written_to_outbox"] == 3
    twice = client.post(f"{url}/issue", headers=regulator)
    assert twice.status_code == 409
    assert len(tokens_from_outbox(world.settings, "BJ-2021-05")) == 3


def test_status_counts_and_summary(client: TestClient, regulator: dict[str, str]) -> None:
    status = client.get(f"/api/v1/notices/{REF}/status").json()
    assert status["notice"]["ref"] == REF
    assert status["counts"] == {"submitted": 2, "overdue": 1}
    assert status["summary"]["expected_reports"] == 3
    assert status["summary"]["actual_reports"] == 2
    assert status["summary"]["facilities_involved_in_mining"] == 1
    row = next(r for r in status["rows"] if r["facility_code"] == "A-DC-1")
    assert row["mining_electricity_kwh"] == pytest.approx(387_654.0)


def test_remind_resend_and_close(
    world: World, client: TestClient, regulator: dict[str, str]
) -> None:
    reminded = client.post(f"/api/v1/notices/{REF}/remind", headers=regulator)
    assert reminded.status_code == 200
    old = world.tokens["A-DC-2"]
    resent = client.post(f"/api/v1/notices/{REF}/recipients/A-DC-2/token", headers=regulator)
    assert resent.json()["written_to_outbox"] == 1
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"}).status_code == 403
    closed = client.post(f"/api/v1/notices/{REF}/close", headers=regulator)
    assert closed.json()["state"] == "closed"
    assert client.post(f"/api/v1/notices/{REF}/close", headers=regulator).status_code == 409
    assert client.post(f"/api/v1/notices/{REF}/remind", headers=regulator).status_code == 409


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_export(client: TestClient, regulator: dict[str, str], fmt: str) -> None:
    answer = client.get(f"/api/v1/notices/{REF}/export", params={"format": fmt})
    assert answer.status_code == 200
    assert f'filename="{REF}.{fmt}"' in answer.headers["content-disposition"]
    if fmt == "csv":
        assert "A-DC-1" in answer.content.decode("utf-8-sig")
    elif fmt == "json":
        assert len(json.loads(answer.content)["recipients"]) == 3
    else:
        book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
        assert "summary" in book.sheetnames
        book.close()


def test_entities_may_not_use_notice_routes(world: World, client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {world.api_token_a}"}
    assert client.get("/api/v1/notices", headers=auth).status_code == 403
    assert client.post("/api/v1/notices", json=NEW, headers=auth).status_code == 403


def test_oversized_json_body_gets_413(db: Database, tmp_path: Path) -> None:
    world = build_world(db, settings_for(tmp_path, max_request_body_bytes=1024), submit=False)
    for client in client_for(world):
        csrf = world.session(client)
        answer = client.post("/api/v1/notices", json=NEW | {"title": "x" * 5000}, headers=csrf)
        assert answer.status_code == 413
