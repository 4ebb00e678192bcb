from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hashwatch.accounts.principal import Principal
from hashwatch.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from hashwatch.reporting.canonical import sha256_hex
from hashwatch.reporting.models import AuditEntry, ReviewAction, Submission
from hashwatch.services import lookup, notices
from hashwatch.services.audit_log import verify_audit
from hashwatch.services.lookup import by_principal, by_token
from hashwatch.services.review import review_submission
from hashwatch.services.status import notice_status
from hashwatch.services.submissions import file_report, get_receipt, save_draft, submit_report
from hashwatch.store.engine import Database
from tests.factories import ORG_USCC, add_facilities, draft, settings_for, tokens_from_outbox

EXAMPLES = Path(__file__).parent.parent.parent / "docs" / "examples"
REF = "BJ-2021-04"
ON_TIME = dt.datetime(2021, 5, 6, 4, 0, tzinfo=dt.UTC)
LATE = dt.datetime(2021, 5, 9, 4, 0, tzinfo=dt.UTC)


def example(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return value


@pytest.fixture
def tokens(db: Database, tmp_path: Path) -> dict[str, str]:
    add_facilities(db, 4)
    cfg = settings_for(tmp_path)
    notices.create_notice(db, draft(), actor="analyst")
    notices.add_recipients(db, REF, actor="analyst", settings=cfg, all_facilities=True)
    notices.issue_notice(db, REF, actor="analyst", settings=cfg)
    return tokens_from_outbox(cfg, REF)


def _count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Submission)) or 0)


def test_a_valid_report_gets_a_receipt_of_record(db: Database, tokens: dict[str, str]) -> None:
    receipt = submit_report(db, tokens["DC-000"], example("report.json"), now=ON_TIME)
    assert receipt.version == 1
    assert not receipt.late
    assert receipt.record_sha256 == sha256_hex(receipt.record_json)
    record = json.loads(receipt.record_json)
    assert record["notice_ref"] == REF
    assert record["facility_code"] == "DC-000"
    assert record["received_at"] == "2021-05-06T04:00:00+00:00"
    assert record["report"]["facility_electricity_kwh"] == 4_000_000  # "4,000 MWh" normalised
    assert record["report"]["coins"][0]["hashrate_ths"] == 15_400  # "15.4 PH/s"
    assert get_receipt(db, by_token(tokens["DC-000"])).record_json == receipt.record_json


def test_a_nil_return_is_a_valid_report(db: Database, tokens: dict[str, str]) -> None:
    receipt = submit_report(db, tokens["DC-001"], example("nil-return.json"), now=LATE)
    assert receipt.late
    status = notice_status(db, REF, now=LATE)
    row = next(r for r in status.rows if r["facility_code"] == "DC-001")
    assert row["status"] == "submitted"
    assert row["involved_in_mining"] is False
    assert row["late"] is True


def test_a_blocking_error_rejects_and_writes_nothing(db: Database, tokens: dict[str, str]) -> None:
    bad = example("report.json")
    bad["mining_electricity_kwh"] = 5_000_000  # above the facility total
    with pytest.raises(InputError) as info:
        submit_report(db, tokens["DC-000"], bad, now=ON_TIME)
    codes = {p["code"] for p in info.value.problems}
    assert "submission.mining_exceeds_total" in codes
    assert "mining_exceeds_total" in info.value.message
    assert _count(db) == 0


def test_a_warning_needs_an_explanation(db: Database, tokens: dict[str, str]) -> None:
    report = example("report.json")
    report["equipment"][0]["count"] = 300  # equipment implies far more than declared
    with pytest.raises(InputError) as info:
        submit_report(db, tokens["DC-000"], report, now=ON_TIME)
    unexplained = [p for p in info.value.problems if p.get("needs") == "explanation"]
    assert unexplained
    code = unexplained[0]["code"]
    report["explanations"] = {code: "200 units were installed on 28 April"}
    receipt = submit_report(db, tokens["DC-000"], report, now=ON_TIME)
    assert receipt.warnings >= 1
    findings = json.loads(receipt.record_json)["findings"]
    assert any(f["explanation"] == "200 units were installed on 28 April" for f in findings)


def test_idempotency_key_returns_the_first_receipt(db: Database, tokens: dict[str, str]) -> None:
    first = submit_report(
        db, tokens["DC-000"], example("report.json"), idempotency_key="k1", now=ON_TIME
    )
    again = submit_report(
        db, tokens["DC-000"], example("report.json"), idempotency_key="k1", now=LATE
    )
    assert again.replayed
    assert again.record_sha256 == first.record_sha256
    assert again.version == 1
    assert _count(db) == 1
    changed = example("report.json")
    changed["peak_demand_kw"] = 6_900
    with pytest.raises(ConflictError, match="already used for a different report"):
        submit_report(db, tokens["DC-000"], changed, idempotency_key="k1", now=ON_TIME)


