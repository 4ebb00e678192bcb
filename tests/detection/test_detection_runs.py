"""Stored detection runs: all rows or none, audited; the readers return the newest run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hashwatch.detection.local_engine import EngineOptions
from hashwatch.detection.models import DetectionRun, MeterScore
from hashwatch.reporting.models import AuditEntry, Facility, FacilityMeter
from hashwatch.services import detection as service
from hashwatch.services import detection_runs as runs
from hashwatch.store.engine import Database
from tests.assessment.city import REF, build_city
from tests.detection.test_detect_service import _readings
from tests.factories import settings_for


@pytest.fixture
def scored(db: Database, tmp_path: Path) -> tuple[Database, service.DetectRequest]:
    build_city(db, settings_for(tmp_path))
    with db.transaction() as session:
        for meter, code in (("MT1", "T1"), ("O0", "A1")):
            facility = session.query(Facility).filter_by(code=code).one()
            session.add(FacilityMeter(meter_id=meter, facility_id=facility.id))
    path = tmp_path / "readings.parquet"
    _readings(path)
    return db, service.DetectRequest(input=path, options=EngineOptions(workers=1))


def _counts(db: Database) -> tuple[int, int, int]:
    with db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(DetectionRun)) or 0,
            session.scalar(select(func.count()).select_from(MeterScore)) or 0,
            session.scalar(select(func.count()).where(AuditEntry.action == "detection.run")) or 0,
        )


def test_a_run_is_stored_audited_and_read_back(
    scored: tuple[Database, service.DetectRequest],
) -> None:
    db, request = scored
    assert runs.latest_facility_detection(db, "T1") is None
    first = runs.store_run(db, request, service.detect_meters(request, db=db), actor="a:1")
    assert (first.meters, first.linked_meters) == (17, 2)
    assert _counts(db) == (1, 17, 1)
    with db.read() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "detection.run")
        ).scalar_one()
        stored = session.get_one(MeterScore, (first.run_id, "MT1"))
        unlinked = session.get_one(MeterScore, (first.run_id, "O1"))
    assert (entry.actor, entry.object_id) == ("a:1", str(first.run_id))
    assert '"candidates":' in (entry.after_json or "")
    assert stored.is_candidate
    assert stored.facility_id is not None
    assert 0.9 < stored.features["capacity_ratio"] < 1.0
    assert unlinked.facility_id is None
    assert "MT1" in [s.meter_id for s in runs.run_candidates(db, first.run_id)]

    with_notice = dataclasses.replace(request, notice_ref=REF)
    second = runs.store_run(db, with_notice, service.detect_meters(with_notice, db=db), actor="a:2")
    latest = runs.latest_facility_detection(db, "T1")
    assert latest is not None
    assert (latest.run_id, latest.notice_ref) == (second.run_id, REF)
    assert [s.meter_id for s in latest.scores] == ["MT1"]
    assert latest.is_candidate
    assert latest.score == latest.scores[0].score
    assert "detection.mining_like_undeclared" in latest.scores[0].features["crosscheck"]
    office = runs.latest_facility_detection(db, "A1")
    assert office is not None
    assert not office.is_candidate
    assert runs.latest_facility_detection(db, "NOPE") is None


def test_a_failure_in_the_middle_stores_nothing(
    scored: tuple[Database, service.DetectRequest], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, request = scored
    result = service.detect_meters(request, db=db)
    # a meter repeated at the end: the last batch of rows breaks the unique key
    broken = dataclasses.replace(result, table=pa.concat_tables([result.table] * 2))
    monkeypatch.setattr(runs, "_INSERT_BATCH_ROWS", 5)
    with pytest.raises(IntegrityError):
        runs.store_run(db, request, broken, actor="a:1")
    assert _counts(db) == (0, 0, 0)
