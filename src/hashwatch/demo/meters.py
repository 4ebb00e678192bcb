"""The demo city's meter data: a load curve for every meter of the registry, consistent with
what its facility reported, a few undeclared miners among them; ingested into the readings
store and scored against the April notice, so that the regulator's pages show detection
results and evidence charts.

The curves come from the labelled generator (:func:`hashwatch.detection.synthetic.
plan_meters`), hourly from 1 January to 30 April 2021, with its noise and meter defects.
Each facility's truth (:func:`meter_roles`) is what it reported for April, or what it
would report (a returned report's correction, a non-responder's report): a facility that
declared mining has its mining hall on its first meter (a ``mining_farm`` load carrying the
declared mining electricity, the other meters ``datacenter`` loads carrying the rest) or,
with one meter, mining inside its data-center load; every other facility's meters are
``datacenter`` loads. Then :data:`UNDECLARED_SHARE` of the facilities that reported no
mining mine all the same, unreported, using :data:`UNDECLARED_EXTRA` more than they
declared: their first meter becomes a ``mining_farm`` carrying that extra, or, with one
meter, it is mining inside their data-center load (the mining share as the generator draws
it). The
meters' mean power over the four months, times April's hours, is what the cross-check
compares with the declared total.

The files go through the real services: :func:`~hashwatch.services.meters.
ingest_meter_file` (cleaning, the store, links to facilities, audited), then
:func:`~hashwatch.services.detection.detect_meters` with the hashprice and temperature
series and :func:`~hashwatch.services.detection_runs.store_run` (audited). The labels (the
truth), the hashprice and the temperature series stay in the data directory's
:data:`FOLDER`, to score the meters again or check the scores against the truth.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hashwatch.assessment.data import load_notice
from hashwatch.demo.facilities import DemoFacility
from hashwatch.demo.reports import PERIOD_HOURS, kwh_value
from hashwatch.detection.synthetic import plan_meters
from hashwatch.io.meter_synthetic_files import write_synthetic_meters
from hashwatch.services.detection import DetectRequest, detect_meters
from hashwatch.services.detection_runs import store_run
from hashwatch.services.lookup import get_notice
from hashwatch.services.meters import ingest_meter_file
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from hashwatch.store.meter_readings import readings_root

#: 1 January – 30 April 2021, hourly: a quarter before the notice's month, and the month
METER_DAYS: Final = 120
#: share of the facilities that reported no mining which mine all the same (at least 2)
UNDECLARED_SHARE: Final = 0.015
#: an undeclared miner's unreported mining, as a share of its declared total
UNDECLARED_EXTRA: Final = 0.3
#: where the labels, hashprice and temperature series are kept, under the data directory
FOLDER: Final = "demo-meters"
READINGS_NAME: Final = "meters.parquet"


@dataclass(frozen=True)
class Truth:
    """What a facility used in April [kWh]: in all, and for mining."""

    facility_kwh: float
    mining_kwh: float


@dataclass(frozen=True)
class MeterRole:
    """One meter of the demo: its facility, profile class and mean power [kW]."""

    meter_id: str
    facility_code: str
    profile_class: str
    mean_power_kw: float


@dataclass(frozen=True)
class DemoMeters:
    """What the demo's meter data and its detection run came to."""

    meters: int
    readings: int
    mining_meters: int
    undeclared_facilities: tuple[str, ...]
    """Facilities that mine but reported no mining (the truth, in the labels file)."""
    run_id: int
    candidates: int
    flagged_undeclared: tuple[str, ...]
    """Facilities the cross-check found mining-like load at, with no mining declared."""
    metered_above_declared: int
    """Facilities whose metered energy exceeds their declared total."""
    folder: Path = field(compare=False)


def facility_truth(
    db: Database, notice_ref: str, pending: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, Truth], tuple[str, ...]]:
    """Each facility's April use: a report still owed (``pending``: a returned report's
    correction, a non-responder's report) or else its newest report in the notice; and the
    facilities whose report in the notice declares no mining (none still owed)."""
    truth: dict[str, Truth] = {}
    nil: list[str] = []
    with db.read() as session:
        data = load_notice(session, get_notice(session, notice_ref))
    for row in data.facilities:
        if row.version is None:
            continue
        if row.involved_in_mining is False and row.facility_code not in pending:
            nil.append(row.facility_code)
        if row.facility_electricity_kwh is not None:
            mining = row.mining_electricity_kwh if row.involved_in_mining else 0.0
            truth[row.facility_code] = Truth(row.facility_electricity_kwh, mining or 0.0)
    for code, report in pending.items():
        total = kwh_value(report["facility_electricity_kwh"])
        mining = report.get("mining_electricity_kwh") if report.get("involved_in_mining") else 0
        truth[code] = Truth(total, kwh_value(mining or 0))
    return truth, tuple(sorted(nil))


