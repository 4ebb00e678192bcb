"""A labelled synthetic city of electricity meters: ordinary loads and mining, with meter defects.

No public data set of meter load curves labelled as mining exists, so hashwatch makes one.
:func:`plan_city` assigns each meter a profile class; :func:`iter_batches` then generates
the meters a batch at a time (memory bounded by the batch, whatever the city's size) as
long-format rows with realistic measurement noise and defects (missing readings and gaps,
duplicated rows, meter resets, Wh-for-kWh spikes) at the rates of :class:`DefectRates`,
together with each meter's labels. Everything is deterministic by the seed: the same seed,
meter count, days and interval give the same rows. See docs/detection.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from hashwatch.detection import synthetic_profiles as profiles
from hashwatch.detection.synthetic_series import (
    BoolArray,
    FloatArray,
    IntArray,
    SharedSeries,
    shared_series,
)

StrArray = npt.NDArray[np.str_]

PROFILE_CLASSES: Final = (
    "datacenter",
    "office",
    "factory",
    "residential",
    "mining_farm",
    "mining_in_datacenter",
    "mining_in_factory",
)
MINING_CLASSES: Final = frozenset({"mining_farm", "mining_in_datacenter", "mining_in_factory"})
#: Share of meters in each class by default.
DEFAULT_MIX: Final = {
    "datacenter": 0.35,
    "office": 0.15,
    "factory": 0.20,
    "residential": 0.10,
    "mining_farm": 0.10,
    "mining_in_datacenter": 0.05,
    "mining_in_factory": 0.05,
}
#: Relative standard deviation of the interval-to-interval measurement and load noise.
NOISE_SD: Final = {
    "datacenter": 0.01,
    "office": 0.03,
    "factory": 0.04,
    "residential": 0.06,
    "mining_farm": 0.01,
    "mining_in_datacenter": 0.01,
    "mining_in_factory": 0.03,
}
BATCH_METERS: Final = 1_000
#: Meter readings are recorded to this resolution [kWh].
ENERGY_RESOLUTION_KWH: Final = 0.01


@dataclass(frozen=True)
class DefectRates:
    """How often the synthetic meters misbehave (each a probability)."""

    missing_reading: float = 0.002  # per reading: a single reading lost
    meter_with_gaps: float = 0.25  # per meter: 1-3 communication gaps
    gap_mean_intervals: float = 8.0  # mean gap length (geometric)
    duplicate_row: float = 0.001  # per reading: the row is sent twice
    meter_reset: float = 0.02  # per meter: the register resets once (one large negative)
    wh_spike: float = 1e-5  # per reading: the value is written in Wh (x1000)


NO_DEFECTS: Final = DefectRates(0.0, 0.0, 1.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class CityPlan:
    """The meters of one synthetic city and the series they all see."""

    seed: int
    series: SharedSeries
    profile_class: StrArray  # (meters,)
    defects: DefectRates = field(default_factory=DefectRates)
    #: the meters' ids (None: ``M000000``, ``M000001``, ...)
    meter_id: StrArray | None = None
    #: each meter's load scaled to this mean power over the whole period [kW] (None, or NaN
    #: for a meter: as the profile draws it)
    mean_power_kw: FloatArray | None = None

    @property
    def meters(self) -> int:
        return int(self.profile_class.size)


@dataclass(frozen=True)
class MeterLabels:
    """The truth about a block of meters."""

    meter_id: StrArray
    profile_class: StrArray
    is_mining: BoolArray
    mining_share: FloatArray  # share of the meter's energy used by mining, 0-1
    contracted_capacity_kw: FloatArray


@dataclass(frozen=True)
class MeterBatch:
    """Long-format readings of a block of meters, in file order (meter, then time)."""

    meter_id: StrArray  # (meters in batch,)
    meter_index: IntArray  # (rows,) into meter_id
    interval_index: IntArray  # (rows,) into the time axis
    energy_kwh: FloatArray  # (rows,)
    labels: MeterLabels

    @property
    def rows(self) -> int:
        return int(self.energy_kwh.size)


def meter_ids(start: int, stop: int) -> StrArray:
    """Meter ids ``M000000``, ``M000001``, ... for indexes start..stop-1."""
    return np.asarray([f"M{i:06d}" for i in range(start, stop)], dtype=np.str_)


def plan_city(
    seed: int,
    meters: int,
    days: int,
    interval_minutes: int = 60,
    *,
    mix: Mapping[str, float] = DEFAULT_MIX,
    defects: DefectRates | None = None,
) -> CityPlan:
    """Each meter's profile class (shuffled, in the shares of ``mix``) and the shared series."""
    unknown = set(mix) - set(PROFILE_CLASSES)
    if unknown or meters < 1 or days < 1:
        raise ValueError(f"need meters >= 1, days >= 1 and known classes (not {unknown})")
    names = list(mix)
    weights = np.asarray([mix[name] for name in names], dtype=np.float64)
    counts = np.floor(weights / weights.sum() * meters).astype(np.int64)
    counts[np.argmax(weights)] += meters - counts.sum()
    classes = np.repeat(np.asarray(names, dtype=np.str_), counts)
    np.random.default_rng(np.random.SeedSequence([seed, 0])).shuffle(classes)
    return plan_meters(seed, classes.tolist(), days, interval_minutes, defects=defects)


