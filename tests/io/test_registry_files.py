from __future__ import annotations

import ipaddress
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashwatch.errors import FileFormatError, InputError
from hashwatch.io.registry_files import (
    COLUMN_LABELS_ZH,
    canonical_column,
    read_registry_file,
    write_registry_file,
    write_registry_template,
)
from hashwatch.reporting.districts import BEIJING_DISTRICTS, resolve_district
from hashwatch.reporting.registry import (
    COLUMN_HELP,
    COLUMNS,
    EXAMPLE_ROW,
    RegistryRow,
    parse_registry_rows,
)
from tests.registry_rows import KINDS, make_rows, make_uscc

DATA = Path(__file__).parents[1] / "data"


def _parse(path: Path) -> list[RegistryRow]:
    table = read_registry_file(path)
    batch = parse_registry_rows(table.rows, columns=table.columns)
    assert batch.errors == []
    return [row for _, row in batch.rows]


def test_utf8_csv_with_bom() -> None:
    assert (DATA / "registry_utf8_bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    table = read_registry_file(DATA / "registry_utf8_bom.csv")
    assert table.columns == COLUMNS
    assert [n for n, _ in table.rows] == [2, 3, 4]
    assert table.notes == []
    first = table.rows[0][1]
    assert first["facility_code"] == "BJ-001"
    assert first["organization_name"] == "北京甲数据服务有限公司"
    assert table.rows[1][1]["ip_ranges"] is None


def test_gb18030_csv_with_chinese_headers_is_read_and_said_so() -> None:
    with pytest.raises(UnicodeDecodeError):
        (DATA / "registry_gb18030_zh.csv").read_bytes().decode("utf-8")
    table = read_registry_file(DATA / "registry_gb18030_zh.csv")
    assert table.columns == COLUMNS
    assert table.notes == ["registry_gb18030_zh.csv is not UTF-8; it was read as GB18030"]
    rows = _parse(DATA / "registry_gb18030_zh.csv")
    assert [r.facility_name for r in rows] == ["甲数据中心一号", "甲数据中心二号"]
    assert [r.district_code for r in rows] == ["110105", "110112"]


def test_xlsx_sheet_named_facilities_is_chosen() -> None:
    workbook = openpyxl.load_workbook(DATA / "registry_zh.xlsx")
    assert workbook.sheetnames[0] == "说明"
    rows = _parse(DATA / "registry_zh.xlsx")
    assert [r.facility_code for r in rows] == ["BJ-001", "BJ-002", "BJ-003"]
    assert rows[2].ip_ranges == ("192.0.2.0/24", "2001:db8:b::/48")
    assert rows[0].rated_it_capacity_kw == 1200.0
    assert rows == _parse(DATA / "registry_utf8_bom.csv")


def test_first_sheet_when_none_is_named_facilities(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet.append(list(COLUMNS))
    sheet.append([EXAMPLE_ROW[c] for c in COLUMNS])
    workbook.create_sheet("other").append(["nothing"])
    workbook.save(tmp_path / "r.xlsx")
    assert [r.facility_code for r in _parse(tmp_path / "r.xlsx")] == ["BJ-CY-0001"]


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("facility_code", "facility_code"),
        ("Facility Code", "facility_code"),
        (" FACILITY-CODE ", "facility_code"),
        ("数据中心名称", "facility_name"),
        ("机构名称", "organization_name"),
        ("统一社会信用代码", "organization_uscc"),
        ("USCC", "organization_uscc"),
        ("所在区", "district"),
        ("IT额定容量(kW)", "rated_it_capacity_kw"),
        ("IT额定容量（kW）", "rated_it_capacity_kw"),
        ("IT额定容量", "rated_it_capacity_kw"),
        ("Rated IT capacity (kW)", "rated_it_capacity_kw"),
        ("合同用电容量(kW)", "contracted_grid_capacity_kw"),
        ("电表编号", "meter_ids"),
        ("IP地址段", "ip_ranges"),
        ("E-mail", "contact_email"),
        ("notes", None),
    ],
)
def test_header_variants(header: str, column: str | None) -> None:
    assert canonical_column(header) == column


def test_every_column_has_a_chinese_label() -> None:
    assert set(COLUMN_LABELS_ZH) == set(COLUMNS)
    assert all(canonical_column(label) == c for c, label in COLUMN_LABELS_ZH.items())


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_round_trip_of_generated_rows(tmp_path: Path, suffix: str) -> None:
    rows = make_rows(40)
    path = tmp_path / f"registry{suffix}"
    assert write_registry_file(path, rows) == 40
    table = read_registry_file(path)
    assert [cells for _, cells in table.rows] == rows


