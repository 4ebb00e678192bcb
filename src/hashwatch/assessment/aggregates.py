"""Declared totals, shares, breakdowns, coverage and the imputed range of non-responders.

Pure functions on :class:`~hashwatch.assessment.data.FacilityRecord` tuples. *Declared*
figures sum the counted reports only (see :mod:`hashwatch.assessment.data` for which
reports count); a nil return declares 0 kWh of mining. Facilities without a counted report
are *unknown*: they get an imputed range (:func:`impute_unknown`) that is reported beside
the declared figures and never added into them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from hashwatch.assessment.data import FacilityArrays, FacilityRecord, Standing
from hashwatch.energy.estimate import PUE


def share_pct(part: float | None, whole: float | None) -> float | None:
    """``part / whole × 100``; ``None`` when either is unknown or ``whole`` is 0."""
    if part is None or whole is None or whole == 0:
        return None
    return 100.0 * part / whole


def _declared_mining_kwh(record: FacilityRecord) -> float:
    """Counted mining electricity of a record; a nil return is 0 kWh [kWh]."""
    return record.mining_electricity_kwh or 0.0


@dataclass(frozen=True)
class Totals:
    """The notice's declared totals and where every recipient stands."""

    recipients: int
    counted: int
    accepted: int
    awaiting_review: int
    returned: int
    no_report: int
    involved: int
    facility_electricity_kwh: float
    mining_electricity_kwh: float
    mining_share_pct: float | None
    reporting_codes: frozenset[str] = field(repr=False)
    mining_codes: frozenset[str] = field(repr=False)


def declared_totals(records: Sequence[FacilityRecord]) -> Totals:
    """Sum of the counted reports' facility and mining electricity [kWh].

    ``mining_share_pct`` = Σ mining_electricity_kwh / Σ facility_electricity_kwh × 100 over
    the counted reports (mining's share of the reporting facilities' electricity).
    """
    arrays = FacilityArrays.of(list(records))
    counted = arrays.counted
    facility_kwh = float(np.nansum(arrays.facility_kwh[counted]))
    mining_kwh = float(np.nansum(arrays.mining_kwh[counted]))
    standings = [r.standing for r in records]
    return Totals(
        recipients=len(records),
        counted=int(counted.sum()),
        accepted=standings.count(Standing.ACCEPTED),
        awaiting_review=standings.count(Standing.AWAITING_REVIEW),
        returned=standings.count(Standing.RETURNED),
        no_report=standings.count(Standing.NO_REPORT),
        involved=int((arrays.involved & counted).sum()),
        facility_electricity_kwh=facility_kwh,
        mining_electricity_kwh=mining_kwh,
        mining_share_pct=share_pct(mining_kwh, facility_kwh),
        reporting_codes=frozenset(r.facility_code for r in records if r.counted),
        mining_codes=_mining_codes(records),
    )


def _mining_codes(records: Iterable[FacilityRecord]) -> frozenset[str]:
    """Counted facilities that declare mining electricity above 0 kWh."""
    return frozenset(r.facility_code for r in records if r.counted and _declared_mining_kwh(r) > 0)


@dataclass(frozen=True)
class Coverage:
    """Share of the recipients, and of their registered capacity, that reported."""

    recipients: int
    counted: int
    facility_coverage_pct: float | None
    counted_capacity_kw: float
    registered_capacity_kw: float
    capacity_coverage_pct: float | None
    recipients_without_capacity: int


def coverage(records: Sequence[FacilityRecord]) -> Coverage:
    """Coverage by facilities (counted ÷ recipients) and by rated IT capacity [kW].

    Capacity coverage = Σ rated_it_capacity_kw of counted facilities ÷ Σ of all recipients,
    over the recipients whose rated IT capacity is registered (the others are counted in
    ``recipients_without_capacity``).
    """
    arrays = FacilityArrays.of(list(records))
    known = ~np.isnan(arrays.rated_it_capacity_kw)
    capacity = np.where(known, arrays.rated_it_capacity_kw, 0.0)
    counted_kw = float(capacity[arrays.counted].sum())
    total_kw = float(capacity.sum())
    counted = int(arrays.counted.sum())
    return Coverage(
        recipients=len(records),
        counted=counted,
        facility_coverage_pct=share_pct(counted, len(records)),
        counted_capacity_kw=counted_kw,
        registered_capacity_kw=total_kw,
        capacity_coverage_pct=share_pct(counted_kw, total_kw),
        recipients_without_capacity=int((~known).sum()),
    )


