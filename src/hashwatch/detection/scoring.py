"""Mining-likeness scores from meter features: transparent rules, an unsupervised model and,
with labelled inspection outcomes, a supervised model; each score with its reasons in words.

How the score is made (:func:`score`)
-------------------------------------
1. **Rules.** Each rule turns one feature into evidence e ∈ [0, 1] by a linear ramp
   between two documented values (:data:`RULES`). Shape rules say the load is flat while it
   runs (no daily or weekly cycle, flat plateaus, night like day); behaviour rules say it
   acts like a miner (base-load steps, steps in the night and off-peak floor, switching off
   for whole periods, curtailing when hashprice falls, a floor that follows hashprice week
   on week, shedding at grid peaks, running near capacity). The rule score is
   ``SHAPE_WEIGHT × mean(shape e) + (1 − SHAPE_WEIGHT) × (1 − Π(1 − behaviour e))``: a miner
   need not show every behaviour, one clear one is enough (noisy-OR), and flatness alone
   (a data center, a cold store) reaches only ``SHAPE_WEIGHT``. A gated rule's evidence is
   capped by its gate's (a gate rule counts for nothing itself: the floor's steps count only
   where the floor has no weekly cycle). A rule whose feature is unknown (no external
   series, no capacity) gives no evidence.
2. **Unsupervised.** An isolation forest (Liu, Ting & Zhou, ICDM 2008; scikit-learn, seeded)
   on the robustly scaled features says how unusual each meter is among all the meters
   scored together, as a rank in [0, 1]. Unusual is not mining-like in itself, so it only
   moves the score by ``UNSUPERVISED_WEIGHT``: ``(1 − w) × rules + w × rules × unusual``.
3. **Supervised** (labels given). Gradient boosting (scikit-learn's histogram gradient
   boosting, seeded; a logistic regression below :data:`FEW_LABELS` labelled meters, too
   few for trees) trained on the labelled meters' robustly scaled features; labelled
   meters get their out-of-fold probability (5 folds), so a label never scores its own
   meter. The score is then the mean of step 2's score and that probability.

A meter is a candidate when its score is at least :data:`CANDIDATE_THRESHOLD`.
Everything is deterministic: meters are scored in meter-id order with fixed seeds, so the
same features give the same scores whatever engine or batch size produced them.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from hashwatch.cpus import usable_cpus
from hashwatch.detection.cleaning import FloatArray
from hashwatch.detection.features import _quiet
from hashwatch.detection.kernel import FEATURE_NAMES

#: texts, one per meter (numpy object arrays: elementwise joins without a Python loop)
TextArray = npt.NDArray[np.object_]

CANDIDATE_THRESHOLD: Final = 0.5
SHAPE_WEIGHT: Final = 0.5
UNSUPERVISED_WEIGHT: Final = 0.2
SEED: Final = 20210901
#: isolation trees: the paper's choice (Liu, Ting & Zhou 2008, §4: path lengths converge
#: well before 100 trees of 256 samples) and scikit-learn's default
FOREST_TREES: Final = 100
#: with fewer labelled meters the supervised model is a logistic regression
FEW_LABELS: Final = 200
#: below this many meters a slice a thread is not worth its start
_ROWS_PER_THREAD: Final = 2_000
#: features given to the models (dates, counts of readings and sizes in kW are left out)
MODEL_FEATURES: Final = tuple(
    n
    for n in FEATURE_NAMES
    if n not in {"readings", "coverage", "days", "energy_kwh", "mean_power_kw", "largest_step_kw"}
    and not n.endswith("_date")
)


@dataclass(frozen=True)
class Rule:
    """Evidence 0 at ``zero``, 1 at ``one`` (either order), linear between."""

    name: str
    feature: str
    zero: float
    one: float
    group: str  # "shape", "behaviour", or "gate" (only caps another rule; no score, no words)
    reason: str  # words, with {value} for the feature's value
    #: a rule whose evidence is capped by another rule's (behaviour that means mining only
    #: in a load that is flat while it runs: a shift factory also fills its contract)
    gate: str | None = None

    def evidence(self, x: FloatArray) -> FloatArray:
        with _quiet():
            e = np.clip((x - self.zero) / (self.one - self.zero), 0.0, 1.0)
        return np.asarray(np.where(np.isnan(x), 0.0, e))


RULES: Final = (
    Rule("no_daily_cycle", "daily_cycle_strength", 0.5, 0.15, "shape",
         "no daily cycle (daily cycle strength {value:.2f})"),
    Rule("no_weekly_cycle", "weekly_cycle_strength", 0.25, 0.05, "shape",
         "no weekly cycle (weekly cycle strength {value:.2f})"),
    Rule("flat_plateaus", "plateau_flatness", 0.04, 0.015, "shape",
         "flat within each day (within-day CV {value:.3f})"),
    Rule("night_like_day", "abs_log_night_day", 0.3, 0.05, "shape",
         "as much at night as by day (night/day ratio {value:.2f})"),
    Rule("base_load_steps", "abs_largest_step_share", 0.1, 0.3, "behaviour",
         "base load stepped by {value:.0%} ({count} steps, largest on {date})", "flat_plateaus"),
    Rule("floor_steps", "abs_floor_step_share", 0.1, 0.3, "behaviour",
         "night and off-peak floor stepped by {value:.0%} of the daily load ({count} steps)",
         "floor_without_weekly_cycle"),
    Rule("floor_without_weekly_cycle", "floor_weekly_strength", 0.25, 0.05, "gate", ""),
    Rule("switches_off", "switch_off", 0.0, 1.0, "behaviour",
         "switches off for whole periods ({value:.0%} of readings curtailed, {count} episodes)",
         "flat_plateaus"),
    Rule("hashprice_curtailment", "external_alignment_z", -1.0, -3.0, "behaviour",
         "curtails when the external series falls (alignment z {value:.1f})"),
    Rule("floor_follows_price", "floor_alignment_z", 1.5, 3.0, "behaviour",
         "night and off-peak floor follows the external series week on week "
         "(alignment z {value:.1f})"),
    Rule("grid_peak_shedding", "peak_response", 0.2, 0.6, "behaviour",
         "sheds load on grid peak days ({value:.0%} of peak-hour load)"),
    Rule("night_tariff_shift", "night_day_ratio", 1.15, 1.4, "behaviour",
         "runs more at night than by day every day (night/day ratio {value:.2f})",
         "no_weekly_cycle"),
    Rule("near_capacity", "capacity_ratio", 0.7, 0.9, "behaviour",
         "runs near its capacity (p95 / capacity {value:.2f})", "flat_plateaus"),
)  # fmt: skip


def derived_features(table: pa.Table) -> dict[str, FloatArray]:
    """Feature columns as float arrays, plus the derived inputs the rules read."""
    cols = {n: _floats(table.column(n)) for n in FEATURE_NAMES if not n.endswith("_date")}
    with _quiet():
        cols["abs_log_night_day"] = np.abs(np.log(cols["night_day_ratio"]))
        # a step counts by how much of it lasted (a holiday dip that recovers does not)
        cols["abs_largest_step_share"] = np.where(
            cols["step_count"] > 0,
            np.minimum(np.abs(cols["largest_step_share"]), np.abs(cols["lasting_step_share"])),
            0.0,
        )
        # racks arriving or leaving show in the floor (the day's 10th percentile) even when
        # a larger host load's daily and weather cycles hide them in the daily mean
        cols["abs_floor_step_share"] = np.where(
            cols["floor_step_count"] > 0, np.abs(cols["floor_step_share"]), 0.0
        )
        # whole periods off: some curtailment, but not the daily on/off of a shift pattern
        per_day = cols["curtailment_episodes"] / np.maximum(cols["days"], 1.0)
        some = np.clip((cols["curtailed_share"] - 0.01) / 0.04, 0.0, 1.0)
        not_daily = np.clip((0.8 - per_day) / 0.5, 0.0, 1.0)
        cols["switch_off"] = np.where(np.isnan(cols["curtailed_share"]), np.nan, some * not_daily)
    return cols


def _floats(column: pa.ChunkedArray) -> FloatArray:
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def rule_scores(cols: Mapping[str, FloatArray]) -> tuple[FloatArray, dict[str, FloatArray]]:
    """(rule score, evidence per rule) per meter."""
    evidence = {r.name: r.evidence(cols[r.feature]) for r in RULES}
    for r in RULES:
        if r.gate is not None:
            evidence[r.name] = np.minimum(evidence[r.name], evidence[r.gate])
    shape = np.mean([evidence[r.name] for r in RULES if r.group == "shape"], axis=0)
    behaviour = 1 - np.prod([1 - evidence[r.name] for r in RULES if r.group == "behaviour"], axis=0)
    return SHAPE_WEIGHT * shape + (1 - SHAPE_WEIGHT) * behaviour, evidence


def _matrix(cols: Mapping[str, FloatArray]) -> FloatArray:
    """Model inputs: robustly scaled features, NaN replaced by the column median (0)."""
    x = np.column_stack([cols[n] for n in MODEL_FEATURES]).astype(np.float64)
    with _quiet():
        median = np.nanmedian(x, axis=0)
        mad = np.nanmedian(np.abs(x - median), axis=0) * 1.4826
    median = np.where(np.isnan(median), 0.0, median)
    scale = np.where((mad > 0) & ~np.isnan(mad), mad, 1.0)
    z = (x - median) / scale
    return np.asarray(np.clip(np.where(np.isnan(z), 0.0, z), -50, 50))


def unusualness(x: FloatArray) -> FloatArray:
    """Isolation-forest anomaly as a rank in [0, 1] (1: the most unusual meter)."""
    n = x.shape[0]
    if n < 3:
        return np.zeros(n)
    forest = IsolationForest(n_estimators=FOREST_TREES, random_state=SEED, n_jobs=1).fit(x)
    anomaly = -_score_samples(forest, x)
    ranks = np.argsort(np.argsort(anomaly, kind="stable"), kind="stable")
    return np.asarray(ranks / (n - 1), dtype=np.float64)


def _score_samples(forest: IsolationForest, x: FloatArray) -> FloatArray:
    """``forest.score_samples(x)`` on every core: the rows cut in one slice per core,
    each scored in its own thread (the trees' traversal releases the GIL).

    A row's score is its depths summed over the trees in the trees' order, whatever other
    rows are scored with it, so the result is the same as one call, bit for bit (unlike
    scikit-learn's ``n_jobs``, which adds the trees' depths in the order its threads end).
    """
    parts = min(usable_cpus(), max(1, x.shape[0] // _ROWS_PER_THREAD))
    if parts == 1:
        return np.asarray(forest.score_samples(x))
    with ThreadPoolExecutor(parts) as pool:
        return np.concatenate(list(pool.map(forest.score_samples, np.array_split(x, parts))))


def supervised(x: FloatArray, label: FloatArray) -> FloatArray:
    """P(mining) from gradient boosting on the labelled rows (label NaN: unlabelled).

    Labelled rows get out-of-fold predictions (stratified 5 folds, seeded); unlabelled
    rows the model fitted on every labelled row.
    """
    known = ~np.isnan(label)
    y = label[known].astype(int)
    if known.sum() < 10 or len(np.unique(y)) < 2:
        raise ValueError("labels need at least 10 labelled meters of both outcomes")

    def model() -> HistGradientBoostingClassifier | LogisticRegression:
        if known.sum() < FEW_LABELS:  # too few for trees with leaves of 20
            return LogisticRegression(C=1.0, max_iter=1000)
        return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=SEED)

    folds = min(5, int(np.bincount(y).min()))
    out = np.full(x.shape[0], np.nan)
    if folds >= 2:
        cv = StratifiedKFold(folds, shuffle=True, random_state=SEED)
        out[known] = cross_val_predict(model(), x[known], y, cv=cv, method="predict_proba")[:, 1]
    else:
        out[known] = model().fit(x[known], y).predict_proba(x[known])[:, 1]
    if (~known).any():
        out[~known] = model().fit(x[known], y).predict_proba(x[~known])[:, 1]
    return out


def score(
    features: pa.Table,
    *,
    labels: Mapping[str, bool] | None = None,
    threshold: float = CANDIDATE_THRESHOLD,
) -> pa.Table:
    """Score every meter of a features table (from :func:`~.kernel.features_block`).

    Returns one row per meter, in meter-id order: ``meter_id``, ``score`` [0, 1],
    ``is_candidate``, ``reasons`` (words), ``rule_score``, ``unusual``,
    ``supervised_score`` (NaN without labels), then the features.
    """
    table = features.sort_by("meter_id")
    ids = table.column("meter_id").to_pylist()
    cols = derived_features(table)
    rules, evidence = rule_scores(cols)
    x = _matrix(cols)
    unusual = unusualness(x)
    combined = (1 - UNSUPERVISED_WEIGHT) * rules + UNSUPERVISED_WEIGHT * rules * unusual
    learned = np.full(len(ids), np.nan)
    if labels:
        label = np.array([float(labels[m]) if m in labels else np.nan for m in ids])
        learned = supervised(x, label)
        combined = (combined + learned) / 2
    final = np.round(np.clip(combined, 0.0, 1.0), 6)
    reasons = _all_reasons(cols, evidence, table, learned=learned, unusual=unusual)
    head = pa.table(
        {
            "meter_id": pa.array(ids, type=pa.string()),
            "score": final,
            "is_candidate": final >= threshold,
            "reasons": pa.array(reasons, type=pa.string()),
            "rule_score": np.round(rules, 6),
            "unusual": np.round(unusual, 6),
            "supervised_score": learned,
        }
    )
    for name in table.column_names[1:]:
        head = head.append_column(name, table.column(name))
    return head


def _all_reasons(
    cols: Mapping[str, FloatArray],
    evidence: Mapping[str, FloatArray],
    table: pa.Table,
    *,
    learned: FloatArray,
    unusual: FloatArray,
    top: int = 4,
) -> list[str]:
    """Each meter's reasons: the rules that drove its score, strongest first, with the
    feature values; then the isolation rank when high, and the supervised score.

    Built rule by rule (each rule's words formatted for the meters that show it) and joined
    position by position over object arrays: no Python loop over the meters.
    """
    n = len(learned)
    strength = np.column_stack(
        [evidence[r.name] * (SHAPE_WEIGHT if r.group == "shape" else 1.0) for r in RULES]
    )
    fired = np.column_stack([(evidence[r.name] >= 0.5) & (r.group != "gate") for r in RULES])
    # strongest first; a stable sort keeps the rules' own order among equals
    order = np.argsort(-np.where(fired, strength, -np.inf), axis=1, kind="stable")[:, :top]
    # the rules fired come first in each row: a row's reasons are a prefix of its order
    shown = np.take_along_axis(fired, order, axis=1)
    values = {r.name: cols[r.feature] for r in RULES}
    values["night_like_day"] = cols["night_day_ratio"]
    values["switches_off"] = cols["curtailed_share"]
    counts = {r.name: cols["step_count"] for r in RULES}
    counts["switches_off"] = cols["curtailment_episodes"]
    counts["floor_steps"] = cols["floor_step_count"]
    words: TextArray = np.full(order.shape, "", dtype=object)
    for k, rule in enumerate(RULES):
        meters, position = np.nonzero(shown & (order == k))
        if meters.size == 0:
            continue
        value = values[rule.name][meters].tolist()
        count = counts[rule.name][meters].astype(np.int64).tolist()
        # ISO dates as text (what formatting a date gives), without a date object per meter
        if "date" in _fields(rule.reason):
            taken = table.column("largest_step_date").take(pa.array(meters))
            date = pc.cast(taken, pa.string()).to_pylist()
        else:
            date = [None] * meters.size
        fmt = rule.reason.format
        words[meters, position] = [
            fmt(value=v, count=c, date=d) for v, c, d in zip(value, count, date, strict=True)
        ]
    out: TextArray = np.full(n, "", dtype=object)
    for j in range(order.shape[1]):
        more = np.flatnonzero(shown[:, j])
        _append(out, more, words[more, j])
    high = np.flatnonzero(unusual >= 0.95)
    _append(out, high, [f"unusual among the meters scored (isolation rank {u:.2f})"
                        for u in unusual[high].tolist()])  # fmt: skip
    model = np.flatnonzero(~np.isnan(learned))
    _append(out, model, [f"supervised model {p:.2f}" for p in learned[model].tolist()])
    out[out == ""] = "nothing mining-like"
    return list(out.tolist()) if n else []


def _fields(text: str) -> set[str]:
    """The names of the fields a format string uses."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _append(out: TextArray, at: npt.NDArray[np.intp], words: TextArray | Sequence[str]) -> None:
    """Add words to the reasons of the meters ``at`` (object array of text, in place)."""
    if at.size == 0:
        return
    have = out[at]
    text = np.asarray(words, dtype=object)
    out[at] = np.where(have == "", text, have + "; " + text)
