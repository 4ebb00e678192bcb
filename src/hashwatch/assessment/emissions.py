"""CO₂ of the declared mining electricity at grid emission factors (location-based).

For each counted facility i with mining electricity M_i [kWh] and each chosen factor EF
[kgCO₂/kWh] (:func:`hashwatch.assessment.factors.choose_factors`):

* gross: CO₂ = Σ M_i · EF — every kWh at the grid factor;
* net: CO₂ = Σ M_i · e_i · EF, with the emitting share

      e_i = 1 − max(s_i, r_i),  s_i = min(self_generation_kwh_i / facility_electricity_kwh_i, 1),
                                r_i = renewable_share_pct_i / 100 (clipped to 0–1)

  Mining is taken to use the facility's supply mix pro rata. Self-generated kWh are not
  grid kWh, so the grid factor does not apply to them (their fuel is not reported, so
  hashwatch cannot count their emissions: ``self_generated_mining_kwh`` shows how much
  that leaves out); renewable kWh emit nothing. On-site solar can be both self-generated
  and renewable, so the larger of the two shares is taken out, never their sum. A facility
  that reports neither has e_i = 1.

The imputed upper bound of the unknown facilities is converted at the same factors and
kept apart (``imputed_upper_t``), like every imputed figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from hashwatch.assessment.data import FacilityRecord
from hashwatch.assessment.factors import ChosenFactor


def emitting_share(
    facility_electricity_kwh: float | None,
    self_generation_kwh: float | None,
    renewable_share_pct: float | None,
) -> float:
    """e = 1 − max(s, r): the share of a facility's electricity taken at the grid factor."""
    self_share, renewable = supply_shares(
        facility_electricity_kwh, self_generation_kwh, renewable_share_pct
    )
    return 1.0 - max(self_share, renewable)


def supply_shares(
    facility_electricity_kwh: float | None,
    self_generation_kwh: float | None,
    renewable_share_pct: float | None,
) -> tuple[float, float]:
    """(s, r): the self-generated and renewable shares of a facility's electricity, 0–1."""
    self_share = 0.0
    if self_generation_kwh and facility_electricity_kwh and facility_electricity_kwh > 0:
        self_share = min(self_generation_kwh / facility_electricity_kwh, 1.0)
    renewable = float(np.clip((renewable_share_pct or 0.0) / 100.0, 0.0, 1.0))
    return self_share, renewable


def co2_t(electricity_kwh: float, kg_co2_per_kwh: float) -> float:
    """CO₂ [t] of electricity [kWh] at a factor [kgCO₂/kWh]: E · EF / 1000."""
    return electricity_kwh * kg_co2_per_kwh / 1000.0


@dataclass(frozen=True)
class EmissionRow:
    """CO₂ of the declared mining electricity at one factor."""

    level: str
    region: str
    vintage_year: int
    vintage_gap_years: int
    kg_co2_per_kwh: float
    publication_date: str | None
    source: str
    verified: bool
    gross_t: float
    net_t: float
    imputed_upper_t: float | None


@dataclass(frozen=True)
class Emissions:
    """Mining electricity split by the net rule, and its CO₂ at every chosen factor."""

    mining_electricity_kwh: float
    grid_emitting_mining_kwh: float
    self_generated_mining_kwh: float
    renewable_mining_kwh: float
    facilities_with_supply_data: int
    rows: tuple[EmissionRow, ...]
    #: the facilities each split rests on (small-cell suppression of the public output)
    self_generation_codes: frozenset[str] = field(default=frozenset(), repr=False)
    renewable_codes: frozenset[str] = field(default=frozenset(), repr=False)


def mining_emissions(
    records: Sequence[FacilityRecord],
    factors: Sequence[ChosenFactor],
    imputed_upper_kwh: float | None = None,
) -> Emissions:
    """Gross and net CO₂ of the counted reports' mining electricity (see the module notes)."""
    mining = grid = self_gen = renewable = 0.0
    with_supply = 0
    renewable_codes: set[str] = set()
    self_generation_codes: set[str] = set()
    for record in records:
        if not record.counted or not record.mining_electricity_kwh:
            continue
        m = record.mining_electricity_kwh
        s, r = supply_shares(
            record.facility_electricity_kwh, record.self_generation_kwh, record.renewable_share_pct
        )
        if record.self_generation_kwh is not None or record.renewable_share_pct is not None:
            with_supply += 1
        mining += m
        grid += m * (1.0 - max(s, r))
        # the part taken out: renewable first (it emits nothing), the rest self-generated
        renewable += m * r
        self_gen += m * max(0.0, s - r)
        if r > 0:
            renewable_codes.add(record.facility_code)
        if s > r:
            self_generation_codes.add(record.facility_code)
    rows = tuple(
        EmissionRow(
            level=c.factor.level,
            region=c.factor.region,
            vintage_year=c.factor.vintage_year,
            vintage_gap_years=c.vintage_gap_years,
            kg_co2_per_kwh=c.factor.kg_co2_per_kwh,
            publication_date=(
                c.factor.publication_date.isoformat() if c.factor.publication_date else None
            ),
            source=c.factor.source,
            verified=c.factor.verified,
            gross_t=co2_t(mining, c.factor.kg_co2_per_kwh),
            net_t=co2_t(grid, c.factor.kg_co2_per_kwh),
            imputed_upper_t=(
                None
                if imputed_upper_kwh is None
                else co2_t(imputed_upper_kwh, c.factor.kg_co2_per_kwh)
            ),
        )
        for c in factors
    )
    return Emissions(
        mining,
        grid,
        self_gen,
        renewable,
        with_supply,
        rows,
        frozenset(self_generation_codes),
        frozenset(renewable_codes),
    )
