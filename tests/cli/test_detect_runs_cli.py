"""``hashwatch detect runs list`` and ``hashwatch detect runs prune`` through the real entry
point."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from hashwatch.cli.common import open_database
from hashwatch.detection.models import DetectionRun, MeterScore
from hashwatch.reporting.models import AuditEntry
from tests.cli.conftest import CliRun
from tests.services.test_facility_detection import store_scores


@pytest.fixture
def three_runs(cli: CliRun) -> CliRun:
    assert cli("init").code == 0
    db = open_database()
    try:
        for n in (1, 2, 3):
            store_scores(db, {None: [(f"M{i}", i / 10, i > 1) for i in range(n)]})
    finally:
        db.dispose()
    return cli


def _counts() -> tuple[int, int, int]:
    db = open_database()
    try:
        with db.read() as session:
            return (
                session.scalar(select(func.count()).select_from(DetectionRun)) or 0,
                session.scalar(select(func.count()).select_from(MeterScore)) or 0,
                session.scalar(select(func.count()).where(AuditEntry.action == "detection.prune"))
                or 0,
            )
    finally:
        db.dispose()


def test_list_shows_the_runs_newest_first(three_runs: CliRun) -> None:
    listed = three_runs("detect", "runs", "list", "--format", "json")
    assert listed.code == 0, listed.err
    rows = json.loads(listed.out)
    assert [(r["id"], r["meters"], r["candidates"]) for r in rows] == [
        (3, 3, 1),
        (2, 2, 0),
        (1, 1, 0),
    ]
    assert list(rows[0]) == ["id", "created_at", "engine", "notice_ref", "meters", "candidates"]
    table = three_runs("detect", "runs", "list")
    assert table.code == 0, table.err
    assert "notice_ref" in table.out
    assert "local" in table.out


def test_prune_deletes_the_old_runs_and_says_so(three_runs: CliRun) -> None:
    dry = three_runs("detect", "runs", "prune", "--keep", "1", "--dry-run")
    assert dry.code == 0, dry.err
    assert "would delete 2 runs and 3 meter scores (kept the 1 newest)" in dry.out
    assert _counts() == (3, 6, 0)
    pruned = three_runs("detect", "runs", "prune", "--keep", "1")
    assert pruned.code == 0, pruned.err
    assert "deleted 2 runs and 3 meter scores (kept the 1 newest)" in pruned.out
    assert _counts() == (1, 3, 1)
    left = json.loads(three_runs("detect", "runs", "list", "-f", "json").out)
    assert [r["id"] for r in left] == [3]
    recent = three_runs("detect", "runs", "prune", "--older-than", "30")
    assert recent.code == 0, recent.err
    assert "no run to delete (keeping the 20 newest)" in recent.out
    assert _counts() == (1, 3, 1)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--keep", "0"), "--keep"),
        (("--keep", "-2"), "--keep"),
        (("--older-than", "0"), "--older-than"),
        (("--older-than", "1000000"), "--older-than"),
        (("--keep", "many"), "--keep"),
    ],
)
def test_prune_refuses_bad_limits(three_runs: CliRun, args: tuple[str, ...], option: str) -> None:
    refused = three_runs("detect", "runs", "prune", *args)
    assert refused.code == 2
    assert f"Invalid value for '{option}'" in refused.err
    assert _counts() == (3, 6, 0)


def test_runs_need_an_initialised_database(cli: CliRun) -> None:
    for args in (("list",), ("prune", "--keep", "5")):
        refused = cli("detect", "runs", *args)
        assert refused.code != 0
        assert "hashwatch init" in refused.err