def plan_meters(
    seed: int,
    profile_class: Sequence[str],
    days: int,
    interval_minutes: int = 60,
    *,
    meter_id: Sequence[str] | None = None,
    mean_power_kw: Sequence[float] | None = None,
    defects: DefectRates | None = None,
) -> CityPlan:
    """A city of given meters: each one's class, and optionally its id and mean power [kW]
    over the whole period (NaN: as the profile draws it; a profile never draws a load
    without energy, whose mean could not be scaled).

    For a caller that knows its meters (the demo city: the registry's meter ids, loads
    that match what each facility reported); :func:`plan_city` draws the classes instead.
    """
    classes = np.asarray(list(profile_class), dtype=np.str_)
    unknown = set(classes.tolist()) - set(PROFILE_CLASSES)
    if unknown or classes.size < 1 or days < 1:
        raise ValueError(f"need meters >= 1, days >= 1 and known classes (not {unknown})")
    for name, values in (("meter_id", meter_id), ("mean_power_kw", mean_power_kw)):
        if values is not None and len(values) != classes.size:
            raise ValueError(f"{len(values)} values of {name} for {classes.size} meters")
    means = None if mean_power_kw is None else np.asarray(mean_power_kw, dtype=np.float64)
    if means is not None and not np.all(np.isnan(means) | (np.isfinite(means) & (means >= 0))):
        raise ValueError("mean_power_kw must be finite and not negative (or NaN)")
    return CityPlan(
        seed=seed,
        series=shared_series(seed, days, interval_minutes),
        profile_class=classes,
        defects=DefectRates() if defects is None else defects,
        meter_id=None if meter_id is None else np.asarray(list(meter_id), dtype=np.str_),
        mean_power_kw=means,
    )


