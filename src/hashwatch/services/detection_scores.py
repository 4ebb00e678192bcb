"""Each facility's latest stored detection result, for lists of facilities, in one query.

A facility's result is the one :func:`~hashwatch.services.detection_runs.latest_facility_detection`
shows: its meters in the newest stored run that scored any of them. Its ``detection_score``
(0-1) is the highest of those meters' scores, and it is a candidate when any of them is.
Facilities no run scored have no result (``None``).

:func:`latest_facility_scores` is a subquery to join to a facility query (one row per scored
facility), so a list of thousands of facilities is filtered and sorted by score in the
database, without one query per facility.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import Subquery, and_, case, func, select

from hashwatch.detection.models import MeterScore
from hashwatch.reporting.models import Facility
from hashwatch.store.engine import Database

#: the fields a facility row gets: the run, the highest meter score, the candidate flag
DETECTION_FIELDS: Final = ("detection_run_id", "detection_score", "detection_candidate")


def latest_facility_scores() -> Subquery:
    """Per facility (``facility_id``): the newest run that scored any of its meters
    (``run_id``), its meters' highest ``score`` there, and ``candidate`` (1 when any of
    those meters is a candidate, else 0)."""
    latest = (
        select(MeterScore.facility_id, func.max(MeterScore.run_id).label("run_id"))
        .where(MeterScore.facility_id.is_not(None))
        .group_by(MeterScore.facility_id)
        .subquery("latest_detection_run")
    )
    return (
        select(
            MeterScore.facility_id,
            MeterScore.run_id,
            func.max(MeterScore.score).label("score"),
            func.max(case((MeterScore.is_candidate, 1), else_=0)).label("candidate"),
        )
        .join(
            latest,
            and_(
                MeterScore.facility_id == latest.c.facility_id,
                MeterScore.run_id == latest.c.run_id,
            ),
        )
        .group_by(MeterScore.facility_id, MeterScore.run_id)
        .subquery("latest_detection")
    )


def detection_fields(run_id: int | None, score: float | None, candidate: Any) -> dict[str, Any]:
    """The detection fields of a facility row; no run: ``None``, ``None``, ``False``."""
    return {
        "detection_run_id": run_id,
        "detection_score": None if score is None else float(score),
        "detection_candidate": bool(candidate) if run_id is not None else False,
    }


def with_detection(db: Database, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows (each with a ``facility_code``) with their facility's detection fields,
    read in one query whatever the number of rows."""
    scores = latest_facility_scores()
    with db.read() as session:
        found = session.execute(
            select(Facility.code, scores.c.run_id, scores.c.score, scores.c.candidate).join(
                scores, scores.c.facility_id == Facility.id
            )
        ).tuples()
        by_code = {code: detection_fields(run, score, flag) for code, run, score, flag in found}
    empty = detection_fields(None, None, None)
    return [{**row, **by_code.get(row["facility_code"], empty)} for row in rows]
