"""Cleaning rules for interval readings, each on a small hand-made input with a known answer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from hashwatch.detection.cleaning import (
    CleaningLimits,
    DuplicatePolicy,
    RawReadings,
    Unit,
    capacity_warnings,
    clean_readings,
    detect_interval_s,
)
from hashwatch.errors import InputError

T0 = 1_617_206_400  # 2021-03-31T16:00:00Z = 2021-04-01T00:00+08:00
H = 3600


def raw(
    rows: Sequence[tuple[str, int, float]], unit: Unit = Unit.KWH, column: str = "energy_kwh"
) -> RawReadings:
    """Readings (meter, seconds after T0, value) as a reader would give them, CSV row numbers."""
    names = sorted({m for m, _, _ in rows})
    return RawReadings(
        source="m.csv",
        value_column=column,
        meter_names=np.asarray(names, dtype=np.str_),
        meter_code=np.asarray([names.index(m) for m, _, _ in rows], dtype=np.int64),
        start_utc_s=np.asarray([T0 + s for _, s, _ in rows], dtype=np.int64),
        value=np.asarray([v for _, _, v in rows], dtype=np.float64),
        row_number=np.arange(len(rows), dtype=np.int64) + 2,
        unit=unit,
    )


def hourly(meter: str, values: Sequence[float], step_s: int = H) -> list[tuple[str, int, float]]:
    return [(meter, i * step_s, v) for i, v in enumerate(values)]


def test_clean_input_passes_unchanged() -> None:
    clean, report = clean_readings(raw(hourly("A", [1, 2, 3]) + hourly("B", [4, 5, 6])))
    assert clean.meter_names.tolist() == ["A", "B"]
    assert_array_equal(clean.meter_code, [0, 0, 0, 1, 1, 1])
    assert_allclose(clean.energy_kwh, [1, 2, 3, 4, 5, 6])
    assert clean.interval_minutes == 60
    assert report.interval_detected
    assert (report.rows_read, report.rows_kept, report.meters) == (6, 6, 2)
    assert report.first_interval_start == "2021-03-31T16:00:00Z"
    assert report.last_interval_start == "2021-03-31T18:00:00Z"
    assert report.missing_intervals == 0


@pytest.mark.parametrize("minutes", [15, 30, 60])
def test_interval_is_the_most_common_spacing(minutes: int) -> None:
    rows = [(m, s, 1.0) for m in "AB" for s in (0, 1, 2, 4, 5)]
    scaled = [(m, s * minutes * 60, v) for m, s, v in rows]
    clean, report = clean_readings(raw(scaled))
    assert report.interval_minutes == minutes
    assert report.missing_intervals == 2  # step 3 missing at each meter
    assert report.meters_with_gaps == 2
    assert detect_interval_s(clean.meter_code, clean.start_utc_s) == minutes * 60


def test_an_odd_spacing_is_refused_unless_the_interval_is_given() -> None:
    rows = hourly("A", [1, 1, 1], step_s=5 * 60)
    with pytest.raises(InputError, match="5 minutes apart") as caught:
        clean_readings(raw(rows))
    assert caught.value.field == "interval_start"
    with pytest.raises(InputError, match="not on the 15-minute grid") as off_grid:
        clean_readings(raw(rows), interval_minutes=15)
    assert off_grid.value.row == 3


def test_a_single_reading_per_meter_needs_the_interval() -> None:
    with pytest.raises(InputError, match="--interval-minutes"):
        clean_readings(raw([("A", 0, 1.0), ("B", 0, 2.0)]))
    clean, report = clean_readings(raw([("A", 0, 1.0), ("B", 0, 2.0)]), interval_minutes=30)
    assert not report.interval_detected
    assert clean.rows == 2


def test_a_reading_off_the_meter_grid_names_its_row() -> None:
    rows = [*hourly("A", [1, 1, 1, 1]), ("A", 7 * 60, 1.0)]
    with pytest.raises(InputError, match="meter A") as caught:
        clean_readings(raw(rows))
    assert caught.value.row == 6
    assert caught.value.field == "interval_start"


@pytest.mark.parametrize(
    ("unit", "value", "step_s", "kwh"),
    [
        (Unit.KWH, 2.5, H, 2.5),
        (Unit.WH, 2500.0, H, 2.5),
        (Unit.MWH, 0.0025, H, 2.5),
        (Unit.KW, 10.0, 15 * 60, 2.5),  # 10 kW for a quarter hour
        (Unit.W, 5000.0, 30 * 60, 2.5),  # 5 kW for half an hour
        (Unit.MW, 0.01, 15 * 60, 2.5),
    ],
)
def test_units_become_energy_per_interval_in_kwh(
    unit: Unit, value: float, step_s: int, kwh: float
) -> None:
    clean, report = clean_readings(raw(hourly("A", [value] * 3, step_s), unit=unit))
    assert_allclose(clean.energy_kwh, kwh)
    assert report.unit == unit.value


def test_identical_duplicates_are_kept_once() -> None:
    rows = [*hourly("A", [1, 2, 3]), ("A", H, 2.0), ("A", H, 2.0)]
    clean, report = clean_readings(raw(rows))
    assert_allclose(clean.energy_kwh, [1, 2, 3])
    assert report.identical_duplicates_dropped == 2


def test_conflicting_duplicates_name_both_rows() -> None:
    rows = [*hourly("A", [1, 2, 3]), ("A", H, 2.5)]
    with pytest.raises(InputError, match=r"rows 3 and 5 .* meter A .* \(2 and 2.5\)") as caught:
        clean_readings(raw(rows))
    assert caught.value.row == 5
    assert caught.value.field == "energy_kwh"


def test_conflicting_duplicates_keep_the_later_row_when_asked() -> None:
    rows = [*hourly("A", [1, 2, 3]), ("A", H, 2.5)]
    clean, report = clean_readings(raw(rows), duplicates=DuplicatePolicy.LAST)
    assert_allclose(clean.energy_kwh, [1, 2.5, 3])
    assert report.conflicting_duplicates_resolved == 1


def test_rows_out_of_order_are_sorted_and_counted() -> None:
    rows = [("A", 2 * H, 3.0), ("B", 0, 9.0), ("A", 0, 1.0), ("A", H, 2.0)]
    clean, report = clean_readings(raw(rows))
    assert_allclose(clean.energy_kwh, [1, 2, 3, 9])
    assert_array_equal(np.diff(clean.start_utc_s[:3]), [H, H])
    assert report.out_of_order_rows == 1


def test_blank_negative_and_absurd_values_are_dropped_and_counted() -> None:
    values = [5.0] * 200
    values[1], values[2], values[5], values[7] = np.nan, -40_000.0, 5_000.0, 2e9
    clean, report = clean_readings(raw(hourly("A", values)))
    assert_allclose(clean.energy_kwh, [5.0] * 196)
    assert report.blank_values == 1
    assert report.negative_values_dropped == 1  # a meter reset
    assert report.absurd_values_dropped == 2  # 1000x the meter's level; above 1 GW
    assert report.missing_intervals == 4
    assert report.rows_read == 200


def test_a_spike_is_judged_against_the_meter_not_the_file() -> None:
    big, small = [5_000.0] * 200, [5.0] * 200
    small[10] = 300.0  # 60x this meter's level, well within the other meter's
    clean, report = clean_readings(raw(hourly("A", big) + hourly("B", small)))
    assert report.absurd_values_dropped == 1
    assert clean.rows == 399


def test_zero_readings_are_kept() -> None:
    clean, _ = clean_readings(raw(hourly("A", [5, 0, 0, 5])))
    assert_allclose(clean.energy_kwh, [5, 0, 0, 5])


def test_a_meter_written_in_wh_is_rescaled_and_named() -> None:
    limits = CleaningLimits(max_meter_power_kw=10_000)
    rows = hourly("A", [3_000_000.0] * 4) + hourly("B", [3_000.0] * 4)
    clean, report = clean_readings(raw(rows), limits=limits)
    assert_allclose(clean.energy_kwh, [3_000.0] * 8)
    assert report.meters_rescaled_from_wh == ("A",)
    assert any("divided by 1,000" in note for note in report.notes)


def test_a_file_of_blanks_is_an_error() -> None:
    with pytest.raises(InputError, match="no readings"):
        clean_readings(raw(hourly("A", [np.nan, np.nan])))


def test_capacity_warnings_point_at_unit_mix_ups() -> None:
    clean, _ = clean_readings(raw(hourly("A", [400.0] * 5) + hourly("B", [40.0] * 5)))
    warnings = capacity_warnings(clean, {"A": 100.0, "B": 100.0})
    assert len(warnings) == 1
    assert warnings[0].startswith("meter A: 95th-percentile power 400 kW is 4.0x")
    assert capacity_warnings(clean, {}) == ()
