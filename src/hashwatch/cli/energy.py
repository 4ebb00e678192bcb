"""`hashwatch energy` commands: the hardware catalogue, network electricity, hashrate, events.

Each command reads its files through :mod:`hashwatch.io`, computes with the pure functions
of :mod:`hashwatch.energy` and prints rows with :func:`hashwatch.cli.common.emit_rows`.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from hashwatch.cli.common import FormatOption, OutputFormat, emit_object, emit_rows
from hashwatch.energy import catalogue as cat
from hashwatch.energy import estimate as est_mod
from hashwatch.energy.events import find_drops
from hashwatch.energy.hashrate import daily_hashrate_ths, epoch_hashrate_ths
from hashwatch.energy.network import Method, network_power
from hashwatch.energy.share import hashrate_share, jurisdiction_share
from hashwatch.errors import InputError
from hashwatch.io.catalogue_files import (
    builtin_catalogue,
    read_catalogue,
    read_text,
    release_day_and_efficiency,
)
from hashwatch.io.hashrate_files import parse_blocks, parse_daily_hashrate, parse_epochs
from hashwatch.io.network_series import NetworkSeries, read_network_series

app = typer.Typer(
    help="Mining electricity: catalogue, facility and network estimates, hashrate, events, shares.",
    no_args_is_help=True,
)

CatalogueOption = Annotated[
    Path | None,
    typer.Option(
        "--catalogue",
        help="A catalogue CSV (hashwatch's columns or CBECI's machine list).",
    ),
]


def _float(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 9)


@app.command("catalogue")
def catalogue(
    catalogue_file: CatalogueOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """List the hardware catalogue; --catalogue merges a user file over the shipped one.

    Example: hashwatch energy catalogue --format csv
    """
    machines = builtin_catalogue()
    if catalogue_file is not None:
        machines = cat.merge(machines, read_catalogue(catalogue_file))
    emit_rows([m.as_row() for m in machines], fmt, title="hardware catalogue")


@app.command("network")
def network(
    input_file: Annotated[
        Path, typer.Option("--input", help="Daily hashrate and revenue (Coin Metrics columns).")
    ],
    price: Annotated[
        float, typer.Option("--price", help="Electricity price [USD/kWh].", min=0.0001)
    ] = 0.05,
    method: Annotated[
        Method, typer.Option("--method", help="Machine basket.", case_sensitive=False)
    ] = Method.CBECI_V1,
    start: Annotated[
        str | None, typer.Option("--start", help="First day computed (YYYY-MM-DD).")
    ] = None,
    catalogue_file: CatalogueOption = None,
    fmt: FormatOption = OutputFormat.CSV,
) -> None:
    """Network electricity by the CBECI method: one row per day, lower/best/upper.

    --catalogue replaces the machine list for the run (default: the shipped catalogue).
    Example: hashwatch energy network --input btc.csv --price 0.05 --format csv
    """
    series = read_network_series(input_file)
    machines = builtin_catalogue() if catalogue_file is None else read_catalogue(catalogue_file)
    released, eff = release_day_and_efficiency(machines)
    keep = np.ones(series.day.size, dtype=bool)
    if start is not None:
        try:
            keep = series.day >= np.datetime64(start, "D")
        except ValueError:
            raise InputError(f"not a date: {start!r}", field="start") from None
    day = series.day[keep]
    est = network_power(
        day,
        series.hashrate_ths[keep],
        series.revenue_usd_per_day[keep],
        released,
        eff,
        price_usd_per_kwh=price,
        method=method,
    )
    columns: dict[str, Any] = {
        "hashrate_ths": series.hashrate_ths[keep],
        "threshold_14d_mean_j_per_gh": est.threshold_mean_j_per_gh,
        "lower_twh_per_yr": est.energy_lower_twh_per_yr,
        "best_twh_per_yr": est.energy_best_twh_per_yr,
        "upper_twh_per_yr": est.energy_upper_twh_per_yr,
        "lower_gw": est.power_lower_gw,
        "best_gw": est.power_best_gw,
        "upper_gw": est.power_upper_gw,
    }
    rows = [
        {"date": str(d), **{k: _float(v[i]) for k, v in columns.items()}} for i, d in enumerate(day)
    ]
    emit_rows(rows, fmt, columns=["date", *columns], title="network electricity")


@app.command("hashrate")
def hashrate(
    blocks: Annotated[
        Path | None, typer.Option("--blocks", help="Block records: timestamp, difficulty|bits.")
    ] = None,
    epochs: Annotated[
        Path | None, typer.Option("--epochs", help="Epochs: start_time, difficulty|bits.")
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Network hashrate from difficulty and time: per UTC day (--blocks) or per epoch.

    Example: hashwatch energy hashrate --blocks blocks.csv --format csv
    """
    if (blocks is None) == (epochs is None):
        raise InputError("give exactly one of --blocks and --epochs", field="blocks")
    if blocks is not None:
        difficulty, stamps = parse_blocks(read_text(blocks))
        days, rate, count = daily_hashrate_ths(difficulty, stamps)
        rows = [
            {"date": str(d), "blocks": int(n), "hashrate_ths": _float(h)}
            for d, h, n in zip(days, rate, count, strict=True)
        ]
    else:
        assert epochs is not None
        difficulty, start, end, n_blocks = parse_epochs(read_text(epochs))
        rate = epoch_hashrate_ths(difficulty, start, end, n_blocks.astype(np.int64))
        rows = [
            {
                "start_time": str(np.datetime64(int(s), "s")),
                "end_time": str(np.datetime64(int(e), "s")),
                "difficulty": float(d),
                "hashrate_ths": _float(h),
            }
            for d, s, e, h in zip(difficulty, start, end, rate, strict=True)
        ]
    emit_rows(rows, fmt, title="network hashrate")


