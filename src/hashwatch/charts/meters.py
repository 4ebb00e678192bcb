"""The evidence chart of one meter: its load curve with detected steps and curtailment marked.

Pure: arrays and translated labels in, a Vega-Lite spec with its data inline out. The CLI
renders it to SVG (:func:`hashwatch.documents.render.chart_svg`); the facility page can
embed the same spec.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from hashwatch.charts.notice import VEGA_LITE_SCHEMA

#: more intervals than this are shown as hourly means (keeps the SVG small)
MAX_POINTS: Final = 6_000


@dataclass(frozen=True)
class EvidenceLabels:
    """The words of the evidence chart, translated by the caller."""

    title: str = "Meter {meter_id}: load, steps and curtailment"
    time: str = "Local time"
    power: str = "Average power [kW]"
    curtailed: str = "Curtailed"
    step: str = "Step"


def meter_evidence_chart(
    meter_id: str,
    *,
    first_local: dt.datetime,
    interval_minutes: int,
    power_kw: npt.NDArray[np.float64],
    curtailed: npt.NDArray[np.bool_],
    steps: Sequence[tuple[int, float]],
    labels: EvidenceLabels | None = None,
    width: int = 720,
    height: int = 260,
) -> dict[str, Any]:
    """Load curve (a line; gaps left open), curtailed intervals (red points) and steps.

    ``power_kw`` and ``curtailed`` have one value per interval from ``first_local`` (NaN:
    no reading); ``steps`` are (first day at the new level, counted from the first day;
    size [kW]) as :func:`hashwatch.detection.kernel_events.step_list` gives them.
    """
    text = labels or EvidenceLabels()
    minutes = interval_minutes
    power, low = np.asarray(power_kw, dtype=np.float64), np.asarray(curtailed, dtype=bool)
    if power.size > MAX_POINTS and minutes < 60:
        per = 60 // minutes
        n = power.size // per * per
        with np.errstate(invalid="ignore"):
            power = np.nanmean(power[:n].reshape(-1, per), axis=1)
        low = np.asarray(low[:n].reshape(-1, per).any(axis=1), dtype=bool)
        minutes = 60
    step = dt.timedelta(minutes=minutes)
    values = [
        {
            "t": (first_local + i * step).isoformat(),
            "power_kw": None if np.isnan(p) else round(float(p), 3),
            "curtailed": bool(c),
        }
        for i, (p, c) in enumerate(zip(power.tolist(), low.tolist(), strict=True))
    ]
    step_rows = [
        {
            "t": (first_local + dt.timedelta(days=day)).isoformat(),
            "label": f"{text.step} {size:+,.0f} kW",
        }
        for day, size in steps
    ]
    x = {"field": "t", "type": "temporal", "title": text.time}
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": text.title.format(meter_id=meter_id),
        "title": text.title.format(meter_id=meter_id),
        "width": width,
        "height": height,
        "layer": [
            {
                "data": {"values": values},
                "mark": {"type": "line", "strokeWidth": 1, "color": "#4c78a8"},
                "encoding": {
                    "x": x,
                    "y": {"field": "power_kw", "type": "quantitative", "title": text.power},
                },
            },
            {
                "data": {"values": values},
                "transform": [{"filter": "datum.curtailed"}],
                "mark": {"type": "point", "filled": True, "size": 10, "color": "#e45756"},
                "encoding": {
                    "x": x,
                    "y": {"field": "power_kw", "type": "quantitative"},
                    "tooltip": [{"field": "t", "type": "temporal", "title": text.curtailed}],
                },
            },
            {
                "data": {"values": step_rows},
                "mark": {"type": "rule", "color": "#54a24b", "strokeDash": [4, 3]},
                "encoding": {"x": x},
            },
            {
                "data": {"values": step_rows},
                "mark": {"type": "text", "align": "left", "dx": 3, "dy": -4, "color": "#54a24b"},
                "encoding": {"x": x, "y": {"value": 0}, "text": {"field": "label"}},
            },
        ],
    }
