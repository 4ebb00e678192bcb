"""Comparing Arrow tables of features or scores exactly (NaN equal to NaN)."""

from __future__ import annotations

import pyarrow as pa
from numpy.testing import assert_array_equal


def assert_same(a: pa.Table, b: pa.Table) -> None:
    """Same schema and, column by column, the same values; no tolerance."""
    assert a.schema == b.schema
    assert a.num_rows == b.num_rows
    for name in a.column_names:
        assert_array_equal(
            a.column(name).to_numpy(zero_copy_only=False),
            b.column(name).to_numpy(zero_copy_only=False),
            err_msg=name,
        )
