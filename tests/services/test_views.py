"""Read-side views: the diff of two reports, an entity's recipients, versions, search."""

from __future__ import annotations

from pathlib import Path

import pytest

from hashwatch.accounts.principal import Principal
from hashwatch.errors import InputError, NotFoundError
from hashwatch.services import views
from hashwatch.services.api_tokens import api_token_principal
from hashwatch.services.lookup import by_principal, by_token
from hashwatch.store.engine import Database
from tests.web.api.world import REF, World, build_world, settings_for


def test_diff_reports_lists_changed_added_and_removed_leaves() -> None:
    before = {"a": 1, "coins": [{"coin": "BTC", "kwh": 5}], "gone": "x", "same": [1, 2]}
    after = {"a": 2, "coins": [{"coin": "BTC", "kwh": 5}, {"coin": "ETH"}], "same": [1, 2]}
    assert views.diff_reports(before, after) == [
        {"field": "a", "change": "changed", "before": 1, "after": 2, "line": None},
        {
            "field": "coins.1",
            "change": "added",
            "before": None,
            "after": {"coin": "ETH"},
            "line": "ETH",
        },
        {"field": "gone", "change": "removed", "before": "x", "after": None, "line": None},
    ]


def test_diff_of_equal_reports_is_empty() -> None:
    report = {"x": {"y": [1, {"z": None}]}, "empty": [], "none": {}}
    assert views.diff_reports(report, report) == []
    assert views.diff_reports({"empty": []}, {"empty": [1]}) == [
        {"field": "empty", "change": "removed", "before": [], "after": None, "line": None},
        {"field": "empty.0", "change": "added", "before": None, "after": 1, "line": None},
    ]


@pytest.fixture
def world(db: Database, tmp_path: Path) -> World:
    return build_world(db, settings_for(tmp_path))


def test_recipients_of_each_kind(world: World) -> None:
    org_a = api_token_principal(world.db, world.api_token_a)
    assert [p["facility_code"] for p in views.recipients_of(world.db, org_a)] == [
        "A-DC-1",
        "A-DC-2",
    ]
    nobody = Principal("organization", "org:none")
    assert views.recipients_of(world.db, nobody) == []
    regulator = Principal("user", "analyst")
    assert views.recipients_of(world.db, regulator) == []


def test_versions_are_scoped_to_the_caller(world: World) -> None:
    org_b = api_token_principal(world.db, world.api_token_b)
    with pytest.raises(NotFoundError):
        views.list_versions(world.db, by_principal(org_b, REF, "A-DC-1"))
    mine = views.list_versions(world.db, by_token(world.tokens["B-DC-1"]))
    assert [v["version"] for v in mine] == [1]
    full = views.get_version(world.db, by_token(world.tokens["B-DC-1"]), 1)
    assert full["report"]["involved_in_mining"] is False
    with pytest.raises(NotFoundError):
        views.get_version(world.db, by_token(world.tokens["B-DC-1"]), 2)


def test_version_diff_checks_its_versions(world: World) -> None:
    who = by_token(world.tokens["A-DC-1"])
    with pytest.raises(InputError):
        views.version_diff(world.db, who, 1, 1)
    with pytest.raises(NotFoundError) as info:
        views.version_diff(world.db, who, 1, 3)
    assert info.value.field == "to_version"


def test_search_facilities(world: World) -> None:
    found = views.search_facilities(world.db, world.settings, q="nebula")
    assert [f["facility_code"] for f in found] == ["A-DC-1"]
    assert len(views.search_facilities(world.db, world.settings, limit=2)) == 2
    assert views.notice_detail(world.db, REF)["recipients"] == 3
