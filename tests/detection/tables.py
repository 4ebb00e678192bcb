"""Comparing Arrow tables of features or scores exactly (NaN equal to NaN); the store's buckets."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from numpy.testing import assert_array_equal

from hashwatch.store.meter_readings import BUCKETS, bucket_path, readings_root


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


def stored_buckets(data_dir: Path) -> dict[int, pa.Table]:
    """The readings store under ``data_dir``, bucket by bucket (those written)."""
    root = readings_root(data_dir)
    return {
        b: pq.read_table(bucket_path(root, b))
        for b in range(BUCKETS)
        if bucket_path(root, b).exists()
    }
