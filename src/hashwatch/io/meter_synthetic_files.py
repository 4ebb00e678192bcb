"""Writing the synthetic meter city: readings (Parquet or CSV), labels and the shared series.

The readings are written a batch of meters at a time (:func:`write_synthetic_meters`), so
memory stays bounded whatever the number of meters: 50,000 meters x 2,000 hours (100 million
rows) is written with the memory of one batch. Files are written under a temporary name and
renamed when complete; nothing half-written is left behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from hashwatch.detection.synthetic import (
    BATCH_METERS,
    CityPlan,
    MeterBatch,
    MeterLabels,
    iter_batches,
)
from hashwatch.detection.synthetic_series import LOCAL_OFFSET_S, LOCAL_TIMEZONE, START_DATE
from hashwatch.errors import InputError

READINGS_SUFFIXES: Final = (".parquet", ".csv")


@dataclass(frozen=True)
class SyntheticFiles:
    """What :func:`write_synthetic_meters` wrote."""

    readings: Path
    labels: Path
    daily: Path
    temperature: Path
    meters: int
    rows: int
    mining_meters: int


def companion_path(readings: Path, kind: str) -> Path:
    """``city.parquet`` → ``city.labels.csv`` (kind ``labels``), ``city.daily.csv``, ..."""
    return readings.with_name(f"{readings.stem}.{kind}.csv")


def _local_iso(utc_s: np.ndarray[Any, np.dtype[np.int64]]) -> list[str]:
    tz = dt.timezone(dt.timedelta(seconds=LOCAL_OFFSET_S))
    return [dt.datetime.fromtimestamp(int(s), tz).isoformat() for s in utc_s]


def readings_table(plan: CityPlan, batch: MeterBatch, *, as_text: bool) -> pa.Table:
    """A batch as an Arrow table: meter_id, interval_start (local, with zone), energy_kwh."""
    ids = pa.DictionaryArray.from_arrays(
        pa.array(batch.meter_index.astype(np.int32)), pa.array(batch.meter_id.tolist())
    ).cast(pa.string())
    starts = plan.series.axis.start_utc_s
    if as_text:
        texts = pa.array(_local_iso(starts))
        times: pa.Array = pa.DictionaryArray.from_arrays(
            pa.array(batch.interval_index.astype(np.int32)), texts
        ).cast(pa.string())
    else:
        times = pa.array(starts[batch.interval_index], type=pa.timestamp("s", tz=LOCAL_TIMEZONE))
    return pa.table({"meter_id": ids, "interval_start": times, "energy_kwh": batch.energy_kwh})


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it on success, removed on failure."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _label_rows(labels: MeterLabels) -> Iterator[list[Any]]:
    for meter, cls, mining, share, contract in zip(
        labels.meter_id.tolist(),
        labels.profile_class.tolist(),
        labels.is_mining.tolist(),
        labels.mining_share.tolist(),
        labels.contracted_capacity_kw.tolist(),
        strict=True,
    ):
        yield [meter, cls, str(mining).lower(), f"{share:.4f}", f"{contract:.1f}"]


def _write_series(plan: CityPlan, daily: Path, temperature: Path) -> None:
    series = plan.series
    with _replacing(daily) as tmp, tmp.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["date", "hashprice_usd_per_th_day", "grid_peak_day"])
        for day in range(series.axis.days):
            writer.writerow(
                [
                    (START_DATE + dt.timedelta(days=day)).isoformat(),
                    f"{series.hashprice_usd_per_th_day[day]:.5f}",
                    int(series.grid_peak_day[day]),
                ]
            )
    with _replacing(temperature) as tmp, tmp.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["interval_start", "temperature_c"])
        texts = _local_iso(series.axis.start_utc_s)
        writer.writerows(zip(texts, np.round(series.temperature_c, 2).tolist(), strict=True))


def write_synthetic_meters(
    plan: CityPlan,
    path: Path,
    *,
    batch_meters: int = BATCH_METERS,
    progress: Callable[[int, int], None] | None = None,
) -> SyntheticFiles:
    """Write the city's readings to ``path`` (.parquet or .csv), a batch of meters at a time.

    Beside it: ``<stem>.labels.csv`` (meter_id, profile_class, is_mining, mining_share,
    contracted_capacity_kw), ``<stem>.daily.csv`` (date, hashprice_usd_per_th_day,
    grid_peak_day) and ``<stem>.temperature.csv`` (interval_start, temperature_c).
    ``progress(meters_done, meters)`` is called after each batch.
    """
    suffix = path.suffix.lower()
    if suffix not in READINGS_SUFFIXES:
        raise InputError(
            f"{path.name}: the readings file must end in .parquet or .csv", field="output"
        )
    files = SyntheticFiles(
        readings=path,
        labels=companion_path(path, "labels"),
        daily=companion_path(path, "daily"),
        temperature=companion_path(path, "temperature"),
        meters=plan.meters,
        rows=0,
        mining_meters=0,
    )
    rows = mining = done = 0
    with (
        _replacing(path) as tmp_readings,
        _replacing(files.labels) as tmp_labels,
        tmp_labels.open("w", newline="", encoding="utf-8") as labels_out,
    ):
        labels_writer = csv.writer(labels_out)
        labels_writer.writerow(
            ["meter_id", "profile_class", "is_mining", "mining_share", "contracted_capacity_kw"]
        )
        writer: pq.ParquetWriter | pacsv.CSVWriter | None = None
        try:
            for batch in iter_batches(plan, batch_meters):
                table = readings_table(plan, batch, as_text=suffix == ".csv")
                if writer is None:
                    writer = (
                        pacsv.CSVWriter(
                            tmp_readings,
                            table.schema,
                            write_options=pacsv.WriteOptions(quoting_style="none"),
                        )
                        if suffix == ".csv"
                        else pq.ParquetWriter(tmp_readings, table.schema, compression="zstd")
                    )
                writer.write_table(table)
                labels_writer.writerows(_label_rows(batch.labels))
                rows += batch.rows
                mining += int(batch.labels.is_mining.sum())
                if progress is not None:
                    done += int(batch.meter_id.size)
                    progress(done, plan.meters)
        finally:
            if writer is not None:
                writer.close()
    _write_series(plan, files.daily, files.temperature)
    return replace(files, rows=rows, mining_meters=mining)
