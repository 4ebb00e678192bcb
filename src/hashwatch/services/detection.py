"""Detection of mining-like meters: run an engine, score, cross-check, write; evidence charts.

:func:`detect_meters` reads the side files (:mod:`hashwatch.io.detection_files`), takes
capacities from ``--capacity`` or, for meters the registry links to a facility, from the
facility's contracted grid capacity, runs the local or the Spark engine, and, with a notice,
cross-checks the candidates with the facilities' newest reports
(:mod:`hashwatch.detection.crosscheck`). :func:`evidence_chart` draws one meter's load
curve with its steps and curtailment marked.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hashwatch.assessment.data import load_notice
from hashwatch.charts.meters import EvidenceLabels, meter_evidence_chart
from hashwatch.detection import kernel_events as events
from hashwatch.detection.cleaning import detect_interval_s, interval_minutes_or_hourly
from hashwatch.detection.crosscheck import Declaration, MeterResult, crosscheck
from hashwatch.detection.features import dense_power_kw
from hashwatch.detection.grid import Grid
from hashwatch.detection.kernel import prepare_block
from hashwatch.detection.local_engine import EngineOptions, streamable_source
from hashwatch.detection.local_engine import run as run_local
from hashwatch.errors import ConfigurationError, InputError
from hashwatch.io import detection_files as files
from hashwatch.io import meter_stream as stream
from hashwatch.services.lookup import get_notice
from hashwatch.services.meters import FacilityLink, facility_links
from hashwatch.store.engine import Database


class Engine(StrEnum):
    LOCAL = "local"
    SPARK = "spark"


@dataclass(frozen=True)
class DetectRequest:
    input: Path
    engine: Engine = Engine.LOCAL
    external: Path | None = None
    temperature: Path | None = None
    labels: Path | None = None
    capacity: Path | None = None
    notice_ref: str | None = None
    options: EngineOptions = field(default_factory=EngineOptions)


@dataclass(frozen=True)
class DetectResult:
    table: pa.Table
    meters: int
    candidates: int
    linked_meters: int | None  # None without a database
    findings: dict[str, list[dict[str, Any]]]


def _spark_run() -> Any:
    try:
        module = importlib.import_module("hashwatch.detection.spark_engine")
    except ImportError as exc:
        raise ConfigurationError(f"the Spark engine is not available ({exc})") from None
    run = getattr(module, "run", None)
    if run is None:
        raise ConfigurationError("the Spark engine is not available in this version")
    return run


def detect_meters(request: DetectRequest, *, db: Database | None) -> DetectResult:
    """Score every meter of ``request.input``; cross-check with a notice when one is given."""
    external = files.read_external(request.external) if request.external else None
    temperature = files.read_temperature(request.temperature) if request.temperature else None
    labels = files.read_labels(request.labels) if request.labels else None
    capacity = files.read_capacity(request.capacity) if request.capacity else None
    if request.notice_ref and db is None:
        raise ConfigurationError("--notice needs an initialised database (hashwatch init)")
    run = _spark_run() if request.engine is Engine.SPARK else run_local
    links: dict[str, FacilityLink] | None = None
    if db is not None and capacity is None:
        links = {}
        capacity = _registry_capacity(db, request, links)
    table = run(
        request.input,
        options=request.options,
        external=external,
        temperature=temperature,
        capacity_kw=capacity,
        labels=labels,
    )
    if db is not None and links is None:
        with db.read() as session:
            links = facility_links(session, table.column("meter_id").to_pylist())
    findings: dict[str, list[dict[str, Any]]] = {}
    if request.notice_ref and db is not None and links is not None:
        table, findings = _with_crosscheck(db, table, links, request.notice_ref)
    candidates = int(np.count_nonzero(table.column("is_candidate").to_numpy(False)))
    return DetectResult(
        table, table.num_rows, candidates, None if links is None else len(links), findings
    )


def _registry_capacity(
    db: Database, request: DetectRequest, links_out: dict[str, FacilityLink]
) -> dict[str, float] | None:
    """Contracted grid capacity of the meters the registry links (reads the ids only)."""
    ids: set[str] = set()
    with streamable_source(request.input, request.options, force_ingest=False) as source:
        for f in source.files:  # the dictionaries only: each distinct id once per chunk
            column = pq.read_table(
                f, columns=[source.meter_column], read_dictionary=[source.meter_column]
            ).column(0)
            for chunk in column.chunks:
                ids.update(chunk.dictionary.cast(pa.string()).to_pylist())
    with db.read() as session:
        links_out.update(facility_links(session, sorted(ids)))
    known = {m: link.contracted_grid_capacity_kw for m, link in links_out.items()}
    return {m: float(c) for m, c in known.items() if c} or None


def _with_crosscheck(
    db: Database, table: pa.Table, links: dict[str, FacilityLink], notice_ref: str
) -> tuple[pa.Table, dict[str, list[dict[str, Any]]]]:
    with db.read() as session:
        data = load_notice(session, get_notice(session, notice_ref))
    declarations = {
        r.facility_code: Declaration(
            r.facility_code, r.facility_electricity_kwh, r.involved_in_mining
        )
        for r in data.facilities
        if r.version is not None
    }
    ids = table.column("meter_id").to_pylist()
    mean = table.column("mean_power_kw").to_numpy(zero_copy_only=False)
    flag = table.column("is_candidate").to_numpy(zero_copy_only=False)
    score = table.column("score").to_numpy(zero_copy_only=False)
    by_facility: dict[str, list[MeterResult]] = defaultdict(list)
    for i, meter in enumerate(ids):
        if meter in links:
            by_facility[links[meter].facility_code].append(
                MeterResult(meter, float(mean[i]), bool(flag[i]), float(score[i]))
            )
    found = crosscheck(by_facility, declarations, data.hours)
    codes = [links[m].facility_code if m in links else None for m in ids]
    notes = ["; ".join(f.code for f in found.get(c, [])) if c is not None else None for c in codes]
    table = table.add_column(4, "facility_code", pa.array(codes, type=pa.string()))
    table = table.add_column(5, "crosscheck", pa.array(notes, type=pa.string()))
    return table, {c: [f.as_dict() for f in fs] for c, fs in found.items() if fs}


def findings_json(result: DetectResult) -> str:
    return json.dumps(result.findings, ensure_ascii=False, indent=2)


def evidence_chart(
    path: Path,
    meter_id: str,
    *,
    options: EngineOptions | None = None,
    labels: EvidenceLabels | None = None,
) -> dict[str, Any]:
    """The Vega-Lite spec of one meter's load curve, steps and curtailment marked."""
    opts = options or EngineOptions()
    with streamable_source(path, opts, force_ingest=False) as source:
        tables = [
            pq.read_table(
                f,
                columns=[source.meter_column, source.time_column, source.value_column],
                filters=[(source.meter_column, "=", meter_id)],
            )
            for f in source.files
        ]
        table = pa.concat_tables(tables)
        if table.num_rows == 0:
            raise InputError(f"{path.name}: no readings of meter {meter_id}", field="meter_id")
        rows = stream.table_rows(table, source)
    minutes = opts.interval_minutes or _meter_interval_minutes(rows.start_utc_s, meter_id)
    start = rows.start_utc_s
    grid = Grid.covering(int(start.min()), int(start.max()), minutes, opts.timezone)
    energy = rows.energy_kwh * (minutes / 60 if source.unit.is_power else 1.0)
    block = dense_power_kw(
        np.zeros(start.size, dtype=np.int64),
        start,
        energy,
        meters=1,
        interval_minutes=minutes,
        first_utc_s=grid.first_utc_s,
        intervals=grid.intervals,
    )
    filled, present = prepare_block(block)
    steps = 24 * 60 // minutes
    days = grid.intervals // steps
    cube = filled[:, : days * steps].reshape(1, days, steps)
    curtailed = np.zeros(grid.intervals, dtype=bool)
    curtailed[: days * steps] = events.curtailed_mask(cube).reshape(-1) if days else False
    return meter_evidence_chart(
        meter_id,
        first_local=dt.datetime.combine(grid.start, dt.time()),
        interval_minutes=minutes,
        power_kw=np.where(present[0], filled[0], np.nan),
        curtailed=curtailed & present[0],
        steps=events.step_list(cube.mean(axis=2)[0]) if days else [],
        labels=labels,
    )


def _meter_interval_minutes(start_utc_s: np.ndarray[Any, Any], meter_id: str) -> int:
    """The most common spacing of one meter's readings [min]; 15, 30 or 60."""
    spacing_s = detect_interval_s(np.zeros(start_utc_s.size, dtype=np.int64), start_utc_s)
    return interval_minutes_or_hourly(f"meter {meter_id}", spacing_s)
