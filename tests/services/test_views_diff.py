"""The diff of two reports matches coin lines by coin and equipment lines by model."""

from __future__ import annotations

import copy
from typing import Any

from hashwatch.services.views import diff_reports, pair_lines

S19 = {"model": "Antminer S19 Pro", "count": 100, "rated_power_w": 3250.0, "catalogue_model": None}
M30S = {"model": "Whatsminer M30S", "count": 50, "rated_power_w": 3344.0, "catalogue_model": None}
S9 = {"model": "Antminer S9", "count": 20, "rated_power_w": 1323.0, "catalogue_model": None}
BTC = {"coin": "BTC", "algorithm": "SHA-256", "hashrate_ths": 15400.0, "electricity_kwh": 3.8e5}
LTC = {"coin": "LTC", "algorithm": "Scrypt", "hashrate_ths": 0.5, "electricity_kwh": 2e4}


def report(coins: list[dict[str, Any]], equipment: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "facility_electricity_kwh": 4e6,
        "coins": copy.deepcopy(coins),
        "equipment": copy.deepcopy(equipment),
        "contact": {"name": "Li Wei"},
    }


BEFORE = report([BTC, LTC], [S19, M30S, S9])


def test_a_removed_first_line_is_one_removal_not_every_line_changed() -> None:
    after = report([BTC, LTC], [M30S, S9])
    assert diff_reports(BEFORE, after) == [
        {
            "field": "equipment.0",
            "change": "removed",
            "before": S19,
            "after": None,
            "line": "Antminer S19 Pro",
        }
    ]
    assert diff_reports(BEFORE, report([LTC], [S19, M30S, S9])) == [
        {
            "field": "coins.0",
            "change": "removed",
            "before": BTC,
            "after": None,
            "line": "BTC SHA-256",
        }
    ]


def test_an_added_line_is_one_addition() -> None:
    eth = {"coin": "ETH", "algorithm": "Ethash", "hashrate_ths": 0.9, "electricity_kwh": 1e4}
    after = report([eth, BTC, LTC], [S19, M30S, S9])
    assert diff_reports(BEFORE, after) == [
        {"field": "coins.0", "change": "added", "before": None, "after": eth, "line": "ETH Ethash"}
    ]
    assert diff_reports(after, BEFORE) == [
        {
            "field": "coins.0",
            "change": "removed",
            "before": eth,
            "after": None,
            "line": "ETH Ethash",
        }
    ]


def test_reordered_lines_show_no_change() -> None:
    assert diff_reports(BEFORE, report([LTC, BTC], [S9, S19, M30S])) == []
    twins = report([BTC], [S19, {**S19, "count": 7}, M30S])
    swapped = report([BTC], [M30S, {**S19, "count": 7}, S19])
    assert diff_reports(twins, swapped) == []


def test_a_changed_value_is_shown_on_its_line_in_the_newer_order() -> None:
    after = report([LTC, {**BTC, "hashrate_ths": 16000.0}], [S9, {**S19, "count": 101}, M30S])
    assert diff_reports(BEFORE, after) == [
        {
            "field": "coins.1.hashrate_ths",
            "change": "changed",
            "before": 15400.0,
            "after": 16000.0,
            "line": "BTC SHA-256",
        },
        {
            "field": "equipment.1.count",
            "change": "changed",
            "before": 100,
            "after": 101,
            "line": "Antminer S19 Pro",
        },
    ]


def test_other_fields_change_as_before() -> None:
    after = report([BTC, LTC], [S19, M30S, S9])
    after["contact"]["name"] = "Li Lei"
    after["facility_electricity_kwh"] = None
    assert diff_reports(BEFORE, after) == [
        {
            "field": "contact.name",
            "change": "changed",
            "before": "Li Wei",
            "after": "Li Lei",
            "line": None,
        },
        {
            "field": "facility_electricity_kwh",
            "change": "changed",
            "before": 4e6,
            "after": None,
            "line": None,
        },
    ]


def test_lines_match_by_catalogue_model_then_by_the_model_typed() -> None:
    typed = {**S19, "model": "antminer  S19-pro", "catalogue_model": "Antminer S19 Pro"}
    matched = {**S19, "catalogue_model": "Antminer S19 Pro"}
    changes = diff_reports(report([], [matched]), report([], [typed]))
    assert [(c["field"], c["change"], c["line"]) for c in changes] == [
        ("equipment.0.model", "changed", "Antminer S19 Pro")
    ]
    # no catalogue match any more: the model as typed (case, spaces, hyphens folded) pairs them
    unmatched = {**S19, "model": "ANTMINER S19 PRO"}
    changes = diff_reports(report([], [matched]), report([], [unmatched]))
    assert [c["field"] for c in changes] == ["equipment.0.catalogue_model", "equipment.0.model"]


def test_a_coin_whose_algorithm_changed_is_the_same_line() -> None:
    after = report([{**BTC, "algorithm": "Scrypt"}, LTC], [S19, M30S, S9])
    changes = diff_reports(BEFORE, after)
    assert [(c["field"], c["before"], c["after"]) for c in changes] == [
        ("coins.0.algorithm", "SHA-256", "Scrypt")
    ]


def test_duplicate_keys_pair_in_order_and_extra_lines_are_added_or_removed() -> None:
    old = [S19, {**S19, "count": 7}]
    new = [{**S19, "count": 8}, {**S19, "count": 9}, {**S19, "count": 10}]
    pairs, removed, added = pair_lines(old, new, lambda line: (line["model"],))
    assert (pairs, removed, added) == ([(0, 0), (1, 1)], [], [2])
    changes = diff_reports(report([], old), report([], new))
    assert [(c["field"], c["change"]) for c in changes] == [
        ("equipment.0.count", "changed"),
        ("equipment.1.count", "changed"),
        ("equipment.2", "added"),
    ]


def test_nil_returns_and_missing_lists() -> None:
    assert diff_reports({"coins": [], "equipment": []}, {"coins": [], "equipment": []}) == []
    changes = diff_reports({"involved_in_mining": False}, report([BTC], []))
    assert [(c["field"], c["change"]) for c in changes] == [
        ("coins.0", "added"),
        ("contact.name", "added"),
        ("facility_electricity_kwh", "added"),
        ("involved_in_mining", "removed"),
    ]
    assert diff_reports({"coins": "garbage"}, {"coins": "other"})[0]["field"] == "coins"
