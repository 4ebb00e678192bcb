"""The XLSX fill-in templates carry drop-downs and number ranges, and filled through them
they read back: the bulk report template and the registry import template."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.datavalidation import DataValidation

from hashwatch.io.registry_files import read_registry_file, write_registry_template
from hashwatch.io.report_files import (
    FALSE_WORDS,
    SHEETS,
    TEMPLATE_LISTS,
    TRUE_WORDS,
    read_report_xlsx,
    template_xlsx,
)
from hashwatch.io.xlsx_checks import LAST_ROW, LISTS_SHEET
from hashwatch.reporting.districts import BEIJING_DISTRICTS
from hashwatch.reporting.registry import COLUMNS, parse_registry_rows
from hashwatch.reporting.report import Algorithm, OperationMode
from hashwatch.reporting.report_parsing import parse_report


def checks_by_header(sheet: Any) -> dict[str, DataValidation]:
    """The data validation of each column, by the column's header (row 1)."""
    headers = {cell.column_letter: cell.value for cell in sheet[1]}
    found: dict[str, DataValidation] = {}
    for check in sheet.data_validations.dataValidation:
        for cell_range in check.sqref.ranges:
            letter = cell_range.coord.split(":")[0].rstrip("0123456789")
            assert cell_range.coord == f"{letter}2:{letter}{LAST_ROW}"
            assert letter not in [k for k, v in found.items() if v is check]
            found[str(headers[letter])] = check
    return found


def choices(workbook: Any, formula: str | None) -> list[str]:
    """The values a list check offers: an inline list or a range of another sheet."""
    assert formula is not None
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet_name, cells = formula.split("!")
    rows = workbook[sheet_name][cells.replace("$", "")]
    return [str(row[0].value) for row in rows]


@pytest.fixture(scope="module")
def template() -> Any:
    return openpyxl.load_workbook(io.BytesIO(template_xlsx(["DC-000", "DC-001"])))


def test_report_template_has_its_lists_on_a_hidden_sheet(template: Any) -> None:
    assert template.sheetnames == ["reports", "coins", "equipment", LISTS_SHEET]
    assert template[LISTS_SHEET].sheet_state == "hidden"
    assert [c.value for c in template[LISTS_SHEET][1]] == list(TEMPLATE_LISTS)
    assert set(TEMPLATE_LISTS["yes_no"]) <= TRUE_WORDS | FALSE_WORDS
    assert {w.casefold() for w in TEMPLATE_LISTS["yes_no"]} & TRUE_WORDS
    assert {w.casefold() for w in TEMPLATE_LISTS["yes_no"]} & FALSE_WORDS


def test_report_template_drop_downs(template: Any) -> None:
    reports = checks_by_header(template["reports"])
    coins = checks_by_header(template["coins"])
    for header in ("involved_in_mining", "attestation_statement_accepted"):
        check = reports[header]
        assert check.type == "list"
        assert choices(template, check.formula1) == ["是", "否", "yes", "no"]
        assert check.errorStyle == "stop"
        assert check.showInputMessage
        assert "是" in str(check.prompt)
    mode = reports["operation_mode"]
    assert choices(template, mode.formula1) == [m.value for m in OperationMode]
    assert choices(template, coins["algorithm"].formula1) == [a.value for a in Algorithm]
    assert coins["algorithm"].errorStyle == "stop"
    coin = coins["coin"]
    assert {"BTC", "LTC", "ETH"} <= set(choices(template, coin.formula1))
    assert coin.errorStyle == "warning"  # other tickers are accepted too


