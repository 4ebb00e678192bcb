"""The facility review page shows the facility's latest stored detection result to the
regulator; an entity never sees it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from hashwatch.detection.models import DetectionRun, MeterScore
from hashwatch.reporting.models import Facility
from hashwatch.services.detection_runs import facility_evidence_chart
from hashwatch.store.engine import Database
from hashwatch.store.meter_readings import SCHEMA, bucket_of, bucket_path, readings_root
from hashwatch.web.app import create_app
from tests.web.pages.reporter_world import TestClient
from tests.web.pages.test_regulator import (
    DASHBOARD,
    ENGLISH,
    StaffWorld,
    _enter_as_entity,
    sign_in,
    staff_world,
)

REASON = "flat load near capacity (load factor 0.97)"


@pytest.fixture
def detected(db: Database, tmp_path: Path) -> StaffWorld:
    """Two stored runs scored DC-000's meter; the newer one flags it."""
    world = staff_world(db, tmp_path)
    with world.db.transaction() as session:
        facility_id = session.execute(
            select(Facility.id).where(Facility.code == "DC-000")
        ).scalar_one()
        for score, flag, reasons in ((0.1, False, "nothing mining-like"), (0.93, True, REASON)):
            run = DetectionRun(
                actor="test",
                input="city.parquet",
                engine="local",
                parameters={},
                meters=1,
                candidates=int(flag),
            )
            session.add(run)
            session.flush()
            session.add(
                MeterScore(
                    run_id=run.id,
                    meter_id="MTR-000",
                    facility_id=facility_id,
                    score=score,
                    is_candidate=flag,
                    reasons=reasons,
                    features={"load_factor": 0.97},
                )
            )
    return world


@pytest.fixture
def client(detected: StaffWorld) -> Iterator[TestClient]:
    with TestClient(create_app(detected.settings, detected.db)) as test_client:
        yield test_client


def test_the_regulator_sees_the_latest_result(client: TestClient, detected: StaffWorld) -> None:
    sign_in(client)
    page = client.get(f"{DASHBOARD}/facilities/DC-000", headers=ENGLISH).text
    section = page.split('id="detection-title"')[1].split("</section>")[0]
    assert "Stored detection run" in section
    assert "a candidate for inspection" in section
    assert "MTR-000" in section
    assert "0.93" in section
    assert REASON in section
    assert "nothing mining-like" not in section  # the older run
    other = client.get(f"{DASHBOARD}/facilities/DC-002", headers=ENGLISH).text
    assert 'id="detection-title"' not in other  # never scored


@pytest.mark.parametrize("kind", ["recipient", "organization"])
def test_an_entity_sees_nothing(client: TestClient, detected: StaffWorld, kind: str) -> None:
    _enter_as_entity(client, detected, kind)
    for path in (f"{DASHBOARD}/facilities/DC-000", "/report"):
        answer = client.get(path, headers=ENGLISH, follow_redirects=False)
        assert REASON not in answer.text, path
        assert "MTR-000" not in answer.text, path
    refused = client.get(f"{DASHBOARD}/facilities/DC-000", follow_redirects=False)
    assert refused.status_code == 403


def _store_readings(world: StaffWorld, meter_id: str) -> None:
    """28 days of hourly readings of one meter in the readings store: a flat load, then a step."""
    hours = 28 * 24
    start = 1_617_206_400  # 2021-04-01 00:00 Beijing time
    power_kw = np.where(np.arange(hours) < hours // 2, 800.0, 1600.0)
    path = bucket_path(readings_root(world.settings.data_dir), int(bucket_of([meter_id])[0]))
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_arrays(
        [
            pa.array([meter_id] * hours),
            pa.array(start + 3600 * np.arange(hours), pa.timestamp("s", tz="UTC")),
            pa.array(power_kw),
        ],
        schema=SCHEMA,
    )
    pq.write_table(table, path)


def test_the_evidence_chart_of_a_scored_meter(client: TestClient, detected: StaffWorld) -> None:
    sign_in(client)
    url = f"{DASHBOARD}/facilities/DC-000/evidence.json?meter=MTR-000"
    before = client.get(f"{DASHBOARD}/facilities/DC-000").text
    assert "evidence.json" not in before
    assert "charts.js" not in before  # no chart, no chart scripts
    assert client.get(url).status_code == 404  # no stored readings yet
    _store_readings(detected, "MTR-000")
    page = client.get(f"{DASHBOARD}/facilities/DC-000", headers=ENGLISH).text
    assert 'data-vega-spec="/notices/' in page
    assert "evidence.json?meter=MTR-000" in page
    # the scripts that draw it (the browser crawl of the demo city checks it is drawn)
    for script in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "charts.js"):
        assert f'{script}" defer></script>' in page
    spec = client.get(url, headers=ENGLISH).json()
    assert spec["title"] == "Meter MTR-000: load, steps and curtailment"
    elsewhere = client.get(f"{DASHBOARD}/facilities/DC-002/evidence.json?meter=MTR-000")
    assert elsewhere.status_code == 404  # not DC-002's meter


def test_an_entity_gets_no_evidence_chart(client: TestClient, detected: StaffWorld) -> None:
    _store_readings(detected, "MTR-000")
    _enter_as_entity(client, detected, "recipient")
    url = f"{DASHBOARD}/facilities/DC-000/evidence.json?meter=MTR-000"
    answer = client.get(url, follow_redirects=False)
    assert answer.status_code == 403
    assert "MTR-000" not in answer.text


def test_the_evidence_chart_is_in_the_notices_time_zone(detected: StaffWorld) -> None:
    _store_readings(detected, "MTR-000")
    data_dir = detected.settings.data_dir
    local = facility_evidence_chart(
        detected.db, data_dir, "DC-000", "MTR-000", timezone="Asia/Shanghai"
    )
    utc = facility_evidence_chart(detected.db, data_dir, "DC-000", "MTR-000", timezone="UTC")
    first_local = next(v for v in local["layer"][0]["data"]["values"] if v["power_kw"])
    first_utc = next(v for v in utc["layer"][0]["data"]["values"] if v["power_kw"])
    # the first reading, 2021-04-01 00:00 in Beijing, is 2021-03-31 16:00 in UTC
    assert first_local["t"].startswith("2021-04-01T00:00")
    assert first_utc["t"].startswith("2021-03-31T16:00")
