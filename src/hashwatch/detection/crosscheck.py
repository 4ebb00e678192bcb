"""The cross-check of meter scores with what facilities declared: pure functions, findings as data.

For each facility with linked meters and a report in the notice:

* ``detection.metered_exceeds_declared`` (warning): the metered energy over the notice
  period exceeds the declared facility total by more than :data:`ENERGY_TOLERANCE`. The
  metered energy is Σ over the facility's meters of mean power [kW] × the notice's hours
  (the meter data need not cover exactly the notice period; the mean of what it covers is
  extrapolated, and the finding says so).
* ``detection.mining_like_undeclared`` (warning): a meter of the facility is a mining
  candidate but the facility's newest report declares no mining.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from hashwatch.reporting.findings import Finding, Severity

#: metered energy above declared × (1 + this) is flagged
ENERGY_TOLERANCE: Final = 0.10


@dataclass(frozen=True)
class Declaration:
    """A facility's newest report in the notice, as far as the cross-check needs it."""

    facility_code: str
    facility_electricity_kwh: float | None
    involved_in_mining: bool | None


@dataclass(frozen=True)
class MeterResult:
    meter_id: str
    mean_power_kw: float
    is_candidate: bool
    score: float


def crosscheck(
    meters_by_facility: Mapping[str, Sequence[MeterResult]],
    declarations: Mapping[str, Declaration],
    period_hours: float,
) -> dict[str, list[Finding]]:
    """Findings per facility code (facilities without a report give none)."""
    findings: dict[str, list[Finding]] = {}
    for code, meters in sorted(meters_by_facility.items()):
        declared = declarations.get(code)
        if declared is None:
            continue
        out: list[Finding] = []
        metered_kwh = sum(m.mean_power_kw for m in meters if m.mean_power_kw == m.mean_power_kw)
        metered_kwh *= period_hours
        total = declared.facility_electricity_kwh
        if total is not None and metered_kwh > total * (1 + ENERGY_TOLERANCE):
            out.append(
                Finding(
                    "detection.metered_exceeds_declared",
                    Severity.WARNING,
                    f"metered about {metered_kwh:,.0f} kWh over the period (mean power × "
                    f"{period_hours:,.0f} h) against {total:,.0f} kWh declared",
                    field="facility_electricity_kwh",
                    data={"metered_kwh": round(metered_kwh, 1), "declared_kwh": total},
                )
            )
        candidates = [m for m in meters if m.is_candidate]
        if candidates and declared.involved_in_mining is False:
            ids = ", ".join(m.meter_id for m in candidates)
            out.append(
                Finding(
                    "detection.mining_like_undeclared",
                    Severity.WARNING,
                    f"mining-like load on meter {ids} but the report declares no mining",
                    field="involved_in_mining",
                    data={"meters": [m.meter_id for m in candidates]},
                )
            )
        findings[code] = out
    return findings
