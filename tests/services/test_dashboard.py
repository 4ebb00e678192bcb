from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from hashwatch.errors import FileFormatError, InputError, NotFoundError
from hashwatch.reporting.models import ReviewAction
from hashwatch.services import notices
from hashwatch.services.dashboard import (
    AuditFilter,
    FacilityFilter,
    audit_object_types,
    audit_page,
    discard_staged_file,
    district_figures,
    notice_dashboard,
    organizations,
    search_facilities,
    stage_registry_file,
    staged_registry_file,
)
from hashwatch.services.dashboard_review import diff_versions, submission_review
from hashwatch.services.review import review_submission
from hashwatch.services.status import notice_status
from hashwatch.services.submissions import submit_report
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from tests.factories import ORG_USCC, add_facilities, draft, settings_for, tokens_from_outbox

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
REF = "BJ-2021-04"
ON_TIME = dt.datetime(2021, 5, 6, 4, 0, tzinfo=dt.UTC)
LATE = dt.datetime(2021, 5, 9, 4, 0, tzinfo=dt.UTC)
ACTOR = "user:analyst"


def example(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return value


def build_notice(db: Database, cfg: Settings) -> dict[str, str]:
    """Six recipients at ``LATE``: two submitted, one returned, one accepted, two overdue.

    DC-000 and DC-003 (Haidian 110108) mine 380,000 kWh each; DC-001 is a late nil return;
    DC-002 was returned; DC-004 opened its link and DC-005 did nothing (both overdue).
    Returns the access tokens by facility code.
    """
    add_facilities(db, 6)
    notices.create_notice(db, draft(), actor=ACTOR)
    notices.add_recipients(db, REF, actor=ACTOR, settings=cfg, all_facilities=True)
    notices.issue_notice(db, REF, actor=ACTOR, settings=cfg)
    tokens = tokens_from_outbox(cfg, REF)
    for code in ("DC-000", "DC-002", "DC-003"):
        submit_report(db, tokens[code], example("report.json"), now=ON_TIME)
    submit_report(db, tokens["DC-001"], example("nil-return.json"), now=LATE)
    review_submission(db, REF, "DC-002", ReviewAction.RETURN, reviewer=ACTOR, comment="Fix")
    review_submission(db, REF, "DC-003", ReviewAction.ACCEPT, reviewer=ACTOR)
    notices.open_notice(db, tokens["DC-004"], now=ON_TIME)
    return tokens


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    return settings_for(tmp_path)


@pytest.fixture
def tokens(db: Database, cfg: Settings) -> dict[str, str]:
    return build_notice(db, cfg)


def test_dashboard_agrees_with_notice_status(db: Database, tokens: dict[str, str]) -> None:
    board = notice_dashboard(db, REF, now=LATE)
    status = notice_status(db, REF, now=LATE)
    assert board.summary == status.summary
    assert board.summary["expected_reports"] == 6
    assert board.summary["actual_reports"] == 4
    assert board.summary["actual_reports_on_time"] == 3
    assert board.summary["reported_mining_electricity_kwh"] == 760_000
    counts = dict(board.counts)
    assert counts == {
        "not_opened": 0,
        "opened": 0,
        "draft": 0,
        "overdue": 2,
        "submitted": 2,
        "returned": 1,
        "accepted": 1,
    }
    assert counts == {**dict.fromkeys(counts, 0), **status.counts}
    assert [r["facility_code"] for r in board.overdue] == ["DC-004", "DC-005"]


def test_district_figures_leave_returned_reports_out(db: Database, tokens: dict[str, str]) -> None:
    board = notice_dashboard(db, REF, now=LATE)
    by_code = {d.district_code: d for d in board.districts}
    assert list(by_code) == ["110105", "110108"]  # the districts' own order
    chaoyang, haidian = by_code["110105"], by_code["110108"]
    assert (chaoyang.recipients, chaoyang.reporting, chaoyang.involved) == (4, 2, 0)
    assert chaoyang.mining_electricity_kwh == 0
    assert chaoyang.facility_electricity_kwh == 1_200_000  # the nil return; DC-002 returned
    assert chaoyang.mining_share_pct == 0
    assert (haidian.recipients, haidian.reporting, haidian.involved) == (2, 2, 2)
    assert haidian.mining_electricity_kwh == 760_000
    assert haidian.mining_share_pct == pytest.approx(9.5)
    assert haidian.share_of_mining_pct == pytest.approx(100.0)
    assert haidian.name_zh == "海淀区"
    assert sum(d.recipients for d in board.districts) == board.summary["expected_reports"]


def test_district_figures_of_an_unknown_district_come_last() -> None:
    row = {
        "district_code": "999999",
        "version": None,
        "review_state": None,
        "involved_in_mining": None,
        "facility_electricity_kwh": None,
        "mining_electricity_kwh": None,
    }
    figures = district_figures([row, {**row, "district_code": "110101"}])
    assert [f.district_code for f in figures] == ["110101", "999999"]
    assert figures[1].name_zh is None
    assert figures[1].mining_share_pct is None
    assert figures[1].share_of_mining_pct is None


def _codes(db: Database, **filters: Any) -> list[str]:
    page = search_facilities(db, FacilityFilter(**filters), now=LATE)
    return [r["facility_code"] for r in page.rows]


def test_facility_filters_and_search(db: Database, tokens: dict[str, str]) -> None:
    assert _codes(db) == [f"DC-00{i}" for i in range(6)]
    assert _codes(db, district="海淀") == ["DC-000", "DC-003"]
    assert _codes(db, organization_uscc=ORG_USCC[1].lower()) == ["DC-001", "DC-003", "DC-005"]
    assert _codes(db, kind="colocation") == [f"DC-00{i}" for i in range(6)]
    assert _codes(db, kind="telecom") == []
    assert _codes(db, search="center 4") == ["DC-004"]
    assert _codes(db, search="dc-00") == [f"DC-00{i}" for i in range(6)]
    assert _codes(db, search="%") == []  # wildcards are literal


def test_facility_status_in_a_notice(db: Database, tokens: dict[str, str]) -> None:
    page = search_facilities(db, FacilityFilter(notice_ref=REF), now=LATE)
    assert {r["facility_code"]: r["status"] for r in page.rows} == {
        "DC-000": "submitted",
        "DC-001": "submitted",
        "DC-002": "returned",
        "DC-003": "accepted",
        "DC-004": "overdue",
        "DC-005": "overdue",
    }
    assert _codes(db, notice_ref=REF, status="overdue") == ["DC-004", "DC-005"]
    assert _codes(db, notice_ref=REF, status="opened") == []  # overdue once past the deadline
    before = search_facilities(
        db, FacilityFilter(notice_ref=REF, status="opened"), now=ON_TIME
    ).rows
    assert [r["facility_code"] for r in before] == ["DC-004"]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"status": "submitted"}, "notice_ref"),
        ({"notice_ref": REF, "status": "lost"}, "status"),
        ({"kind": "bank"}, "kind"),
        ({"district": "Atlantis"}, "district"),
        ({"page": 0}, "page"),
        ({"per_page": 10_000}, "per_page"),
    ],
)
def test_bad_facility_filters_name_the_field(
    db: Database, tokens: dict[str, str], filters: dict[str, Any], field: str
) -> None:
    with pytest.raises(InputError) as info:
        search_facilities(db, FacilityFilter(**filters))
    assert info.value.field == field


