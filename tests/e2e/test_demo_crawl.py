"""A new user's walk through the demo city, in Chinese (the default) and in English.

The regulator's side: from the list of notices, every page reachable by same-origin links
(GET; downloads, the API and static files left out; one page per path, notice and set of
query names; at most :data:`MAX_PAGES` a language) answers 200 in the expected language, with no
console error or CSP violation, and its charts drawn, including the assessment's charts the
notice dashboard loads with htmx; the PDF report downloads and names its notice. The
reporter's side: a notice link from the demo's outbox lands on the notice and its report
form, in both languages.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import ConsoleMessage, Page, Response, expect
from pypdf import PdfReader

from hashwatch.accounts.models import Role
from hashwatch.i18n import catalog_path
from hashwatch.services.accounts import add_user
from hashwatch.services.status import notice_status
from tests.e2e import journeys as j
from tests.e2e.conftest import LiveApp, NewPage

pytestmark = pytest.mark.xdist_group("e2e")

START = "/notices"
MAX_PAGES = 75
#: the HTML ``lang`` of each page locale
HTML_LANG = {"zh": "zh-Hans", "en": "en"}
SKIPPED_PREFIXES = ("/api/", "/static/", "/r/", "/logout", "/lang")
KEPT_QUERY_VALUES = ("notice",)
DOWNLOAD = re.compile(r"\.(pdf|xlsx|csv|json|html|eml|zip)$")
CJK = re.compile(r"[\u4e00-\u9fff]")
#: the shortest English UI text looked for on the Chinese pages (shorter ones, like "Log",
#: occur in data as well)
MIN_UNTRANSLATED_CHARS = 16
#: the PDF report is made on request (charts rendered offline): slower than a page
PDF_TIMEOUT_MS = 90_000


class _Links(HTMLParser):
    """The ``href`` of every ``<a>`` without a ``download`` attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        href = found.get("href")
        if tag == "a" and href and "download" not in found:
            self.hrefs.append(href)


def page_links(html: str, page_url: str, base_url: str) -> list[str]:
    """Same-origin pages linked from ``html`` (path and query), downloads left out."""
    parser = _Links()
    parser.feed(html)
    origin = urlsplit(base_url)
    links = []
    for href in parser.hrefs:
        url = urlsplit(urljoin(page_url, href))
        if (url.scheme, url.netloc) != (origin.scheme, origin.netloc):
            continue
        if url.path.startswith(SKIPPED_PREFIXES) or DOWNLOAD.search(url.path):
            continue
        links.append(f"{url.path}?{url.query}" if url.query else url.path)
    return links


def page_key(link: str) -> tuple[str, tuple[str, ...]]:
    """One page per path and set of query names (``?status=a`` and ``?status=b`` are one),
    but each notice's (``?notice=BJ-2021-04&status=a`` and ``?notice=BJ-2021-03&status=a``
    are two)."""
    url = urlsplit(link)
    query = parse_qsl(url.query)
    kept = {f"{name}={value}" if name in KEPT_QUERY_VALUES else name for name, value in query}
    return url.path, tuple(sorted(kept))


def translated_english() -> list[str]:
    """English UI texts the Chinese catalog translates: literal parts of its msgids, long
    enough not to occur in data by chance. On a Chinese page each is a missed translation."""
    with catalog_path("zh").open("rb") as po:
        catalog = read_po(po, locale="zh")
    texts = set()
    for message in catalog:
        if not isinstance(message.id, str) or not message.id or not message.string:
            continue
        for piece in re.split(r"%\(\w+\)[sd]|\{\w*\}|<[^>]+>", message.id):
            part = piece.strip(" .,:;()")
            if len(part) >= MIN_UNTRANSLATED_CHARS and " " in part and not CJK.search(part):
                texts.add(part)
    return sorted(texts)


