"""Every validation finding has a title, translated into Chinese, for the pages."""

from __future__ import annotations

from hashwatch.reporting.rules import FINDING_CODES
from hashwatch.web.finding_titles import FINDING_TITLES
from hashwatch.web.i18n import load_translations


def test_every_code_has_a_title() -> None:
    assert set(FINDING_TITLES) == set(FINDING_CODES)


def test_titles_are_translated_into_chinese() -> None:
    zh = load_translations()["zh"]
    untranslated = [t for t in FINDING_TITLES.values() if zh.gettext(t) == t]
    assert untranslated == []
    assert zh.gettext(FINDING_TITLES["submission.mining_exceeds_total"]) == (
        "挖矿用电量超过数据中心总用电量"
    )