def clean_power_kw(
    rng: np.random.Generator, classes: StrArray, series: SharedSeries
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(power_kw (n, T), mining share (n,), contracted capacity kW (n,)) for these classes."""
    n = classes.size
    power = np.empty((n, series.axis.intervals))
    share = np.zeros(n)
    contract = np.empty(n)
    for name in PROFILE_CLASSES:
        rows = np.flatnonzero(classes == name)
        if rows.size == 0:
            continue
        if name.startswith("mining_in_"):
            block, share[rows] = profiles.hidden_mining(
                rng, rows.size, series, name.removeprefix("mining_in_")
            )
        else:
            block = getattr(profiles, name)(rng, rows.size, series)
            share[rows] = 1.0 if name in MINING_CLASSES else 0.0
        power[rows] = block.power_kw
        contract[rows] = block.contracted_capacity_kw
    return power, share, contract


def _present(rng: np.random.Generator, shape: tuple[int, int], rates: DefectRates) -> BoolArray:
    """Which readings reach the file: single losses and communication gaps removed."""
    n, intervals = shape
    present = rng.random(shape) >= rates.missing_reading
    gappy = np.flatnonzero(rng.random(n) < rates.meter_with_gaps)
    gaps = rng.integers(1, 4, gappy.size)
    for meter, count in zip(gappy, gaps, strict=True):
        starts = rng.integers(0, intervals, count)
        lengths = rng.geometric(1 / max(rates.gap_mean_intervals, 1.0), count)
        for start, length in zip(starts, lengths, strict=True):
            present[meter, start : start + length] = False
    return present


def _defective_energy_kwh(
    rng: np.random.Generator, energy_kwh: FloatArray, rates: DefectRates
) -> FloatArray:
    """Meter resets (the next reading is new register - old register) and Wh spikes."""
    out = energy_kwh.copy()
    n, intervals = out.shape
    for meter in np.flatnonzero(rng.random(n) < rates.meter_reset):
        at = int(rng.integers(1, intervals)) if intervals > 1 else 0
        out[meter, at] -= float(energy_kwh[meter, :at].sum())
    spikes = rng.random(out.shape) < rates.wh_spike
    out[spikes] *= 1000
    return out


def generate_batch(plan: CityPlan, start: int, stop: int) -> MeterBatch:
    """Meters start..stop-1 of the city: labels and long-format rows with noise and defects.

    The batch's random stream depends on the seed and the batch's bounds only, so it is the same
    whichever other batches are generated.
    """
    rng = np.random.default_rng(np.random.SeedSequence([plan.seed, 2, start, stop]))
    classes = plan.profile_class[start:stop]
    axis = plan.series.axis
    power, share, contract = clean_power_kw(rng, classes, plan.series)
    if plan.mean_power_kw is not None:
        target = plan.mean_power_kw[start:stop]
        drawn = power.mean(axis=1)
        known = ~np.isnan(target) & (drawn > 0)
        factor = np.ones(classes.size)
        factor[known] = target[known] / drawn[known]
        power *= factor[:, np.newaxis]
        contract *= factor
    noise_sd = np.asarray([NOISE_SD[c] for c in classes])[:, np.newaxis]
    power *= np.maximum(1 + noise_sd * rng.standard_normal(power.shape), 0)
    energy = np.round(power * axis.interval_h / ENERGY_RESOLUTION_KWH) * ENERGY_RESOLUTION_KWH
    energy = _defective_energy_kwh(rng, energy, plan.defects)
    present = _present(rng, energy.shape, plan.defects)
    meter_index, interval_index = np.nonzero(present)
    values = energy[present]
    repeat = 1 + (rng.random(values.size) < plan.defects.duplicate_row)
    ids = meter_ids(start, stop) if plan.meter_id is None else plan.meter_id[start:stop]
    labels = MeterLabels(
        meter_id=ids,
        profile_class=classes,
        is_mining=np.isin(classes, list(MINING_CLASSES)),
        mining_share=share,
        contracted_capacity_kw=np.round(contract, 1),
    )
    return MeterBatch(
        meter_id=ids,
        meter_index=np.repeat(meter_index, repeat),
        interval_index=np.repeat(interval_index, repeat),
        energy_kwh=np.repeat(values, repeat),
        labels=labels,
    )


def iter_batches(plan: CityPlan, batch_meters: int = BATCH_METERS) -> Iterator[MeterBatch]:
    """The city's meters, ``batch_meters`` at a time, in meter order."""
    for start in range(0, plan.meters, batch_meters):
        yield generate_batch(plan, start, min(start + batch_meters, plan.meters))
