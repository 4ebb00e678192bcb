"""Charts of a notice's assessment: by coin, declared vs estimated, coverage, trend.

Inputs are the rows of :meth:`hashwatch.services.assessment.Assessment.as_dict` (already
suppressed when public: a row whose figure is ``None`` is left out of a chart, never drawn as
zero). The district chart is :func:`hashwatch.charts.notice.district_mining_chart`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hashwatch.charts.notice import VEGA_LITE_SCHEMA, energy_unit

Row = Mapping[str, Any]


def _base(title: str, width: int) -> dict[str, Any]:
    return {"$schema": VEGA_LITE_SCHEMA, "description": title, "title": title, "width": width}


@dataclass(frozen=True)
class CoinChartLabels:
    title: str = "Mining electricity by coin"
    coin: str = "Coin"
    mining_electricity: str = "Mining electricity"
    share: str = "Share of mining electricity"
    facilities: str = "Facilities"


def coin_chart(
    coins: Sequence[Row], labels: CoinChartLabels | None = None, *, width: int = 520
) -> dict[str, Any]:
    """A bar per coin (``key``, ``mining_electricity_kwh``, ``share_of_mining_pct``)."""
    text = labels or CoinChartLabels()
    shown = [c for c in coins if c.get("mining_electricity_kwh") is not None]
    unit, size = energy_unit(max((float(c["mining_electricity_kwh"]) for c in shown), default=0))
    field = f"mining_electricity_{unit.lower()}"
    title = f"{text.mining_electricity} [{unit}]"
    return {
        **_base(text.title, width),
        "height": {"step": 24},
        "data": {
            "values": [
                {
                    "coin": str(c["key"]),
                    field: float(c["mining_electricity_kwh"]) / size,
                    "share_pct": c.get("share_of_mining_pct"),
                    "facilities": c.get("facilities"),
                }
                for c in shown
            ]
        },
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "coin", "type": "nominal", "title": text.coin, "sort": "-x"},
            "x": {
                "field": field,
                "type": "quantitative",
                "title": title,
                "axis": {"format": ",.3~f"},
            },
            "tooltip": [
                {"field": "coin", "type": "nominal", "title": text.coin},
                {"field": field, "type": "quantitative", "title": title, "format": ",.3~f"},
                {
                    "field": "share_pct",
                    "type": "quantitative",
                    "title": f"{text.share} [%]",
                    "format": ".1f",
                },
                {"field": "facilities", "type": "quantitative", "title": text.facilities},
            ],
        },
    }


@dataclass(frozen=True)
class EstimateChartLabels:
    title: str = "Declared mining electricity against the energy model's bounds"
    facility: str = "Facility"
    electricity: str = "Electricity"
    declared: str = "Declared"
    bounds: str = "Energy model, lower–upper"
    status: str = "Declared vs bounds"
    inside: str = "inside"
    below: str = "below"
    above: str = "above"


def declared_vs_estimated_chart(
    facilities: Sequence[Row], labels: EstimateChartLabels | None = None, *, width: int = 520
) -> dict[str, Any]:
    """Per facility a bar from the model's lower to upper bound and the declared amount.

    ``facilities`` have ``facility_code``, ``declared_kwh``, ``lower_kwh``, ``upper_kwh`` and
    ``status`` (inside, below, above).
    """
    text = labels or EstimateChartLabels()
    largest = max(
        (max(float(f["declared_kwh"]), float(f["upper_kwh"])) for f in facilities), default=0.0
    )
    unit, size = energy_unit(largest)
    status_label = {"inside": text.inside, "below": text.below, "above": text.above}
    values = [
        {
            "facility": str(f["facility_code"]),
            "declared": float(f["declared_kwh"]) / size,
            "lower": float(f["lower_kwh"]) / size,
            "upper": float(f["upper_kwh"]) / size,
            "status": status_label.get(str(f["status"]), str(f["status"])),
        }
        for f in facilities
    ]
    axis_title = f"{text.electricity} [{unit}]"
    y = {"field": "facility", "type": "nominal", "title": text.facility, "sort": "-x"}
    return {
        **_base(text.title, width),
        "height": {"step": 14},
        "data": {"values": values},
        "encoding": {"y": y},
        "layer": [
            {
                "mark": {"type": "bar", "opacity": 0.35, "color": "#4c78a8"},
                "encoding": {
                    "x": {
                        "field": "lower",
                        "type": "quantitative",
                        "title": axis_title,
                        "axis": {"format": ",.3~f"},
                    },
                    "x2": {"field": "upper"},
                    "tooltip": [
                        {"field": "facility", "title": text.facility},
                        {"field": "lower", "title": text.bounds, "format": ",.3~f"},
                        {"field": "upper", "format": ",.3~f"},
                    ],
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 40, "tooltip": True},
                "encoding": {
                    "x": {"field": "declared", "type": "quantitative"},
                    "color": {
                        "field": "status",
                        "type": "nominal",
                        "title": text.status,
                        "legend": {"titleLimit": 400, "labelLimit": 300},
                        "scale": {
                            "domain": [text.inside, text.below, text.above],
                            "range": ["#2f7d32", "#c62828", "#ef6c00"],
                        },
                    },
                },
            },
        ],
    }


@dataclass(frozen=True)
class CoverageChartLabels:
    title: str = "Who has reported"
    standing: str = "Standing"
    facilities: str = "Facilities"


def coverage_chart(
    counts: Sequence[tuple[str, str, int]],
    labels: CoverageChartLabels | None = None,
    *,
    width: int = 520,
) -> dict[str, Any]:
    """One stacked bar of recipients by standing: ``counts`` are (key, label, facilities)."""
    text = labels or CoverageChartLabels()
    order = [label for _, label, _ in counts]
    return {
        **_base(text.title, width),
        "height": 60,
        "data": {
            "values": [
                {"standing": label, "order": i, "facilities": n}
                for i, (_, label, n) in enumerate(counts)
            ]
        },
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {
                "field": "facilities",
                "type": "quantitative",
                "title": text.facilities,
                "stack": "zero",
            },
            "color": {
                "field": "standing",
                "type": "nominal",
                "title": text.standing,
                "sort": order,
                "scale": {"domain": order, "scheme": "tableau10"},
            },
            "order": {"field": "order", "type": "quantitative"},
        },
    }


@dataclass(frozen=True)
class TrendChartLabels:
    title: str = "Mining electricity per day, notice by notice"
    period: str = "Period ending"
    per_day: str = "Mining electricity per day"
    facilities: str = "Facilities involved"


def trend_chart(
    points: Sequence[Row], labels: TrendChartLabels | None = None, *, width: int = 520
) -> dict[str, Any]:
    """Mining electricity per day of each notice (``period_end``,
    ``mining_electricity_kwh_per_day``, ``involved``), a line with points."""
    text = labels or TrendChartLabels()
    shown = [p for p in points if p.get("mining_electricity_kwh_per_day") is not None]
    largest = max((float(p["mining_electricity_kwh_per_day"]) for p in shown), default=0.0)
    unit, size = energy_unit(largest)
    title = f"{text.per_day} [{unit}/d]"
    return {
        **_base(text.title, width),
        "height": 200,
        "data": {
            "values": [
                {
                    "period_end": str(p["period_end"]),
                    "ref": str(p["ref"]),
                    "per_day": float(p["mining_electricity_kwh_per_day"]) / size,
                    "involved": p.get("involved"),
                }
                for p in shown
            ]
        },
        "mark": {"type": "line", "point": True, "tooltip": True},
        "encoding": {
            "x": {
                "field": "period_end",
                "type": "ordinal",
                "timeUnit": "yearmonthdate",
                "title": text.period,
                "axis": {"format": "%Y-%m-%d", "labelAngle": 0},
            },
            "y": {
                "field": "per_day",
                "type": "quantitative",
                "title": title,
                "axis": {"format": ",.3~f"},
            },
            "tooltip": [
                {"field": "ref", "type": "nominal"},
                {"field": "per_day", "type": "quantitative", "title": title, "format": ",.3~f"},
                {"field": "involved", "type": "quantitative", "title": text.facilities},
            ],
        },
    }
