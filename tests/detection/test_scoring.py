"""Scores: a farm above an office and a data center, reasons, determinism, the supervised part."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from hashwatch.detection.kernel import features_block
from hashwatch.detection.scoring import CANDIDATE_THRESHOLD, RULES, Rule, rule_scores, score
from tests.detection.tables import assert_same

S = 24
DAYS = 42
START = dt.date(2021, 1, 4)  # a Monday


def _population(seed: int = 0) -> tuple[pa.Table, dict[str, str]]:
    """Offices, data centers and farms as simple closed-form loads with noise."""
    rng = np.random.default_rng(seed)
    hour = np.arange(DAYS * S) % S
    weekday = (np.arange(DAYS * S) // S) % 7
    rows, kinds = [], {}
    for i in range(12):
        office = np.where((hour >= 8) & (hour < 19), 300.0, 90.0) * np.where(weekday < 5, 1, 0.4)
        rows.append(office * (1 + rng.normal(0, 0.03, office.size)))
        kinds[f"O{i:02d}"] = "office"
    for i in range(12):
        dc = 1000 * (1 + 0.04 * np.cos(2 * np.pi * (hour - 16) / 24))
        rows.append(dc * (1 + rng.normal(0, 0.01, dc.size)))
        kinds[f"D{i:02d}"] = "datacenter"
    for i in range(4):
        racks = np.repeat(np.where(np.arange(DAYS) < 15 + i, 600.0, 1200.0), S)
        farm = racks * (1 + rng.normal(0, 0.01, racks.size))
        farm[(25 + i) * S : (27 + i) * S] = 5.0  # two days off
        rows.append(farm)
        kinds[f"F{i:02d}"] = "farm"
    ids = list(kinds)
    capacity = np.array([1400.0 if k == "farm" else 3000.0 for k in kinds.values()])
    table = features_block(ids, np.vstack(rows), START, 60, capacity_kw=capacity)
    return table, kinds


def test_rule_evidence_is_a_ramp_either_way() -> None:
    up = Rule("r", "x", 0.2, 0.6, "behaviour", "")
    down = Rule("r", "x", 0.5, 0.1, "shape", "")
    x = np.array([0.0, 0.2, 0.4, 0.6, 1.0, np.nan])
    assert_allclose(up.evidence(x), [0, 0, 0.5, 1, 1, 0])
    assert_allclose(down.evidence(x), [1, 0.75, 0.25, 0, 0, 0])


def test_rule_score_combines_shape_mean_and_behaviour_noisy_or() -> None:
    cols = {r.feature: np.array([np.nan]) for r in RULES}
    cols["daily_cycle_strength"] = np.array([0.0])  # one of four shape rules
    cols["peak_response"] = np.array([0.4])  # behaviour evidence 0.5
    cols["external_alignment_z"] = np.array([-2.0])  # behaviour evidence 0.5
    total, evidence = rule_scores(cols)
    assert evidence["no_daily_cycle"][0] == 1.0
    assert_allclose(total, [0.5 * 0.25 + 0.5 * (1 - 0.5 * 0.5)])


def test_a_gate_caps_its_rule_and_counts_for_nothing_itself() -> None:
    cols = {r.feature: np.array([np.nan, np.nan]) for r in RULES}
    cols["abs_floor_step_share"] = np.array([0.3, 0.3])  # full floor-step evidence, both
    cols["floor_weekly_strength"] = np.array([0.05, 0.25])  # no weekly cycle / a strong one
    total, evidence = rule_scores(cols)
    assert_array_equal(evidence["floor_steps"], [1.0, 0.0])
    assert_allclose(total, [0.5, 0.0])  # the gate's own evidence adds nothing


def test_a_farm_scores_above_offices_and_data_centers_with_reasons() -> None:
    table, kinds = _population()
    scores = score(table).to_pydict()
    by_kind: dict[str, list[float]] = {}
    for meter, value in zip(scores["meter_id"], scores["score"], strict=True):
        by_kind.setdefault(kinds[meter], []).append(value)
    assert min(by_kind["farm"]) > max(by_kind["office"] + by_kind["datacenter"])
    assert min(by_kind["farm"]) >= CANDIDATE_THRESHOLD
    assert max(by_kind["office"]) < CANDIDATE_THRESHOLD
    farm_reasons = scores["reasons"][scores["meter_id"].index("F00")]
    assert "base load stepped" in farm_reasons
    assert "off-peak floor stepped" in farm_reasons  # the racks show in its floor too
    assert all(part.strip() for part in farm_reasons.split(";"))  # a gate has no words
    # the four strongest rules: behaviour (weight 1) before shape (0.5)
    assert "daily cycle strength" not in farm_reasons
    assert "runs near its capacity (p95 / capacity 0.8" in farm_reasons
    assert scores["is_candidate"] == [s >= CANDIDATE_THRESHOLD for s in scores["score"]]


def test_scores_are_deterministic_and_independent_of_row_order() -> None:
    table, _ = _population()
    first = score(table)
    shuffled = table.take(np.random.default_rng(5).permutation(table.num_rows))
    assert_same(first, score(shuffled))
    assert first.column("meter_id").to_pylist() == sorted(table.column("meter_id").to_pylist())


def test_supervised_part_uses_labels_out_of_fold() -> None:
    table, kinds = _population()
    labels = {m: k == "farm" for m, k in kinds.items() if not m.endswith("03")}
    scores = score(table, labels=labels).to_pydict()
    learned = dict(zip(scores["meter_id"], scores["supervised_score"], strict=True))
    assert not any(np.isnan(v) for v in learned.values())
    assert learned["F03"] > learned["O03"]  # unlabelled meters, scored by the fitted model
    assert "supervised model" in scores["reasons"][0]
    with pytest.raises(ValueError, match="both outcomes"):
        score(table, labels=dict.fromkeys(kinds, False))


def test_night_tariff_shift_counts_only_without_a_weekly_cycle() -> None:
    cols = {r.feature: np.array([np.nan, np.nan]) for r in RULES}
    cols["night_day_ratio"] = np.array([1.6, 1.6])
    cols["abs_log_night_day"] = np.abs(np.log(cols["night_day_ratio"]))
    cols["weekly_cycle_strength"] = np.array([0.0, 0.5])  # a factory's weekends
    _, evidence = rule_scores(cols)
    assert evidence["night_tariff_shift"].tolist() == [1.0, 0.0]


def test_isolation_scores_in_threads_equal_one_call_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sklearn.ensemble import IsolationForest

    from hashwatch.detection import scoring

    monkeypatch.setattr(scoring, "usable_cpus", lambda: 3)  # threads even on one core
    x = np.random.default_rng(3).normal(size=(6_001, 6))
    forest = IsolationForest(n_estimators=20, random_state=1).fit(x)
    assert_array_equal(scoring._score_samples(forest, x), forest.score_samples(x))
