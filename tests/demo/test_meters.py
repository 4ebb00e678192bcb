"""The demo city's meters: loads that match the reports, undeclared miners, ingested and scored."""

from __future__ import annotations

import csv
import dataclasses
import random
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from hashwatch.demo import meters as demo_meters
from hashwatch.demo.city import NOTICE_REF, DemoSummary, build_demo_city
from hashwatch.demo.facilities import DemoFacility, generate_registry
from hashwatch.demo.meters import Truth, meter_roles
from hashwatch.demo.reports import PERIOD_HOURS
from hashwatch.io import meter_stream
from hashwatch.services.detection_runs import facility_evidence_chart, latest_facility_detection
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from hashwatch.store.meter_readings import readings_root


def _facilities(meters: list[int]) -> list[DemoFacility]:
    """Registry facilities, re-cut to the given numbers of meters."""
    registry = generate_registry(random.Random(5), 20)
    out = []
    for facility, count in zip(registry.facilities, meters, strict=False):
        ids = tuple(f"{facility.code}-M{k}" for k in range(count))
        out.append(dataclasses.replace(facility, meter_ids=ids))
    return out


def test_declared_mining_goes_on_a_mining_meter_and_the_rest_on_data_center_meters() -> None:
    farm, mixed, whole, honest = _facilities([2, 1, 2, 3])
    hours = PERIOD_HOURS
    truth = {
        farm.code: Truth(1_000 * hours, 600 * hours),
        mixed.code: Truth(500 * hours, 100 * hours),
        whole.code: Truth(800 * hours, 800 * hours),
        honest.code: Truth(900 * hours, 0.0),
    }
    roles, undeclared = meter_roles(random.Random(1), [farm, mixed, whole, honest], truth)
    by_facility = defaultdict(list)
    for role in roles:
        by_facility[role.facility_code].append(role)
    # the mining hall on the first meter, the rest of the load on the others
    assert [(r.profile_class, r.mean_power_kw) for r in by_facility[farm.code]] == [
        ("mining_farm", 600.0),
        ("datacenter", 400.0),
    ]
    assert [r.profile_class for r in by_facility[mixed.code]] == ["mining_in_datacenter"]
    assert [r.profile_class for r in by_facility[whole.code]] == ["mining_farm"] * 2
    assert sum(r.mean_power_kw for r in by_facility[whole.code]) == pytest.approx(800.0)
    assert [r.profile_class for r in by_facility[honest.code]] == ["datacenter"] * 3
    assert undeclared == ()  # one facility declared no mining: too few to draw two from


def test_undeclared_miners_use_more_than_they_declared_on_a_mining_meter() -> None:
    facilities = _facilities([1, 3, 2, 1, 1, 2])
    truth = {f.code: Truth(300.0 * PERIOD_HOURS, 0.0) for f in facilities}
    roles, undeclared = meter_roles(random.Random(3), facilities, truth)
    assert len(undeclared) == 2  # at least two, whatever the share
    assert len(roles) == sum(len(f.meter_ids) for f in facilities)
    for facility in facilities:
        own = [r for r in roles if r.facility_code == facility.code]
        classes = {r.profile_class for r in own}
        total = sum(r.mean_power_kw for r in own)
        if facility.code in undeclared:
            assert classes & {"mining_farm", "mining_in_datacenter"}
            assert total == pytest.approx(300.0 * (1 + demo_meters.UNDECLARED_EXTRA))
        else:
            assert classes == {"datacenter"}
            assert total == pytest.approx(300.0)


def test_a_facility_without_a_report_or_correction_gets_no_meter_data() -> None:
    known, unknown = _facilities([1, 2])
    roles, _ = meter_roles(random.Random(1), [known, unknown], {known.code: Truth(720.0, 0.0)})
    assert {r.facility_code for r in roles} == {known.code}


@pytest.fixture(scope="module")
def city(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[DemoSummary, Settings, Database]]:
    folder = tmp_path_factory.mktemp("demo")
    settings = Settings(data_dir=folder / "data")
    db = Database(f"sqlite:///{folder / 'db.sqlite3'}")
    db.migrate()
    summary = build_demo_city(db, settings, seed=11, facilities=60)
    yield summary, settings, db
    db.dispose()


def test_every_meter_is_stored_scored_and_cross_checked(
    city: tuple[DemoSummary, Settings, Database],
) -> None:
    summary, settings, db = city
    metered = summary.meters
    assert metered is not None
    with (metered.folder / "meters.labels.csv").open(encoding="utf-8") as f:
        labels = {row["meter_id"]: row for row in csv.DictReader(f)}
    assert len(labels) == metered.meters
    source = meter_stream.open_source(readings_root(settings.data_dir))
    stored = set()
    for file in source.files:
        stored |= set(meter_stream.pq.read_table(file, columns=["meter_id"])[0].to_pylist())
    assert stored == set(labels)
    assert metered.readings > metered.meters * demo_meters.METER_DAYS * 24 * 0.95
    # the undeclared miners' meters mine, as the labels say
    mining = {m for m, row in labels.items() if row["is_mining"] == "true"}
    assert metered.mining_meters == len(mining)
    assert metered.undeclared_facilities
    # a facility the cross-check calls an undeclared miner is one
    assert metered.flagged_undeclared
    assert set(metered.flagged_undeclared) <= set(metered.undeclared_facilities)
    for code in metered.flagged_undeclared:
        found = latest_facility_detection(db, code)
        assert found is not None
        assert found.run_id == metered.run_id
        assert found.notice_ref == NOTICE_REF
        assert found.is_candidate
        meter = next(s.meter_id for s in found.scores if s.is_candidate)
        chart = facility_evidence_chart(db, settings.data_dir, code, meter)
        assert chart["layer"]  # the facility page's evidence chart draws from the store


def test_the_series_stay_beside_the_labels(city: tuple[DemoSummary, Settings, Database]) -> None:
    summary, _, _ = city
    assert summary.meters is not None
    names = sorted(p.name for p in Path(summary.meters.folder).iterdir())
    assert names == ["meters.daily.csv", "meters.labels.csv", "meters.temperature.csv"]
