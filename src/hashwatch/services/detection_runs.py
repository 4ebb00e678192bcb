"""Stored detection runs: keep a finished run's scores; read a facility's latest result.

:func:`store_run` writes one :class:`~hashwatch.detection.models.DetectionRun` and a
:class:`~hashwatch.detection.models.MeterScore` per scored meter in one transaction, with one
``detection.run`` audit row: all of it or nothing. Each meter is linked to the facility the
registry gives it at storage time. :func:`latest_facility_detection` is what the facility
page shows, :func:`facility_evidence_chart` its meters' evidence charts drawn from the
readings store; :func:`run_candidates` lists a run's candidates.

Lists of facilities read the same result for many facilities in one query
(:mod:`~hashwatch.services.detection_scores`); listing and pruning stored runs is
:mod:`~hashwatch.services.detection_retention`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from hashwatch.charts.meters import EvidenceLabels
from hashwatch.detection.local_engine import EngineOptions
from hashwatch.detection.models import DetectionRun, MeterScore
from hashwatch.errors import InputError, NotFoundError
from hashwatch.reporting import audit
from hashwatch.reporting.models import Facility, FacilityMeter, Notice
from hashwatch.services.detection import DetectRequest, DetectResult, evidence_chart
from hashwatch.services.lookup import get_notice
from hashwatch.store.engine import Database
from hashwatch.store.meter_readings import bucket_of, bucket_path, readings_root

#: the columns kept as their own fields; every other column goes into ``features``
_FIELDS: Final = ("meter_id", "score", "is_candidate", "reasons")
_INSERT_BATCH_ROWS: Final = 1000
_LOOKUP_CHUNK: Final = 500


@dataclass(frozen=True)
class StoredRun:
    run_id: int
    meters: int
    candidates: int
    linked_meters: int


@dataclass(frozen=True)
class ScoreView:
    meter_id: str
    score: float
    is_candidate: bool
    reasons: str
    features: dict[str, Any]


@dataclass(frozen=True)
class FacilityDetection:
    """A facility's meters in the newest run that scored any of them."""

    run_id: int
    created_at: dt.datetime
    engine: str
    notice_ref: str | None
    scores: tuple[ScoreView, ...]  # highest score first

    @property
    def is_candidate(self) -> bool:
        return any(s.is_candidate for s in self.scores)

    @property
    def score(self) -> float:
        return max(s.score for s in self.scores)