@dataclass
class Log:
    """What went wrong on which page (console errors, uncaught script errors)."""

    problems: list[str] = field(default_factory=list)
    where: str = ""

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"{self.where}: {error}"))
        page.on("response", self._response)

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(f"{self.where}: HTTP {response.status} for {response.url}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"{self.where}: console error: {message.text}")


def _expect_charts_drawn(page: Page) -> None:
    """Wait for the htmx assessment fragment, then for every chart to be drawn."""
    if page.locator(".assessment-slot").count():
        expect(page.locator("section#assessment")).to_be_attached()
    charts = page.locator(".chart[data-vega-spec], .chart[data-vega-inline]")
    for index in range(charts.count()):
        expect(charts.nth(index)).to_have_attribute("data-vega-ready", "yes")
        expect(charts.nth(index).locator("svg").first).to_be_attached()


def crawl(page: Page, live_app: LiveApp, locale: str, log: Log) -> dict[str, str]:
    """Breadth first from :data:`START`, at most :data:`MAX_PAGES` pages: their titles.

    On Chinese pages, English UI texts the catalog translates are reported.
    """
    titles: dict[str, str] = {}
    untranslated = translated_english() if locale == "zh" else []
    queue, queued = [START], {page_key(START)}
    while queue and len(titles) < MAX_PAGES:
        link = queue.pop(0)
        log.where = f"{locale} {link}"
        response = page.goto(link)
        assert response is not None, link
        if response.status != 200 or urlsplit(page.url).path != urlsplit(link).path:
            log.problems.append(f"{log.where}: HTTP {response.status} at {page.url}")
            continue
        lang = page.locator("html").get_attribute("lang")
        if lang != HTML_LANG[locale]:
            log.problems.append(f"{log.where}: <html lang={lang!r}>, not {HTML_LANG[locale]!r}")
        _expect_charts_drawn(page)
        titles[link] = page.title()
        text = page.locator("body").inner_text()
        log.problems.extend(f"{log.where}: untranslated {t!r}" for t in untranslated if t in text)
        for found in page_links(response.text(), page.url, live_app.base_url):
            if page_key(found) not in queued:
                queued.add(page_key(found))
                queue.append(found)
    assert not queue, f"more than {MAX_PAGES} pages: {queue[:5]}…"
    return titles


def _trend_and_pdf(page: Page, notice_ref: str, locale: str) -> bytes:
    """On the notice's dashboard: the trend chart drawn, and its PDF report in ``locale``."""
    page.goto(f"/notices/{notice_ref}")
    trend = page.locator("#assessment .chart-trend[data-vega-inline]")
    expect(trend).to_have_attribute("data-vega-ready", "yes")
    link = page.locator(f'#assessment a[href="/notices/{notice_ref}/report.pdf?lang={locale}"]')
    with page.expect_download(timeout=PDF_TIMEOUT_MS) as download:
        link.click()
    path = download.value.path()
    return path.read_bytes()


def test_regulator_pages_of_the_demo_city_in_both_languages(
    new_page: NewPage, live_app: LiveApp
) -> None:
    username, password = f"crawler-{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    add_user(live_app.db, username, password, role=Role.ADMIN, actor="test:e2e")
    page, log = new_page("zh-CN"), Log()
    log.watch(page)
    log.where = "sign-in"
    j.sign_in(page, username, password)
    ref = live_app.demo_notice_ref

    zh = crawl(page, live_app, "zh", log)
    pdfs = {"zh": _trend_and_pdf(page, ref, "zh")}
    j.switch_language(page, "en")
    en = crawl(page, live_app, "en", log)
    pdfs["en"] = _trend_and_pdf(page, ref, "en")

    assert not log.problems, "\n".join(log.problems)
    assert zh.keys() == en.keys()
    assert {f"/notices/{ref}", f"/notices/{ref}/assessment", "/audit"} <= zh.keys()
    assert any(re.fullmatch(rf"/notices/{ref}/facilities/[^/]+", p) for p in zh)
    same = [p for p in zh if zh[p] == en[p]]
    assert not same, f"titles not translated: {[(p, zh[p]) for p in same]}"
    assert all(CJK.search(title) for title in zh.values())
    for locale, body in pdfs.items():
        assert body.startswith(b"%PDF"), locale
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
        assert ref in text, locale


def test_reporter_landing_page_and_form_in_both_languages(
    new_page: NewPage, live_app: LiveApp
) -> None:
    ref = live_app.demo_notice_ref
    rows = notice_status(live_app.db, ref).rows
    code = next(str(r["facility_code"]) for r in rows if r["status"] in ("returned", "overdue"))
    page, log = new_page("zh-CN"), Log()
    log.watch(page)
    j.open_notice_link(page, live_app.demo_links[code])
    titles = {}
    for locale in ("zh", "en"):
        if locale == "en":
            j.switch_language(page, "en")
        log.where = f"{locale} /report"
        expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[locale])
        expect(page.locator("#notice-title")).to_be_visible()
        expect(page.locator("#report-form")).to_be_visible()
        expect(page.locator(j.field("facility_electricity_kwh"))).to_be_visible()
        submit = page.locator("#report-form button.primary[data-submit-once]")
        expect(submit).to_have_text("提交报告" if locale == "zh" else "Submit the report")
        titles[locale] = page.title()
        if locale == "zh":
            text = page.locator("body").inner_text()
            assert [t for t in translated_english() if t in text] == []
        response = page.goto("/report/history")
        assert response is not None
        assert response.status == 200
        expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[locale])
        page.goto("/report")
    assert not log.problems, "\n".join(log.problems)
    assert titles["zh"] != titles["en"]
    assert CJK.search(titles["zh"])
