"""The catalogs are complete: every string of the pages is in both, translated in Chinese."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from starlette.requests import Request

from hashwatch.i18n import LOCALES, Formatter, catalog_path, choose_locale, load_translations
from hashwatch.web.pages.common import FLASH, error_page, templates, wants_html

ROOT = Path(__file__).parents[2]
#: the packages babel.cfg extracts from: the pages, the printed report, the assessment notes
SCOPES = ("src/hashwatch/web", "src/hashwatch/documents", "src/hashwatch/services")


def _on_the_way_to_web(dirpath: str) -> bool:
    """Walk only the directories that lead to or lie in babel.cfg's packages."""
    relative = Path(dirpath).relative_to(ROOT).as_posix()
    return relative == "." or any(
        scope.startswith(relative) or relative.startswith(scope) for scope in SCOPES
    )


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, directory_filter=_on_the_way_to_web
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog(locale: str) -> dict[str, str]:
    with catalog_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale)
    return {str(m.id): str(m.string) for m in catalog if m.id and not m.fuzzy}


def test_every_page_string_is_in_both_catalogs_and_translated_in_chinese() -> None:
    extracted = _extracted()
    assert "Submit the report" in extracted  # templates are scanned
    assert "Open the link in your notice to report." in extracted  # and page code
    assert "Headline figures" in extracted  # and the printed report
    assert set(FLASH.values()) <= extracted
    for locale in LOCALES:
        catalog = _catalog(locale)
        missing = sorted(extracted - catalog.keys())
        assert not missing, f"missing from the {locale} catalog (run make i18n): {missing}"
    untranslated = sorted(m for m, text in _catalog("zh").items() if not text.strip())
    assert not untranslated, f"untranslated in zh: {untranslated}"


def test_placeholders_survive_translation() -> None:
    for message, text in _catalog("zh").items():
        for name in ("%(n)s", "%(name)s", "%(version)s", "%(code)s", "%(start)s", "%(end)s"):
            assert (name in message) == (name in text), (message, text)


def test_catalogs_compile_in_memory() -> None:
    translations = load_translations()
    assert translations["zh"].gettext("Submit the report") == "提交报告"
    assert translations["en"].gettext("Submit the report") == "Submit the report"


def test_every_template_compiles_in_both_languages() -> None:
    for locale in LOCALES:
        env = templates().environments[locale]
        for name in env.list_templates(extensions=["html"]):
            env.get_template(name)


@pytest.mark.parametrize(
    ("session", "user", "header", "expected"),
    [
        ("en", "zh", "zh", "en"),
        (None, "en", "zh-CN", "en"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "fr, en;q=0.5, zh;q=0.8", "zh"),
        (None, None, "fr", "zh"),
        (None, None, None, "zh"),
        ("xx", None, "en;q=0", "zh"),
    ],
)
def test_locale_choice(
    session: str | None, user: str | None, header: str | None, expected: str
) -> None:
    assert choose_locale(session, user, header) == expected


def test_numbers_dates_and_shares_follow_the_locale() -> None:
    zh, en = Formatter("zh"), Formatter("en")
    assert zh.number(1234567.891) == "1,234,567.891"
    assert en.quantity(4_000_000, "kWh") == "4,000,000\xa0kWh"
    assert zh.percent(9.5) == "9.5%"
    assert en.date(dt.date(2021, 5, 7)) == "7 May 2021"
    assert zh.date(dt.date(2021, 5, 7)) == "2021年5月7日"
    deadline = dt.datetime(2021, 5, 7, 10, 0, tzinfo=dt.UTC)
    assert zh.datetime(deadline, "Asia/Shanghai") == "2021年5月7日 18:00:00 (Asia/Shanghai)"
    assert en.number(None) == "—"


def _request(path: str, accept: str, language: str = "en") -> Request:
    headers = [(b"accept", accept.encode()), (b"accept-language", language.encode())]
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "headers": headers,
        "query_string": b"",
        "server": ("testserver", 80),
        "scheme": "http",
        "root_path": "",
    }
    return Request(scope)


def test_error_pages_are_translated_and_never_show_internals() -> None:
    browser = _request("/report/receipt/9", "text/html,application/xhtml+xml")
    assert wants_html(browser)
    assert not wants_html(_request("/api/v1/notices", "text/html"))
    assert not wants_html(_request("/report", "application/json"))
    missing = error_page(browser, 404, "there is no version 9")
    body = bytes(missing.body).decode()
    assert missing.status_code == 404
    assert "Page not found" in body
    assert "there is no version 9" in body
    crashed = error_page(_request("/x", "text/html", "zh-CN"), 500, "Traceback: secret")
    body = bytes(crashed.body).decode()
    assert "系统出现问题" in body
    assert "secret" not in body
