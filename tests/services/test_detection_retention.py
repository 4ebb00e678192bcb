"""Pruning stored detection runs: the newest kept, the rest deleted with their scores in one
audited transaction; a dry run and bad limits change nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hashwatch.detection.models import DetectionRun, MeterScore
from hashwatch.errors import InputError
from hashwatch.reporting import audit
from hashwatch.reporting.audit import verify_chain
from hashwatch.reporting.models import AuditEntry
from hashwatch.services import detection_retention as retention
from hashwatch.services.detection_runs import latest_facility_detection
from hashwatch.store.engine import Database
from tests.factories import add_facilities
from tests.services.test_facility_detection import store_scores

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def five_runs(db: Database, tmp_path: Path) -> list[int]:
    """Five runs, 50, 40, 30, 20 and 10 days old; the oldest alone scored DC-002."""
    add_facilities(db, 3)
    ids = []
    for age_days in (50, 40, 30, 20, 10):
        scores: dict[str | None, list[tuple[str, float, bool]]] = {
            "DC-000": [("M0", age_days / 100, False)],
            None: [("STRAY", 0.7, True)],
        }
        if age_days == 50:
            scores["DC-002"] = [("M2", 0.9, True)]
        ids.append(store_scores(db, scores, created_at=NOW - dt.timedelta(days=age_days)))
    return ids


def _stored(db: Database) -> tuple[list[int], int, int]:
    with db.read() as session:
        runs = list(session.scalars(select(DetectionRun.id).order_by(DetectionRun.id)))
        scores = session.scalar(select(func.count()).select_from(MeterScore)) or 0
        audits = session.scalar(select(func.count()).where(AuditEntry.action == "detection.prune"))
    return runs, scores, audits or 0


def test_list_runs_newest_first(db: Database, five_runs: list[int]) -> None:
    listed = retention.list_runs(db)
    assert [r.id for r in listed] == five_runs[::-1]
    assert listed[-1].as_dict() == {
        "id": five_runs[0],
        "created_at": NOW - dt.timedelta(days=50),
        "engine": "local",
        "notice_ref": None,
        "meters": 3,
        "candidates": 2,
    }


def test_prune_keeps_the_newest_and_audits_once(db: Database, five_runs: list[int]) -> None:
    assert latest_facility_detection(db, "DC-002") is not None
    result = retention.prune_runs(db, actor="analyst:test", keep=2, now=NOW)
    assert [r.id for r in result.runs] == five_runs[2::-1]  # newest first
    assert (result.meter_scores, result.dry_run) == (7, False)
    assert _stored(db) == (five_runs[3:], 4, 1)
    with db.read() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "detection.prune")
        ).scalar_one()
    assert entry.actor == "analyst:test"
    assert entry.object_type == "detection_run"
    assert '"run_ids":[1,2,3]' in (entry.after_json or "")
    described = json.loads(entry.before_json or "{}")["runs"]  # what the deleted runs were
    assert [r["id"] for r in described] == five_runs[2::-1]
    assert {"created_at", "engine", "meters", "candidates"} <= set(described[0])
    with db.read() as session:
        assert verify_chain(session).ok
    assert latest_facility_detection(db, "DC-002") is None  # only the oldest run scored it
    again = retention.prune_runs(db, actor="analyst:test", keep=2, now=NOW)
    assert (again.runs, again.meter_scores) == ((), 0)
    assert _stored(db)[2] == 1  # nothing deleted, nothing audited


def test_older_than_deletes_only_the_old_ones(db: Database, five_runs: list[int]) -> None:
    result = retention.prune_runs(db, actor="a", keep=1, older_than_days=35, now=NOW)
    assert [r.id for r in result.runs] == [five_runs[1], five_runs[0]]  # 40 and 50 days old
    assert _stored(db)[0] == five_runs[2:]
    # the newest --keep runs stay however old they are
    kept = retention.prune_runs(db, actor="a", keep=3, older_than_days=1, now=NOW)
    assert kept.runs == ()


def test_a_dry_run_deletes_nothing(db: Database, five_runs: list[int]) -> None:
    result = retention.prune_runs(db, actor="a", keep=3, dry_run=True, now=NOW)
    assert ([r.id for r in result.runs], result.meter_scores) == ([2, 1], 5)
    assert result.dry_run
    assert _stored(db) == (five_runs, 11, 0)


def test_a_failure_deletes_nothing(
    db: Database, five_runs: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("audit down")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        retention.prune_runs(db, actor="a", keep=1, now=NOW)
    assert _stored(db) == (five_runs, 11, 0)


@pytest.mark.parametrize(
    ("keep", "older", "field"),
    [
        (0, None, "keep"),
        (-3, None, "keep"),
        (1, 0, "older_than_days"),
        (1, 1_000_000, "older_than_days"),  # a cutoff before year 1: refused, not a crash
    ],
)
def test_bad_limits_are_refused(
    db: Database, five_runs: list[int], keep: int, older: int | None, field: str
) -> None:
    with pytest.raises(InputError) as caught:
        retention.prune_runs(db, actor="a", keep=keep, older_than_days=older)
    assert caught.value.field == field
    assert "at least 1" in caught.value.message
    assert _stored(db)[0] == five_runs


def test_the_longest_older_than_is_accepted(db: Database, five_runs: list[int]) -> None:
    longest = retention.MAX_OLDER_THAN_DAYS
    assert retention.prune_runs(db, actor="a", keep=1, older_than_days=longest).runs == ()
    assert _stored(db)[0] == five_runs
