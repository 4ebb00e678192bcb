"""The regulator's actions through the pages: notices, registry import, facility list, audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from hashwatch.services.dashboard import FacilityFilter, search_facilities
from hashwatch.services.status import notice_status
from hashwatch.store.engine import Database
from hashwatch.web.app import create_app
from hashwatch.web.pages import regulator_registry
from tests.services.test_dashboard import REF
from tests.web.pages.reporter_world import TestClient, hidden
from tests.web.pages.test_regulator import DASHBOARD, StaffWorld, sign_in, staff_world, text_of

DATA = Path(__file__).parents[2] / "data"
NEW_NOTICE = {
    "ref": "BJ-2021-05",
    "title": "May notice",
    "legal_basis": "Energy Conservation Law",
    "issuer": "Bureau",
    "period_start": "2021-05-01",
    "period_end": "2021-05-31",
    "deadline": "2021-06-07T18:00",
    "timezone": "Asia/Shanghai",
    "urgent": "yes",
}


@pytest.fixture
def world(db: Database, tmp_path: Path) -> StaffWorld:
    return staff_world(db, tmp_path)


@pytest.fixture
def client(world: StaffWorld) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings, world.db)) as test_client:
        yield test_client


@pytest.fixture
def csrf(client: TestClient) -> str:
    return sign_in(client)


def test_create_add_recipients_issue_remind_resend_close(
    client: TestClient, csrf: str, world: StaffWorld
) -> None:
    bad = client.post("/notices", data={**NEW_NOTICE, "deadline": "soon", "csrf_token": csrf})
    assert bad.status_code == 422
    assert "deadline" in text_of(bad.text, "flash-error")
    assert 'value="May notice"' in bad.text  # what was typed stays
    created = client.post("/notices", data={**NEW_NOTICE, "csrf_token": csrf})
    assert created.status_code == 200
    assert created.url.path == "/notices/BJ-2021-05"
    status = notice_status(world.db, "BJ-2021-05")
    # 18:00 in Shanghai is 10:00 UTC
    assert status.notice["deadline"] == dt.datetime(2021, 6, 7, 10, 0, tzinfo=dt.UTC)
    assert status.notice["urgent"] is True
    base = "/notices/BJ-2021-05"
    nothing = client.post(f"{base}/issue", data={"csrf_token": csrf})
    assert nothing.status_code == 422  # no recipients yet
    added = client.post(f"{base}/recipients", data={"district": "110108", "csrf_token": csrf})
    assert added.status_code == 200
    codes = {"facility_codes": "DC-001, DC-002\nDC-001", "csrf_token": csrf}
    assert client.post(f"{base}/recipients", data=codes).status_code == 200
    rows = notice_status(world.db, "BJ-2021-05").rows
    assert [r["facility_code"] for r in rows] == ["DC-000", "DC-001", "DC-002", "DC-003"]
    unknown = client.post(f"{base}/recipients", data={"facility_codes": "NOPE", "csrf_token": csrf})
    assert unknown.status_code == 404
    assert "NOPE" in unknown.text
    issued = client.post(f"{base}/issue", data={"csrf_token": csrf})
    assert issued.status_code == 200
    assert notice_status(world.db, "BJ-2021-05").notice["state"] == "issued"
    assert client.post(f"{base}/issue", data={"csrf_token": csrf}).status_code == 409
    reminded = client.post(f"{base}/remind", data={"csrf_token": csrf})
    assert reminded.status_code == 200
    rows = notice_status(world.db, "BJ-2021-05").rows
    assert {r["reminders"] for r in rows} == {1}
    resent = client.post(f"{base}/facilities/DC-001/token", data={"csrf_token": csrf})
    assert resent.status_code == 200
    closed = client.post(f"{base}/close", data={"csrf_token": csrf})
    assert closed.status_code == 200
    assert 'action="/notices/BJ-2021-05/close"' not in closed.text
    assert notice_status(world.db, "BJ-2021-05").notice["state"] == "closed"
    listing = client.get("/notices").text
    assert "BJ-2021-05" in listing
    assert REF in listing


def test_the_overdue_list_has_a_remind_button(
    client: TestClient, csrf: str, world: StaffWorld
) -> None:
    page = client.get(DASHBOARD).text
    assert f'action="/notices/{REF}/remind"' in page
    assert f'action="/notices/{REF}/facilities/DC-005/token"' in page
    client.post(f"{DASHBOARD}/remind", data={"csrf_token": csrf})
    reminders = {r["facility_code"]: r["reminders"] for r in notice_status(world.db, REF).rows}
    assert reminders["DC-004"] == reminders["DC-005"] == 1  # the overdue ones
    assert reminders["DC-000"] == reminders["DC-003"] == 0  # submitted, accepted


def test_facility_list_filters_and_htmx_fragment(client: TestClient, csrf: str) -> None:
    page = client.get("/facilities?district=110108").text
    results = page.split('id="facility-results"')[1]
    assert "DC-000" in results
    assert "DC-003" in results
    assert "DC-001" not in results
    fragment = client.get(
        f"/facilities?notice={REF}&status=returned", headers={"HX-Request": "true"}
    ).text
    assert fragment.lstrip().startswith('<div id="facility-results"')
    assert f'href="/notices/{REF}/facilities/DC-002"' in fragment
    assert "DC-004" not in fragment
    bad = client.get("/facilities?status=overdue")
    assert bad.status_code == 422
    assert "notice" in bad.text


def test_facility_list_pages(
    client: TestClient, csrf: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(regulator_registry, "PER_PAGE", 4)
    first = client.get("/facilities?kind=colocation").text
    assert 'href="/facilities?kind=colocation&amp;page=2"' in first
    second = client.get("/facilities?kind=colocation&page=2").text
    results = second.split('id="facility-results"')[1]
    assert "DC-004" in results
    assert "DC-003" not in results


def test_registry_import_checks_first_then_imports(
    client: TestClient, csrf: str, world: StaffWorld
) -> None:
    bad_file = (DATA / "registry_one_bad_row.csv").read_bytes()
    checked = client.post(
        "/registry/check",
        data={"csrf_token": csrf},
        files={"file": ("registry.csv", bad_file, "text/csv")},
    )
    assert checked.status_code == 422
    errors = checked.text.split('class="data error-list"')[1]
    assert '<td class="num">3</td>' in errors  # the row, counted as in the file
    assert 'name="upload_id"' not in checked.text
    good_file = (DATA / "registry_utf8_bom.csv").read_bytes()
    checked = client.post(
        "/registry/check",
        data={"csrf_token": csrf},
        files={"file": ("registry.csv", good_file, "text/csv")},
    )
    assert checked.status_code == 200, checked.text
    upload_id = hidden(checked.text, "upload_id")
    assert search_facilities(world.db, FacilityFilter(search="BJ-0")).total == 0  # a dry run
    imported = client.post("/registry/import", data={"upload_id": upload_id, "csrf_token": csrf})
    assert imported.status_code == 200
    assert imported.url.path == "/registry"
    assert search_facilities(world.db, FacilityFilter(search="BJ-0")).total > 0
    again = client.post("/registry/import", data={"upload_id": upload_id, "csrf_token": csrf})
    assert again.status_code == 404  # the staged file is gone
    wrong_type = client.post(
        "/registry/check",
        data={"csrf_token": csrf},
        files={"file": ("registry.txt", b"x", "text/plain")},
    )
    assert wrong_type.status_code == 422


def test_audit_log_and_its_verify_button(client: TestClient, csrf: str, world: StaffWorld) -> None:
    page = client.get("/audit?action=review.").text
    assert f"{REF}/DC-002/v1" in page
    assert "notice.create" not in page
    intact = client.post("/audit/verify", data={"csrf_token": csrf})
    assert intact.status_code == 200
    assert "chain-ok" in intact.text
    with world.db.transaction() as session:
        session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 3"))
    broken = client.post(
        "/audit/verify", data={"csrf_token": csrf}, headers={"HX-Request": "true"}
    ).text
    assert broken.lstrip().startswith('<div id="chain"')
    assert "chain-broken" in broken
    assert "3" in text_of(broken, "chain-broken")


def test_notice_list_links_each_dashboard(client: TestClient, csrf: str) -> None:
    page = client.get("/notices").text
    assert f'href="/notices/{REF}"' in page
    notices_page = client.get("/notices/new").text
    assert 'name="deadline"' in notices_page
    assert hidden(notices_page, "csrf_token") == csrf


def test_unknown_notice_is_404(client: TestClient, csrf: str) -> None:
    assert client.get("/notices/NOPE").status_code == 404
    assert client.get(f"{DASHBOARD}/facilities/NOPE").status_code == 404