@app.command("events")
def events(
    input_file: Annotated[
        Path,
        typer.Option("--input", help="Daily hashrate (blockchain.com export, Coin Metrics, …)."),
    ],
    threshold: Annotated[
        float, typer.Option("--threshold", help="Smallest drop, a fraction.", min=0.01, max=0.99)
    ] = 0.20,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Sustained hashrate drops: start, trough, end, recovery and size.

    Example: hashwatch energy events --input hash-rate.csv --format json
    """
    series = parse_daily_hashrate(read_text(input_file))
    rows = [
        {
            "start": str(d.start),
            "trough": str(d.trough),
            "end": str(d.end),
            "recovery": None if d.recovery is None else str(d.recovery),
            "duration_days": d.duration_days,
            "baseline_hashrate_ths": d.baseline_hashrate_ths,
            "trough_hashrate_ths": d.trough_hashrate_ths,
            "drop_pct": round(100.0 * d.drop, 2),
        }
        for d in find_drops(series.day, series.hashrate_ths, threshold=threshold)
    ]
    columns = ["start", "trough", "end", "recovery", "duration_days"]
    columns += ["baseline_hashrate_ths", "trough_hashrate_ths", "drop_pct"]
    emit_rows(rows, fmt, columns=columns, title="hashrate drops")


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{field} must be a date YYYY-MM-DD: {text!r}", field=field) from None


def _estimate_record(basis: str, e: est_mod.FacilityEstimate) -> dict[str, Any]:
    return {
        "basis": basis,
        "start": e.start.isoformat(),
        "end": e.end.isoformat(),
        "hours": e.hours,
        "rated_power_kw": e.rated_power_kw,
        "energy_lower_kwh": e.energy_lower_kwh,
        "energy_best_kwh": e.energy_best_kwh,
        "energy_upper_kwh": e.energy_upper_kwh,
        "power_best_kw": e.power_best_kw,
        "assumptions": [dataclasses.asdict(a) for a in e.assumptions],
        "lines": list(e.lines),
    }


@app.command("estimate")
def estimate(
    start: Annotated[str, typer.Option("--start", help="First day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--end", help="Last day, included (YYYY-MM-DD).")],
    model: Annotated[
        list[str] | None, typer.Option("--model", help="Machine model; repeat with --count.")
    ] = None,
    count: Annotated[
        list[int] | None, typer.Option("--count", help="Machines of each --model.", min=0)
    ] = None,
    hashrate_ths: Annotated[
        float | None, typer.Option("--hashrate-ths", help="Declared hashrate [TH/s].", min=0)
    ] = None,
    efficiency_j_per_th: Annotated[
        float | None,
        typer.Option("--efficiency-j-per-th", help="Efficiency of the declared hashrate.", min=0),
    ] = None,
    catalogue_file: CatalogueOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """A facility's electricity over a period from equipment and/or hashrate, with bounds.

    Example: hashwatch energy estimate --model "Antminer S19 Pro" --count 500
    --start 2021-04-01 --end 2021-04-30 --format json
    """
    first, last = _day(start, "start"), _day(end, "end")
    if last < first:
        raise InputError("the period ends before it starts", field="end")
    models, counts = model or [], count or []
    if len(models) != len(counts):
        raise InputError("give one --count for each --model", field="count")
    if not models and hashrate_ths is None:
        raise InputError("give --model with --count, or --hashrate-ths", field="model")
    machines = builtin_catalogue()
    if catalogue_file is not None:
        machines = cat.merge(machines, read_catalogue(catalogue_file))
    records = []
    if models:
        inventory = [(cat.lookup(machines, m), n) for m, n in zip(models, counts, strict=True)]
        records.append(
            _estimate_record("equipment", est_mod.estimate_equipment(inventory, first, last))
        )
    if hashrate_ths is not None:
        if efficiency_j_per_th is not None:
            bounds = (efficiency_j_per_th,) * 3
        elif models:
            effs = [cat.lookup(machines, m).efficiency_j_per_th for m in models]
            bounds = (min(effs), float(np.mean(effs)), max(effs))
        else:
            try:
                bounds = est_mod.efficiency_range_j_per_th(machines, first)
            except ValueError as exc:
                raise InputError(str(exc), field="start") from None
        records.append(
            _estimate_record(
                "hashrate", est_mod.estimate_hashrate(hashrate_ths, bounds, first, last)
            )
        )
    if fmt is OutputFormat.JSON:
        emit_object(records[0] if len(records) == 1 else {"estimates": records}, fmt)
        return
    rows = []
    for r in records:
        row = {k: v for k, v in r.items() if k not in {"assumptions", "lines"}}
        if fmt is OutputFormat.CSV:  # one table: the assumptions become columns
            for item in r["assumptions"]:
                row |= {f"{item['name']}_{x}": item[x] for x in ("lower", "best", "upper")}
        rows.append(row)
    if fmt is OutputFormat.CSV:
        emit_rows(rows, fmt, columns=list(dict.fromkeys(k for row in rows for k in row)))
        return
    emit_rows(rows, fmt, title="facility electricity")
    emit_rows(
        [{"basis": r["basis"], **item} for r in records for item in r["assumptions"]],
        fmt,
        title="assumptions",
    )


def _network_on(series: NetworkSeries, day: np.datetime64, price: float) -> tuple[float, ...]:
    released, eff = release_day_and_efficiency(builtin_catalogue())
    i = np.flatnonzero(series.day == day)
    if i.size == 0:
        raise InputError(f"{day} is not in the input", field="date")
    est = network_power(
        series.day,
        series.hashrate_ths,
        series.revenue_usd_per_day,
        released,
        eff,
        price_usd_per_kwh=price,
    )
    k = int(i[0])
    return (
        float(series.hashrate_ths[k]),
        float(est.energy_lower_twh_per_yr[k]),
        float(est.energy_best_twh_per_yr[k]),
        float(est.energy_upper_twh_per_yr[k]),
    )


@app.command("share")
def share(
    hashrate_ths: Annotated[
        float, typer.Option("--hashrate-ths", help="The jurisdiction's hashrate [TH/s].", min=0)
    ],
    network_hashrate_ths: Annotated[
        float | None, typer.Option("--network-hashrate-ths", help="Global hashrate [TH/s].")
    ] = None,
    network_twh_per_yr: Annotated[
        str | None,
        typer.Option("--network-twh-per-yr", help="Global lower,best,upper [TWh/yr]."),
    ] = None,
    input_file: Annotated[
        Path | None, typer.Option("--input", help="Daily network series (with --date).")
    ] = None,
    on: Annotated[str | None, typer.Option("--date", help="Day of the share.")] = None,
    price: Annotated[float, typer.Option("--price", help="[USD/kWh].", min=0.0001)] = 0.05,
    efficiency_j_per_th: Annotated[
        float | None,
        typer.Option("--efficiency-j-per-th", help="Efficiency for the bottom-up value."),
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """A jurisdiction's share of global hashrate and of global mining electricity.

    Example: hashwatch energy share --hashrate-ths 1.38e6 --input btc.csv --date 2020-04-15
    --efficiency-j-per-th 45
    """
    if input_file is not None:
        if on is None:
            raise InputError("--input needs --date", field="date")
        network_h, *network_e = _network_on(
            read_network_series(input_file), np.datetime64(_day(on, "date")), price
        )
    elif network_hashrate_ths is not None and network_twh_per_yr is not None:
        network_h = network_hashrate_ths
        try:
            network_e = [float(x) for x in network_twh_per_yr.split(",")]
        except ValueError:
            network_e = []
        if len(network_e) != 3:
            raise InputError("--network-twh-per-yr is lower,best,upper", field="network")
    else:
        raise InputError(
            "give --input and --date, or --network-hashrate-ths and --network-twh-per-yr",
            field="input",
        )
    try:
        fraction = hashrate_share(hashrate_ths, network_h)
        result = jurisdiction_share(
            fraction, (network_e[0], network_e[1], network_e[2]), hashrate_ths, efficiency_j_per_th
        )
    except ValueError as exc:
        raise InputError(str(exc), field="hashrate_ths") from None
    record = {"date": on, "network_hashrate_ths": network_h, **dataclasses.asdict(result)}
    record["share_pct"] = 100.0 * result.share
    emit_object(record, fmt)
