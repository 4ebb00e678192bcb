"""A reporting entity files its report in the browser: from the notice link to the receipt."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import journeys as j
from tests.e2e.conftest import LiveApp, NewPage

pytestmark = pytest.mark.xdist_group("e2e")

#: the journey notice's recipients: one for each test that files a first report
REPORTER_ONLY = 2


def test_reporter_meets_an_error_explains_a_warning_and_keeps_the_receipt(
    new_page: NewPage, live_app: LiveApp
) -> None:
    code, link = sorted(live_app.reporter_links.items())[REPORTER_ONLY]
    report = j.MiningReport.for_facility(live_app.db, code)
    page: Page = new_page()
    j.open_notice_link(page, link)
    expect(page.locator("#notice-title")).to_contain_text("browser tests")

    # a slip of the keyboard: ten times the mining electricity
    j.fill_mining_report(page, report, mining_kwh=report.mining_kwh * 10)
    j.submit(page)
    j.expect_refused_with(page, "submission.mining_exceeds_total")
    assert page.locator('#findings a[href="#f-mining_electricity_kwh"]').count() >= 1

    # fixed; the check now shows only the warning, which asks for an explanation
    page.fill(j.field("mining_electricity_kwh"), str(report.mining_kwh))
    page.fill(j.field("coins.0.electricity_kwh"), str(report.mining_kwh))
    j.check(page)
    expect(page.locator("#findings .finding-warning").first).to_be_visible()
    assert j.finding_codes(page, "error") == []
    assert "submission.equipment_missing" in j.finding_codes(page, "warning")
    j.explain_warning(
        page, "submission.equipment_missing", "Machines are leased; the list follows by mail."
    )
    j.submit(page)

    expect(page).to_have_url(f"{live_app.base_url}/report/receipt/1?done=submitted")
    sha256, body = j.download_receipt(page)
    record = json.loads(body)
    assert record["report"]["mining_electricity_kwh"] == report.mining_kwh
    explained = [f for f in record["findings"] if f["code"] == "submission.equipment_missing"]
    assert explained[0]["explanation"].startswith("Machines are leased")
    assert len(sha256) == 64
