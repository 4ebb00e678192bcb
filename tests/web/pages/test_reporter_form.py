"""The report form's mapping to and from a raw report."""

from __future__ import annotations

import json
from pathlib import Path

from hashwatch.reporting.report import normalised_report
from hashwatch.reporting.report_parsing import parse_report
from hashwatch.web.pages import report_form
from tests.web.pages.reporter_world import form_fields

EXAMPLE = Path(__file__).parents[3] / "docs" / "examples" / "report.json"


def _normalised(raw: object) -> dict[str, object]:
    report, problems = parse_report(raw)
    assert problems == []
    assert report is not None
    return normalised_report(report)


def test_the_form_gives_the_example_report() -> None:
    state = report_form.from_form(form_fields())
    raw = report_form.to_raw(state, "Asia/Shanghai")
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert _normalised(raw) == _normalised(example)
    assert raw["attestation"]["signed_at"] == "2021-05-06T10:00:00+08:00"


def test_a_filed_report_prefills_the_form_that_files_it_again() -> None:
    example = _normalised(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    state = report_form.from_raw(example, "Asia/Shanghai")
    assert state.v("facility_electricity_kwh") == "4000000"
    assert state.unit("facility_electricity_kwh") == "kWh"
    assert state.v("attestation.signed_at") == "2021-05-06T10:00"  # local time again
    assert len(state.lines["equipment"]) == 2
    assert _normalised(report_form.to_raw(state, "Asia/Shanghai")) == example


def test_a_draft_keeps_units_and_text_as_typed() -> None:
    draft = {"facility_electricity_kwh": "1,200.5 MWh", "coins": [{"hashrate_ths": "15.4 PH/s"}]}
    state = report_form.from_raw(draft, "Asia/Shanghai")
    assert (state.v("facility_electricity_kwh"), state.unit("facility_electricity_kwh")) == (
        "1,200.5",
        "MWh",
    )
    assert state.lines["coins"][0]["hashrate_ths:unit"] == "PH/s"


def test_blank_lines_and_fields_are_left_out_and_bad_text_is_kept() -> None:
    fields = {
        "coins.0.coin": "",
        "coins.0.hashrate_ths:unit": "TH/s",
        "equipment.0.count": "ten",
        "hosted_clients": "3",
        "involved_in_mining": "",
        "attestation.signed_at": "yesterday",
    }
    raw = report_form.to_raw(report_form.from_form(fields), "Asia/Shanghai")
    assert raw == {
        "equipment": [{"count": "ten"}],
        "hosted_clients": 3,
        "attestation": {"signed_at": "yesterday", "statement_accepted": False},
    }


def test_line_edits() -> None:
    state = report_form.from_form({"coins.0.coin": "BTC", "coins.1.coin": "LTC"})
    state.edit("remove:coins.0")
    assert state.lines["coins"] == [{"coin": "LTC"}]
    state.edit("add:coins")
    assert len(state.lines["coins"]) == 2
    state.edit("remove:coins.9")
    state.edit("add:nothing")
    assert len(state.lines["coins"]) == 2
