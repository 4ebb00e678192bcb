"""Equipment lines against the hardware catalogue: matched despite spelling, power checked."""

from __future__ import annotations

import dataclasses

from hashwatch.reporting.rules import validate_report
from tests.reporting.report_samples import CONTEXT, base_report

CATALOGUED = CONTEXT  # report_samples gives the shipped catalogue, as the service does
BARE = dataclasses.replace(CONTEXT, catalogue=())


def _codes(raw: dict[str, object], context: object = CATALOGUED) -> list[str]:
    result = validate_report(raw, context)  # type: ignore[arg-type]
    return [f.code for f in result.findings]


def test_known_models_are_matched_whatever_the_spelling() -> None:
    raw = base_report()
    raw["equipment"][0]["model"] = "蚂蚁矿机S19Pro"
    raw["equipment"][1]["model"] = "a machine nobody knows"
    result = validate_report(raw, CATALOGUED)
    lines = result.normalised["equipment"] if result.normalised else []
    assert lines[0]["catalogue_model"] == "Antminer S19 Pro"
    assert lines[1]["catalogue_model"] is None


def test_without_a_catalogue_lines_stay_free_text() -> None:
    result = validate_report(base_report(), BARE)
    assert result.normalised is not None
    assert "catalogue_model" not in result.normalised["equipment"][0]


def test_power_far_from_the_catalogue_is_a_warning() -> None:
    raw = base_report()
    raw["equipment"][0]["rated_power_w"] = 1_500  # the catalogue says 3,250 W
    assert "submission.equipment_power_off_catalogue" in _codes(raw)


def test_power_close_to_the_catalogue_is_clean() -> None:
    assert "submission.equipment_power_off_catalogue" not in _codes(base_report())