def test_report_template_number_ranges(template: Any) -> None:
    reports = checks_by_header(template["reports"])
    energy = reports["facility_electricity_kwh [kWh]"]
    assert (energy.type, energy.operator, energy.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert "kWh" in str(energy.prompt)
    share = reports["mining_share_pct [%]"]
    assert (share.operator, share.formula1, share.formula2) == ("between", "0", "100")
    clients = reports["hosted_clients"]
    assert (clients.type, clients.formula1, clients.errorStyle) == ("whole", "0", "stop")
    count = checks_by_header(template["equipment"])["count"]
    assert (count.type, count.formula1) == ("whole", "1")
    power = checks_by_header(template["equipment"])["rated_power_w [W]"]
    assert (power.type, power.formula1) == ("decimal", "0")


def test_every_enumeration_and_amount_column_has_a_check(template: Any) -> None:
    for sheet, columns in SHEETS.items():
        checks = checks_by_header(template[sheet])
        headers = {c.value: column for c, column in zip(template[sheet][1], columns, strict=True)}
        for header, column in headers.items():
            checked = column.kind in ("boolean", "quantity", "integer") or column.name in (
                "operation_mode",
                "coin",
                "algorithm",
            )
            assert (header in checks) == checked, (sheet, header)
            if header in checks:
                assert checks[header].prompt, (sheet, header)


def _fill(workbook: Any, sheet: str, values: dict[str, Any]) -> None:
    ws = workbook[sheet]
    headers = [c.value for c in ws[1]]
    row = ws.max_row + 1 if sheet != "reports" else 2
    for header, value in values.items():
        ws.cell(row=row, column=headers.index(header) + 1, value=value)


def test_a_template_filled_through_its_choices_parses(template: Any, tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx(["DC-000"])))
    pick = {name: choices(workbook, f) for name, f in _formulas(workbook).items()}
    _fill(
        workbook,
        "reports",
        {
            "involved_in_mining": pick["yes_no"][0],
            "facility_electricity_kwh [kWh]": 4_000_000,
            "mining_electricity_kwh [kWh]": 380_000,
            "mining_share_pct [%]": 9.5,
            "operation_mode": pick["operation_mode"][0],
            "hosted_clients": 0,
            "contact_name": "Li Wei",
            "contact_phone": "+86 10 5555 0100",
            "contact_email": "li@example.cn",
            "attestation_name": "Zhang Min",
            "attestation_signed_at": "2021-05-06T10:00:00+08:00",
            "attestation_statement_accepted": pick["yes_no"][2],
        },
    )
    for algorithm in pick["algorithm"]:  # every choice of the list is read
        _fill(
            workbook,
            "coins",
            {
                "facility_code": "DC-000",
                "coin": pick["coin"][0],
                "algorithm": algorithm,
                "electricity_kwh [kWh]": 380_000 / len(pick["algorithm"]),
            },
        )
    _fill(
        workbook,
        "equipment",
        {
            "facility_code": "DC-000",
            "model": "Antminer S19 Pro",
            "count": 1,
            "rated_power_w [W]": 3250,
        },
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = read_report_xlsx("filled.xlsx", buffer.getvalue())
    assert upload.problems == []
    (row,) = upload.rows
    assert row.raw["involved_in_mining"] is True
    assert row.raw["attestation"]["statement_accepted"] is True
    report, problems = parse_report(row.raw)
    assert problems == []
    assert report is not None
    assert [c.algorithm for c in report.coins] == list(Algorithm)
    assert report.operation_mode is OperationMode.OWN


def _formulas(workbook: Any) -> dict[str, str]:
    lists = workbook[LISTS_SHEET]
    found = {}
    for cell in lists[1]:
        letter = cell.column_letter
        last = max(c.row for c in lists[letter] if c.value is not None)
        found[str(cell.value)] = f"{LISTS_SHEET}!${letter}$2:${letter}${last}"
    return found


def test_registry_template_checks_and_a_row_filled_through_them(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_registry_template(path, BEIJING_DISTRICTS)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["facilities"]
    checks = checks_by_header(sheet)
    kinds = choices(workbook, checks["organization_kind"].formula1)
    assert kinds == ["telecom", "colocation", "cloud", "enterprise", "other"]
    districts = choices(workbook, checks["district"].formula1)
    assert districts == [d.name_zh for d in BEIJING_DISTRICTS]
    assert not checks["district"].showErrorMessage  # codes and Pinyin are accepted too
    assert "110105" in str(checks["district"].prompt)
    latitude, longitude = checks["latitude"], checks["longitude"]
    assert (latitude.type, latitude.formula1, latitude.formula2) == ("decimal", "-90", "90")
    assert (longitude.formula1, longitude.formula2) == ("-180", "180")
    for column in ("rated_it_capacity_kw", "contracted_grid_capacity_kw"):
        assert (checks[column].operator, checks[column].formula1) == ("greaterThanOrEqual", "0")
        assert "[kW]" in str(checks[column].prompt)
    assert set(checks) == {
        "organization_kind",
        "district",
        "latitude",
        "longitude",
        "rated_it_capacity_kw",
        "contracted_grid_capacity_kw",
    }
    chosen: dict[str, Any] = {  # the example row, refilled through the checks
        "facility_code": "BJ-HD-0002",
        "organization_kind": kinds[2],
        "district": districts[-1],
        "latitude": 40.0,
        "longitude": 116.3,
        "rated_it_capacity_kw": 0,
    }
    for column, value in chosen.items():
        sheet.cell(row=2, column=COLUMNS.index(column) + 1, value=value)
    workbook.save(path)
    table = read_registry_file(path)
    batch = parse_registry_rows(table.rows, columns=table.columns)
    assert batch.errors == []
    ((number, filled),) = batch.rows
    assert number == 2
    assert (filled.facility_code, filled.district_code) == (
        "BJ-HD-0002",
        BEIJING_DISTRICTS[-1].code,
    )
    assert filled.rated_it_capacity_kw == 0
