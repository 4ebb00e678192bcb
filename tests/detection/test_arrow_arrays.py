"""Arrow arrays built from buffers equal pyarrow's own conversion, and skip its pandas probe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hashwatch.detection import arrow_arrays


def _same(built: pa.Array, expected: pa.Array) -> None:
    """Same type, nulls and values (NaN equal to NaN, −0 not equal to 0)."""
    assert built.type == expected.type
    assert [repr(v) for v in built.to_pylist()] == [repr(v) for v in expected.to_pylist()]


@pytest.mark.parametrize(
    ("values", "type_"),
    [
        (np.array([1.5, np.nan, -0.0]), pa.float64()),
        (np.array([3, 4, 5]), pa.float64()),
        (np.array([1, -2, 2**40]), pa.int64()),
        (np.array([True, False]), pa.int64()),
        (np.arange(10, dtype=np.int16)[::3], pa.int32()),
        (np.array([], dtype=np.float64), pa.float64()),
    ],
)
def test_numbers_equal_pa_array(values: object, type_: pa.DataType) -> None:
    _same(arrow_arrays.from_numpy(values, type_), pa.array(values, type=type_))


def test_dates_with_nulls_equal_pa_array() -> None:
    days = np.array([18_700, -1, 0, 18_702, -5])
    mask = days < 0
    built = arrow_arrays.from_numpy(days, pa.date32(), mask=mask)
    assert built.equals(pa.array(days.astype(np.int32), type=pa.date32(), mask=mask))
    assert built.null_count == 2
    assert built.to_pylist()[3].isoformat() == "2021-03-16"


def test_what_it_does_not_cover_goes_to_pa_array() -> None:
    floats_as_ints = arrow_arrays.from_numpy(np.array([1.0, 2.0]), pa.int64())
    assert floats_as_ints.equals(pa.array([1, 2], type=pa.int64()))
    with pytest.raises(pa.ArrowInvalid):
        arrow_arrays.from_numpy(np.array([1.5]), pa.int64())  # as pa.array: not silently cut


def test_strings_equal_pa_array() -> None:
    ids = ["M1", "", "électricité", "矿场-07", np.str_("x")]
    assert arrow_arrays.strings(ids).equals(pa.array([str(i) for i in ids], type=pa.string()))
    assert arrow_arrays.strings([]).equals(pa.array([], type=pa.string()))


def test_the_engine_path_does_not_import_pandas(tmp_path: Path) -> None:
    """pyarrow imports pandas on its first ``pa.array`` or ``to_numpy``; the engine's worker
    path (reading a task, densifying, the kernel) never needs it."""
    path = tmp_path / "readings.parquet"
    hours = 30 * 24
    start = np.datetime64("2021-03-01T00:00", "ms") + np.arange(hours) * np.timedelta64(1, "h")
    table = pa.table(
        {
            "meter_id": np.repeat(["a", "b"], hours),
            "interval_start": pa.array(np.tile(start, 2), pa.timestamp("ms", tz="UTC")),
            "energy_kwh": np.r_[
                np.full(hours, 5.0), np.tile(np.r_[np.ones(12), np.full(12, 9.0)], 30)
            ],
        }
    )
    pq.write_table(table, path, row_group_size=500)
    script = """
import sys
from pathlib import Path
from hashwatch.detection import local_engine
options = local_engine.EngineOptions(workers=1, rows_per_task=600)
features = local_engine.features(Path(sys.argv[1]), options=options)
assert features.num_rows == 2
print("pandas" in sys.modules)
"""
    child = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    assert child.stdout.strip() == "False"
