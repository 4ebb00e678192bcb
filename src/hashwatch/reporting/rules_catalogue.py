"""Equipment lines matched against the hardware catalogue.

A line whose model the catalogue knows (by :func:`hashwatch.energy.catalogue.model_key`,
tolerant of spellings such as ``S19Pro`` or ``蚂蚁矿机S19 Pro``) is compared with the
catalogue's rated power; other lines stay free text and are not checked here.
"""

from __future__ import annotations

from collections.abc import Sequence

from hashwatch.energy.catalogue import Machine, model_index, model_key
from hashwatch.reporting.findings import Finding, Severity
from hashwatch.reporting.report import Report
from hashwatch.reporting.rules_common import RuleContext, RuleSettings, finding, num


def match_equipment(report: Report, catalogue: Sequence[Machine]) -> list[Machine | None]:
    """The catalogue machine of each equipment line, or ``None`` where the model is unknown."""
    index = model_index(tuple(catalogue))
    return [index.get(model_key(line.model)) for line in report.equipment]


def equipment_power_off_catalogue(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Warning ``submission.equipment_power_off_catalogue``: rated power ≠ the catalogue's.

    Fires when ``|rated_power_w − catalogue power_w| / catalogue power_w × 100 >
    catalogue_power_tolerance_pct`` for a model the catalogue knows.
    """
    found = []
    for index, (line, machine) in enumerate(
        zip(report.equipment, match_equipment(report, context.catalogue), strict=True)
    ):
        if machine is None or not machine.power_w:
            continue
        gap_pct = abs(line.rated_power_w - machine.power_w) / machine.power_w * 100.0
        if gap_pct > settings.catalogue_power_tolerance_pct:
            found.append(
                finding(
                    "submission.equipment_power_off_catalogue",
                    Severity.WARNING,
                    f"{line.model}: rated power {num(line.rated_power_w)} W per machine differs "
                    f"by {num(gap_pct)} % from the catalogue's {num(machine.power_w)} W for "
                    f"{machine.model} ({machine.source})",
                    f"equipment.{index}.rated_power_w",
                    model=line.model,
                    rated_power_w=line.rated_power_w,
                    catalogue_model=machine.model,
                    catalogue_source=machine.source,
                    catalogue_power_w=machine.power_w,
                    gap_pct=gap_pct,
                )
            )
    return found


RULES_CATALOGUE = (equipment_power_off_catalogue,)
