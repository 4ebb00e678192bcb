from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hashwatch.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from hashwatch.reporting.canonical import sha256_hex
from hashwatch.reporting.models import Notice, Recipient
from hashwatch.services import lookup, notices
from hashwatch.services.status import notice_status
from hashwatch.store.engine import Database
from tests.factories import ORG_USCC, add_facilities, draft, settings_for, tokens_from_outbox

ACTOR = "analyst:test"


def _issued(db: Database, tmp_path: Path, n: int = 3) -> dict[str, str]:
    add_facilities(db, n)
    cfg = settings_for(tmp_path)
    notices.create_notice(db, draft(), actor=ACTOR)
    notices.add_recipients(db, "BJ-2021-04", actor=ACTOR, settings=cfg, all_facilities=True)
    notices.issue_notice(db, "BJ-2021-04", actor=ACTOR, settings=cfg)
    return tokens_from_outbox(cfg, "BJ-2021-04")


def test_create_and_list(db: Database) -> None:
    created = notices.create_notice(db, draft(), actor=ACTOR)
    assert created["state"] == "draft"
    assert created["deadline"] == dt.datetime(2021, 5, 7, 10, 0, tzinfo=dt.UTC)
    assert [n["ref"] for n in notices.list_notices(db)] == ["BJ-2021-04"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"period_end": dt.date(2021, 3, 1)}, "period_end"),
        ({"deadline": dt.datetime(2021, 3, 1, tzinfo=dt.UTC)}, "deadline"),
        ({"deadline": dt.datetime(2021, 5, 7)}, "deadline"),  # noqa: DTZ001
    ],
)
def test_create_refuses_bad_input(db: Database, changes: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as info:
        notices.create_notice(db, draft(**changes), actor=ACTOR)
    assert info.value.field == field
    assert notices.list_notices(db) == []


def test_duplicate_reference_is_refused(db: Database) -> None:
    notices.create_notice(db, draft(), actor=ACTOR)
    with pytest.raises(ConflictError, match="BJ-2021-04"):
        notices.create_notice(db, draft(), actor=ACTOR)


def test_recipients_by_code_organization_district_and_all(db: Database, tmp_path: Path) -> None:
    codes = add_facilities(db, 6)
    cfg = settings_for(tmp_path)
    notices.create_notice(db, draft(), actor=ACTOR)
    add = notices.add_recipients
    assert add(db, "BJ-2021-04", actor=ACTOR, settings=cfg, facility_codes=codes[:1])["added"] == 1
    by_org = add(db, "BJ-2021-04", actor=ACTOR, settings=cfg, organization_uscc=ORG_USCC[1])
    assert by_org == {"notice_ref": "BJ-2021-04", "added": 3, "already_recipients": 0}
    by_district = add(db, "BJ-2021-04", actor=ACTOR, settings=cfg, district_code="110108")
    assert by_district["added"] == 0  # DC-000 and DC-003, both in already
    assert by_district["already_recipients"] == 2
    everyone = add(db, "BJ-2021-04", actor=ACTOR, settings=cfg, all_facilities=True)
    assert everyone == {"notice_ref": "BJ-2021-04", "added": 2, "already_recipients": 4}


def test_unknown_facility_adds_nothing(db: Database, tmp_path: Path) -> None:
    add_facilities(db, 2)
    notices.create_notice(db, draft(), actor=ACTOR)
    with pytest.raises(NotFoundError, match="NOPE"):
        notices.add_recipients(
            db,
            "BJ-2021-04",
            actor=ACTOR,
            settings=settings_for(tmp_path),
            facility_codes=["DC-000", "NOPE"],
        )
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Recipient)) == 0


def test_recipients_need_a_selection_and_a_known_notice(db: Database, tmp_path: Path) -> None:
    notices.create_notice(db, draft(), actor=ACTOR)
    with pytest.raises(InputError, match="say which facilities"):
        notices.add_recipients(db, "BJ-2021-04", actor=ACTOR, settings=settings_for(tmp_path))
    with pytest.raises(NotFoundError, match="no notice with reference 'X'"):
        notices.add_recipients(
            db, "X", actor=ACTOR, settings=settings_for(tmp_path), all_facilities=True
        )


def test_issue_sends_one_token_each_and_stores_only_hashes(db: Database, tmp_path: Path) -> None:
    tokens = _issued(db, tmp_path)
    assert sorted(tokens) == ["DC-000", "DC-001", "DC-002"]
    assert len(set(tokens.values())) == 3
    assert all(len(t) >= 43 for t in tokens.values())
    with db.read() as session:
        stored = set(session.execute(select(Recipient.token_sha256)).scalars())
        notice = session.execute(select(Notice)).scalar_one()
    assert stored == {sha256_hex(t) for t in tokens.values()}
    assert notice.questionnaire_version is not None
    assert notice.state.value == "issued"


def test_issue_twice_and_issue_without_recipients_are_refused(db: Database, tmp_path: Path) -> None:
    notices.create_notice(db, draft("EMPTY"), actor=ACTOR)
    with pytest.raises(InputError, match="no recipients"):
        notices.issue_notice(db, "EMPTY", actor=ACTOR, settings=settings_for(tmp_path))
    _issued(db, tmp_path)
    with pytest.raises(ConflictError, match="issued once"):
        notices.issue_notice(db, "BJ-2021-04", actor=ACTOR, settings=settings_for(tmp_path))


