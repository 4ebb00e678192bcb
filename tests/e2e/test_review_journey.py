"""The whole loop in the browser, in English and in Chinese: a reporter files, the regulator
sees the reporting rate move and returns the report with a comment, the reporter amends, the
regulator accepts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import journeys as j
from tests.e2e.conftest import LiveApp, NewPage

pytestmark = pytest.mark.xdist_group("e2e")

#: locale -> (browser locale, index of the journey notice's recipient, a word of its UI)
LOCALES = {"en": ("en-US", 0, "Submit the report"), "zh": ("zh-CN", 1, "提交报告")}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_report_returned_amended_and_accepted(
    new_page: NewPage, live_app: LiveApp, locale: str
) -> None:
    browser_locale, index, submit_label = LOCALES[locale]
    code, link = sorted(live_app.reporter_links.items())[index]
    report = j.MiningReport.for_facility(live_app.db, code)
    ref = live_app.notice_ref
    regulator, reporter = new_page(browser_locale), new_page(browser_locale)

    j.sign_in(regulator, live_app.admin_username, live_app.admin_password)
    if locale == "zh":
        j.switch_language(regulator, "zh")
    rate_before = j.reporting_rate_pct(regulator, ref)

    j.open_notice_link(reporter, link)
    if locale == "zh":
        j.switch_language(reporter, "zh")
        expect(reporter.locator("#notice-title + dl dt").first).to_contain_text(CJK)
    expect(reporter.locator("#report-form button.primary")).to_have_text(submit_label)
    j.fill_mining_report(reporter, report, mining_kwh=report.mining_kwh * 10)
    j.submit(reporter)
    j.expect_refused_with(reporter, "submission.mining_exceeds_total")
    reporter.fill(j.field("mining_electricity_kwh"), str(report.mining_kwh))
    reporter.fill(j.field("coins.0.electricity_kwh"), str(report.mining_kwh))
    j.check(reporter)
    j.explain_warning(reporter, "submission.equipment_missing", "清单随后邮寄 / list follows")
    j.submit(reporter)
    expect(reporter).to_have_url(re.compile(r"/report/receipt/1\?done=submitted$"))
    j.download_receipt(reporter)

    # the dashboard counts the new report, and draws its charts from the app's own Vega
    assert j.reporting_rate_pct(regulator, ref) > rate_before
    j.expect_charts_drawn(regulator)
    comment = (
        "请列出矿机型号和数量" if locale == "zh" else "List the mining machines and their number"
    )
    j.review(regulator, ref, code, "return", comment)

    # the reporter sees the comment, amends with the machines, and gets a second receipt
    reporter.goto("/report/history")
    expect(reporter.locator(".review-comment").first).to_contain_text(comment)
    reporter.goto("/report")
    expect(reporter.locator(j.field("mining_electricity_kwh"))).to_have_value(
        str(report.mining_kwh)
    )
    j.add_machines(reporter, report)
    j.check(reporter)
    assert j.finding_codes(reporter, "error") == []
    assert "submission.equipment_missing" not in j.finding_codes(reporter, "warning")
    j.submit(reporter)
    expect(reporter).to_have_url(re.compile(r"/report/receipt/2\?done=submitted$"))
    j.download_receipt(reporter)

    # the regulator sees what changed and accepts version 2
    regulator.goto(f"/notices/{ref}/facilities/{code}")
    expect(regulator.locator("#diff .diff-table code", has_text="equipment").first).to_be_visible()
    j.review(regulator, ref, code, "accept")
    reporter.goto("/report/history")
    expect(reporter.locator(".status-accepted")).to_be_visible()
