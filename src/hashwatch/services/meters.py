"""Meter interval data: ingest a file into the readings store; write the synthetic city.

:func:`ingest_meter_file` reads a CSV or Parquet file (:mod:`hashwatch.io.meter_files`, in
chunks: :mod:`hashwatch.io.meter_ingest_stream`), cleans it by the documented rules
(:mod:`hashwatch.detection.cleaning`), links its meters to facilities through the registry's
meter ids, and merges the readings into the Parquet store under the data directory
(:mod:`hashwatch.store.meter_readings`). With a database the ingest is audited
(``meters.ingest``) in the same transaction that covers the store write; without one (an
uninitialised data directory) the readings are stored but neither linked nor audited, and
the result says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from hashwatch.detection.cleaning import (
    CleaningReport,
    CleanReadings,
    DuplicatePolicy,
    IntArray,
    Unit,
    capacity_warnings,
)
from hashwatch.detection.synthetic import plan_city
from hashwatch.io.meter_files import Layout
from hashwatch.io.meter_ingest import cleaned_parts
from hashwatch.io.meter_ingest_stream import CHUNK_ROWS
from hashwatch.io.meter_synthetic_files import SyntheticFiles, write_synthetic_meters
from hashwatch.reporting import audit
from hashwatch.reporting.models import Facility, FacilityMeter
from hashwatch.store.engine import Database
from hashwatch.store.meter_readings import (
    METERS_DIR,
    StoreResult,
    readings_root,
    store_reading_parts,
)

_LOOKUP_CHUNK: Final = 500


@dataclass(frozen=True)
class FacilityLink:
    facility_code: str
    contracted_grid_capacity_kw: float | None


@dataclass(frozen=True)
class IngestResult:
    """What an ingest read, cleaned, stored and linked."""

    report: CleaningReport
    stored: StoreResult
    #: meter id → facility, for the meters the registry knows; None without a database
    links: dict[str, FacilityLink] | None
    unlinked_meters: tuple[str, ...]
    warnings: tuple[str, ...]


def facility_links(session: Session, meter_ids: Sequence[str]) -> dict[str, FacilityLink]:
    """The facility of each meter id the registry knows (a few queries per 500 ids)."""
    links: dict[str, FacilityLink] = {}
    for start in range(0, len(meter_ids), _LOOKUP_CHUNK):
        chunk = meter_ids[start : start + _LOOKUP_CHUNK]
        rows = session.execute(
            select(FacilityMeter.meter_id, Facility.code, Facility.contracted_grid_capacity_kw)
            .join(Facility, Facility.id == FacilityMeter.facility_id)
            .where(FacilityMeter.meter_id.in_(chunk))
        )
        for meter_id, code, capacity in rows:
            links[meter_id] = FacilityLink(code, capacity)
    return links


def _audit_record(path: Path, result: IngestResult) -> dict[str, object]:
    report = asdict(result.report)
    return {
        "file": path.name,
        "report": report,
        "stored": asdict(result.stored),
        "linked_meters": len(result.links or {}),
        "unlinked_meters": len(result.unlinked_meters),
    }


def ingest_meter_file(
    path: Path,
    *,
    data_dir: Path,
    db: Database | None,
    actor: str,
    layout: Layout | None = None,
    timezone: str | None = None,
    unit: Unit | None = None,
    interval_minutes: int | None = None,
    duplicates: DuplicatePolicy = DuplicatePolicy.ERROR,
    chunk_rows: int = CHUNK_ROWS,
    streamed: bool = True,
) -> IngestResult:
    """Read, clean, link and store a meter data file; nothing is stored if it cannot be read.

    The file (long or wide, with or without ``timezone``) is streamed in chunks of about
    ``chunk_rows`` readings through per-bucket spill files under the data directory, so
    memory does not grow with the file (:mod:`hashwatch.io.meter_ingest_stream`); the few
    files :func:`~hashwatch.io.meter_ingest.streamable` turns down (a wide file whose
    meter columns differ only by spaces, a header or zone the reader rejects) are read whole,
    which gives the same result or error. ``streamed=False`` reads any file whole (the
    reference the streamed path equals, and the benchmark's comparison).
    """
    with cleaned_parts(
        path,
        data_dir / METERS_DIR,
        layout=layout,
        timezone=timezone,
        unit=unit,
        interval_minutes=interval_minutes,
        duplicates=duplicates,
        chunk_rows=chunk_rows,
        streamed=streamed,
    ) as (parts, report):
        return _ingest_parts(
            path, data_dir=data_dir, db=db, actor=actor, parts=parts, report=report
        )


def _ingest_parts(
    path: Path,
    *,
    data_dir: Path,
    db: Database | None,
    actor: str,
    parts: Iterable[tuple[CleanReadings, IntArray]],
    report: Callable[[], CleaningReport],
) -> IngestResult:
    """Store clean parts (one part per set of buckets), linking and auditing with a database.

    ``parts`` pairs each part with the file row of each meter's first reading, which orders
    the meters (and warnings) as the file does; ``report`` is asked once all parts are stored.
    """
    root = readings_root(data_dir)
    meters: list[tuple[int, str]] = []
    warnings: list[tuple[int, str]] = []
    links: dict[str, FacilityLink] = {}

    def linked(session: Session | None) -> Iterator[CleanReadings]:
        for clean, first_rows in parts:
            names = clean.meter_names.tolist()
            meters.extend(zip(first_rows.tolist(), names, strict=True))
            if session is not None:
                part_links = facility_links(session, names)
                links.update(part_links)
                row_of = dict(zip(names, first_rows.tolist(), strict=True))
                for text in _warnings(clean, part_links):
                    meter = next(m for m in part_links if text.startswith(f"meter {m}:"))
                    warnings.append((row_of[meter], text))
            yield clean

    if db is None:
        stored = store_reading_parts(root, linked(None))
        return IngestResult(report(), stored, None, _in_order(meters), ())
    with db.transaction() as session:
        stored = store_reading_parts(root, linked(session))
        result = IngestResult(
            report(),
            stored,
            links,
            tuple(m for m in _in_order(meters) if m not in links),
            _in_order(warnings),
        )
        audit.record(
            session,
            actor=actor,
            action="meters.ingest",
            object_type="meter_file",
            object_id=path.name,
            after=_audit_record(path, result),
        )
    return result


def _in_order(items: list[tuple[int, str]]) -> tuple[str, ...]:
    return tuple(text for _, text in sorted(items))


def _warnings(clean: CleanReadings, links: dict[str, FacilityLink]) -> tuple[str, ...]:
    capacity = {
        meter: link.contracted_grid_capacity_kw
        for meter, link in links.items()
        if link.contracted_grid_capacity_kw
    }
    return capacity_warnings(clean, capacity)


def write_demo_meters(
    path: Path,
    *,
    seed: int,
    meters: int,
    days: int,
    interval_minutes: int = 60,
    progress: Callable[[int, int], None] | None = None,
) -> SyntheticFiles:
    """The labelled synthetic city's meter data, labels and series, written beside ``path``."""
    plan = plan_city(seed, meters, days, interval_minutes)
    return write_synthetic_meters(plan, path, progress=progress)
