"""Reference figures the assessment divides or multiplies by, each with its source.

* :class:`JurisdictionElectricity` — a jurisdiction's total electricity consumption in a
  year (全社会用电量), the denominator of mining's share of the city's electricity.
* :class:`EmissionFactor` — a grid emission factor (kgCO₂/kWh) with its level
  (``provincial``, ``regional`` or ``national``), vintage year, publication date and source.

hashwatch ships a default table of each (``jurisdiction_electricity.csv`` and
``emission_factors.csv`` beside this module, written from the facts in the regulatory
reporting reference §6.2 and §6.3); a deployment replaces them with its own files
(``HASHWATCH_JURISDICTION_ELECTRICITY_FILE``, ``HASHWATCH_EMISSION_FACTOR_FILE``). Reading
the files is :mod:`hashwatch.io.assessment_files`'s job; this module is pure.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

#: kWh in one unit of the jurisdiction table (1e8 kWh = 亿千瓦时, the unit of the yearbooks).
ELECTRICITY_UNITS_KWH: Final = {
    "kWh": 1.0,
    "MWh": 1e3,
    "GWh": 1e6,
    "TWh": 1e9,
    "1e8 kWh": 1e8,
    "亿千瓦时": 1e8,
}
#: kgCO₂/kWh in one unit of the factor table.
FACTOR_UNITS_KG_PER_KWH: Final = {
    "kgCO2/kWh": 1.0,
    "tCO2/MWh": 1.0,
    "gCO2/kWh": 1e-3,
    "tCO2/kWh": 1e3,
}
FACTOR_LEVELS: Final = ("provincial", "regional", "national")


@dataclass(frozen=True)
class JurisdictionElectricity:
    """A jurisdiction's total electricity consumption in one calendar year."""

    jurisdiction: str
    year: int
    electricity_kwh: float
    source: str
    note: str = ""


@dataclass(frozen=True)
class EmissionFactor:
    """A grid emission factor and where it comes from."""

    level: str
    region: str
    vintage_year: int
    kg_co2_per_kwh: float
    publication_date: dt.date | None
    source: str
    verified: bool
    note: str = ""


@dataclass(frozen=True)
class PeriodElectricity:
    """A jurisdiction's electricity attributed to a period, or why there is none."""

    jurisdiction: str
    electricity_kwh: float | None
    years: tuple[int, ...]
    sources: tuple[str, ...]
    note: str


def _days_by_year(start: dt.date, end: dt.date) -> dict[int, int]:
    """Days of ``start``–``end`` (both included) in each calendar year."""
    days: dict[int, int] = {}
    for year in range(start.year, end.year + 1):
        first = max(start, dt.date(year, 1, 1))
        last = min(end, dt.date(year, 12, 31))
        days[year] = (last - first).days + 1
    return days


def period_electricity_kwh(
    table: Sequence[JurisdictionElectricity], jurisdiction: str, start: dt.date, end: dt.date
) -> PeriodElectricity:
    """The jurisdiction's electricity in ``start``–``end`` from its annual totals [kWh].

    Notes
    -----
    E_period = Σ_y E_y · d_y / D_y, with E_y the annual total of year y, d_y the period's
    days in y and D_y the days of y (365 or 366): consumption is taken as even over the
    year (it is not: summer and winter peaks make a month's true share differ by some
    percent). A year missing from the table gives no figure (``electricity_kwh`` None and
    a note naming the nearest year in the table); another year is never used in its place.
    """
    rows = {r.year: r for r in table if r.jurisdiction.casefold() == jurisdiction.casefold()}
    days = _days_by_year(start, end)
    missing = [y for y in days if y not in rows]
    if missing:
        known = sorted(rows)
        nearest = min(known, key=lambda y: abs(y - missing[0])) if known else None
        hint = f"; the nearest year in the table is {nearest}" if nearest is not None else ""
        return PeriodElectricity(
            jurisdiction,
            None,
            tuple(days),
            (),
            f"no total electricity of {jurisdiction} for {', '.join(map(str, missing))} in "
            f"the table{hint}: add the year (with its source) to the jurisdiction file",
        )
    total = sum(
        rows[y].electricity_kwh * d / (366 if calendar.isleap(y) else 365) for y, d in days.items()
    )
    return PeriodElectricity(
        jurisdiction,
        total,
        tuple(days),
        tuple(dict.fromkeys(rows[y].source for y in days)),
        "annual total spread evenly over the year's days",
    )


@dataclass(frozen=True)
class ChosenFactor:
    """The factor used for one level and region, and how far its vintage is from the period."""

    factor: EmissionFactor
    period_year: int

    @property
    def vintage_gap_years(self) -> int:
        """Vintage year minus the period's year (positive: a newer factor than the period)."""
        return self.factor.vintage_year - self.period_year


def choose_factors(table: Sequence[EmissionFactor], period_year: int) -> list[ChosenFactor]:
    """One factor per (level, region): the newest vintage up to ``period_year``, else the oldest.

    Ordered provincial, regional, national, then by region.
    """
    groups: dict[tuple[str, str], list[EmissionFactor]] = {}
    for factor in table:
        groups.setdefault((factor.level, factor.region), []).append(factor)
    chosen = []
    for members in groups.values():
        earlier = [f for f in members if f.vintage_year <= period_year]
        pick = (
            max(earlier, key=lambda f: f.vintage_year)
            if earlier
            else min(members, key=lambda f: f.vintage_year)
        )
        chosen.append(ChosenFactor(pick, period_year))
    order = {level: i for i, level in enumerate(FACTOR_LEVELS)}
    return sorted(chosen, key=lambda c: (order.get(c.factor.level, 99), c.factor.region))
