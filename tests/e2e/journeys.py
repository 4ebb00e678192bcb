"""Steps of the browser journeys, written against the pages' markup, not their wording.

Selectors use form field names, ``formaction`` and classes so that one journey runs in
English and in Chinese; the wording a user reads is checked where it matters.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from playwright.sync_api import Page, expect
from sqlalchemy import select

from hashwatch.reporting.models import Facility
from hashwatch.store.engine import Database

APRIL_HOURS = 30 * 24


@dataclass(frozen=True)
class MiningReport:
    """Plausible figures for one facility in April 2021, scaled to its capacities."""

    facility_kwh: int
    mining_kwh: int
    peak_kw: int
    hashrate_ths: int

    @property
    def share_pct(self) -> str:
        return f"{100 * self.mining_kwh / self.facility_kwh:.2f}"

    @classmethod
    def for_facility(cls, db: Database, code: str) -> MiningReport:
        with db.read() as session:
            facility = session.execute(select(Facility).where(Facility.code == code)).scalar_one()
            limits = [
                c
                for c in (
                    facility.contracted_grid_capacity_kw,
                    None
                    if facility.rated_it_capacity_kw is None
                    else facility.rated_it_capacity_kw * 1.2,
                )
                if c
            ]
        capacity_kw = min(limits) if limits else 1_000.0
        facility_kwh = round(capacity_kw * 0.5 * APRIL_HOURS, -3)
        mining_kwh = round(facility_kwh * 0.12, -2)
        # ~50 J/TH: well inside the rule's plausible SHA-256 efficiencies
        hashrate_ths = round(mining_kwh * 1000 / APRIL_HOURS / 50)
        return cls(int(facility_kwh), int(mining_kwh), round(capacity_kw * 0.8), hashrate_ths)


def field(name: str) -> str:
    return f'[name="{name}"]'


def open_notice_link(page: Page, link: str) -> None:
    """The notice link signs the recipient in and lands on the report form."""
    page.goto(link)
    expect(page).to_have_url(f"{link.split('/r/', maxsplit=1)[0]}/report")
    expect(page.locator("#report-form")).to_be_visible()


def switch_language(page: Page, locale: str) -> None:
    page.locator(f'.language-switch button[value="{locale}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans" if locale == "zh" else "en")


def fill_mining_report(page: Page, report: MiningReport, *, mining_kwh: int) -> None:
    """Fill the form: mining with one BTC line, own machines, no machine list, attested."""
    page.select_option(field("involved_in_mining"), "yes")
    page.fill(field("facility_electricity_kwh"), str(report.facility_kwh))
    page.fill(field("mining_electricity_kwh"), str(mining_kwh))
    page.fill(field("mining_share_pct"), report.share_pct)
    page.fill(field("peak_demand_kw"), str(report.peak_kw))
    page.fill(field("coins.0.coin"), "BTC")  # the form always shows one empty coin line
    page.select_option(field("coins.0.algorithm"), "SHA-256")
    page.fill(field("coins.0.hashrate_ths"), str(report.hashrate_ths))
    page.fill(field("coins.0.electricity_kwh"), str(mining_kwh))
    page.select_option(field("operation_mode"), "own")
    page.fill(field("contact.name"), "Wang Fang")
    page.fill(field("contact.title"), "Energy manager")
    page.fill(field("contact.phone"), "+86 10 6512 3456")
    page.fill(field("contact.email"), "wang.fang@example.cn")
    page.fill(field("attestation.name"), "Li Wei")
    page.fill(field("attestation.title"), "Facility manager")
    page.fill(field("attestation.signed_at"), "2021-05-06T10:00")
    page.check(field("attestation.statement_accepted"))


def submit(page: Page) -> None:
    page.locator("#report-form button.primary[data-submit-once]").click()


def check(page: Page) -> None:
    page.locator('#report-form .actions button[formaction="/report/check"]').click()


def finding_codes(page: Page, severity: str) -> list[str]:
    return page.locator(f"#findings .finding-{severity} .finding-code").all_inner_texts()


def expect_refused_with(page: Page, code: str) -> None:
    """The report was not filed; the error names its code and links to the field."""
    expect(page.locator("main .flash-error[role=alert]")).to_be_visible()
    expect(page.locator("#findings .finding-error .finding-code", has_text=code)).to_be_visible()


def explain_warning(page: Page, code: str, text: str) -> None:
    box = page.locator(f'#findings textarea[name^="explain:{code}"]')
    expect(box).to_have_count(1)
    box.fill(text)


def download_receipt(page: Page) -> tuple[str, bytes]:
    """On the receipt page: the shown SHA-256 and the downloaded copy of record."""
    shown = page.locator("code.sha256").inner_text().strip()
    with page.expect_download() as info:
        page.locator('a[href$="/record.json"]').click()
    path = info.value.path()
    body = path.read_bytes()
    assert hashlib.sha256(body).hexdigest() == shown
    return shown, body


def sign_in(page: Page, username: str, password: str) -> None:
    """The regulator's sign-in page leads to the list of notices."""
    page.goto("/login")
    page.fill(field("username"), username)
    page.fill(field("password"), password)
    page.locator(".login-form button.primary").click()
    expect(page).to_have_url(re.compile(r"/notices$"))


def reporting_rate_pct(page: Page, notice_ref: str) -> float:
    """Open the notice dashboard; its reporting rate as a number, whatever the locale."""
    page.goto(f"/notices/{notice_ref}")
    text = page.locator(".rate-response").inner_text()
    match = re.search(r"\d+(?:[.,]\d+)?", text)
    assert match, f"no number in the reporting rate {text!r}"
    return float(match.group().replace(",", "."))


def expect_charts_drawn(page: Page) -> None:
    """Every chart of the page drawn by vega-embed from the app's own copy of Vega."""
    charts = page.locator(".chart[data-vega-spec]")
    assert charts.count() >= 1
    for index in range(charts.count()):
        chart = charts.nth(index)
        expect(chart).to_have_attribute("data-vega-ready", "yes")
        expect(chart.locator("svg").first).to_be_attached()


def review(page: Page, notice_ref: str, code: str, action: str, comment: str = "") -> None:
    """Return (with a comment) or accept the newest version on the review page."""
    page.goto(f"/notices/{notice_ref}/facilities/{code}")
    if comment:
        page.fill(field("comment"), comment)
    page.locator(f'.review-form button[name="action"][value="{action}"]').click()
    status = "returned" if action == "return" else "accepted"
    expect(page.locator(f"dd.status.status-{status}")).to_be_visible()


def add_machines(page: Page, report: MiningReport) -> None:
    """One group of SHA-256 miners whose rated power accounts for the mining electricity."""
    rated_power_w = 3250
    count = round(report.mining_kwh * 1000 / (rated_power_w * APRIL_HOURS))
    page.fill(field("equipment.0.model"), "Antminer S19")  # the empty line the form shows
    page.fill(field("equipment.0.count"), str(count))
    page.fill(field("equipment.0.rated_power_w"), str(rated_power_w))
