"""The demo city's meters: loads that match the reports, undeclared miners, ingested and scored."""

from __future__ import annotations

import csv
import dataclasses
import random
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hashwatch.demo import meters as demo_meters
from hashwatch.demo.city import NOTICE_REF, DemoSummary, build_demo_city
from hashwatch.demo.facilities import DemoFacility, generate_registry
from hashwatch.demo.meters import Truth, meter_roles
from hashwatch.demo.reports import PERIOD_HOURS
from hashwatch.io import meter_stream
from hashwatch.services.detection_runs import facility_evidence_chart, latest_facility_detection
from hashwatch.services.meters import facility_links
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
    roles, undeclared = meter_roles(
        random.Random(1), [farm, mixed, whole, honest], truth, declared_none=[]
    )
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
    assert undeclared == ()  # none to draw from


def test_undeclared_miners_use_more_than_they_declared_on_a_mining_meter() -> None:
    facilities = _facilities([1, 3, 2, 1, 1, 2])
    truth = {f.code: Truth(300.0 * PERIOD_HOURS, 0.0) for f in facilities}
    reported = [f.code for f in facilities[1:]]  # the first has not reported: never drawn
    roles, undeclared = meter_roles(random.Random(3), facilities, truth, reported)
    assert len(undeclared) == 2  # at least two, whatever the share
    assert set(undeclared) <= set(reported)
    assert len(roles) == sum(len(f.meter_ids) for f in facilities)
    for facility in facilities:
        own = [r for r in roles if r.facility_code == facility.code]
        classes = {r.profile_class for r in own}
        total = sum(r.mean_power_kw for r in own)
        if facility.code in undeclared:
            assert classes & {"mining_farm", "mining_in_datacenter"}
            assert total == pytest.approx(300.0 * (1 + demo_meters.UNDECLARED_EXTRA))
            if len(own) > 1:  # the first meter is the mining hall, carrying the extra
                assert own[0].profile_class == "mining_farm"
                extra = 300.0 * demo_meters.UNDECLARED_EXTRA
                assert own[0].mean_power_kw == pytest.approx(extra)
        else:
            assert classes == {"datacenter"}
            assert total == pytest.approx(300.0)


def test_a_facility_without_a_report_or_correction_gets_no_meter_data() -> None:
    known, unknown = _facilities([1, 2])
    truth = {known.code: Truth(720.0, 0.0)}
    roles, _ = meter_roles(random.Random(1), [known, unknown], truth, [known.code, unknown.code])
    assert {r.facility_code for r in roles} == {known.code}


@pytest.fixture(scope="module")
def city(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[DemoSummary, Settings, Database]]:
    folder = tmp_path_factory.mktemp("demo")
    settings = Settings(data_dir=folder / "data")
    db = Database(f"sqlite:///{folder / 'db.sqlite3'}")
    db.migrate()
    # a city whose undeclared miners include one with a mining meter of its own
    summary = build_demo_city(db, settings, seed=12, facilities=60)
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
        stored |= set(pq.read_table(file, columns=["meter_id"])[0].to_pylist())
    assert stored == set(labels)
    assert metered.readings > metered.meters * demo_meters.METER_DAYS * 24 * 0.95
    mining = {m for m, row in labels.items() if row["is_mining"] == "true"}
    assert metered.mining_meters == len(mining)
    with db.read() as session:
        links = facility_links(session, list(labels))
    facility_of = {m: link.facility_code for m, link in links.items()}
    assert set(facility_of) == set(labels)  # every meter linked to its facility
    # the undeclared miners mine, as the labels say
    assert metered.undeclared_facilities
    for code in metered.undeclared_facilities:
        assert any(facility_of[m] == code for m in mining)
    # an undeclared mining meter of its own (a farm's flat load) is found and named
    farms = {facility_of[m] for m in mining if labels[m]["profile_class"] == "mining_farm"}
    hidden_farms = farms & set(metered.undeclared_facilities)
    assert hidden_farms
    assert hidden_farms <= set(metered.flagged_undeclared)
    # every facility with meters has its scores in the stored run, shown on its page
    candidates = []
    for code in sorted(set(facility_of.values())):
        found = latest_facility_detection(db, code)
        assert found is not None
        assert (found.run_id, found.notice_ref) == (metered.run_id, NOTICE_REF)
        candidates += [(code, s.meter_id) for s in found.scores if s.is_candidate]
    assert len(candidates) == metered.candidates > 0
    # the cross-check names facilities with a candidate meter that declared no mining
    assert set(metered.flagged_undeclared) <= {c for c, _ in candidates}
    assert not set(metered.flagged_undeclared) & (farms - hidden_farms)  # declared miners
    # the facility page's evidence chart of a candidate draws from the store
    code, meter = candidates[0]
    assert labels[meter]["is_mining"] == "true"
    assert facility_evidence_chart(db, settings.data_dir, code, meter)["layer"]


def test_the_series_stay_beside_the_labels(city: tuple[DemoSummary, Settings, Database]) -> None:
    summary, _, _ = city
    assert summary.meters is not None
    names = sorted(p.name for p in Path(summary.meters.folder).iterdir())
    assert names == ["meters.daily.csv", "meters.labels.csv", "meters.temperature.csv"]