def test_amendments_are_new_versions(db: Database, tokens: dict[str, str]) -> None:
    token = tokens["DC-002"]
    v1 = submit_report(db, token, example("report.json"), now=ON_TIME)
    amended = example("report.json")
    amended["peak_demand_kw"] = 6_800
    v2 = submit_report(db, token, amended, now=LATE)
    assert (v1.version, v2.version) == (1, 2)
    assert json.loads(v2.record_json)["supersedes_version"] == 1
    assert get_receipt(db, by_token(token), 1).record_sha256 == v1.record_sha256
    with db.read() as session:
        states = [
            s.review_state.value
            for s in session.execute(select(Submission).order_by(Submission.version)).scalars()
        ]
    assert states == ["superseded", "submitted"]
    with pytest.raises(NotFoundError, match="no version 7"):
        get_receipt(db, by_token(token), 7)


def test_return_resubmit_accept(db: Database, tokens: dict[str, str]) -> None:
    token = tokens["DC-003"]
    submit_report(db, token, example("report.json"), now=ON_TIME)
    with pytest.raises(InputError, match="comment is required"):
        review_submission(db, REF, "DC-003", ReviewAction.RETURN, reviewer="analyst")
    review_submission(
        db,
        REF,
        "DC-003",
        ReviewAction.RETURN,
        reviewer="analyst",
        comment="Give the hosted clients",
    )
    row = next(
        r for r in notice_status(db, REF, now=ON_TIME).rows if r["facility_code"] == "DC-003"
    )
    assert row["status"] == "returned"
    with pytest.raises(ConflictError, match="already returned"):
        review_submission(db, REF, "DC-003", ReviewAction.ACCEPT, reviewer="analyst")
    corrected = copy.deepcopy(example("report.json"))
    corrected["peak_demand_kw"] = 6_950
    submit_report(db, token, corrected, now=ON_TIME)
    with pytest.raises(ConflictError, match="not the newest"):
        review_submission(db, REF, "DC-003", ReviewAction.ACCEPT, reviewer="analyst", version=1)
    result = review_submission(db, REF, "DC-003", ReviewAction.ACCEPT, reviewer="analyst")
    assert result["version"] == 2
    assert result["recipient_state"] == "accepted"
    assert verify_audit(db).ok


def test_review_of_nothing_is_refused(db: Database, tokens: dict[str, str]) -> None:
    with pytest.raises(NotFoundError, match="has not submitted"):
        review_submission(db, REF, "DC-000", ReviewAction.ACCEPT, reviewer="analyst")
    with pytest.raises(NotFoundError, match="not a recipient"):
        review_submission(db, REF, "NOPE", ReviewAction.ACCEPT, reviewer="analyst")


def test_bad_tokens_and_closed_notices(db: Database, tokens: dict[str, str]) -> None:
    with pytest.raises(PermissionDeniedError, match="not valid"):
        submit_report(db, "wrong", example("report.json"))
    with pytest.raises(PermissionDeniedError, match="not for notice"):
        submit_report(db, tokens["DC-000"], example("report.json"), notice_ref="OTHER")
    submit_report(db, tokens["DC-000"], example("nil-return.json"), now=ON_TIME)
    notices.close_notice(db, REF, actor="analyst")
    with pytest.raises(PermissionDeniedError, match="closed"):
        submit_report(db, tokens["DC-001"], example("nil-return.json"))
    assert get_receipt(db, by_token(tokens["DC-000"])).version == 1  # receipts stay readable
    assert _count(db) == 1


def test_drafts_are_kept_and_audited(db: Database, tokens: dict[str, str]) -> None:
    result = save_draft(db, by_token(tokens["DC-000"]), {"involved_in_mining": True})
    assert not result.accepted
    row = next(
        r for r in notice_status(db, REF, now=ON_TIME).rows if r["facility_code"] == "DC-000"
    )
    assert row["status"] == "draft"
    with db.read() as session:
        actions = list(session.execute(select(AuditEntry.action)).scalars())
    assert "draft.save" in actions


def test_bad_idempotency_key(db: Database, tokens: dict[str, str]) -> None:
    with pytest.raises(InputError, match="idempotency_key"):
        submit_report(db, tokens["DC-000"], example("report.json"), idempotency_key="x" * 200)


