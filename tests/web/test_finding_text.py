"""Findings on the pages: one translated template per code, filled from the finding's data."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from babel.messages.pofile import read_po

from hashwatch.i18n import catalog_path, load_translations
from hashwatch.io.report_files import RowProblem
from hashwatch.reporting.findings import Finding, Severity
from hashwatch.reporting.rules import FINDING_CODES, validate_report
from hashwatch.web.finding_messages import (
    FINDING_MESSAGE_VARIANTS,
    FINDING_MESSAGES,
    all_templates,
)
from hashwatch.web.finding_text import PLACEHOLDER, FindingText, template_for
from tests.reporting.report_samples import CONTEXT, base_report, nil_report
from tests.reporting.test_rules import CASES, DELETE, Case, _apply

CJK = re.compile(r"[\u4e00-\u9fff]")
NOT_AN_OBJECT: Any = [1]


@pytest.fixture(scope="module")
def zh() -> FindingText:
    return FindingText("zh", load_translations()["zh"])


@pytest.fixture(scope="module")
def en() -> FindingText:
    return FindingText("en", load_translations()["en"])


def test_every_code_has_one_template_and_variants_belong_to_codes() -> None:
    assert set(FINDING_MESSAGES) == set(FINDING_CODES)
    assert set(FINDING_MESSAGE_VARIANTS) <= set(FINDING_CODES)


def test_every_template_is_in_both_catalogs_translated_with_its_placeholders() -> None:
    zh = load_translations()["zh"]
    for locale in ("zh", "en"):
        with catalog_path(locale).open("rb") as po:
            catalog = read_po(po, locale=locale)
        assert [t for t in all_templates() if t not in catalog] == [], locale
    for template in all_templates():
        text = zh.gettext(template)
        assert text != template, template
        assert CJK.search(text), template
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(template))
        assert text.count("%%") == template.count("%%"), template
        assert text.count("%") == text.count("%%") * 2 + len(PLACEHOLDER.findall(text))


# --- a realistic set of findings: every code, most variants ------------------------------

_PARSING: list[dict[str, Any]] = [
    {"involved_in_mining": "yes"},
    {"equipment.0.count": 1.5},
    {"contact.name": 5},
    {"contact.email": None},
    {"contact.name": ""},
    {"contact.name": "a" * 400},
    {"mining_start_date": "2021/04/01"},
    {"mining_start_date": "1800-01-01"},
    {"attestation.signed_at": "yesterday"},
    {"attestation.signed_at": "2021-05-06T10:00:00"},
    {"contact.name": "a\nb"},
    {"coins.0.algorithm": "foo"},
    {"operation_mode": "rent"},
    {"schema_version": "2"},
    {"contact": "x"},
    {"coins": "x"},
    {"explanations": "x"},
    {"explanations": {"Bad Key": "x"}},
    {"equipment.0.rated_power_w": "1 mW"},
    {"facility_electricity_kwh": "inf"},
    {"facility_electricity_kwh": 1e13},
    {"facility_electricity_kwh": 10**400},
    {"facility_electricity_kwh": True},
    {"hosted_clients": 2_000_000},
    {"hosted_clients": -1},
    {"coins": [base_report()["coins"][0]] * 101},
    {"mining_share_pct": "5 kWh"},
    {"facility_electricity_kwh": "1,2"},
]
_MORE = [
    Case("submission.mining_electricity_missing", {"mining_electricity_kwh": 0}, None),
    Case("submission.coin_sum_mismatch", {"mining_electricity_kwh": 0}, None),
    Case(
        "submission.attestation_in_future",
        {"attestation.signed_at": "2021-05-07T10:00+08:00"},
        None,
    ),
]


def _realistic() -> list[Finding]:
    found = [f for case in (*CASES, *_MORE) for f in case.run().findings]
    for changes in _PARSING:
        found += validate_report(_apply(base_report(), dict(changes)), CONTEXT).findings
    found += validate_report(NOT_AN_OBJECT, CONTEXT).findings  # not an object: no field
    nil = {"mining_electricity_kwh": 5, "mining_share_pct": 1, "mining_start_date": "2021-04-20"}
    found += validate_report(_apply(nil_report(), nil), CONTEXT).findings
    return found


REALISTIC = _realistic()


def test_the_realistic_set_has_every_code() -> None:
    assert {f.code for f in REALISTIC} == set(FINDING_CODES)


@pytest.mark.parametrize("finding", REALISTIC, ids=[f.code for f in REALISTIC])
def test_every_finding_is_translated_without_a_fallback(
    finding: Finding, zh: FindingText, en: FindingText
) -> None:
    text = zh.filled(finding)
    assert text is not None, (finding.code, finding.data, template_for(finding.code, finding.data))
    assert "%(" not in text
    assert "%%" not in text
    assert CJK.search(text), text
    assert zh.message(finding) == text
    english = en.filled(finding)
    assert english is not None
    assert "%(" not in english
    assert not CJK.search(english), english


def test_stored_findings_are_filled_the_same(zh: FindingText) -> None:
    for finding in REALISTIC[:20]:
        assert zh.message(finding.as_dict()) == zh.message(finding)


# --- numbers, units, dates ---------------------------------------------------------------


def _one(code: str, changes: dict[str, Any], **context: Any) -> Finding:
    result = validate_report(
        _apply(base_report(), changes), dataclasses.replace(CONTEXT, **context)
    )
    (found,) = [f for f in result.findings if f.code == code]
    return found


def test_amounts_and_units_are_formatted_for_the_locale(zh: FindingText, en: FindingText) -> None:
    exceeds = _one(
        "submission.mining_exceeds_total",
        {"facility_electricity_kwh": 300_000, "mining_share_pct": DELETE},
    )
    assert zh.message(exceeds) == "挖矿用电量 380,000千瓦时 超过数据中心总用电量 300,000千瓦时"
    assert en.message(exceeds) == exceeds.message  # the English template says the same
    grid = _one(
        "submission.energy_exceeds_grid_capacity",
        {"peak_demand_kw": DELETE},
        contracted_grid_capacity_kw=5_000.0,
    )
    assert "5,000千瓦 × 720小时 = 3,600,000千瓦时" in zh.message(grid)
    share = _one("submission.share_mismatch", {"mining_share_pct": 12})
    assert "12% 与 380,000千瓦时 ÷ 4,000,000千瓦时 = 9.5% 相差 2.5 个百分点" in zh.message(share)


def test_dates_durations_and_words(zh: FindingText, en: FindingText) -> None:
    exit_in = _one("submission.exit_in_period", {"planned_exit_date": "2021-04-25"})
    assert "退出日期 2021年4月25日，最后挖矿日 2021年4月24日" in zh.message(exit_in)
    assert "last day of mining 24 April 2021" in en.message(exit_in)
    future = _one(
        "submission.attestation_in_future", {"attestation.signed_at": "2021-05-06T12:06+08:00"}
    )
    assert zh.message(future).endswith("晚 6分钟")
    hosting = _one("submission.hosting_without_clients", {"operation_mode": "hosting"})
    assert zh.message(hosting) == "运营方式为托管，但托管客户数为 0"
    assert en.message(hosting) == "operation mode is hosting but the number of hosted clients is 0"
    unknown = _one("submission.unknown_field", {"facility_electricty_kwh": 5})
    assert "您是否要填写 facility_electricity_kwh？" in zh.message(unknown)
    whole = validate_report(NOT_AN_OBJECT, CONTEXT).findings[0]
    assert zh.message(whole).startswith("报告 须为一组字段")


# --- fallback ----------------------------------------------------------------------------


def _finding(code: str, data: Any, field: str | None = "f") -> Finding:
    return Finding(code, Severity.ERROR, "the English message", field, data)


@pytest.mark.parametrize(
    "finding",
    [
        # filed before the rule put the amounts into data
        _finding("submission.share_mismatch", {"mining_share_pct": 12.0}),
        _finding("submission.no_such_code", {}),
        _finding(
            "submission.exit_before_start",
            {"planned_exit_date": "soon", "mining_start_date": "2021-01-01"},
        ),
        _finding(
            "submission.mining_exceeds_total",
            {"mining_electricity_kwh": [1], "facility_electricity_kwh": 2},
        ),
        _finding(
            "submission.mining_exceeds_total",
            {"mining_electricity_kwh": None, "facility_electricity_kwh": 2},
        ),
        _finding("submission.mining_exceeds_total", "not a mapping"),
    ],
    ids=["missing-key", "unknown-code", "bad-date", "list", "none", "data-not-a-mapping"],
)
def test_a_finding_that_cannot_be_filled_shows_its_english_message(
    finding: Finding, zh: FindingText
) -> None:
    assert zh.filled(finding) is None
    assert zh.message(finding) == "the English message"
    assert zh.message({"code": finding.code, "message": "stored", "data": finding.data}) == "stored"


def test_a_translated_template_missing_a_value_falls_back(zh: FindingText) -> None:
    class Broken:
        def gettext(self, message: str) -> str:
            return "%(nothing_here)s 坏了" if "%(" in message else message

    broken = FindingText("zh", Broken())  # type: ignore[arg-type]
    exceeds = _one(
        "submission.mining_exceeds_total",
        {"facility_electricity_kwh": 300_000, "mining_share_pct": DELETE},
    )
    assert broken.message(exceeds) == exceeds.message


# --- the bulk upload's row problems ------------------------------------------------------


def test_row_problems(zh: FindingText) -> None:
    missing = _one("submission.equipment_missing", {"equipment": []})
    warning = RowProblem(
        "reports", 3, "DC-002", missing.field, missing.code, "English (explain ...)", missing.data
    )
    assert zh.row_problem_message(warning) == (
        "数据中心填报涉及挖矿，但未列出挖矿设备 "
        "（请在 explanations 列中以“submission.equipment_missing: …”的形式说明）"
    )
    error = RowProblem("reports", 3, "DC-002", "x", "submission.mining_exceeds_total", "E", {})
    assert zh.row_problem_message(error) == "E"  # cannot be filled: English, no hint added
    # the upload's own problems are translated too, from their data
    other = RowProblem("reports", 3, None, "facility_code", "bulk.missing_facility_code", "no code")
    assert zh.row_problem_message(other) == "该行没有 facility_code（数据中心编码）"
    twice = RowProblem(
        "reports",
        9,
        "DC-002",
        "facility_code",
        "bulk.duplicate_facility",
        "English",
        {"facility_code": "DC-002", "other_row": 4},
    )
    assert zh.row_problem_message(twice) == "DC-002 也出现在第 4 行；每个数据中心只能有一行"
    unreadable = RowProblem("reports", 3, "DC-002", "x", "bulk.invalid_cell", "bad number")
    assert zh.row_problem_message(unreadable) == "bad number"  # the reader's reason, as is
