"""Bulk report files read from real CSV and XLSX files made here."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from hashwatch.errors import FileFormatError
from hashwatch.io.report_files import (
    read_report_csv,
    read_report_upload,
    read_report_xlsx,
    template_csv,
    template_headers,
    template_xlsx,
)

REPORT_HEADER = [
    "facility_code",
    "involved_in_mining",
    "facility_electricity_kwh [MWh]",
    "mining_electricity_kwh [kWh]",
    "operation_mode",
    "hosted_clients",
    "contact_name",
    "contact_email",
    "explanations",
]


def _csv(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def _write(path: Path, data: bytes) -> tuple[str, bytes]:
    path.write_bytes(data)
    return path.name, path.read_bytes()


def test_csv_with_bom_units_in_headers_and_line_tables(tmp_path: Path) -> None:
    reports = _write(
        tmp_path / "reports.csv",
        _csv(
            [
                REPORT_HEADER,
                [
                    "DC-000",
                    "yes",
                    "4,000",
                    "380000",
                    "own",
                    "0",
                    "Li Wei",
                    "li@example.cn",
                    "submission.equipment_missing: 机器已搬走",
                ],
                ["DC-002", "否", "1200", "", "", "", "Wang Fang", "w@example.cn", ""],
            ]
        ),
    )
    coins = _write(
        tmp_path / "coins.csv",
        _csv(
            [
                ["facility_code", "coin", "algorithm", "hashrate_ths [PH/s]", "electricity_kwh"],
                ["DC-000", "比特币", "SHA-256", "15.4", "380000"],
            ]
        ),
    )
    table = read_report_csv({"reports": reports, "coins": coins})
    assert table.problems == []
    assert table.notes == []
    first, second = table.rows
    assert (first.row, first.facility_code) == (2, "DC-000")
    assert first.raw == {
        "involved_in_mining": True,
        "facility_electricity_kwh": "4,000 MWh",
        "mining_electricity_kwh": "380000 kWh",
        "operation_mode": "own",
        "hosted_clients": 0,
        "contact": {"name": "Li Wei", "email": "li@example.cn"},
        "explanations": {"submission.equipment_missing": "机器已搬走"},
        "coins": [
            {
                "coin": "比特币",
                "algorithm": "SHA-256",
                "hashrate_ths": "15.4 PH/s",
                "electricity_kwh": "380000 kWh",
            }
        ],
    }
    assert (second.row, second.raw["involved_in_mining"]) == (3, False)
    assert "mining_electricity_kwh" not in second.raw


def test_gb18030_csv_with_chinese_headers(tmp_path: Path) -> None:
    header = [
        "数据中心编码",
        "是否涉及挖矿",
        "总用电量(MWh)",
        "挖矿用电量（千瓦时）",
        "联系人",
        "联系邮箱",
    ]
    name, data = _write(
        tmp_path / "上报.csv",
        _csv([header, ["DC-001", "是", "2.5", "1000", "张敏", "z@example.cn"]], "gb18030"),
    )
    table = read_report_upload({"reports": (name, data)})
    assert table.notes == ["上报.csv is not UTF-8; it was read as GB18030"]
    (row,) = table.rows
    assert row.raw["facility_electricity_kwh"] == "2.5 MWh"
    assert row.raw["mining_electricity_kwh"] == "1000 千瓦时"
    assert row.raw["contact"] == {"name": "张敏", "email": "z@example.cn"}


def test_bad_cells_are_reported_with_their_row_numbers(tmp_path: Path) -> None:
    reports = _write(
        tmp_path / "r.csv",
        _csv(
            [
                REPORT_HEADER,
                ["DC-000", "yes", "1", "", "", "", "", "", ""],
                ["DC-001", "maybe", "1", "", "", "", "", "", ""],
                ["", "yes", "1", "", "", "", "", "", ""],
                ["DC-000", "no", "1", "", "", "", "", "", ""],
                [],
                ["DC-003", "yes", "1", "", "", "", "", "", "no colon here"],
            ]
        ),
    )
    equipment = _write(
        tmp_path / "e.csv",
        _csv(
            [
                ["facility_code", "model", "count", "rated_power_w [kW]"],
                ["DC-009", "S19", "10", "3.25"],
            ]
        ),
    )
    table = read_report_csv({"reports": reports, "equipment": equipment})
    found = [(p.sheet, p.row, p.facility_code, p.field, p.code) for p in table.problems]
    assert found == [
        ("reports", 3, "DC-001", "involved_in_mining", "bulk.invalid_cell"),
        ("reports", 4, None, "facility_code", "bulk.missing_facility_code"),
        ("reports", 5, "DC-000", "facility_code", "bulk.duplicate_facility"),
        ("reports", 7, "DC-003", "explanations", "bulk.invalid_cell"),
        ("equipment", 2, "DC-009", "facility_code", "bulk.unknown_facility"),
    ]
    assert "maybe" in table.problems[0].message


def test_xlsx_with_chinese_headers_dates_and_numbers(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "reports"
    sheet.append(
        ["数据中心编码", "是否涉及挖矿", "总用电量 [MWh]", "开始挖矿日期", "签署时间", "托管客户数"]
    )
    naive = dt.datetime(2020, 6, 1), dt.datetime(2021, 5, 6, 10)  # noqa: DTZ001 (as Excel holds them)
    sheet.append(["DC-000", True, 4000.0, *naive, 3.0])
    machines = workbook.create_sheet("equipment")
    machines.append(["数据中心编码", "品牌型号", "数量", "单台额定功率(W)"])
    machines.append(["DC-000", "Antminer S19 Pro", 100, 3250])
    machines.append(["DC-000", "Whatsminer M30S", "fifty", "3.344 kW"])
    path = tmp_path / "reports.xlsx"
    workbook.save(path)
    table = read_report_xlsx(path.name, path.read_bytes())
    (row,) = table.rows
    assert row.raw["involved_in_mining"] is True
    assert row.raw["facility_electricity_kwh"] == "4000 MWh"
    assert row.raw["mining_start_date"] == "2020-06-01"
    assert row.raw["attestation"] == {"signed_at": "2021-05-06T10:00:00"}
    assert row.raw["hosted_clients"] == 3
    assert row.raw["equipment"] == [
        {"model": "Antminer S19 Pro", "count": 100, "rated_power_w": "3250 W"},
        {"model": "Whatsminer M30S", "count": "fifty", "rated_power_w": "3.344 kW"},
    ]


def test_templates_read_back(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    path.write_bytes(template_xlsx(["DC-000", "DC-002"]))
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["reports", "coins", "equipment", "lists"]  # lists: hidden
    assert "facility_electricity_kwh [kWh]" in template_headers("reports")
    table = read_report_upload({"reports": (path.name, path.read_bytes())})
    assert [(r.row, r.facility_code, r.raw) for r in table.rows] == [
        (2, "DC-000", {}),
        (3, "DC-002", {}),
    ]
    data = template_csv("reports", ["DC-000"])
    assert data.startswith(b"\xef\xbb\xbf")
    assert read_report_csv({"reports": ("t.csv", data)}).rows[0].facility_code == "DC-000"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"reports": ("r.csv", b"facility_code,colour\nDC-000,red\n")}, "'colour'"),
        ({"reports": ("r.csv", b"involved_in_mining\nyes\n")}, "facility_code"),
        ({"reports": ("r.xlsx", b"PK\x03\x04 not really")}, "not a readable XLSX"),
        ({"reports": ("r.pdf", b"%PDF")}, "unknown file type"),
        ({"reports": ("r.csv", b"\xff\xfe\x00a")}, "UTF-16"),
        ({"reports": ("r.csv", b"facility_code\n")}, "no report rows"),
    ],
)
def test_unreadable_files_are_refused_with_the_reason(
    files: dict[str, tuple[str, bytes]], message: str
) -> None:
    with pytest.raises(FileFormatError, match=message):
        read_report_upload(files)


def test_a_workbook_declaring_a_huge_sheet_is_read_within_bounds() -> None:
    import io as _io

    import openpyxl

    from hashwatch.io.report_files import read_report_xlsx
    from hashwatch.io.workbooks import MAX_COLUMNS, bounded_rows

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "reports"
    sheet.append(["facility_code", "involved_in_mining"])
    sheet.cell(row=30_000, column=16_384, value="far away")  # 5 KB that declares 491M cells
    buffer = _io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(FileFormatError, match="no report rows"):
        read_report_xlsx("wide.xlsx", buffer.getvalue())  # the far cell is past the column cap
    reopened = openpyxl.load_workbook(_io.BytesIO(buffer.getvalue()), read_only=True)
    first = next(bounded_rows("wide", reopened.worksheets[0], max_rows=5))
    assert len(first[1]) <= MAX_COLUMNS
    far = openpyxl.Workbook()
    far_sheet = far.active
    assert far_sheet is not None
    far_sheet.cell(row=10, column=1, value="x")
    rows = far.worksheets[0]
    with pytest.raises(FileFormatError, match="more than 5 rows"):
        list(bounded_rows("far", rows, max_rows=5))


def test_a_zip_bomb_is_refused() -> None:
    import io as _io
    import zipfile

    from hashwatch.io.workbooks import check_zip

    buffer = _io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 1024 * 1024))
    with pytest.raises(FileFormatError, match="zip bomb"):
        check_zip("bomb.xlsx", buffer.getvalue())
