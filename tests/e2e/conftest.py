"""End-to-end tests in Debian's headless Chromium, driven by Playwright's sync API.

One server per test process (session fixture :func:`live_app`): the real app on uvicorn in a
background thread, on a free loopback port, over a fresh SQLite data directory holding a
small demo city, a regulator admin and a notice of its own (``E2E-1``, deadline in a month)
whose recipients have not reported yet, so that each journey starts from a clean recipient.

Never downloads a browser: without ``/usr/bin/chromium`` the tests skip, unless
``HASHWATCH_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which turns the skip into a failure.
Each test gets fresh browser contexts (own cookies) from :func:`new_page`; a request that
leaves the app's origin fails the test (the pages must work offline), as do
uncaught script errors and Content-Security-Policy violations. When a test fails, a
screenshot and the HTML of each of its pages are saved under ``test-artifacts/e2e/``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Request,
    expect,
    sync_playwright,
)

from hashwatch.accounts.models import Role
from hashwatch.demo.city import build_demo_city, tokens_from_messages
from hashwatch.services.accounts import add_user
from hashwatch.services.notices import NoticeDraft, add_recipients, create_notice, issue_notice
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from hashwatch.web.app import STATIC_DIR, create_app

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_ENV = "HASHWATCH_REQUIRE_BROWSER"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VENDOR_FILES = ("htmx.min.js", "vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
DEMO_FACILITIES = 12
JOURNEY_NOTICE = "E2E-1"
JOURNEY_FACILITIES = 3
ADMIN_USERNAME = "e2e-admin"
ARTIFACTS = Path("test-artifacts") / "e2e"
#: generous: CI shares two cores with the rest of the suite
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


def _skip_or_fail(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium, and the vendored scripts the pages load; else skip (or fail)."""
    if not CHROMIUM.is_file():
        _skip_or_fail(
            f"{CHROMIUM} not found: the browser tests need Debian's Chromium "
            "(apt-get install chromium chromium-driver fonts-noto-cjk)"
        )
    missing = [name for name in VENDOR_FILES if not (STATIC_DIR / "vendor" / name).is_file()]
    if missing:
        _skip_or_fail(f"{', '.join(missing)} not built: run `make assets`")
    return CHROMIUM


@dataclass(frozen=True)
class LiveApp:
    """The running app and who can sign in to it."""

    base_url: str
    admin_username: str
    admin_password: str
    demo_notice_ref: str
    notice_ref: str
    #: facility code -> notice link (``{base_url}/r/{token}``) of the journey notice
    reporter_links: dict[str, str]
    #: facility code -> notice link of the demo city's notice
    demo_links: dict[str, str]
    data_dir: Path
    db: Database = field(repr=False)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def _links(base_url: str, outbox: Path) -> dict[str, str]:
    tokens = tokens_from_messages(outbox.glob("*/*.eml"))
    return {code: f"{base_url}/r/{token}" for code, token in sorted(tokens.items())}


