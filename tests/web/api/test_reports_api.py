"""Report routes: file (idempotent), check, draft, versions, receipts; review and diff."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.web.api.world import REF, TestClient, World, example, report_a

BASE = f"/api/v1/notices/{REF}/facilities"


@pytest.fixture
def a_token(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.api_token_a}"}


def _amended() -> dict[str, Any]:
    report = report_a()
    report["equipment"][0]["count"] = 120
    return report


def test_filing_is_idempotent(client: TestClient, a_token: dict[str, str]) -> None:
    url = f"{BASE}/A-DC-2/submissions"
    key = a_token | {"Idempotency-Key": "april-v1"}
    first = client.post(url, json=report_a(), headers=key)
    assert first.status_code == 201, first.text
    assert first.json()["version"] == 1
    assert first.json()["replayed"] is False
    replay = client.post(url, json=report_a(), headers=key)
    assert replay.status_code == 200
    assert replay.json() == first.json() | {"replayed": True}
    reused = client.post(url, json=_amended(), headers=key)
    assert reused.status_code == 409
    assert reused.json()["field"] == "idempotency_key"
    amended = client.post(url, json=_amended(), headers=a_token)
    assert amended.status_code == 201
    assert amended.json()["version"] == 2


def test_a_blocked_report_lists_every_finding(client: TestClient, a_token: dict[str, str]) -> None:
    bad = report_a()
    bad["mining_electricity_kwh"] = 9e9
    answer = client.post(f"{BASE}/A-DC-2/submissions", json=bad, headers=a_token)
    assert answer.status_code == 422
    codes = {p["code"] for p in answer.json()["problems"]}
    assert "submission.mining_exceeds_total" in codes
    versions = client.get(f"{BASE}/A-DC-2/submissions", headers=a_token)
    assert versions.json() == []


def test_malformed_report_json_names_line_and_column(
    client: TestClient, a_token: dict[str, str]
) -> None:
    answer = client.post(
        f"{BASE}/A-DC-2/submissions",
        content=b'{"involved_in_mining": true,\n "x": }',
        headers=a_token | {"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert "line 2, column 7" in answer.json()["detail"]
    not_object = client.post(f"{BASE}/A-DC-2/submissions", json=[1], headers=a_token)
    assert not_object.status_code == 422


def test_check_and_draft_store_no_version(client: TestClient, a_token: dict[str, str]) -> None:
    report = report_a()
    report["mining_electricity_kwh"] = 9e9
    checked = client.post(f"{BASE}/A-DC-2/check", json=report, headers=a_token)
    assert checked.status_code == 200
    body = checked.json()
    assert body["accepted"] is False
    assert "submission.mining_exceeds_total" in {f["code"] for f in body["findings"]}
    fine = client.post(f"{BASE}/A-DC-2/check", json=report_a(), headers=a_token)
    assert fine.json()["accepted"] is True
    draft = client.put(f"{BASE}/A-DC-2/draft", json=report, headers=a_token)
    assert draft.status_code == 200
    me = client.get("/api/v1/me", headers=a_token).json()
    assert next(r for r in me["recipients"] if r["facility_code"] == "A-DC-2")["status"] == (
        "overdue"
    )  # a draft past the deadline is still overdue
    assert client.get(f"{BASE}/A-DC-2/submissions", headers=a_token).json() == []


def test_versions_receipts_and_review(
    world: World, client: TestClient, a_token: dict[str, str]
) -> None:
    regulator = world.session(client)
    url = f"{BASE}/A-DC-1"
    no_comment = client.post(f"{url}/review/return", json={}, headers=regulator)
    assert no_comment.status_code == 422
    assert no_comment.json()["field"] == "comment"
    returned = client.post(
        f"{url}/review/return", json={"comment": "List the S19 units"}, headers=regulator
    )
    assert returned.json()["review_state"] == "returned"
    twice = client.post(f"{url}/review/return", json={"comment": "again"}, headers=regulator)
    assert twice.status_code == 409
    client.cookies.clear()
    assert client.post(f"{url}/submissions", json=_amended(), headers=a_token).status_code == 201
    versions = client.get(f"{url}/submissions", headers=a_token).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["reviews"][0]["comment"] == "List the S19 units"
    assert versions[0]["review_state"] == "superseded"
    one = client.get(f"{url}/submissions/2", headers=a_token).json()
    assert one["report"]["equipment"][0]["count"] == 120
    assert client.get(f"{url}/submissions/9", headers=a_token).status_code == 404
    record = client.get(f"{url}/receipt", headers=a_token)
    assert record.headers["content-type"] == "application/json"
    assert "attachment" in record.headers["content-disposition"]
    assert record.headers["x-record-sha256"] == hashlib.sha256(record.content).hexdigest()
    assert json.loads(record.content)["version"] == 2
    first = client.get(f"{url}/receipt", params={"version": 1}, headers=a_token)
    assert json.loads(first.content)["version"] == 1
    regulator = world.session(client)
    diff = client.get(f"{url}/diff", params={"from_version": 1, "to_version": 2}).json()
    assert {
        "field": "equipment.0.count",
        "change": "changed",
        "before": 100,
        "after": 120,
        "line": "Antminer S19 Pro",
    } in diff["changes"]
    assert client.get(f"{url}/diff", params={"from_version": 1, "to_version": 1}).status_code == (
        422
    )
    stale = client.post(f"{url}/review/accept", json={"version": 1}, headers=regulator)
    assert stale.status_code == 409
    accepted = client.post(f"{url}/review/accept", json={"version": 2}, headers=regulator)
    assert accepted.json()["recipient_state"] == "accepted"


def test_the_regulator_reads_but_does_not_file(world: World, client: TestClient) -> None:
    regulator = world.session(client)
    url = f"{BASE}/A-DC-1"
    assert client.get(f"{url}/submissions").status_code == 200
    assert client.get(f"{url}/receipt").status_code == 200
    filed = client.post(f"{url}/submissions", json=report_a(), headers=regulator)
    assert filed.status_code == 403


def test_unknown_notice_and_facility_are_404(client: TestClient, a_token: dict[str, str]) -> None:
    unknown = client.get("/api/v1/notices/NOPE/facilities/A-DC-1/submissions", headers=a_token)
    assert unknown.status_code == 404
    assert client.get(f"{BASE}/NOPE/submissions", headers=a_token).status_code == 404
    nothing = client.get(f"{BASE}/A-DC-2/receipt", headers=a_token)
    assert nothing.status_code == 404


def test_an_idempotency_key_is_bounded(client: TestClient, a_token: dict[str, str]) -> None:
    long_key = a_token | {"Idempotency-Key": "k" * 200}
    answer = client.post(f"{BASE}/A-DC-2/submissions", json=example(), headers=long_key)
    assert answer.status_code == 422
    assert answer.json()["field"].endswith("Idempotency-Key")


def test_audit_log_and_verify(world: World, client: TestClient) -> None:
    csrf = world.session(client)
    rows = client.get("/api/v1/audit", params={"object_type": "submission"}).json()
    assert {r["action"] for r in rows} == {"submission.create"}
    mine = client.get("/api/v1/audit", params={"actor": "recipient:A-DC-1"}).json()
    assert [r["object_id"] for r in mine] == [f"{REF}/A-DC-1/v1"]
    assert len(client.get("/api/v1/audit", params={"limit": 2}).json()) == 2
    verified = client.post("/api/v1/audit/verify", headers=csrf).json()
    assert verified["ok"] is True
    assert verified["rows_checked"] > 5


def test_schema_and_health_need_no_sign_in(client: TestClient) -> None:
    schema = client.get("/api/v1/schema/report").json()
    assert schema["$schema"].endswith("2020-12/schema")
    assert client.get("/healthz").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert "/api/v1/notices/{ref}/facilities/{code}/submissions" in spec["paths"]


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b'{"a": "\xff"}', "the body is not UTF-8 (byte offset 7)"),
        (b"", "the request needs a JSON body"),
    ],
)
def test_bodies_that_are_not_json_are_named(
    client: TestClient, a_token: dict[str, str], content: bytes, detail: str
) -> None:
    answer = client.post(
        f"{BASE}/A-DC-2/check",
        content=content,
        headers=a_token | {"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json() == {"detail": detail, "code": "InputError", "field": "body"}
