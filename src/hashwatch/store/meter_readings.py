"""The meter-readings store: Parquet files partitioned by a hash of the meter id.

Layout under the data directory::

    meters/readings/bucket=00/readings.parquet
    meters/readings/bucket=01/readings.parquet
    ...

A meter's readings all live in one bucket (CRC-32 of its id, modulo :data:`BUCKETS`), sorted
by meter then ``interval_start``, so a scan reads each meter's series contiguously and a
look-up of a few meters opens only their buckets. Columns: ``meter_id`` (string),
``interval_start`` (timestamp, seconds, UTC) and ``energy_kwh`` (energy in the interval).

Ingesting merges into the buckets it touches: a reading for a meter and interval already
stored replaces the stored one (a later file corrects an earlier one) and is counted. Each
bucket is written to a temporary file first; the files are renamed into place only when
all of them are written, so a failure leaves the store as it was.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hashwatch.detection.cleaning import CleanReadings, IntArray, StrArray

BUCKETS: Final = 64
FILE_NAME: Final = "readings.parquet"
SCHEMA: Final = pa.schema(
    [
        ("meter_id", pa.string()),
        ("interval_start", pa.timestamp("s", tz="UTC")),
        ("energy_kwh", pa.float64()),
    ]
)


#: the folder of meter data under the data directory: the readings store, the ingest's spills
METERS_DIR: Final = "meters"


def readings_root(data_dir: Path) -> Path:
    """Where the readings store lives under the data directory."""
    return data_dir / METERS_DIR / "readings"


def bucket_of(meter_ids: Iterable[str]) -> IntArray:
    """Each meter id's bucket: CRC-32 of its UTF-8 bytes modulo :data:`BUCKETS`."""
    return np.asarray([zlib.crc32(m.encode("utf-8")) % BUCKETS for m in meter_ids], dtype=np.int64)


def bucket_path(root: Path, bucket: int) -> Path:
    return root / f"bucket={bucket:02d}" / FILE_NAME


@dataclass(frozen=True)
class StoreResult:
    """What an ingest changed in the store."""

    buckets_written: int
    readings_added: int
    readings_replaced: int
    readings_unchanged: int


def _table(names: StrArray, codes: IntArray, times: IntArray, energy: np.ndarray) -> pa.Table:
    ids = pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32)), pa.array(names.tolist(), type=pa.string())
    ).cast(pa.string())
    return pa.Table.from_arrays(
        [ids, pa.array(times, type=pa.timestamp("s", tz="UTC")), pa.array(energy)],
        schema=SCHEMA,
    )


def _merge(old: pa.Table | None, new: pa.Table) -> tuple[pa.Table, int, int, int]:
    """old + new, new winning on (meter_id, interval_start); (table, added, replaced, same)."""
    if old is None or old.num_rows == 0:
        return new, new.num_rows, 0, 0
    both = pa.concat_tables([old.select(SCHEMA.names).cast(SCHEMA), new])
    encoded = both.column("meter_id").combine_chunks().dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    names = np.asarray(encoded.dictionary.to_pylist(), dtype=np.str_)
    rank = np.argsort(np.argsort(names))  # dictionary order → sorted meter order
    codes = rank[codes]
    times = both.column("interval_start").cast(pa.int64()).to_numpy()
    energy = both.column("energy_kwh").to_numpy()
    is_new = np.arange(both.num_rows) >= old.num_rows
    order = np.lexsort((is_new, times, codes))
    codes, times, energy, is_new = codes[order], times[order], energy[order], is_new[order]
    repeated = np.zeros(codes.size, dtype=bool)
    repeated[1:] = (codes[1:] == codes[:-1]) & (times[1:] == times[:-1])
    same_value = np.zeros(codes.size, dtype=bool)
    same_value[1:] = energy[1:] == energy[:-1]
    replaced = int(np.count_nonzero(repeated & ~same_value))
    unchanged = int(np.count_nonzero(repeated & same_value))
    keep = np.ones(codes.size, dtype=bool)
    keep[:-1] = ~repeated[1:]
    merged = _table(np.sort(names), codes[keep], times[keep], energy[keep])
    return merged, new.num_rows - replaced - unchanged, replaced, unchanged


def store_readings(root: Path, clean: CleanReadings) -> StoreResult:
    """Merge clean readings into the store; all buckets or none are changed."""
    return store_reading_parts(root, [clean])


def store_reading_parts(root: Path, parts: Iterable[CleanReadings]) -> StoreResult:
    """Merge parts of clean readings, each bucket in one part only; all buckets or none.

    Each part is merged and written to temporary files as it arrives (so only one part is in
    memory); the files are renamed into place after the last part. An error while the parts
    are produced (a cleaning error in a later bucket) leaves the store as it was.
    """
    pending: list[tuple[Path, Path]] = []
    made = [d for d in (root.parent, root) if not d.exists()]  # removed again on failure
    written: set[int] = set()
    added = replaced = unchanged = 0
    try:
        for clean in parts:
            row_bucket = bucket_of(clean.meter_names.tolist())[clean.meter_code]
            by_bucket = np.argsort(row_bucket, kind="stable")  # keeps meter and time order
            sorted_buckets = row_bucket[by_bucket]
            for bucket in np.unique(sorted_buckets).tolist():
                if bucket in written:
                    raise ValueError(f"bucket {bucket} given in two parts")
                written.add(bucket)
                start, stop = np.searchsorted(sorted_buckets, [bucket, bucket + 1])
                rows = by_bucket[start:stop]
                new = _table(
                    clean.meter_names,
                    clean.meter_code[rows],
                    clean.start_utc_s[rows],
                    clean.energy_kwh[rows],
                )
                path = bucket_path(root, bucket)
                old = pq.read_table(path) if path.exists() else None
                merged, n_added, n_replaced, n_same = _merge(old, new)
                added, replaced = added + n_added, replaced + n_replaced
                unchanged += n_same
                if not path.parent.exists():
                    made.append(path.parent)
                    path.parent.mkdir(parents=True)
                tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
                pending.append((tmp, path))
                pq.write_table(merged, tmp, compression="zstd", row_group_size=1_000_000)
        for tmp, path in pending:
            tmp.replace(path)
        made = []
    finally:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        for folder in reversed(made):
            if folder.exists() and not any(folder.iterdir()):
                folder.rmdir()
    return StoreResult(len(pending), added, replaced, unchanged)


def read_stored(root: Path, meter_ids: Iterable[str] | None = None) -> pa.Table:
    """Stored readings, of every meter or of ``meter_ids`` only (opening only their buckets)."""
    wanted = None if meter_ids is None else sorted(set(meter_ids))
    buckets = range(BUCKETS) if wanted is None else sorted(set(bucket_of(wanted).tolist()))
    tables = []
    for bucket in buckets:
        path = bucket_path(root, bucket)
        if not path.exists():
            continue
        table = pq.read_table(path)
        if wanted is not None:
            table = table.filter(pc.is_in(table.column("meter_id"), pa.array(wanted)))
        tables.append(table)
    if not tables:
        return SCHEMA.empty_table()
    return pa.concat_tables(tables)