def _journey_notice(db: Database, settings: Settings, facility_codes: list[str]) -> None:
    now = dt.datetime.now(dt.UTC)
    draft = NoticeDraft(
        ref=JOURNEY_NOTICE,
        title="Notice on cryptocurrency mining in data centers (browser tests)",
        legal_basis="Energy Conservation Law of the People's Republic of China (test notice)",
        issuer="Beijing Municipal Bureau of Economy and Information Technology",
        period_start=dt.date(2021, 4, 1),
        period_end=dt.date(2021, 4, 30),
        deadline=(now + dt.timedelta(days=30)).replace(minute=0, second=0, microsecond=0),
        timezone="Asia/Shanghai",
        urgent=False,
    )
    create_notice(db, draft, actor="analyst:e2e")
    add_recipients(
        db, JOURNEY_NOTICE, actor="analyst:e2e", settings=settings, facility_codes=facility_codes
    )
    issue_notice(db, JOURNEY_NOTICE, actor="analyst:e2e", settings=settings)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[LiveApp]:
    """The app on uvicorn in a thread, over a demo city of its own (see the module doc)."""
    sock = _free_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    data_dir = tmp_path_factory.mktemp("e2e-city")
    settings = Settings(data_dir=data_dir, public_url=base_url, smtp_host=None)
    db = Database.from_settings(settings)
    db.migrate()
    build_demo_city(db, settings, seed=2021, facilities=DEMO_FACILITIES)
    demo_links = _links(base_url, settings.outbox_dir / "BJ-2021-04")
    _journey_notice(db, settings, sorted(demo_links)[:JOURNEY_FACILITIES])
    password = secrets.token_urlsafe(12)
    add_user(db, ADMIN_USERNAME, password, role=Role.ADMIN, actor="test:e2e", locale="en")

    config = uvicorn.Config(
        create_app(settings, db),
        log_level="warning",
        access_log=False,
        ws="none",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start on uvicorn", pytrace=False)
        time.sleep(0.02)
    try:
        yield LiveApp(
            base_url=base_url,
            admin_username=ADMIN_USERNAME,
            admin_password=password,
            demo_notice_ref="BJ-2021-04",
            notice_ref=JOURNEY_NOTICE,
            reporter_links=_links(base_url, settings.outbox_dir / JOURNEY_NOTICE),
            demo_links=demo_links,
            data_dir=data_dir,
            db=db,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        db.dispose()


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    """Chromium for one test module. Not for the session: between its calls Playwright's sync
    API marks its event loop as running in this thread, so ``asyncio.run`` in any later test
    of the same worker would fail; leaving the module stops it."""
    with sync_playwright() as playwright:
        browser = _launch(playwright, chromium_path)
        yield browser
        browser.close()


def _launch(playwright: Playwright, chromium_path: Path) -> Browser:
    return playwright.chromium.launch(
        executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True
    )


@dataclass
class PageLog:
    """What the browser reported while a test ran: script errors and refused requests."""

    errors: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(
    browser: Browser, live_app: LiveApp, request: pytest.FixtureRequest
) -> Iterator[NewPage]:
    """``new_page(locale="zh-CN")``: a page in a fresh context (own cookies, own language).

    At the end of the test, script errors, CSP violations and requests that left the app's
    origin fail it; on failure every page is saved as a screenshot and HTML.
    """
    contexts: list[BrowserContext] = []
    pages: list[Page] = []
    log = PageLog()

    def request_seen(request: Request) -> None:
        url = request.url
        if not url.startswith((live_app.base_url, "data:", "blob:")):
            log.offsite.append(url)

    def make(locale: str = "en-US") -> Page:
        context = browser.new_context(
            base_url=live_app.base_url,
            locale=locale,
            accept_downloads=True,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", request_seen)
        contexts.append(context)
        page = context.new_page()
        index = len(pages)
        page.on("pageerror", lambda exc: log.errors.append(f"page {index}: {exc}"))
        page.on("console", lambda msg: _console(log, index, msg.type, msg.text))
        pages.append(page)
        return page

    yield make

    failed = _failed(request.node)
    if failed:
        _save_artifacts(request.node, pages, log)
    for context in contexts:
        context.close()
    if not failed:
        assert not log.offsite, f"requests left the app's origin: {log.offsite}"
        assert not log.errors, "script errors or CSP violations:\n" + "\n".join(log.errors)


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """One English page."""
    return new_page()


def _console(log: PageLog, index: int, kind: str, text: str) -> None:
    log.console.append(f"page {index} {kind}: {text}")
    if kind == "error" and "Content Security Policy" in text:
        log.errors.append(f"page {index}: {text}")


_REPORTS_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(_REPORTS_KEY, {})[report.when] = report
    return report


def _failed(item: pytest.Item) -> bool:
    reports = item.stash.get(_REPORTS_KEY, {})
    return any(r.failed for r in reports.values())


def _save_artifacts(item: pytest.Item, pages: list[Page], log: PageLog) -> None:
    folder = item.config.rootpath / ARTIFACTS
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])
    lines = [*log.console, *(f"offsite: {url}" for url in log.offsite), *log.errors]
    (folder / f"{stem}-console.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for index, page in enumerate(pages):
        if page.is_closed():
            continue
        base = folder / f"{stem}-page{index}"
        try:
            page.screenshot(path=f"{base}.png", full_page=True)
            Path(f"{base}.html").write_text(page.content(), encoding="utf-8")
        except Exception as exc:  # saving artifacts must not hide the failure
            Path(f"{base}.error.txt").write_text(repr(exc), encoding="utf-8")