def test_recipient_added_after_issue_gets_a_token(db: Database, tmp_path: Path) -> None:
    add_facilities(db, 2)
    cfg = settings_for(tmp_path)
    notices.create_notice(db, draft(), actor=ACTOR)
    notices.add_recipients(db, "BJ-2021-04", actor=ACTOR, settings=cfg, facility_codes=["DC-000"])
    notices.issue_notice(db, "BJ-2021-04", actor=ACTOR, settings=cfg)
    result = notices.add_recipients(
        db, "BJ-2021-04", actor=ACTOR, settings=cfg, facility_codes=["DC-001"]
    )
    assert result["delivery"].written_to_outbox == 1
    assert sorted(tokens_from_outbox(cfg, "BJ-2021-04")) == ["DC-000", "DC-001"]


def test_tokens_open_the_notice_and_bad_ones_are_refused(db: Database, tmp_path: Path) -> None:
    tokens = _issued(db, tmp_path)
    seen = notices.open_notice(db, tokens["DC-001"], now=dt.datetime(2021, 5, 1, tzinfo=dt.UTC))
    assert seen["facility_code"] == "DC-001"
    assert seen["recipient_state"] == "opened"
    with pytest.raises(PermissionDeniedError, match="not valid"):
        notices.open_notice(db, "not-a-token")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    with pytest.raises(PermissionDeniedError, match="expired"):
        notices.open_notice(db, tokens["DC-000"], now=later)


def test_status_shows_opened_and_overdue(db: Database, tmp_path: Path) -> None:
    tokens = _issued(db, tmp_path)
    notices.open_notice(db, tokens["DC-000"])
    before = notice_status(db, "BJ-2021-04", now=dt.datetime(2021, 5, 1, tzinfo=dt.UTC))
    assert [r["status"] for r in before.rows] == ["opened", "not_opened", "not_opened"]
    after = notice_status(db, "BJ-2021-04", now=dt.datetime(2021, 6, 1, tzinfo=dt.UTC))
    assert after.counts == {"overdue": 3}
    assert after.summary["expected_reports"] == 3
    assert after.summary["actual_reports"] == 0


def test_remind_only_those_who_have_not_submitted(db: Database, tmp_path: Path) -> None:
    _issued(db, tmp_path)
    report = notices.remind(db, "BJ-2021-04", actor=ACTOR, settings=settings_for(tmp_path))
    assert report.written_to_outbox == 3
    assert report.missing_address == ("DC-001",)
    reminders = list(settings_for(tmp_path).outbox_dir.rglob("*-reminder.eml"))
    assert len(reminders) == 3
    assert "Access token" not in reminders[0].read_text(encoding="utf-8")


def test_close_stops_tokens(db: Database, tmp_path: Path) -> None:
    tokens = _issued(db, tmp_path)
    notices.close_notice(db, "BJ-2021-04", actor=ACTOR)
    with pytest.raises(PermissionDeniedError, match="closed"):
        notices.open_notice(db, tokens["DC-000"])
    with pytest.raises(ConflictError, match="already closed"):
        notices.close_notice(db, "BJ-2021-04", actor=ACTOR)
    with pytest.raises(ConflictError, match="closed"):
        notices.remind(db, "BJ-2021-04", actor=ACTOR, settings=settings_for(tmp_path))


def test_resend_replaces_the_token(db: Database, tmp_path: Path) -> None:
    tokens = _issued(db, tmp_path)
    cfg = settings_for(tmp_path)
    notices.resend_token(db, "BJ-2021-04", "DC-002", actor=ACTOR, settings=cfg)
    new = tokens_from_outbox(cfg, "BJ-2021-04")["DC-002"]
    assert new != tokens["DC-002"]
    with pytest.raises(PermissionDeniedError):
        notices.open_notice(db, tokens["DC-002"])
    assert notices.open_notice(db, new)["facility_code"] == "DC-002"


def test_token_for_another_notice_is_refused(db: Database, tmp_path: Path) -> None:
    tokens = _issued(db, tmp_path)
    with db.read() as session, pytest.raises(PermissionDeniedError, match="not for notice"):
        lookup.recipient_for_token(session, tokens["DC-000"], notice_ref="OTHER")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "two\nlines"}, "title"),
        ({"ref": "a\tb"}, "ref"),
        ({"ref": "x" * 65}, "ref"),
        ({"issuer": "i" * 201}, "issuer"),
    ],
)
def test_create_refuses_control_characters_and_long_fields(
    db: Database, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InputError) as info:
        notices.create_notice(db, draft(**changes), actor=ACTOR)
    assert info.value.field == field


def test_a_reference_with_spaces_is_the_same_reference(db: Database) -> None:
    notices.create_notice(db, draft("BJ-1"), actor=ACTOR)
    with pytest.raises(ConflictError, match="'BJ-1' exists"):
        notices.create_notice(db, draft(" BJ-1 "), actor=ACTOR)


def test_returned_recipients_are_reminded_too(db: Database, tmp_path: Path) -> None:
    from hashwatch.reporting.models import RecipientState

    _issued(db, tmp_path)
    with db.transaction() as session:
        first = session.execute(select(Recipient).order_by(Recipient.id)).scalars().first()
        assert first is not None
        first.state = RecipientState.RETURNED
    report = notices.remind(db, "BJ-2021-04", actor=ACTOR, settings=settings_for(tmp_path))
    assert report.written_to_outbox == 3
