"""`hashwatch energy` commands, run with the CLI runner on the energy sub-app."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hashwatch.cli.energy import app
from hashwatch.errors import InputError, NotFoundError
from tests.energy.shared_data import require_shared_energy

runner = CliRunner(env={"COLUMNS": "240"})  # wide enough that tables do not elide


def test_catalogue_as_csv_and_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["catalogue", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert any(r["model"] == "Antminer S19 Pro" for r in rows)
    user = tmp_path / "mine.csv"
    user.write_text("model,hashrate,power_w\nCustom X1,10,200\n", encoding="utf-8")
    result = runner.invoke(app, ["catalogue", "--catalogue", str(user), "--format", "json"])
    assert result.exit_code == 0, result.output
    models = [r["model"] for r in json.loads(result.stdout)]
    assert models[-1] == "Custom X1"
    assert len(models) == len(rows) + 1


def test_catalogue_as_table() -> None:
    result = runner.invoke(app, ["catalogue"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "Whatsminer M30S" in result.stdout


def test_network_one_row_per_day(tmp_path: Path) -> None:
    data = tmp_path / "btc.csv"
    data.write_text(
        "time,HashRate,IssTotUSD,FeeTotUSD\n"
        + "".join(f"2021-04-{d:02d},1.5e8,3.0e7,1.0e6\n" for d in range(1, 11)),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["network", "--input", str(data), "--price", "0.05"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 10
    assert list(rows[0]) == [
        "date",
        "hashrate_ths",
        "threshold_14d_mean_j_per_gh",
        "lower_twh_per_yr",
        "best_twh_per_yr",
        "upper_twh_per_yr",
        "lower_gw",
        "best_gw",
        "upper_gw",
    ]
    last = rows[-1]
    assert float(last["lower_gw"]) < float(last["best_gw"]) < float(last["upper_gw"])
    aged = runner.invoke(
        app, ["network", "--input", str(data), "--method", "age-weighted", "-f", "json"]
    )
    assert aged.exit_code == 0, aged.output
    assert len(json.loads(aged.stdout)) == 10


def test_network_with_cbeci_machine_list() -> None:
    folder = require_shared_energy()
    result = runner.invoke(
        app,
        [
            "network",
            "--input",
            str(folder / "coinmetrics_btc_daily_subset_2009-01_2020-07.csv"),
            "--catalogue",
            str(folder / "cbeci_miners_2020-05.csv"),
            "--start",
            "2014-07-01",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {r["date"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    # reference §6.1: 2019-06-30 best guess 57.9656 TWh/yr
    assert abs(float(rows["2019-06-30"]["best_twh_per_yr"]) / 57.9656 - 1) < 1e-5


def test_hashrate_from_blocks_and_epochs(tmp_path: Path) -> None:
    blocks = tmp_path / "blocks.csv"
    blocks.write_text(
        "height,timestamp,bits\n"
        + "".join(f"{i},{1231459200 + i * 4500},1d00ffff\n" for i in range(19)),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["hashrate", "--blocks", str(blocks), "-f", "json"])
    assert result.exit_code == 0, result.output
    (day,) = json.loads(result.stdout)
    assert day["date"] == "2009-01-09"
    assert day["blocks"] == 19
    epochs = tmp_path / "epochs.csv"
    epochs.write_text("start_time,difficulty\n0,1\n1209600,1\n", encoding="utf-8")
    result = runner.invoke(app, ["hashrate", "--epochs", str(epochs), "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert "1970-01-01T00:00:00" in result.stdout


def test_hashrate_needs_one_source() -> None:
    result = runner.invoke(app, ["hashrate"])
    assert isinstance(result.exception, InputError)


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_events_on_the_shared_export(fmt: str) -> None:
    folder = require_shared_energy()
    path = folder / "blockchaincom_hashrate_daily_2020-11_2021-11_knobloch.csv"
    result = runner.invoke(
        app, ["events", "--input", str(path), "--format", fmt], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert "2021-04-16" in result.stdout
    assert "2021-06-27" in result.stdout


def test_estimate_json_states_its_assumptions() -> None:
    result = runner.invoke(
        app,
        [
            "estimate",
            "--model",
            "Antminer S19 Pro",
            "--count",
            "500",
            "--start",
            "2021-04-01",
            "--end",
            "2021-04-30",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["rated_power_kw"] == 1625.0
    assert record["energy_lower_kwh"] < record["energy_best_kwh"] < record["energy_upper_kwh"]
    assert {a["name"] for a in record["assumptions"]} == {"uptime", "hardware_overhead", "pue"}


def test_estimate_csv_from_hashrate_alone() -> None:
    result = runner.invoke(
        app,
        [
            "estimate",
            "--hashrate-ths",
            "55000",
            "--start",
            "2021-04-01",
            "--end",
            "2021-04-30",
            "-f",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    (row,) = csv.DictReader(io.StringIO(result.stdout))
    assert row["basis"] == "hashrate"
    assert float(row["efficiency_j_per_th_lower"]) < float(row["efficiency_j_per_th_upper"])


APRIL = ["--start", "2021-04-01", "--end", "2021-04-30"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ([*APRIL, "--model", "S19 Pro"], "count"),
        (APRIL, "model"),
        (["--start", "2021-04-01", "--end", "2021-03-01", "--hashrate-ths", "1"], "end"),
        (["--start", "April", "--end", "2021-04-30", "--hashrate-ths", "1"], "start"),
    ],
)
def test_estimate_refuses_bad_input(args: list[str], field: str) -> None:
    result = runner.invoke(app, ["estimate", *args])
    assert isinstance(result.exception, InputError)
    assert result.exception.field == field


def test_estimate_unknown_model_is_not_found() -> None:
    result = runner.invoke(app, ["estimate", *APRIL, "--model", "Antminer Z99", "--count", "1"])
    assert isinstance(result.exception, NotFoundError)


def test_share_from_given_network_figures() -> None:
    result = runner.invoke(
        app,
        [
            "share",
            "--hashrate-ths",
            "1.38e6",
            "--network-hashrate-ths",
            "111.4e6",
            "--network-twh-per-yr",
            "30,72,120",
            "--efficiency-j-per-th",
            "45",
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert abs(record["share_pct"] - 1.2388) < 1e-3
    assert record["bottom_up_best_twh_per_yr"] > 0


def test_share_from_the_network_series() -> None:
    folder = require_shared_energy()
    result = runner.invoke(
        app,
        [
            "share",
            "--hashrate-ths",
            "1.38e6",
            "--date",
            "2020-04-15",
            "-f",
            "json",
            "--input",
            str(folder / "coinmetrics_btc_daily_subset_2009-01_2020-07.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert 0.01 < record["share"] < 0.013
    assert record["share_lower_twh_per_yr"] < record["share_best_twh_per_yr"]
