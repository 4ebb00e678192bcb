"""Vega-Lite chart specifications as pure functions returning plain dicts.

The same specification is embedded in a page (``vegaEmbed`` in the browser) and, later,
rendered offline to SVG for the PDF report, so nothing here depends on a request: callers
pass the rows and the already translated labels. Every spec carries its data inline
(``data.values``); no spec refers to a URL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

VEGA_LITE_SCHEMA: Final = "https://vega.github.io/schema/vega-lite/v6.json"
#: (unit, kWh per unit), largest first.
ENERGY_UNITS: Final = (("TWh", 1e9), ("GWh", 1e6), ("MWh", 1e3), ("kWh", 1.0))


def energy_unit(largest_kwh: float) -> tuple[str, float]:
    """The unit that shows ``largest_kwh`` with one to three integer digits, and its size.

    >>> energy_unit(380_000)
    ('MWh', 1000.0)
    """
    for unit, size in ENERGY_UNITS:
        if abs(largest_kwh) >= size:
            return unit, size
    return "kWh", 1.0


@dataclass(frozen=True)
class DistrictChartLabels:
    """The words of the district chart, translated by the caller."""

    title: str = "Reported mining electricity by district"
    district: str = "District"
    mining_electricity: str = "Mining electricity"
    share: str = "Share of the district's reported electricity"
    reporting: str = "Reporting facilities"
    involved: str = "Facilities involved in mining"


def district_mining_chart(
    districts: Sequence[Mapping[str, Any]],
    labels: DistrictChartLabels | None = None,
    *,
    width: int = 560,
) -> dict[str, Any]:
    """A horizontal bar per district: reported mining electricity, largest on top.

    ``districts`` are mappings with ``district`` (the label to show),
    ``mining_electricity_kwh`` [kWh], ``mining_share_pct`` [%] (or None), ``reporting`` and
    ``involved`` (facility counts), as
    :meth:`hashwatch.services.dashboard.DistrictFigures.as_dict` gives them plus a label.
    The energy axis is in the unit that suits the largest value (kWh … TWh); its field is
    named with that unit (``mining_electricity_gwh``).
    """
    text = labels or DistrictChartLabels()
    largest = max((float(d["mining_electricity_kwh"] or 0.0) for d in districts), default=0.0)
    unit, size = energy_unit(largest)
    energy_field = f"mining_electricity_{unit.lower()}"
    values = [
        {
            "district": str(d["district"]),
            energy_field: float(d["mining_electricity_kwh"] or 0.0) / size,
            "mining_share_pct": d.get("mining_share_pct"),
            "reporting": int(d.get("reporting") or 0),
            "involved": int(d.get("involved") or 0),
        }
        for d in districts
    ]
    energy_title = f"{text.mining_electricity} [{unit}]"
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": text.title,
        "title": text.title,
        "width": width,
        "height": {"step": 22},
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {
                "field": "district",
                "type": "nominal",
                "title": text.district,
                "sort": "-x",
            },
            "x": {
                "field": energy_field,
                "type": "quantitative",
                "title": energy_title,
                "axis": {"format": ",.3~f"},
            },
            "tooltip": [
                {"field": "district", "type": "nominal", "title": text.district},
                {
                    "field": energy_field,
                    "type": "quantitative",
                    "title": energy_title,
                    "format": ",.3~f",
                },
                {
                    "field": "mining_share_pct",
                    "type": "quantitative",
                    "title": f"{text.share} [%]",
                    "format": ".2~f",
                },
                {"field": "reporting", "type": "quantitative", "title": text.reporting},
                {"field": "involved", "type": "quantitative", "title": text.involved},
            ],
        },
    }


@dataclass(frozen=True)
class StatusChartLabels:
    """The words of the status chart, translated by the caller."""

    title: str = "Recipients by status"
    status: str = "Status"
    recipients: str = "Recipients"


def status_chart(
    counts: Sequence[tuple[str, str, int]],
    labels: StatusChartLabels | None = None,
    *,
    width: int = 560,
) -> dict[str, Any]:
    """A bar per status in the given order: ``counts`` are (status, label, recipients)."""
    text = labels or StatusChartLabels()
    order = [label for _, label, _ in counts]
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": text.title,
        "title": text.title,
        "width": width,
        "height": {"step": 22},
        "data": {
            "values": [
                {"status": status, "label": label, "recipients": n} for status, label, n in counts
            ]
        },
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "title": text.status, "sort": order},
            "x": {
                "field": "recipients",
                "type": "quantitative",
                "title": text.recipients,
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "color": {"field": "status", "type": "nominal", "legend": None},
        },
    }