def test_concurrent_retries_with_one_key_file_one_version(
    db: Database, tokens: dict[str, str]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def attempt(_: int) -> int:
        receipt = submit_report(
            db, tokens["DC-000"], example("report.json"), idempotency_key="same", now=ON_TIME
        )
        return receipt.version

    with ThreadPoolExecutor(max_workers=4) as pool:
        versions = list(pool.map(attempt, range(8)))
    assert versions == [1] * 8
    assert _count(db) == 1
    assert verify_audit(db).ok


def _org_principal(db: Database, uscc: str) -> Principal:
    from hashwatch.reporting.models import Facility, Organization

    with db.read() as session:
        org = session.execute(select(Organization).where(Organization.uscc == uscc)).scalar_one()
        ids = frozenset(
            session.execute(select(Facility.id).where(Facility.organization_id == org.id)).scalars()
        )
    return Principal("organization", f"org:{uscc}", organization_id=org.id, facility_ids=ids)


def test_an_organization_files_for_its_own_facilities_only(
    db: Database, tokens: dict[str, str]
) -> None:
    first = _org_principal(db, ORG_USCC[0])  # DC-000 and DC-002
    receipt = file_report(
        db, by_principal(first, REF, "DC-002"), example("nil-return.json"), now=ON_TIME
    )
    assert receipt.facility_code == "DC-002"
    with pytest.raises(NotFoundError, match="not a recipient"):
        file_report(db, by_principal(first, REF, "DC-001"), example("nil-return.json"))
    with pytest.raises(NotFoundError, match="not a recipient"):
        get_receipt(db, by_principal(first, REF, "DC-001"))
    assert _count(db) == 1


def test_a_recipient_session_acts_for_its_own_row_only(
    db: Database, tokens: dict[str, str]
) -> None:
    with db.read() as session:
        own = lookup.recipient_for_token(session, tokens["DC-001"])
        principal = Principal(
            "recipient",
            "recipient:DC-001",
            recipient_id=own.id,
            facility_ids=frozenset({own.facility_id}),
        )
    file_report(db, by_principal(principal, REF, "DC-001"), example("nil-return.json"))
    with pytest.raises(NotFoundError):
        file_report(db, by_principal(principal, REF, "DC-003"), example("nil-return.json"))


def test_a_retry_after_close_still_gets_its_receipt(db: Database, tokens: dict[str, str]) -> None:
    first = submit_report(db, tokens["DC-000"], example("nil-return.json"), idempotency_key="r1")
    notices.close_notice(db, REF, actor="analyst")
    again = submit_report(db, tokens["DC-000"], example("nil-return.json"), idempotency_key="r1")
    assert again.replayed
    assert again.record_sha256 == first.record_sha256
    with pytest.raises(PermissionDeniedError, match="closed"):
        submit_report(db, tokens["DC-000"], example("nil-return.json"), idempotency_key="r2")


def test_an_accepted_report_is_locked(db: Database, tokens: dict[str, str]) -> None:
    submit_report(db, tokens["DC-000"], example("nil-return.json"), now=ON_TIME)
    review_submission(db, REF, "DC-000", ReviewAction.ACCEPT, reviewer="analyst")
    with pytest.raises(ConflictError, match="accepted by the regulator and is locked"):
        submit_report(db, tokens["DC-000"], example("nil-return.json"), now=ON_TIME)
    assert _count(db) == 1


def test_resubmission_racing_a_review_never_deadlocks(db: Database, tokens: dict[str, str]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    token = tokens["DC-001"]
    submit_report(db, token, example("nil-return.json"), now=ON_TIME)

    def resubmit(i: int) -> str:
        report = example("nil-return.json")
        report["peak_demand_kw"] = 2_400 + i
        try:
            submit_report(db, token, report, now=ON_TIME)
        except ConflictError:
            return "locked"
        return "filed"

    def review(_: int) -> str:
        try:
            review_submission(db, REF, "DC-001", ReviewAction.RETURN, reviewer="a", comment="again")
        except ConflictError:
            return "conflict"
        return "returned"

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(resubmit if i % 2 else review, i) for i in range(12)]
        outcomes = [f.result() for f in futures]  # a deadlock would raise here
    assert "filed" in outcomes
    assert verify_audit(db).ok


def test_audit_verifies_while_others_write(db: Database, tokens: dict[str, str]) -> None:
    import threading

    stop = threading.Event()

    def write() -> None:
        i = 0
        while not stop.is_set():
            notices.open_notice(db, tokens["DC-002"])
            save_draft(db, by_token(tokens["DC-003"]), {"involved_in_mining": False, "n": i})
            i += 1

    writers = [threading.Thread(target=write) for _ in range(2)]
    for w in writers:
        w.start()
    try:
        results = [verify_audit(db) for _ in range(15)]
    finally:
        stop.set()
        for w in writers:
            w.join()
    assert all(r.ok for r in results), [r.problem for r in results if not r.ok]


def test_a_notice_freezes_its_own_tolerances(db: Database, tmp_path: Path) -> None:
    from hashwatch.reporting.rules import RuleSettings

    add_facilities(db, 1)
    cfg = settings_for(tmp_path)
    lenient = RuleSettings(equipment_tolerance_pct=200.0)
    notices.create_notice(db, draft("LENIENT", rule_settings=lenient), actor="analyst")
    notices.add_recipients(db, "LENIENT", actor="analyst", settings=cfg, all_facilities=True)
    notices.issue_notice(db, "LENIENT", actor="analyst", settings=cfg)
    token = tokens_from_outbox(cfg, "LENIENT")["DC-000"]
    report = example("report.json")
    report["equipment"][0]["count"] = 300  # a warning at the default 30 % (see above)
    receipt = submit_report(db, token, report, now=ON_TIME)
    record = json.loads(receipt.record_json)
    assert record["rule_settings"]["equipment_tolerance_pct"] == 200.0
    assert not [f for f in record["findings"] if f["code"].startswith("submission.equipment")]