def test_formula_like_text_stays_text_in_xlsx(tmp_path: Path) -> None:
    row = {**EXAMPLE_ROW, "facility_name": '=HYPERLINK("http://x")', "facility_code": "007"}
    write_registry_file(tmp_path / "r.xlsx", [row])
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")["facilities"]
    assert sheet["B2"].data_type == "s"
    cells = read_registry_file(tmp_path / "r.xlsx").rows[0][1]
    assert cells["facility_name"] == row["facility_name"]
    assert cells["facility_code"] == "007"


def test_numbers_typed_into_a_spreadsheet(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(COLUMNS))
    cells: list[Any] = [EXAMPLE_ROW[c] for c in COLUMNS]
    cells[COLUMNS.index("latitude")] = 39.9219
    cells[COLUMNS.index("rated_it_capacity_kw")] = 2400
    cells[COLUMNS.index("facility_code")] = 12.0
    cells[COLUMNS.index("organization_uscc")] = 911100007109302960  # rounded by Excel
    sheet.append(cells)
    workbook.save(tmp_path / "typed.xlsx")
    ((number, raw),) = read_registry_file(tmp_path / "typed.xlsx").rows
    assert (raw["latitude"], raw["rated_it_capacity_kw"], raw["facility_code"]) == (
        "39.9219",
        "2400",
        "12",
    )
    batch = parse_registry_rows([(number, raw)])
    (error,) = batch.errors
    assert error.field == "organization_uscc"


def test_template_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_registry_template(path, BEIJING_DISTRICTS)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["facilities", "districts", "help"]
    districts = list(workbook["districts"].iter_rows(values_only=True))
    assert districts[0] == ("code", "name_zh", "name_pinyin")
    assert len(districts) == 17
    assert ("110105", "朝阳区", "Cháoyáng Qū") in districts
    help_rows = list(workbook["help"].iter_rows(values_only=True))[1:]
    assert [r[0] for r in help_rows] == list(COLUMNS)
    assert all(r[3] == COLUMN_HELP[r[0]] for r in help_rows)
    assert "[kW]" in COLUMN_HELP["rated_it_capacity_kw"]
    (row,) = _parse(path)
    assert row.facility_code == EXAMPLE_ROW["facility_code"]


def test_template_csv(tmp_path: Path) -> None:
    path = tmp_path / "template.csv"
    write_registry_template(path, BEIJING_DISTRICTS)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert len(lines) == 2
    assert len(_parse(path)) == 1


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "bad.csv"
    path.write_bytes(text.encode(encoding))
    return path


HEADER = ",".join(COLUMNS)
EXAMPLE = ",".join(EXAMPLE_ROW[c] for c in COLUMNS)


@pytest.mark.parametrize(
    ("text", "fragment", "row"),
    [
        ("", "the file is empty", None),
        ("\n\n", "the file is empty", None),
        (HEADER + ",notes\n", "header 'notes' in column Q is not a registry column", 1),
        (HEADER + ",数据中心名称\n", "columns B and Q both give facility_name", 1),
        ("facility_code,facility_name\n", "missing: organization_uscc (统一社会信用代码)", 1),
        (HEADER + "\n" + EXAMPLE + ",extra\n", "column Q has a value ('extra') but no header", 2),
        (HEADER + '\n"BJ-1,x\n', "not valid CSV", 2),
        ("a,b\0\n", "NUL", None),
    ],
)
def test_malformed_csv(tmp_path: Path, text: str, fragment: str, row: int | None) -> None:
    with pytest.raises(FileFormatError, match=re.escape(fragment)) as caught:
        read_registry_file(_csv(tmp_path, text))
    assert caught.value.row == row


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = _csv(tmp_path, f"{HEADER}\n\n{EXAMPLE}\n,,,\n")
    assert [n for n, _ in read_registry_file(path).rows] == [3]


def test_short_rows_are_padded(tmp_path: Path) -> None:
    path = _csv(tmp_path, f"{HEADER}\nBJ-1,name\n")
    ((_, cells),) = read_registry_file(path).rows
    assert cells["facility_name"] == "name"
    assert cells["ip_ranges"] is None


def test_neither_utf8_nor_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"facility_code\n\x80\n")
    with pytest.raises(FileFormatError, match="neither UTF-8 nor GB18030"):
        read_registry_file(path)


def test_utf16_is_refused_with_advice(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="save as CSV UTF-8"):
        read_registry_file(_csv(tmp_path, "\ufeff" + HEADER, "utf-16"))


