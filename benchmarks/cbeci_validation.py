"""Reproduce CBECI's old-method daily export from the Coin Metrics inputs and CBECI's list.

Reads, from the shared data folder (``HASHWATCH_SHARED_DATA``, default ``../shared/data``
beside the repository), the Coin Metrics subset, the CBECI machine list of May 2020 and the
CBECI v1 export; computes the CBECI v1 series from 2014-07-01 at 0.05 USD/kWh; prints the
median and worst relative error of lower (MIN), best (GUESS) and upper (MAX) per year, and
the time to compute the full daily series from 2009 with all three bounds.

    .venv/bin/python benchmarks/cbeci_validation.py [--with-inferred-rows]

``--with-inferred-rows`` adds two machines that are not in CBECI's last public list but
that the June–July 2020 export implies [inferred]: 37.5 J/TH released 2020-06-01 and
54.0 J/TH released 2020-07-01.
"""

from __future__ import annotations

import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

from hashwatch.energy.network import Method, network_power
from hashwatch.io.catalogue_files import (
    builtin_catalogue,
    read_catalogue,
    release_day_and_efficiency,
)
from hashwatch.io.network_series import NetworkSeries, read_network_series

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HASHWATCH_SHARED_DATA", ROOT / "../shared/data")) / "energy"
START = np.datetime64("2014-07-01")


def main() -> int:
    series = read_network_series(SHARED / "coinmetrics_btc_daily_subset_2009-01_2020-07.csv")
    released, eff = release_day_and_efficiency(read_catalogue(SHARED / "cbeci_miners_2020-05.csv"))
    if "--with-inferred-rows" in sys.argv[1:]:
        released = np.append(released, np.array(["2020-06-01", "2020-07-01"], "datetime64[D]"))
        eff = np.append(eff, [37.5, 54.0])
    keep = series.day >= START
    est = network_power(
        series.day[keep],
        series.hashrate_ths[keep],
        series.revenue_usd_per_day[keep],
        released,
        eff,
    )
    with (SHARED / "cbeci_v1_export_2014-07_2021-06.csv").open(encoding="utf-8") as f:
        export = {r["Date and Time"][:10]: r for r in csv.DictReader(f)}
    days = [str(d) for d in series.day[keep]]
    ours = {
        "MIN": est.energy_lower_twh_per_yr,
        "GUESS": est.energy_best_twh_per_yr,
        "MAX": est.energy_upper_twh_per_yr,
    }
    print(
        "| year | days | lower (MIN) median / worst | best (GUESS) median / worst "
        "| upper (MAX) median / worst |"
    )
    print("| --- | --- | --- | --- | --- |")
    for year in sorted({d[:4] for d in days}):
        idx = [i for i, d in enumerate(days) if d[:4] == year and d in export]
        cells = []
        for col, values in ours.items():
            ref = np.array([float(export[days[i]][col]) for i in idx])
            err = np.abs(values[idx] / ref - 1.0)
            cells.append(f"{np.median(err):.2e} / {err.max():.2e}")
        print(f"| {year} | {len(idx)} | " + " | ".join(cells) + " |")
    revised_check(series)
    # speed: the full daily series 2009 → today (input extended by repeating its last year)
    n_days = int((np.datetime64("today") - np.datetime64("2009-01-03")).astype(int)) + 1
    reps = int(np.ceil(n_days / series.day.size))
    day = np.arange(np.datetime64("2009-01-03"), np.datetime64("2009-01-03") + n_days)
    h = np.tile(series.hashrate_ths, reps)[:n_days]
    r = np.tile(series.revenue_usd_per_day, reps)[:n_days]
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        network_power(day, h, r, released, eff)
        timings.append(time.perf_counter() - t0)
    print(
        f"\nspeed: {n_days} days × {eff.size} machines, all three bounds: "
        f"best {min(timings) * 1e3:.1f} ms, median {np.median(timings) * 1e3:.1f} ms of 5"
    )
    return 0


def revised_check(series: NetworkSeries) -> None:
    """Median relative error per year of the best guess against CBECI's 2023 (1.4.0) series."""
    with (SHARED / "cbeci_revised_by_price_2010-07_2023-09.csv").open(encoding="utf-8") as f:
        revised = {r["date"][:10]: float(r["0.05"]) for r in csv.DictReader(f)}
    keep = series.day >= np.datetime64("2010-07-18")
    days = [str(d) for d in series.day[keep]]
    years = ["2016", "2017", "2018", "2019", "2020"]
    print("\nbest guess vs CBECI's revised (2023) series at 0.05 USD/kWh, median error per year")
    print("| machine list | method | " + " | ".join(years) + " |")
    print("| --- | --- |" + " --- |" * len(years))
    lists = {
        "CBECI 2020-05": read_catalogue(SHARED / "cbeci_miners_2020-05.csv"),
        "shipped": builtin_catalogue(),
    }
    for name, machines in lists.items():
        released, eff = release_day_and_efficiency(machines)
        for method in (Method.CBECI_V1, Method.AGE_WEIGHTED):
            est = network_power(
                series.day[keep],
                series.hashrate_ths[keep],
                series.revenue_usd_per_day[keep],
                released,
                eff,
                method=method,
            )
            cells = []
            for year in years:
                idx = [i for i, d in enumerate(days) if d[:4] == year and d in revised]
                ref = np.array([revised[days[i]] for i in idx])
                cells.append(f"{np.median(est.energy_best_twh_per_yr[idx] / ref - 1):+.1%}")
            print(f"| {name} | {method.value} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