def test_facility_pages(db: Database, tokens: dict[str, str]) -> None:
    page = search_facilities(db, FacilityFilter(page=2, per_page=4))
    assert [r["facility_code"] for r in page.rows] == ["DC-004", "DC-005"]
    assert (page.total, page.pages) == (6, 2)
    assert search_facilities(db, FacilityFilter(page=3, per_page=4)).rows == []


def test_organizations_with_their_facility_counts(db: Database, tokens: dict[str, str]) -> None:
    found = organizations(db)
    assert [(o["uscc"], o["facilities"]) for o in found] == [(ORG_USCC[0], 3), (ORG_USCC[1], 3)]


def test_audit_page_filters_newest_first(db: Database, tokens: dict[str, str]) -> None:
    everything = audit_page(db, AuditFilter(per_page=500))
    ids = [r["id"] for r in everything.rows]
    assert ids == sorted(ids, reverse=True)
    reviews = audit_page(db, AuditFilter(action="review."))
    assert [r["object_id"] for r in reviews.rows] == [f"{REF}/DC-003/v1", f"{REF}/DC-002/v1"]
    mine = audit_page(db, AuditFilter(actor="dc-004"))
    assert [r["action"] for r in mine.rows] == ["recipient.open"]
    one = audit_page(db, AuditFilter(object_type="notice", object_id=REF, per_page=1, page=2))
    assert one.total == 3  # create, add recipients, issue
    assert one.pages == 3
    assert one.rows[0]["action"] == "notice.add_recipients"
    assert "notice" in audit_object_types(db)