def test_workbook_saved_as_csv(tmp_path: Path) -> None:
    write_registry_file(tmp_path / "r.xlsx", [EXAMPLE_ROW])
    path = tmp_path / "r.csv"
    path.write_bytes((tmp_path / "r.xlsx").read_bytes())
    with pytest.raises(FileFormatError, match="zip file"):
        read_registry_file(path)


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    path.write_text(HEADER, encoding="utf-8")
    with pytest.raises(FileFormatError, match="not a readable XLSX workbook"):
        read_registry_file(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(FileFormatError, match="not a readable XLSX workbook"):
        read_registry_file(path)


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match=r"use \.csv or \.xlsx"):
        read_registry_file(tmp_path / "r.ods")
    with pytest.raises(FileFormatError, match=r"use \.csv or \.xlsx"):
        write_registry_file(tmp_path / "r.txt", [])
    with pytest.raises(FileFormatError, match="cannot be read"):
        read_registry_file(tmp_path / "missing.csv")


# Hypothesis: typed values (as an export writes them) survive writing and reading.
_TEXT = st.text(
    alphabet=st.sampled_from("abcXYZ 019数据中心北京朝阳区=+-,;\"'()（）\n#@"),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() != "")
_IDS = st.from_regex(r"[A-Z][A-Z0-9._-]{0,12}", fullmatch=True)


@st.composite
def _networks(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        address: Any = draw(st.ip_addresses(v=4))
        prefix = draw(st.integers(8, 32))
    else:
        address = draw(st.ip_addresses(v=6))
        prefix = draw(st.integers(16, 128))
    return str(ipaddress.ip_network((address, prefix), strict=False))


@st.composite
def _records(draw: st.DrawFn) -> dict[str, Any]:
    district = draw(st.sampled_from(BEIJING_DISTRICTS))
    located = draw(st.booleans())
    # XLSX keeps 16 significant digits (openpyxl writes %.16g; Excel itself keeps 15)
    numbers = st.none() | st.floats(0, 1e7).map(lambda x: round(x, 3))
    return {
        "facility_code": draw(_IDS),
        "facility_name": draw(_TEXT),
        "organization_uscc": make_uscc(draw(st.integers(0, 999_999))),
        "organization_name": draw(_TEXT),
        "organization_kind": draw(st.sampled_from(KINDS)),
        "contact_name": draw(st.none() | _TEXT),
        "contact_email": draw(st.none() | st.emails()),
        "contact_phone": draw(st.none() | st.from_regex(r"\+86 10 [0-9]{8}", fullmatch=True)),
        "address": draw(st.none() | _TEXT),
        "district": draw(st.sampled_from([district.code, district.name_zh, district.name_pinyin])),
        "latitude": round(draw(st.floats(-90, 90)), 7) if located else None,
        "longitude": round(draw(st.floats(-180, 180)), 7) if located else None,
        "rated_it_capacity_kw": draw(numbers),
        "contracted_grid_capacity_kw": draw(numbers),
        "meter_ids": sorted(draw(st.sets(_IDS, max_size=3))),
        "ip_ranges": sorted(draw(st.sets(_networks(), max_size=3))),
    }


@settings(max_examples=60, deadline=None)
@given(record=_records(), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_hypothesis_round_trip(record: dict[str, Any], suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"r{suffix}"
        write_registry_file(path, [record])
        table = read_registry_file(path)
    batch = parse_registry_rows(table.rows, columns=table.columns)
    if batch.errors:  # st.emails() can draw addresses the simple e-mail check refuses
        assert [e.field for e in batch.errors] == ["contact_email"]
        return
    ((_, row),) = batch.rows
    facility = row.facility()
    for key in ("latitude", "longitude", "rated_it_capacity_kw", "contracted_grid_capacity_kw"):
        assert facility[key] == record[key]
    assert facility["meter_ids"] == record["meter_ids"]
    assert facility["ip_ranges"] == sorted(record["ip_ranges"])
    assert row.facility_name == record["facility_name"].strip()
    assert row.address == (record["address"].strip() if record["address"] else None)
    assert row.organization_uscc == record["organization_uscc"]
    assert row.organization_kind.value == record["organization_kind"]
    assert row.district_code == resolve_district(record["district"]).code


@pytest.mark.parametrize("name", ["r.csv", "r.xlsx"])
def test_unwritable_path(tmp_path: Path, name: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(InputError, match="cannot write"):
        write_registry_file(blocker / name, [EXAMPLE_ROW])