def _json_value(value: Any) -> Any:
    """NaN and infinities become null (JSON has neither); dates and times ISO 8601 text."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _facility_ids(session: Session, meter_ids: Sequence[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for start in range(0, len(meter_ids), _LOOKUP_CHUNK):
        chunk = meter_ids[start : start + _LOOKUP_CHUNK]
        rows = session.execute(
            select(FacilityMeter.meter_id, FacilityMeter.facility_id).where(
                FacilityMeter.meter_id.in_(chunk)
            )
        )
        for meter, facility in rows:
            ids[meter] = facility
    return ids


def _parameters(request: DetectRequest) -> dict[str, Any]:
    side = {
        "external": request.external,
        "temperature": request.temperature,
        "labels": request.labels,
        "capacity": request.capacity,
    }
    # where the temporary store went is a local path that does not change the scores
    options = {k: v for k, v in asdict(request.options).items() if k != "temp_dir"}
    return {
        **options,
        **{k: None if v is None else v.name for k, v in side.items()},
    }


def store_run(
    db: Database, request: DetectRequest, result: DetectResult, *, actor: str
) -> StoredRun:
    """Store a finished run and its scores in one transaction, audited (``detection.run``)."""
    table = result.table
    meter_ids = [str(m) for m in table.column("meter_id").to_pylist()]
    extra = [n for n in table.column_names if n not in _FIELDS]
    columns = {n: table.column(n).to_pylist() for n in (*_FIELDS[1:], *extra)}
    with db.transaction() as session:
        notice = get_notice(session, request.notice_ref) if request.notice_ref else None
        run = DetectionRun(
            actor=actor,
            input=str(request.input)[:500],
            engine=request.engine.value,
            notice_id=None if notice is None else notice.id,
            parameters=_parameters(request),
            meters=result.meters,
            candidates=result.candidates,
        )
        session.add(run)
        session.flush()
        facilities = _facility_ids(session, meter_ids)
        rows = [
            {
                "run_id": run.id,
                "meter_id": meter,
                "facility_id": facilities.get(meter),
                "score": float(columns["score"][i]),
                "is_candidate": bool(columns["is_candidate"][i]),
                "reasons": columns["reasons"][i] or "",
                "features": {n: _json_value(columns[n][i]) for n in extra},
            }
            for i, meter in enumerate(meter_ids)
        ]
        for start in range(0, len(rows), _INSERT_BATCH_ROWS):
            session.execute(insert(MeterScore), rows[start : start + _INSERT_BATCH_ROWS])
        counts = {
            "input": run.input,
            "engine": run.engine,
            "notice_ref": request.notice_ref,
            "meters": result.meters,
            "candidates": result.candidates,
            "linked_meters": len(facilities),
        }
        audit.record(
            session,
            actor=actor,
            action="detection.run",
            object_type="detection_run",
            object_id=run.id,
            after=counts,
        )
        return StoredRun(run.id, result.meters, result.candidates, len(facilities))


def _view(score: MeterScore) -> ScoreView:
    return ScoreView(
        score.meter_id, score.score, score.is_candidate, score.reasons, dict(score.features)
    )


def latest_facility_detection(db: Database, facility_code: str) -> FacilityDetection | None:
    """The facility's meters in the newest stored run that scored any; None if none did."""
    with db.read() as session:
        facility_id = session.execute(
            select(Facility.id).where(Facility.code == facility_code)
        ).scalar_one_or_none()
        if facility_id is None:
            return None
        run_id = session.execute(
            select(func.max(MeterScore.run_id)).where(MeterScore.facility_id == facility_id)
        ).scalar_one_or_none()
        if run_id is None:
            return None
        run = session.get_one(DetectionRun, run_id)
        notice_ref = None
        if run.notice_id is not None:
            notice_ref = session.get_one(Notice, run.notice_id).ref
        scores = session.execute(
            select(MeterScore)
            .where(MeterScore.run_id == run_id, MeterScore.facility_id == facility_id)
            .order_by(MeterScore.score.desc(), MeterScore.meter_id)
        ).scalars()
        return FacilityDetection(
            run.id, run.created_at, run.engine, notice_ref, tuple(_view(s) for s in scores)
        )


def run_candidates(db: Database, run_id: int) -> list[ScoreView]:
    """The candidates of a stored run, highest score first."""
    with db.read() as session:
        if session.get(DetectionRun, run_id) is None:
            raise NotFoundError(f"no detection run {run_id}", field="run_id")
        scores = session.execute(
            select(MeterScore)
            .where(MeterScore.run_id == run_id, MeterScore.is_candidate.is_(True))
            .order_by(MeterScore.score.desc(), MeterScore.meter_id)
        ).scalars()
        return [_view(s) for s in scores]


def stored_readings_file(data_dir: Path, meter_id: str) -> Path | None:
    """The readings-store file that would hold this meter's readings, if there is one."""
    path = bucket_path(readings_root(data_dir), int(bucket_of([meter_id])[0]))
    return path if path.exists() else None


def facility_evidence_chart(
    db: Database,
    data_dir: Path,
    facility_code: str,
    meter_id: str,
    *,
    labels: EvidenceLabels | None = None,
    timezone: str | None = None,
) -> dict[str, Any]:
    """The evidence chart (Vega-Lite) of a meter of this facility, from the readings store,
    in ``timezone`` (the notice's; the engine's default without one).

    The meter must be the facility's in the registry or in a stored run; otherwise, or
    without stored readings, :class:`NotFoundError`.
    """
    with db.read() as session:
        facility_id = session.execute(
            select(Facility.id).where(Facility.code == facility_code)
        ).scalar_one_or_none()
        registry = session.get(FacilityMeter, meter_id)
        scored = session.execute(
            select(MeterScore.run_id)
            .where(MeterScore.meter_id == meter_id, MeterScore.facility_id == facility_id)
            .limit(1)
        ).first()
        linked = facility_id is not None and (
            scored is not None or (registry is not None and registry.facility_id == facility_id)
        )
    path = stored_readings_file(data_dir, meter_id) if linked else None
    if path is None:
        raise NotFoundError(f"no stored readings of meter {meter_id} of {facility_code}")
    try:
        options = EngineOptions(timezone=timezone) if timezone else None
        return evidence_chart(path, meter_id, labels=labels, options=options)
    except InputError:
        raise NotFoundError(f"no stored readings of meter {meter_id} of {facility_code}") from None
