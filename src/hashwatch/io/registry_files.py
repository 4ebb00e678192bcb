"""Registry files: CSV and XLSX readers and writers, and the fill-in template.

Readers return the cells as text keyed by canonical column names
(:data:`hashwatch.reporting.registry.COLUMNS`) with the row numbers a spreadsheet shows
(header on row 1). Header variants are mapped to canonical names: case, spaces, hyphens and
brackets do not matter, and the usual Chinese headers (机构名称, 统一社会信用代码,
数据中心名称, 所在区, IT额定容量(kW), ...) are understood. Checking the values is
:mod:`hashwatch.reporting.registry`'s business.

CSV is read as UTF-8 (with or without BOM) or, when that fails, as GB18030 (the table's
``notes`` say so); it is written as UTF-8 with a BOM so that spreadsheet programs show Chinese
text. XLSX is read from the sheet ``facilities`` or else the first sheet; numbers are written
as numbers with 16 significant digits (Excel keeps 15), codes and lists as text.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hashwatch.errors import FileFormatError
from hashwatch.io.csvtext import csv_records, decode_csv_bytes
from hashwatch.io.tables import atomic_path, write_csv, write_xlsx
from hashwatch.io.workbooks import bounded_rows, open_workbook
from hashwatch.io.xlsx_checks import list_check, number_check
from hashwatch.reporting.districts import (
    BEIJING_DISTRICTS,
    DISTRICT_COLUMNS,
    District,
    parse_districts,
)
from hashwatch.reporting.registry import (
    COLUMN_HELP,
    COLUMNS,
    EXAMPLE_ROW,
    KIND_LABELS_ZH,
    REQUIRED_COLUMNS,
)

COLUMN_LABELS_ZH: dict[str, str] = {
    "facility_code": "数据中心编码",
    "facility_name": "数据中心名称",
    "organization_uscc": "统一社会信用代码",
    "organization_name": "机构名称",
    "organization_kind": "机构类型",
    "contact_name": "联系人",
    "contact_email": "联系邮箱",
    "contact_phone": "联系电话",
    "address": "地址",
    "district": "所在区",
    "latitude": "纬度",
    "longitude": "经度",
    "rated_it_capacity_kw": "IT额定容量(kW)",
    "contracted_grid_capacity_kw": "合同用电容量(kW)",
    "meter_ids": "电表编号",
    "ip_ranges": "IP地址段",
}
_ALIASES: dict[str, tuple[str, ...]] = {
    "facility_code": ("facility id", "数据中心编号", "设施编码", "设施编号"),
    "facility_name": ("facility", "设施名称"),
    "organization_uscc": ("uscc", "unified social credit code", "信用代码", "社会信用代码"),
    "organization_name": ("organization", "单位名称", "企业名称", "运营单位"),
    "organization_kind": ("organization type", "机构类别", "单位类型", "企业类型"),
    "contact_name": ("contact", "联系人姓名"),
    "contact_email": ("email", "e-mail", "电子邮箱", "邮箱"),
    "contact_phone": ("phone", "telephone", "电话"),
    "address": ("详细地址", "地址信息"),
    "district": ("district code", "区", "行政区", "所在区县", "区县"),
    "latitude": ("lat",),
    "longitude": ("lon", "lng"),
    "rated_it_capacity_kw": ("rated it capacity", "IT额定容量", "额定IT容量", "IT容量"),
    "contracted_grid_capacity_kw": ("contracted grid capacity", "合同用电容量", "报装容量"),
    "meter_ids": ("meters", "meter id", "电能表编号", "计量表号", "电表号"),
    "ip_ranges": ("ip range", "ip ranges cidr", "IP段", "IP地址范围"),
}
TEXT_COLUMNS = frozenset(COLUMNS) - {
    "latitude",
    "longitude",
    "rated_it_capacity_kw",
    "contracted_grid_capacity_kw",
}
REGISTRY_SHEET = "facilities"
_MAX_EXACT_INTEGER = 2**53


def _header_key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-()\[\]:/]+", "", folded)


_HEADER_INDEX: dict[str, str] = {
    _header_key(name): column
    for column in COLUMNS
    for name in (column, COLUMN_LABELS_ZH[column], *_ALIASES[column])
}
# "kw" at the end of a header is a unit: "IT额定容量(kW)" and "IT额定容量" are one column.
_HEADER_INDEX |= {
    key + "kw": column
    for key, column in list(_HEADER_INDEX.items())
    if column.endswith("_kw") and not key.endswith("kw")
}


def canonical_column(header: str) -> str | None:
    """The canonical column a header names, or ``None`` if it names none."""
    return _HEADER_INDEX.get(_header_key(header))


@dataclass
class RegistryTable:
    """A registry file's cells: canonical columns present, and numbered rows of text."""

    columns: tuple[str, ...]
    rows: list[tuple[int, dict[str, str | None]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _MAX_EXACT_INTEGER:
            return str(int(value))
        return repr(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    text = str(value)
    return text if text.strip() else None


def _map_header(name: str, cells: Sequence[Any], header_row: int) -> list[str | None]:
    columns: list[str | None] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells):
        text = _cell_text(cell)
        letter = get_column_letter(index + 1)
        if text is None:
            columns.append(None)
            continue
        column = canonical_column(text)
        if column is None:
            raise FileFormatError(
                f"{name}: header {text!r} in column {letter} is not a registry column; "
                f"expected some of: {', '.join(COLUMNS)}",
                field=text,
                row=header_row,
            )
        if column in seen:
            raise FileFormatError(
                f"{name}: columns {get_column_letter(seen[column] + 1)} and {letter} "
                f"both give {column}",
                field=column,
                row=header_row,
            )
        seen[column] = index
        columns.append(column)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        names = ", ".join(f"{c} ({COLUMN_LABELS_ZH[c]})" for c in missing)
        raise FileFormatError(
            f"{name}: required column(s) missing: {names}", field=missing[0], row=header_row
        )
    return columns


def _table(name: str, records: Iterable[tuple[int, Sequence[Any]]]) -> RegistryTable:
    """Header = first non-empty record; later empty records are skipped."""
    header: list[str | None] | None = None
    table = RegistryTable(columns=())
    for number, cells in records:
        if all(_cell_text(c) is None for c in cells):
            continue
        if header is None:
            header = _map_header(name, cells, number)
            table.columns = tuple(c for c in header if c is not None)
            continue
        row: dict[str, str | None] = dict.fromkeys(table.columns)
        for index, cell in enumerate(cells):
            text = _cell_text(cell)
            column = header[index] if index < len(header) else None
            if column is not None:
                row[column] = text
            elif text is not None:
                raise FileFormatError(
                    f"{name}: column {get_column_letter(index + 1)} has a value "
                    f"({text!r}) but no header",
                    row=number,
                )
        table.rows.append((number, row))
    if header is None:
        raise FileFormatError(f"{name}: the file is empty (no header row)")
    return table


def read_registry_csv(path: Path) -> RegistryTable:
    """A registry CSV file (UTF-8, UTF-8 with BOM, or GB18030)."""
    notes: list[str] = []
    text = decode_csv_bytes(path.name, _read_bytes(path), notes)
    table = _table(path.name, csv_records(path.name, text))
    table.notes.extend(notes)
    return table


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"{path.name}: cannot be read: {exc.strerror}") from None


def _sheet(workbook: Any) -> Worksheet:
    for sheet in workbook.worksheets:
        if sheet.title.strip().casefold() == REGISTRY_SHEET:
            return sheet  # type: ignore[no-any-return]
    return workbook.worksheets[0]  # type: ignore[no-any-return]


def _values(name: str, number: int, cells: Sequence[Any]) -> list[Any]:
    """Cell values of one row; a formula is refused (its value may not be cached)."""
    values = []
    for cell in cells:
        if getattr(cell, "data_type", None) == "f":
            where = getattr(cell, "coordinate", "?")
            raise FileFormatError(
                f"{name}: cell {where} holds a formula ({cell.value}); enter its value instead",
                row=number,
            )
        values.append(getattr(cell, "value", None))
    return values


MAX_REGISTRY_ROWS = 200_000


def read_registry_xlsx(path: Path) -> RegistryTable:
    """A registry workbook: the sheet ``facilities`` if there is one, else the first sheet."""
    if not path.is_file():
        raise FileFormatError(f"{path.name}: cannot be read: no such file")
    workbook = open_workbook(path.name, path, data_only=False)
    try:
        sheet = _sheet(workbook)
        name = f"{path.name} [{sheet.title}]"
        rows = bounded_rows(name, sheet, max_rows=MAX_REGISTRY_ROWS, values_only=False)
        records = ((n, _values(name, n, row)) for n, row in rows)
        return _table(name, records)
    finally:
        workbook.close()


def read_registry_file(path: Path) -> RegistryTable:
    """A registry file, CSV or XLSX by its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_registry_csv(path)
    if suffix in {".xlsx", ".xlsm"}:
        return read_registry_xlsx(path)
    raise FileFormatError(f"{path.name}: unknown file type {suffix!r}; use .csv or .xlsx")


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def _xlsx_value(column: str, value: Any) -> Any:
    if column in TEXT_COLUMNS:
        text = _csv_value(value)
        return text or None
    return value


def _display(row: Mapping[str, Any]) -> dict[str, Any]:
    """A registry row as the file shows it: lists joined with ';', codes as text."""
    return {c: _xlsx_value(c, row.get(c)) for c in COLUMNS}


def write_registry_csv(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write registry rows as CSV (UTF-8 with BOM, canonical header); return the row count."""
    shown = [_display(row) for row in rows]
    write_csv(path, COLUMNS, shown)
    return len(shown)


def _append(sheet: Worksheet, values: Sequence[Any]) -> None:
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"  # text that starts with "=" stays text, never a formula


def _facilities_sheet(sheet: Any) -> None:
    """Title, header, frozen header row and text-formatted code columns."""
    sheet.title = REGISTRY_SHEET
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = max(14, len(column) + 2)
        if column in TEXT_COLUMNS:
            dimension.number_format = "@"
    sheet.append(list(COLUMNS))


def write_registry_xlsx(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write registry rows to the sheet ``facilities`` of a new workbook; return the count."""
    shown = [_display(row) for row in rows]
    write_xlsx(path, {REGISTRY_SHEET: (COLUMNS, shown)}, text_columns=TEXT_COLUMNS)
    return len(shown)


def _save(workbook: Any, path: Path) -> None:
    """Save in memory first, then write atomically."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def write_registry_file(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write registry rows as CSV or XLSX by the suffix of ``path``; return the count."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_registry_csv(path, rows)
    if suffix == ".xlsx":
        return write_registry_xlsx(path, rows)
    raise FileFormatError(f"{path.name}: unknown file type {suffix!r}; use .csv or .xlsx")


def _help_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for column in COLUMNS:
        required = "yes" if column in REQUIRED_COLUMNS else "no"
        rows.append((column, COLUMN_LABELS_ZH[column], required, COLUMN_HELP[column]))
    return rows


#: Number ranges of the template's numeric columns: (minimum, maximum or None).
TEMPLATE_RANGES: dict[str, tuple[float, float | None]] = {
    "latitude": (-90.0, 90.0),
    "longitude": (-180.0, 180.0),
    "rated_it_capacity_kw": (0.0, None),
    "contracted_grid_capacity_kw": (0.0, None),
}


def _add_checks(sheet: Worksheet, n_districts: int) -> None:
    """Drop-downs for the organization kind and the district (other spellings are accepted
    too, so they do not refuse), and ranges with a prompt for the numeric columns."""
    kinds = ",".join(k.value for k in KIND_LABELS_ZH)
    lists = (
        ("organization_kind", f'"{kinds}"'),
        ("district", f"districts!$B$2:$B${n_districts + 1}"),
    )
    for column, formula in lists:
        position = COLUMNS.index(column) + 1
        title, prompt = COLUMN_LABELS_ZH[column], COLUMN_HELP[column]
        list_check(sheet, position, formula, title=title, prompt=prompt, error_style=None)
    for column, (low, high) in TEMPLATE_RANGES.items():
        position = COLUMNS.index(column) + 1
        title, prompt = COLUMN_LABELS_ZH[column], COLUMN_HELP[column]
        number_check(sheet, position, minimum=low, maximum=high, title=title, prompt=prompt)


def write_registry_template(path: Path, districts: Sequence[District]) -> None:
    """The fill-in template: header and a worked example row.

    XLSX templates also get a ``districts`` sheet listing the valid districts and a ``help``
    sheet describing every column with its unit; CSV templates are the header and example.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_registry_csv(path, [EXAMPLE_ROW])
        return
    if suffix != ".xlsx":
        raise FileFormatError(f"{path.name}: unknown file type {suffix!r}; use .csv or .xlsx")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    _facilities_sheet(sheet)
    _append(sheet, [_xlsx_value(c, EXAMPLE_ROW[c]) for c in COLUMNS])
    listed = workbook.create_sheet("districts")
    listed.append(list(DISTRICT_COLUMNS))
    for district in districts:
        listed.append([district.code, district.name_zh, district.name_pinyin])
    _add_checks(sheet, len(districts))
    guide = workbook.create_sheet("help")
    guide.append(["column", "中文", "required", "description and unit"])
    for values in _help_rows():
        guide.append(list(values))
    guide.column_dimensions["A"].width = 30
    guide.column_dimensions["D"].width = 90
    _save(workbook, path)


def read_district_rows(path: Path) -> list[dict[str, str | None]]:
    """The rows of a district CSV file (header ``code,name_zh,name_pinyin``)."""
    text = decode_csv_bytes(path.name, _read_bytes(path), [])
    records = [cells for _, cells in csv_records(path.name, text) if any(c.strip() for c in cells)]
    if not records:
        raise FileFormatError(f"{path.name}: the district file is empty")
    header = [h.strip().casefold() for h in records[0]]
    missing = [c for c in DISTRICT_COLUMNS if c not in header]
    if missing:
        raise FileFormatError(
            f"{path.name}: the district file needs the columns {','.join(DISTRICT_COLUMNS)}; "
            f"missing: {', '.join(missing)}",
            row=1,
        )
    return [dict(zip(header, cells, strict=False)) for cells in records[1:]]


def load_districts(path: Path) -> tuple[District, ...]:
    """The districts of a CSV file with the header ``code,name_zh,name_pinyin``."""
    return parse_districts(read_district_rows(path), source=str(path))


def configured_districts(district_file: Path | None) -> tuple[District, ...]:
    """The districts of the deployment: ``district_file`` if set, else Beijing's 16."""
    return BEIJING_DISTRICTS if district_file is None else load_districts(district_file)
