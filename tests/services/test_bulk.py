"""Bulk filing: every row checked against its recipient, then all filed or none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hashwatch.accounts.principal import Principal
from hashwatch.io.report_files import ReportRow, ReportRows, RowProblem
from hashwatch.reporting.models import Submission
from hashwatch.services import api_tokens, notices
from hashwatch.services.bulk import bulk_file, facility_codes, organization_overview
from hashwatch.store.engine import Database
from tests.factories import ORG_USCC, add_facilities, draft, settings_for

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "report.json"
REF = "BJ-2021-04"


def _report(**changes: Any) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    report.update(changes)
    return report


@pytest.fixture
def org(db: Database, tmp_path: Path) -> Principal:
    """Organization 0 (facilities DC-000 and DC-002) of a notice sent to four facilities."""
    add_facilities(db, 4)
    cfg = settings_for(tmp_path)
    notices.create_notice(db, draft(), actor="analyst")
    notices.add_recipients(db, REF, actor="analyst", settings=cfg, all_facilities=True)
    notices.issue_notice(db, REF, actor="analyst", settings=cfg)
    secret, _summary = api_tokens.create_api_token(db, ORG_USCC[0], "bulk", actor="admin")
    return api_tokens.api_token_principal(db, secret)


def _count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Submission)) or 0)


def _rows(*rows: tuple[str, dict[str, Any]]) -> ReportRows:
    return ReportRows(rows=[ReportRow(i + 2, code, raw) for i, (code, raw) in enumerate(rows)])


def test_all_rows_valid_are_filed_together(db: Database, org: Principal) -> None:
    upload = _rows(("DC-000", _report()), ("DC-002", _report(mining_share_pct=None)))
    result = bulk_file(db, org, REF, upload, upload_sha256="a" * 64)
    assert result.filed
    assert [(r.facility_code, r.version) for r in result.receipts] == [
        ("DC-000", 1),
        ("DC-002", 1),
    ]
    assert _count(db) == 2
    again = bulk_file(db, org, REF, upload, upload_sha256="a" * 64)  # the same file twice
    assert [r.replayed for r in again.receipts] == [True, True]
    assert _count(db) == 2


def test_one_blocked_row_files_nothing(db: Database, org: Principal) -> None:
    upload = _rows(
        ("DC-000", _report()),
        ("DC-002", _report(mining_electricity_kwh="5000 MWh")),
    )
    result = bulk_file(db, org, REF, upload)
    assert not result.filed
    assert result.receipts == []
    assert ("reports", 3, "DC-002", "mining_electricity_kwh") in {
        (p.sheet, p.row, p.facility_code, p.field) for p in result.problems
    }
    assert "submission.mining_exceeds_total" in {p.code for p in result.problems}
    assert _count(db) == 0


def test_warnings_need_explanations_in_bulk_too(db: Database, org: Principal) -> None:
    bare = _report()
    del bare["equipment"]
    result = bulk_file(db, org, REF, _rows(("DC-000", bare)))
    assert [(p.code, p.row) for p in result.problems] == [("submission.equipment_missing", 2)]
    assert "explanations" in result.problems[0].message
    explained = {**bare, "explanations": {"submission.equipment_missing": "已搬走"}}
    assert bulk_file(db, org, REF, _rows(("DC-000", explained))).filed


def test_another_organizations_facility_is_refused_and_nothing_written(
    db: Database, org: Principal
) -> None:
    upload = _rows(("DC-000", _report()), ("DC-001", _report()), ("DC-404", _report()))
    result = bulk_file(db, org, REF, upload)
    assert [(p.facility_code, p.code) for p in result.problems] == [
        ("DC-001", "bulk.not_your_recipient"),
        ("DC-404", "bulk.not_your_recipient"),
    ]
    assert _count(db) == 0


def test_reading_problems_stop_the_upload_before_any_check(db: Database, org: Principal) -> None:
    upload = _rows(("DC-000", _report()))
    upload.problems.append(RowProblem("reports", 3, "DC-002", "x", "bulk.invalid_cell", "bad"))
    assert bulk_file(db, org, REF, upload).problems == upload.problems
    assert _count(db) == 0


def test_signing_time_without_offset_is_read_in_the_notice_time_zone(
    db: Database, org: Principal
) -> None:
    report = _report()
    report["attestation"] = {**report["attestation"], "signed_at": "2021-05-06T10:00:00"}
    result = bulk_file(db, org, REF, _rows(("DC-000", report)))
    assert result.filed
    record = json.loads(result.receipts[0].record_json)
    assert record["report"]["attestation"]["signed_at"] == "2021-05-06T02:00:00+00:00"


def test_the_overview_lists_only_own_facilities(db: Database, org: Principal) -> None:
    (entry,) = organization_overview(db, org)
    assert entry["notice"]["ref"] == REF
    assert [f["code"] for f in entry["facilities"]] == ["DC-000", "DC-002"]
    assert facility_codes(db, org, REF) == ["DC-000", "DC-002"]
