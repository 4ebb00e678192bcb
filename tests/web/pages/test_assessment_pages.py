"""The assessment on the regulator's dashboard: fragment, charts and report downloads."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hashwatch.i18n import Formatter
from hashwatch.services.assessment import assess
from hashwatch.store.engine import Database
from hashwatch.web.app import create_app
from tests.services.test_dashboard import REF
from tests.web.pages.reporter_world import TestClient
from tests.web.pages.test_regulator import (
    DASHBOARD,
    StaffWorld,
    _enter_as_entity,
    sign_in,
    staff_world,
)


@pytest.fixture
def world(db: Database, tmp_path: Path) -> StaffWorld:
    return staff_world(db, tmp_path)


@pytest.fixture
def client(world: StaffWorld) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings, world.db)) as test_client:
        yield test_client


def test_the_dashboard_loads_the_assessment_fragment(client: TestClient) -> None:
    sign_in(client, "analyst")
    page = client.get(DASHBOARD).text
    assert f'hx-get="{DASHBOARD}/assessment"' in page
    assert f'href="{DASHBOARD}/assessment"' in page  # and a link without JavaScript
    fragment = client.get(f"{DASHBOARD}/assessment", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="assessment"' in fragment.text
    specs = {
        name: json.loads(html.unescape(spec))
        for name, spec in re.findall(
            r'class="chart chart-(\w+)" data-vega-inline="([^"]*)"', fragment.text
        )
    }
    assert {"districts", "coins", "coverage"} <= set(specs)
    for spec in specs.values():
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
        assert spec["data"]["values"]


def test_the_fragment_shows_the_json_headline_figures(
    client: TestClient, world: StaffWorld
) -> None:
    sign_in(client, "analyst")
    data = assess(world.db, REF, settings=world.settings).as_dict()
    fragment = client.get(
        f"{DASHBOARD}/assessment", headers={"HX-Request": "true", "Accept-Language": "en"}
    ).text.replace("\xa0", " ")
    kwh = round(data["totals"]["mining_electricity_kwh"])
    assert f"{Formatter('en').number(kwh, 0)} kWh" in fragment


@pytest.mark.parametrize(
    ("suffix", "media_type"),
    [
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("html", "text/html; charset=utf-8"),
    ],
)
def test_the_report_downloads(client: TestClient, suffix: str, media_type: str) -> None:
    sign_in(client, "analyst")
    answer = client.get(f"{DASHBOARD}/report.{suffix}?lang=en")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == media_type
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="{REF}-assessment-internal-en.{suffix}"')
    public = client.get(f"{DASHBOARD}/report.{suffix}?lang=zh&public=true")
    assert "public-zh" in public.headers["content-disposition"]
    if suffix == "xlsx":
        book = load_workbook(io.BytesIO(public.content), read_only=True)
        assert "按单位" not in book.sheetnames  # no organization table in public


def test_bad_report_requests_are_refused(client: TestClient) -> None:
    sign_in(client)
    assert client.get(f"{DASHBOARD}/report.doc").status_code == 422
    assert client.get(f"{DASHBOARD}/report.pdf?lang=fr").status_code == 422
    assert client.get("/notices/NO-SUCH/report.xlsx").status_code == 404


@pytest.mark.parametrize("kind", ["recipient", "organization"])
def test_entities_get_no_report(client: TestClient, world: StaffWorld, kind: str) -> None:
    _enter_as_entity(client, world, kind)
    answer = client.get(f"{DASHBOARD}/report.xlsx", follow_redirects=False)
    assert answer.status_code == 403
    assert not answer.content.startswith(b"PK")