@dataclass(frozen=True)
class ImputedRange:
    """The range a facility without a counted report may have used for mining [kWh]."""

    facility_code: str
    standing: Standing
    capacity_basis: str | None
    lower_kwh: float
    ratio_kwh: float | None
    upper_kwh: float | None


@dataclass(frozen=True)
class Imputation:
    """Imputed mining electricity of the unknown facilities: labelled, never declared."""

    facilities: tuple[ImputedRange, ...]
    unknown: int
    without_capacity: int
    ratio_kwh_per_kw: float | None
    pue_upper: float
    lower_kwh: float
    ratio_kwh: float | None
    upper_kwh: float | None
    label: str = "imputed"


def max_mining_kwh(
    rated_it_capacity_kw: float | None,
    contracted_grid_capacity_kw: float | None,
    hours: float,
    pue_upper: float = PUE.upper,
) -> tuple[float | None, str | None]:
    """The most electricity a facility could have drawn in ``hours`` [kWh], and its basis.

    Notes
    -----
    E_max = min(P_IT · PUE_upper, P_grid) · hours, with P_IT the rated IT capacity [kW],
    PUE_upper the CBECI upper PUE (1.20) and P_grid the contracted grid capacity [kW];
    whichever capacity is registered when only one is. All of it is taken as possibly
    mining (an upper bound, not an estimate).
    """
    limits: list[tuple[float, str]] = []
    if rated_it_capacity_kw is not None:
        limits.append((rated_it_capacity_kw * pue_upper * hours, "rated_it_capacity_kw"))
    if contracted_grid_capacity_kw is not None:
        limits.append((contracted_grid_capacity_kw * hours, "contracted_grid_capacity_kw"))
    if not limits:
        return None, None
    return min(limits)


def impute_unknown(
    records: Sequence[FacilityRecord], hours: float, pue_upper: float = PUE.upper
) -> Imputation:
    """Imputed mining electricity of every recipient without a counted report.

    Notes
    -----
    For each unknown facility i over a period of ``hours``:

    * lower_i = 0 kWh — it may not mine at all;
    * upper_i = :func:`max_mining_kwh` — full load at the registered capacity;
    * ratio_i = min(r · P_IT,i, upper_i), the ratio estimate, with
      r = Σ declared mining kWh ÷ Σ rated IT kW of the counted facilities whose capacity is
      registered [kWh/kW]: it assumes the unknown facilities mine like the reporting ones
      per kW of capacity, which non-response may well contradict.

    A facility with no registered capacity has no upper bound and no ratio estimate; it is
    counted in ``without_capacity`` and the totals are then over the others only.
    """
    counted = [r for r in records if r.counted and r.rated_it_capacity_kw is not None]
    capacity_kw = sum(r.rated_it_capacity_kw or 0.0 for r in counted)
    ratio = sum(_declared_mining_kwh(r) for r in counted) / capacity_kw if capacity_kw else None
    ranges = []
    for record in records:
        if record.counted:
            continue
        upper, basis = max_mining_kwh(
            record.rated_it_capacity_kw, record.contracted_grid_capacity_kw, hours, pue_upper
        )
        ratio_kwh = None
        if ratio is not None and record.rated_it_capacity_kw is not None and upper is not None:
            ratio_kwh = min(ratio * record.rated_it_capacity_kw, upper)
        ranges.append(
            ImputedRange(record.facility_code, record.standing, basis, 0.0, ratio_kwh, upper)
        )
    bounded = [r for r in ranges if r.upper_kwh is not None]
    return Imputation(
        facilities=tuple(ranges),
        unknown=len(ranges),
        without_capacity=len(ranges) - len(bounded),
        ratio_kwh_per_kw=ratio,
        pue_upper=pue_upper,
        lower_kwh=0.0,
        ratio_kwh=sum(r.ratio_kwh or 0.0 for r in bounded) if ratio is not None else None,
        upper_kwh=sum(r.upper_kwh or 0.0 for r in bounded) if ranges else 0.0,
    )


@dataclass(frozen=True)
class GroupRow:
    """One row of a breakdown (a district, an organization, an organization kind).

    ``mining_share_pct`` is of the row's reported facility electricity;
    ``share_of_mining_pct`` of the notice's declared mining electricity. ``unknown`` counts
    recipients without a counted report and ``imputed_upper_kwh`` sums their imputed upper
    bounds (those with a registered capacity), never part of the declared figures.
    """

    key: str
    label: str
    recipients: int
    counted: int
    involved: int
    facility_electricity_kwh: float
    mining_electricity_kwh: float
    mining_share_pct: float | None
    share_of_mining_pct: float | None
    unknown: int
    imputed_upper_kwh: float
    reporting_codes: frozenset[str] = field(repr=False)
    mining_codes: frozenset[str] = field(repr=False)


