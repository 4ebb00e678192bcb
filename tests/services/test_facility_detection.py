"""The facility list carries each facility's latest stored detection result, filters to the
candidates and sorts by score, in the same queries whatever the number of facilities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from hashwatch.detection.models import DetectionRun, MeterScore
from hashwatch.errors import InputError
from hashwatch.reporting.models import Facility
from hashwatch.services.dashboard import FacilityFilter, search_facilities
from hashwatch.services.detection_runs import latest_facility_detection
from hashwatch.services.detection_scores import with_detection
from hashwatch.store.engine import Database
from tests.factories import add_facilities, settings_for
from tests.services.test_dashboard import LATE, REF, build_notice

#: meter id -> (score, is_candidate); the key of the outer mapping is the facility code
#: (``None``: a meter the registry does not link to any facility)
Scores = Mapping[str | None, Sequence[tuple[str, float, bool]]]

FIRST: Scores = {
    "DC-000": [("M0A", 0.2, False)],
    "DC-001": [("M1", 0.9, True)],
    "DC-002": [("M2", 0.4, False)],
}
SECOND: Scores = {
    "DC-000": [("M0A", 0.3, False), ("M0B", 0.8, True)],
    "DC-003": [("M3", 0.45, False)],
    None: [("STRAY", 0.99, True)],
}


def store_scores(db: Database, scores: Scores, *, created_at: dt.datetime | None = None) -> int:
    """One stored run with these meter scores; returns its id."""
    with db.transaction() as session:
        codes = [c for c in scores if c]
        found = session.execute(select(Facility.code, Facility.id).where(Facility.code.in_(codes)))
        ids: dict[str, int] = dict(found.tuples().all())
        flat = [(code, *m) for code, meters in scores.items() for m in meters]
        run = DetectionRun(
            actor="test",
            input="city.parquet",
            engine="local",
            parameters={},
            meters=len(flat),
            candidates=sum(flag for *_, flag in flat),
        )
        if created_at is not None:
            run.created_at = created_at
        session.add(run)
        session.flush()
        for code, meter, score, flag in flat:
            session.add(
                MeterScore(
                    run_id=run.id,
                    meter_id=meter,
                    facility_id=ids[code] if code else None,
                    score=score,
                    is_candidate=flag,
                    reasons="",
                    features={},
                )
            )
        return run.id


@pytest.fixture
def two_runs(db: Database, tmp_path: Path) -> tuple[int, int]:
    build_notice(db, settings_for(tmp_path))
    return store_scores(db, FIRST), store_scores(db, SECOND)


def _rows(db: Database, **filters: Any) -> list[dict[str, Any]]:
    return search_facilities(db, FacilityFilter(**filters), now=LATE).rows


def _shown(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (row["facility_code"], row["detection_score"], row["detection_candidate"])


def test_each_facility_shows_its_newest_scoring_run(
    db: Database, two_runs: tuple[int, int]
) -> None:
    first, second = two_runs
    rows = {r["facility_code"]: r for r in _rows(db)}
    assert [_shown(r) for r in rows.values()] == [
        ("DC-000", 0.8, True),  # the newer run, its highest meter; not the older 0.2
        ("DC-001", 0.9, True),  # not in the newer run: its own newest is the first
        ("DC-002", 0.4, False),
        ("DC-003", 0.45, False),
        ("DC-004", None, False),
        ("DC-005", None, False),
    ]
    assert [rows[c]["detection_run_id"] for c in ("DC-000", "DC-001", "DC-004")] == [
        second,
        first,
        None,
    ]
    for code, row in rows.items():  # the same rule as the facility review page
        latest = latest_facility_detection(db, code)
        if latest is None:
            assert row["detection_score"] is None, code
        else:
            assert (latest.run_id, latest.score, latest.is_candidate) == (
                row["detection_run_id"],
                row["detection_score"],
                row["detection_candidate"],
            )


def test_candidates_only_and_by_score(db: Database, two_runs: tuple[int, int]) -> None:
    by_score = [r["facility_code"] for r in _rows(db, sort="score")]
    assert by_score == ["DC-001", "DC-000", "DC-003", "DC-002", "DC-004", "DC-005"]
    assert [r["facility_code"] for r in _rows(db, candidates_only=True)] == ["DC-000", "DC-001"]
    page = search_facilities(db, FacilityFilter(candidates_only=True, sort="score", per_page=1))
    assert (page.total, [r["facility_code"] for r in page.rows]) == (2, ["DC-001"])
    # with the other filters: DC-000 is in Haidian (110108), DC-001 in Chaoyang
    haidian = _rows(db, candidates_only=True, district="110108", notice_ref=REF)
    assert [(r["facility_code"], r["status"]) for r in haidian] == [("DC-000", "submitted")]


def test_a_new_run_that_clears_a_facility_takes_it_off_the_candidates(
    db: Database, two_runs: tuple[int, int]
) -> None:
    store_scores(db, {"DC-001": [("M1", 0.1, False)]})
    assert [r["facility_code"] for r in _rows(db, candidates_only=True)] == ["DC-000"]


def test_an_unknown_order_is_refused(db: Database, two_runs: tuple[int, int]) -> None:
    with pytest.raises(InputError) as caught:
        _rows(db, sort="risk")
    assert caught.value.field == "sort"


@contextmanager
def _counted_queries(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_no_query_per_facility(db: Database) -> None:
    codes = add_facilities(db, 40)
    store_scores(db, {c: [(f"M{c}", i / 40, i % 3 == 0)] for i, c in enumerate(codes)})
    store_scores(db, {c: [(f"N{c}", i / 80, False)] for i, c in enumerate(codes[:20])})
    with _counted_queries(db) as statements:
        page = search_facilities(db, FacilityFilter(sort="score", per_page=40))
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, selects  # the count and the page
    assert [r["facility_code"] for r in page.rows[:2]] == ["DC-039", "DC-038"]
    # DC-019's newer run scored it 19/80, below the older run's 19/40
    assert (page.rows[20]["facility_code"], page.rows[20]["detection_score"]) == (
        "DC-019",
        pytest.approx(19 / 80),
    )
    with _counted_queries(db) as statements:
        rows = with_detection(db, [{"facility_code": c} for c in codes])
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert rows[39] == {
        "facility_code": "DC-039",
        "detection_run_id": 1,
        "detection_score": pytest.approx(39 / 40),
        "detection_candidate": True,
    }


def test_with_detection_leaves_unscored_facilities_empty(
    db: Database, two_runs: tuple[int, int]
) -> None:
    rows = with_detection(db, [{"facility_code": "DC-005"}, {"facility_code": "DC-001"}])
    assert rows == [
        {
            "facility_code": "DC-005",
            "detection_run_id": None,
            "detection_score": None,
            "detection_candidate": False,
        },
        {
            "facility_code": "DC-001",
            "detection_run_id": two_runs[0],
            "detection_score": 0.9,
            "detection_candidate": True,
        },
    ]