def meter_roles(
    rng: random.Random,
    facilities: Sequence[DemoFacility],
    truth: Mapping[str, Truth],
    declared_none: Sequence[str],
) -> tuple[list[MeterRole], tuple[str, ...]]:
    """Every meter's role, in registry order, and the facilities that mine undeclared:
    :data:`UNDECLARED_SHARE` of ``declared_none`` (those whose report declares no mining,
    which the cross-check can catch), at least two where there are."""
    pool = sorted(c for c in declared_none if c in truth)
    count = min(len(pool), max(2, round(len(pool) * UNDECLARED_SHARE)))
    undeclared = tuple(sorted(rng.sample(pool, count)))
    roles: list[MeterRole] = []
    for facility in facilities:
        known = truth.get(facility.code)
        if known is None or not facility.meter_ids:
            continue
        ids = facility.meter_ids
        total_kw = known.facility_kwh / PERIOD_HOURS
        mining_kw = known.mining_kwh / PERIOD_HOURS
        if facility.code in undeclared:
            mining_kw = UNDECLARED_EXTRA * total_kw
            total_kw += mining_kw
        n = len(ids)
        classes, means = ["datacenter"] * n, [total_kw / n] * n
        if mining_kw > 0 and n == 1:
            classes = ["mining_in_datacenter"]
        elif mining_kw > 0 and total_kw > mining_kw:  # the mining hall on the first meter
            classes[0] = "mining_farm"
            means = [mining_kw] + [(total_kw - mining_kw) / (n - 1)] * (n - 1)
        elif mining_kw > 0:  # nothing but mining
            classes = ["mining_farm"] * n
        roles += [
            MeterRole(m, facility.code, c, round(kw, 3))
            for m, c, kw in zip(ids, classes, means, strict=True)
        ]
    return roles, undeclared


def build_demo_meters(
    db: Database,
    settings: Settings,
    facilities: Sequence[DemoFacility],
    pending: Mapping[str, Mapping[str, Any]],
    *,
    seed: int,
    notice_ref: str,
    actor: str,
) -> DemoMeters:
    """Write, ingest and score the demo's meters (see the module's description)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    truth, declared_none = facility_truth(db, notice_ref, pending)
    roles, undeclared = meter_roles(rng, facilities, truth, declared_none)
    plan = plan_meters(
        seed,
        [r.profile_class for r in roles],
        METER_DAYS,
        meter_id=[r.meter_id for r in roles],
        mean_power_kw=[r.mean_power_kw for r in roles],
    )
    folder = settings.data_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hashwatch-demo-meters-") as tmp:
        written = write_synthetic_meters(plan, Path(tmp) / READINGS_NAME)
        ingest_meter_file(written.readings, data_dir=settings.data_dir, db=db, actor=actor)
        kept = {}
        for source in (written.labels, written.daily, written.temperature):
            kept[source] = folder / source.name
            shutil.copyfile(source, kept[source])
    request = DetectRequest(
        input=readings_root(settings.data_dir),
        external=kept[written.daily],
        temperature=kept[written.temperature],
        notice_ref=notice_ref,
    )
    result = detect_meters(request, db=db)
    stored = store_run(db, request, result, actor=actor)
    flagged = tuple(
        sorted(
            code
            for code, found in result.findings.items()
            if any(f["code"] == "detection.mining_like_undeclared" for f in found)
        )
    )
    above = sum(
        any(f["code"] == "detection.metered_exceeds_declared" for f in found)
        for found in result.findings.values()
    )
    return DemoMeters(
        meters=written.meters,
        readings=written.rows,
        mining_meters=written.mining_meters,
        undeclared_facilities=undeclared,
        run_id=stored.run_id,
        candidates=result.candidates,
        flagged_undeclared=flagged,
        metered_above_declared=above,
        folder=folder,
    )
