"""Vega-Lite specs are pure data of the right shape (and valid against Vega-Lite's schema)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hashwatch.charts.notice import (
    VEGA_LITE_SCHEMA,
    DistrictChartLabels,
    district_mining_chart,
    energy_unit,
    status_chart,
)

SCHEMA_FILE = (
    Path(__file__).parents[2] / "node_modules" / "vega-lite" / "build" / "vega-lite-schema.json"
)
DISTRICTS = [
    {
        "district": "朝阳区",
        "mining_electricity_kwh": 380_000.0,
        "mining_share_pct": 9.5,
        "reporting": 3,
        "involved": 1,
    },
    {
        "district": "海淀区",
        "mining_electricity_kwh": 1_520_000.0,
        "mining_share_pct": None,
        "reporting": 2,
        "involved": 2,
    },
]


@pytest.fixture(scope="module")
def vega_lite_validator() -> jsonschema.Draft7Validator:
    if not SCHEMA_FILE.is_file():
        pytest.skip(f"{SCHEMA_FILE} not found: run `npm ci` to check specs against Vega-Lite")
    return jsonschema.Draft7Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    ("kwh", "unit"),
    [(0.0, "kWh"), (999.0, "kWh"), (1000.0, "MWh"), (2.5e6, "GWh"), (3e9, "TWh")],
)
def test_energy_unit(kwh: float, unit: str) -> None:
    assert energy_unit(kwh)[0] == unit


def test_district_chart_has_schema_inline_data_and_encodings() -> None:
    spec = district_mining_chart(DISTRICTS)
    assert spec["$schema"] == VEGA_LITE_SCHEMA
    assert spec["mark"]["type"] == "bar"
    values = spec["data"]["values"]
    assert [v["district"] for v in values] == ["朝阳区", "海淀区"]
    # the largest value is 1.52 GWh, so the axis is in GWh and its field says so
    assert values[0]["mining_electricity_gwh"] == pytest.approx(0.38)
    assert values[1]["mining_electricity_gwh"] == pytest.approx(1.52)
    encoding = spec["encoding"]
    assert encoding["x"] == {
        "field": "mining_electricity_gwh",
        "type": "quantitative",
        "title": "Mining electricity [GWh]",
        "axis": {"format": ",.3~f"},
    }
    assert encoding["y"]["field"] == "district"
    assert encoding["y"]["type"] == "nominal"
    fields = {t["field"] for t in encoding["tooltip"]}
    assert fields <= set(values[0])
    json.dumps(spec)  # plain JSON data, nothing else


def test_labels_are_the_callers() -> None:
    labels = DistrictChartLabels(title="按区挖矿用电", mining_electricity="挖矿用电量")
    spec = district_mining_chart(DISTRICTS[:1], labels)
    assert spec["title"] == "按区挖矿用电"
    assert spec["encoding"]["x"]["title"] == "挖矿用电量 [MWh]"


def test_empty_districts_give_an_empty_chart() -> None:
    spec = district_mining_chart([])
    assert spec["data"]["values"] == []
    assert spec["encoding"]["x"]["field"] == "mining_electricity_kwh"


def test_status_chart_keeps_the_order_given() -> None:
    spec = status_chart([("submitted", "Submitted", 3), ("overdue", "Overdue", 1)])
    assert spec["$schema"] == VEGA_LITE_SCHEMA
    assert spec["encoding"]["y"]["sort"] == ["Submitted", "Overdue"]
    assert spec["data"]["values"][1] == {"status": "overdue", "label": "Overdue", "recipients": 1}


@pytest.mark.parametrize(
    "spec",
    [
        district_mining_chart(DISTRICTS),
        district_mining_chart([]),
        status_chart([("submitted", "Submitted", 3)]),
    ],
)
def test_specs_are_valid_vega_lite(
    vega_lite_validator: jsonschema.Draft7Validator, spec: dict[str, Any]
) -> None:
    errors = [e.message for e in vega_lite_validator.iter_errors(spec)]
    assert errors == []