def test_review_view_lists_versions_and_reviews(db: Database, tokens: dict[str, str]) -> None:
    amended = example("report.json")
    amended["equipment"][0]["count"] = 101
    amended["contact"]["name"] = "Li Lei"
    submit_report(db, tokens["DC-002"], amended, now=LATE)
    review = submission_review(db, REF, "DC-002", now=LATE)
    assert review.status == "submitted"
    assert [v.version for v in review.versions] == [1, 2]
    assert [v.review_state for v in review.versions] == ["superseded", "submitted"]
    assert review.versions[0].reviews == [
        {
            "action": "return",
            "comment": "Fix",
            "reviewer": ACTOR,
            "at": review.versions[0].reviews[0]["at"],
        }
    ]
    assert (review.versions[0].late, review.versions[1].late) == (False, True)
    assert review.reviewable
    assert review.facility["organization_uscc"] == ORG_USCC[0]
    changes = {
        c["field"]: (c["change"], c["before"], c["after"]) for c in diff_versions(review, 1, 2)
    }
    assert changes == {
        "contact.name": ("changed", "Li Wei", "Li Lei"),
        "equipment.0.count": ("changed", 100, 101),
    }
    with pytest.raises(NotFoundError):
        diff_versions(review, 1, 3)
    with pytest.raises(InputError):
        diff_versions(review, 2, 2)


def test_review_view_of_a_recipient_without_reports(db: Database, tokens: dict[str, str]) -> None:
    review = submission_review(db, REF, "DC-005", now=LATE)
    assert review.versions == []
    assert review.latest is None
    assert not review.reviewable
    accepted = submission_review(db, REF, "DC-003", now=LATE)
    assert not accepted.reviewable
    with pytest.raises(NotFoundError):
        submission_review(db, REF, "DC-999")


def test_staged_registry_files(cfg: Settings) -> None:
    upload_id = stage_registry_file(cfg, "registry.CSV", b"facility_code\n")
    assert upload_id.endswith(".csv")
    path = staged_registry_file(cfg, upload_id)
    assert path.read_bytes() == b"facility_code\n"
    discard_staged_file(cfg, upload_id)
    with pytest.raises(NotFoundError):
        staged_registry_file(cfg, upload_id)
    with pytest.raises(NotFoundError):
        staged_registry_file(cfg, "../../hashwatch.sqlite3")
    with pytest.raises(FileFormatError):
        stage_registry_file(cfg, "registry.exe", b"MZ")
    with pytest.raises(FileFormatError):
        stage_registry_file(cfg, "registry.xlsx", b"")


def test_uploads_never_imported_are_forgotten_after_a_day(cfg: Settings) -> None:
    old = stage_registry_file(cfg, "old.xlsx", b"PK")
    path = staged_registry_file(cfg, old)
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(path, (two_days_ago, two_days_ago))
    new = stage_registry_file(cfg, "new.csv", b"facility_code\n")
    assert not path.exists()
    assert staged_registry_file(cfg, new).is_file()
