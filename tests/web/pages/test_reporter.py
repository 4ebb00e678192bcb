"""The reporter's journey through the pages, via the ASGI app."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from hashwatch.reporting.models import ReviewAction
from hashwatch.services.review import review_submission
from hashwatch.store.engine import Database
from hashwatch.web.app import create_app
from tests.web.pages.reporter_world import (
    REF,
    ReporterWorld,
    TestClient,
    build,
    enter,
    form_fields,
    hidden,
    without_equipment,
)


@pytest.fixture
def world(db: Database, tmp_path: Path) -> ReporterWorld:
    return build(db, tmp_path)


@pytest.fixture
def client(world: ReporterWorld) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings, world.db)) as test_client:
        yield test_client


def _post(client: TestClient, path: str, page: str, fields: dict[str, str]) -> str:
    data = {
        **fields,
        "csrf_token": hidden(page, "csrf_token"),
        "idempotency_key": hidden(page, "idempotency_key"),
    }
    response = client.post(path, data=data, follow_redirects=True)
    return str(response.text)


def test_the_notice_link_opens_a_session_and_leaves_the_address_bar(
    client: TestClient, world: ReporterWorld
) -> None:
    response = client.get(f"/r/{world.tokens['DC-000']}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/report"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP in the test
    page = client.get("/report").text
    assert "关于数据中心涉及虚拟货币挖矿的紧急通知" in page
    assert "Energy Conservation Law, art. 52" in page
    assert "Data center 0 (DC-000)" in page
    assert "2021年5月7日 18:00:00 (Asia/Shanghai)" in page  # the deadline, local time
    assert world.tokens["DC-000"] not in page


@pytest.mark.parametrize("token", ["not-a-token", ""])
def test_a_bad_link_is_a_clear_page(client: TestClient, token: str) -> None:
    response = client.get(f"/r/{token}x", headers={"accept": "text/html"})
    assert response.status_code == 403
    assert "该通知链接无效" in response.text
    assert "hashwatch_session" not in response.headers.get("set-cookie", "")


def test_reporting_journey(client: TestClient, world: ReporterWorld) -> None:
    page = enter(client, world.tokens["DC-000"])

    # a blocking error is shown inline (htmx fragment) and on the page without JS
    broken = form_fields(**{"mining_electricity_kwh": "5000", "mining_electricity_kwh:unit": "MWh"})
    csrf = {"hx-request": "true", "x-csrf-token": hidden(page, "csrf_token")}  # as htmx sends
    fragment = client.post("/report/check", data=broken, headers=csrf)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="findings"')
    assert "submission.mining_exceeds_total" in fragment.text
    refused = client.post(
        "/report/submit",
        data={**broken, "csrf_token": hidden(page, "csrf_token"), "idempotency_key": "k1"},
    )
    assert refused.status_code == 422
    assert "submission.mining_exceeds_total" in refused.text
    assert "报告未提交" in refused.text

    # fixed, but without equipment: a warning asks for an explanation
    fixed = without_equipment(form_fields())
    refused = client.post(
        "/report/submit",
        data={**fixed, "csrf_token": hidden(page, "csrf_token"), "idempotency_key": "k2"},
    )
    assert refused.status_code == 422
    assert 'name="explain:submission.equipment_missing@equipment"' in refused.text

    explained = {**fixed, "explain:submission.equipment_missing@equipment": "机器已于三月搬走"}
    filed = client.post(
        "/report/submit",
        data={**explained, "csrf_token": hidden(page, "csrf_token"), "idempotency_key": "k3"},
        follow_redirects=False,
    )
    assert filed.status_code == 303
    assert filed.headers["location"] == "/report/receipt/1?done=submitted"
    # a double click (same idempotency key) files once
    again = client.post(
        "/report/submit",
        data={**explained, "csrf_token": hidden(page, "csrf_token"), "idempotency_key": "k3"},
        follow_redirects=False,
    )
    assert again.headers["location"] == "/report/receipt/1?done=submitted"

    receipt = client.get("/report/receipt/1?done=submitted").text
    assert "报告已提交，请保存回执。" in receipt
    assert "机器已于三月搬走" in receipt
    assert "4,000,000\xa0kWh" in receipt
    sha = re.search(r'class="sha256">([0-9a-f]{64})<', receipt)
    assert sha is not None
    download = client.get("/report/receipt/1/record.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert hashlib.sha256(download.content).hexdigest() == sha.group(1)
    assert json.loads(download.content)["report"]["facility_electricity_kwh"] == 4_000_000

    # the regulator returns it; the reporter sees the comment and amends
    review_submission(
        world.db, REF, "DC-000", ReviewAction.RETURN, reviewer="analyst", comment="请补充矿机信息"
    )
    page = client.get("/report").text
    assert "修改您的报告" in page
    assert 'value="4000000"' in page  # prefilled from the newest version, in kWh
    amended = client.post(
        "/report/submit",
        data={
            **form_fields(),
            "csrf_token": hidden(page, "csrf_token"),
            "idempotency_key": hidden(page, "idempotency_key"),
        },
        follow_redirects=False,
    )
    assert amended.headers["location"] == "/report/receipt/2?done=submitted"

    history = client.get("/report/history").text
    assert "/report/receipt/2" in history
    assert "/report/receipt/1" in history
    assert "请补充矿机信息" in history
    assert "已被新版本取代" in history


def test_draft_is_saved_and_prefills_the_form(client: TestClient, world: ReporterWorld) -> None:
    page = enter(client, world.tokens["DC-001"])
    saved = _post(client, "/report/draft", page, {"contact.name": "王芳", "coins.0.coin": "LTC"})
    assert "草稿已保存。" in saved
    assert 'value="王芳"' in saved
    assert 'value="LTC"' in saved


def test_lines_are_added_and_removed_without_javascript(
    client: TestClient, world: ReporterWorld
) -> None:
    page = enter(client, world.tokens["DC-000"])
    csrf = hidden(page, "csrf_token")
    assert 'name="coins.1.coin"' not in page
    added = client.post(
        "/report/edit", data={**form_fields(), "action": "add:coins", "csrf_token": csrf}
    ).text
    assert 'name="coins.1.coin"' in added
    assert 'value="BTC"' in added  # what was typed stays
    assert hidden(added, "csrf_token") == csrf  # the next post carries it too
    removed = client.post(
        "/report/edit",
        data={**form_fields(), "action": "remove:equipment.0", "csrf_token": csrf},
    ).text
    assert "Antminer S19 Pro" not in removed
    assert "Whatsminer M30S" in removed
    fragment = client.post(
        "/report/edit",
        data={"action": "add:equipment"},
        headers={"hx-request": "true", "x-csrf-token": csrf},
    ).text
    assert fragment.lstrip().startswith('<form id="report-form"')
    assert 'name="equipment.1.model"' in fragment


def test_another_recipient_cannot_see_a_receipt(client: TestClient, world: ReporterWorld) -> None:
    page = enter(client, world.tokens["DC-000"])
    filed = _post(client, "/report/submit", page, form_fields())
    assert "SHA-256" in filed
    with TestClient(client.app) as other:
        enter(other, world.tokens["DC-001"])
        assert other.get("/report/receipt/1").status_code == 404
        assert other.get("/report/receipt/1/record.json").status_code == 404
        assert "4,000,000" not in other.get("/report/history").text
    with TestClient(client.app) as stranger:
        assert stranger.get("/report").status_code == 403
        assert stranger.get("/report/receipt/1/record.json").status_code == 403


def test_forms_without_the_csrf_token_are_refused(client: TestClient, world: ReporterWorld) -> None:
    enter(client, world.tokens["DC-000"])
    for path in ("/report/submit", "/report/draft", "/report/check", "/report/edit"):
        response = client.post(path, data=form_fields(), headers={"accept": "text/html"})
        assert response.status_code == 403
        assert "您无权打开此页面" in response.text
    wrong = client.post("/report/submit", data={**form_fields(), "csrf_token": "forged"})
    assert wrong.status_code == 403
    assert client.get("/report/history").text.count("/report/receipt/") == 0


def test_both_languages_render(client: TestClient, world: ReporterWorld) -> None:
    page = enter(client, world.tokens["DC-000"])
    assert "截止时间" in page
    assert "English" in page
    switched = client.post(
        "/lang",
        data={"locale": "en", "back": "/report", "csrf_token": hidden(page, "csrf_token")},
    )
    assert switched.status_code == 200
    assert "Deadline" in switched.text
    assert "中文" in switched.text
    assert "7 May 2021, 18:00:00 (Asia/Shanghai)" in switched.text
    refused = client.post("/lang", data={"locale": "zh", "back": "/report"})
    assert refused.status_code == 403


def test_accept_language_chooses_english(client: TestClient, world: ReporterWorld) -> None:
    client.get(f"/r/{world.tokens['DC-002']}", follow_redirects=False)
    page = client.get("/report", headers={"accept-language": "en-GB,en;q=0.9,zh;q=0.5"}).text
    assert "Total electricity of the facility in the period" in page
    assert '<html lang="en">' in page


def test_the_switch_only_goes_back_to_local_pages(client: TestClient) -> None:
    response = client.post(
        "/lang", data={"locale": "en", "back": "//evil.example/"}, follow_redirects=False
    )
    assert response.headers["location"] == "/report"
