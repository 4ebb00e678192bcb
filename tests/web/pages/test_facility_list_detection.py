"""The regulator's facility list shows each facility's latest detection score, marks the
candidates, filters to them and sorts by score; the API's facility list has the same fields."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from hashwatch.store.engine import Database
from hashwatch.web.app import create_app
from tests.services.test_facility_detection import FIRST, SECOND, store_scores
from tests.web.pages.reporter_world import TestClient
from tests.web.pages.test_regulator import ENGLISH, StaffWorld, sign_in, staff_world

ROW = re.compile(r"<tr>\s*<td>(?:<a [^>]*>)?(DC-\d+)(?:</a>)?</td>(.*?)</tr>", re.S)
SCORE = re.compile(r'<td class="num detection-score[^"]*">(.*?)</td>', re.S)


@pytest.fixture
def scored(db: Database, tmp_path: Path) -> StaffWorld:
    world = staff_world(db, tmp_path)
    store_scores(world.db, FIRST)
    store_scores(world.db, SECOND)
    return world


@pytest.fixture
def client(scored: StaffWorld) -> Iterator[TestClient]:
    with TestClient(create_app(scored.settings, scored.db)) as test_client:
        sign_in(test_client, "analyst")
        yield test_client


def _rows(page: str) -> list[tuple[str, str]]:
    """(facility code, text of its score cell) of each row of the results."""
    rows = []
    for code, cells in ROW.findall(page):
        score = SCORE.search(cells)
        assert score is not None, cells
        text = re.sub(r"<[^>]+>", "", score.group(1))
        rows.append((code, " ".join(html.unescape(text).split())))
    return rows


def test_the_list_shows_each_facilitys_score(client: TestClient) -> None:
    page = client.get("/facilities", headers=ENGLISH).text
    assert "Detection score (0–1)" in page
    assert _rows(page) == [
        ("DC-000", "0.8 candidate"),
        ("DC-001", "0.9 candidate"),
        ("DC-002", "0.4"),
        ("DC-003", "0.45"),
        ("DC-004", "—"),
        ("DC-005", "—"),
    ]


def test_candidates_only_sorted_by_score(client: TestClient) -> None:
    page = client.get("/facilities?candidates=1&sort=score", headers=ENGLISH).text
    assert _rows(page) == [("DC-001", "0.9 candidate"), ("DC-000", "0.8 candidate")]
    assert 'id="f-candidates" name="candidates" type="checkbox" value="1" checked' in page
    assert '<option value="score" selected>Detection score, highest first</option>' in page
    fragment = client.get("/facilities?sort=score", headers={**ENGLISH, "HX-Request": "true"}).text
    assert not fragment.lstrip().startswith("<!DOCTYPE")
    assert [code for code, _ in _rows(fragment)] == [
        "DC-001",
        "DC-000",
        "DC-003",
        "DC-002",
        "DC-004",
        "DC-005",
    ]


def test_the_chinese_page_names_the_column(client: TestClient) -> None:
    page = client.get("/facilities", headers={"Accept-Language": "zh"}).text
    assert "检测评分（0–1）" in page
    assert "待核查" in page


def test_an_unknown_order_is_a_filter_error(client: TestClient) -> None:
    answer = client.get("/facilities?sort=risk", headers=ENGLISH)
    assert answer.status_code == 422
    assert "sort must be one of code, score" in answer.text
    assert _rows(answer.text) == []


def test_the_api_list_has_the_detection_fields(client: TestClient) -> None:
    answer = client.get("/api/v1/facilities")
    assert answer.status_code == 200, answer.text
    found = {
        f["facility_code"]: (f["detection_run_id"], f["detection_score"], f["detection_candidate"])
        for f in answer.json()
    }
    assert found["DC-000"] == (2, 0.8, True)
    assert found["DC-002"] == (1, 0.4, False)
    assert found["DC-005"] == (None, None, False)
    schema = client.get("/openapi.json").json()["components"]["schemas"]["FacilityListOut"]
    assert {"detection_run_id", "detection_score", "detection_candidate"} <= set(schema["required"])
