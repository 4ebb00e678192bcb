"""Retention of stored detection runs: list them, prune the old ones.

Each ``hashwatch detect meters --store`` keeps a run and a score per meter, so the scores
grow by a city's meters with every run. :func:`prune_runs` deletes the runs outside the
newest ``keep`` (and, when ``older_than_days`` is given, only those stored more than that
many days ago) with their meter scores, in one transaction with one ``detection.prune``
audit row. Nothing but a run's own meter scores refers to a run, so nothing else changes;
a facility whose every scoring run is pruned shows no detection result any more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hashwatch.detection.models import DetectionRun, MeterScore
from hashwatch.errors import InputError
from hashwatch.reporting import audit
from hashwatch.reporting.models import Notice
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow

#: ``hashwatch detect runs prune`` keeps this many of the newest runs unless told otherwise
DEFAULT_KEEP_RUNS: Final = 20
#: the longest ``older_than_days`` (a hundred years; more would overflow the cutoff date)
MAX_OLDER_THAN_DAYS: Final = 36_500
_DELETE_CHUNK: Final = 500


@dataclass(frozen=True)
class RunSummary:
    """One stored run as ``hashwatch detect runs list`` shows it."""

    id: int
    created_at: dt.datetime
    engine: str
    notice_ref: str | None
    meters: int
    candidates: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PruneResult:
    """The runs a prune deleted (or would delete, on a dry run), newest first."""

    runs: tuple[RunSummary, ...]
    meter_scores: int
    dry_run: bool


def _summaries(session: Session) -> list[RunSummary]:
    """Every stored run, newest first."""
    rows = session.execute(
        select(
            DetectionRun.id,
            DetectionRun.created_at,
            DetectionRun.engine,
            Notice.ref,
            DetectionRun.meters,
            DetectionRun.candidates,
        )
        .outerjoin(Notice, Notice.id == DetectionRun.notice_id)
        .order_by(DetectionRun.id.desc())  # ids grow as runs are stored
    ).tuples()
    return [RunSummary(*row) for row in rows]


def list_runs(db: Database) -> list[RunSummary]:
    """Every stored detection run, newest first."""
    with db.read() as session:
        return _summaries(session)


def check_retention(keep: int, older_than_days: int | None) -> None:
    """Refuse a ``keep`` below 1 and an ``older_than_days`` outside 1 to
    :data:`MAX_OLDER_THAN_DAYS`."""
    if keep < 1:
        raise InputError(
            f"keep must be at least 1 (the newest runs kept), not {keep}", field="keep"
        )
    if older_than_days is not None and not 1 <= older_than_days <= MAX_OLDER_THAN_DAYS:
        raise InputError(
            f"older_than_days must be at least 1 and at most {MAX_OLDER_THAN_DAYS:,}, "
            f"not {older_than_days}",
            field="older_than_days",
        )


def runs_to_prune(
    runs: Sequence[RunSummary], keep: int, cutoff: dt.datetime | None
) -> list[RunSummary]:
    """The runs (newest first) outside the ``keep`` newest and, with a cutoff, older than it."""
    return [r for r in runs[keep:] if cutoff is None or r.created_at < cutoff]


def _count_scores(session: Session, run_ids: Sequence[int]) -> int:
    total = 0
    for start in range(0, len(run_ids), _DELETE_CHUNK):
        chunk = run_ids[start : start + _DELETE_CHUNK]
        total += (
            session.scalar(
                select(func.count()).select_from(MeterScore).where(MeterScore.run_id.in_(chunk))
            )
            or 0
        )
    return total


def _delete_runs(session: Session, run_ids: Sequence[int]) -> tuple[set[int], int]:
    """Delete the runs and their meter scores: (the run ids deleted, scores deleted).

    A run another prune deleted first (two at once on PostgreSQL) is not among the ids.
    """
    scores, deleted_ids = 0, set[int]()
    for start in range(0, len(run_ids), _DELETE_CHUNK):
        chunk = run_ids[start : start + _DELETE_CHUNK]
        deleted = session.execute(delete(MeterScore).where(MeterScore.run_id.in_(chunk)))
        scores += int(getattr(deleted, "rowcount", 0) or 0)
        runs = session.scalars(
            delete(DetectionRun).where(DetectionRun.id.in_(chunk)).returning(DetectionRun.id)
        )
        deleted_ids.update(runs)
    return deleted_ids, scores


def prune_runs(
    db: Database,
    *,
    actor: str,
    keep: int = DEFAULT_KEEP_RUNS,
    older_than_days: int | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> PruneResult:
    """Delete the stored runs outside the ``keep`` newest (with ``older_than_days``, only
    those stored more than that many days ago) and their meter scores.

    One transaction, audited with one ``detection.prune`` row when anything was deleted; a
    dry run only reports what would go.
    """
    check_retention(keep, older_than_days)
    cutoff = None
    if older_than_days is not None:
        cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
    if dry_run:
        with db.read() as session:
            doomed = runs_to_prune(_summaries(session), keep, cutoff)
            scores = _count_scores(session, [r.id for r in doomed])
        return PruneResult(tuple(doomed), scores, dry_run=True)
    with db.transaction() as session:
        doomed = runs_to_prune(_summaries(session), keep, cutoff)
        deleted, scores = _delete_runs(session, [r.id for r in doomed])
        doomed = [r for r in doomed if r.id in deleted]
        if doomed:
            audit.record(
                session,
                actor=actor,
                action="detection.prune",
                object_type="detection_run",
                object_id="pruned",
                before={"runs": [r.as_dict() for r in doomed]},
                after={
                    "run_ids": sorted(deleted),
                    "meter_scores": scores,
                    "keep": keep,
                    "older_than_days": older_than_days,
                },
            )
    return PruneResult(tuple(doomed), scores, dry_run=False)