def breakdown(
    records: Sequence[FacilityRecord],
    key: Callable[[FacilityRecord], str],
    labels: Mapping[str, str] | None = None,
    imputation: Imputation | None = None,
) -> list[GroupRow]:
    """Declared figures grouped by ``key`` (largest mining electricity first, then by key)."""
    labels = labels or {}
    upper = {
        r.facility_code: r.upper_kwh or 0.0 for r in (imputation.facilities if imputation else ())
    }
    total_mining = sum(_declared_mining_kwh(r) for r in records if r.counted)
    groups: dict[str, list[FacilityRecord]] = {}
    for record in records:
        groups.setdefault(key(record), []).append(record)
    rows = []
    for name, members in groups.items():
        counted = [r for r in members if r.counted]
        facility_kwh = sum(r.facility_electricity_kwh or 0.0 for r in counted)
        mining_kwh = sum(_declared_mining_kwh(r) for r in counted)
        rows.append(
            GroupRow(
                key=name,
                label=labels.get(name, name),
                recipients=len(members),
                counted=len(counted),
                involved=sum(1 for r in counted if r.involved_in_mining),
                facility_electricity_kwh=facility_kwh,
                mining_electricity_kwh=mining_kwh,
                mining_share_pct=share_pct(mining_kwh, facility_kwh),
                share_of_mining_pct=share_pct(mining_kwh, total_mining),
                unknown=len(members) - len(counted),
                imputed_upper_kwh=sum(upper.get(r.facility_code, 0.0) for r in members),
                reporting_codes=frozenset(r.facility_code for r in counted),
                mining_codes=_mining_codes(members),
            )
        )
    return sorted(rows, key=lambda r: (-r.mining_electricity_kwh, r.key))


UNSPECIFIED_COIN = "unspecified"


@dataclass(frozen=True)
class CoinRow:
    """Declared electricity and hashrate of one coin over the counted reports.

    The ``unspecified`` row holds mining electricity not attributed to any coin line:
    Σ_i max(0, mining_i − Σ coin lines_i).
    """

    key: str
    algorithm: str | None
    facilities: int
    mining_electricity_kwh: float
    hashrate_ths: float | None
    share_of_mining_pct: float | None
    reporting_codes: frozenset[str] = field(repr=False)
    mining_codes: frozenset[str] = field(repr=False)


def coin_breakdown(records: Sequence[FacilityRecord]) -> list[CoinRow]:
    """Coin lines of the counted reports summed by coin, largest electricity first."""
    electricity: dict[str, float] = {}
    hashrate: dict[str, float] = {}
    algorithms: dict[str, set[str]] = {}
    members: dict[str, set[str]] = {}
    for record in records:
        if not record.counted:
            continue
        for line in record.coins:
            electricity[line.coin] = electricity.get(line.coin, 0.0) + line.electricity_kwh
            if line.hashrate_ths is not None:
                hashrate[line.coin] = hashrate.get(line.coin, 0.0) + line.hashrate_ths
            algorithms.setdefault(line.coin, set()).add(line.algorithm)
            members.setdefault(line.coin, set()).add(record.facility_code)
        rest = _declared_mining_kwh(record) - sum(c.electricity_kwh for c in record.coins)
        if rest > 0:
            electricity[UNSPECIFIED_COIN] = electricity.get(UNSPECIFIED_COIN, 0.0) + rest
            members.setdefault(UNSPECIFIED_COIN, set()).add(record.facility_code)
    total = sum(electricity.values())
    rows = [
        CoinRow(
            key=coin,
            algorithm="/".join(sorted(algorithms[coin])) if coin in algorithms else None,
            facilities=len(members[coin]),
            mining_electricity_kwh=kwh,
            hashrate_ths=hashrate.get(coin),
            share_of_mining_pct=share_pct(kwh, total),
            reporting_codes=frozenset(members[coin]),
            mining_codes=frozenset(members[coin]) if kwh > 0 else frozenset(),
        )
        for coin, kwh in electricity.items()
    ]
    return sorted(rows, key=lambda r: (r.key == UNSPECIFIED_COIN, -r.mining_electricity_kwh, r.key))
