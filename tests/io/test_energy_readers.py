"""Readers of the energy inputs: catalogues, network series, hashrate files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from hashwatch.errors import FileFormatError, InputError
from hashwatch.io.catalogue_files import parse_catalogue, read_text
from hashwatch.io.hashrate_files import parse_blocks, parse_daily_hashrate, parse_epochs
from hashwatch.io.network_series import parse_network_series


def test_cbeci_machine_list_is_read_as_it_is() -> None:
    machines = parse_catalogue(
        "Miner_name,UNIX_date_of_release,Efficiency_J_Gh,Qty\n"
        "Worst CPU,1230000000,100000,1000\n"
        "Bitmain Antminer S19 Pro (110Th),1588291200,0.02955,1000\n"
    )
    assert [str(m.release_date) for m in machines] == ["2008-12-23", "2020-05-01"]
    assert_allclose([m.efficiency_j_per_th for m in machines], [1e8, 29.55])


def test_catalogue_errors_name_the_row() -> None:
    with pytest.raises(FileFormatError) as info:
        parse_catalogue("model,efficiency\nA,1\nB,fast\n")
    assert info.value.row == 3
    assert info.value.field == "efficiency"
    with pytest.raises(FileFormatError, match="model column"):
        parse_catalogue("name,efficiency\nA,1\n")


def test_coin_metrics_columns_are_accepted() -> None:
    series = parse_network_series(
        "time,BlkCnt,HashRate,IssTotUSD,FeeTotUSD\n"
        "2020-01-01,144,1e8,1000,10\n"
        "2020-01-03,150,2e8,2000,20\n"
    )
    assert [str(d) for d in series.day] == ["2020-01-01", "2020-01-02", "2020-01-03"]
    assert_allclose(series.revenue_usd_per_day, [1010.0, np.nan, 2020.0])
    assert_allclose(series.hashrate_ths, [1e8, np.nan, 2e8])


def test_network_series_refuses_disorder() -> None:
    with pytest.raises(FileFormatError) as info:
        parse_network_series(
            "date,hashrate_ths,revenue_usd_per_day\n2020-01-02,1,1\n2020-01-01,1,1\n"
        )
    assert info.value.row == 3


def test_blockchain_com_export_with_bom_and_local_times() -> None:
    text = (
        "\ufeffTimestamp,hash-rate\n"
        "2021-03-26 23:00:00,1.0\n"  # the exporter's local time: 2021-03-27 UTC
        "2021-03-29 00:00:00,3.0\n"
        "2021-03-30 01:00:00,4.0\n"
    )
    series = parse_daily_hashrate(text)
    assert [str(d) for d in series.day] == ["2021-03-27", "2021-03-28", "2021-03-29", "2021-03-30"]
    assert_allclose(series.hashrate_ths, [1.0, np.nan, 3.0, 4.0])


def test_blocks_with_hex_bits_and_iso_times() -> None:
    difficulty, stamps = parse_blocks(
        "height,timestamp,bits\n1,2009-01-09T02:54:25Z,1d00ffff\n2,1231469744,0x1d00ffff\n"
    )
    assert_allclose(difficulty, [1.0, 1.0])
    assert_allclose(stamps, [1231469665, 1231469744])


def test_epochs() -> None:
    difficulty, start, end, blocks = parse_epochs(
        "start_time,difficulty\n2021-01-01T00:00:00,10\n2021-01-15T00:00:00,11\n"
    )
    assert_allclose(difficulty, [10.0])
    assert_allclose(end - start, [14 * 86_400])
    assert_allclose(blocks, [2016])


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_text(tmp_path / "nope.csv")
