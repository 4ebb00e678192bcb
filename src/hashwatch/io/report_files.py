"""Bulk report files: many facilities' reports in one CSV or XLSX upload, and its template.

A workbook has the sheet ``reports`` (one row per facility, keyed by ``facility_code``) and
the sheets ``coins`` and ``equipment`` (any number of rows per facility, keyed by
``facility_code``). As CSV, the three tables are three files. Headers may carry a unit in
brackets (``facility_electricity_kwh [MWh]``): a bare number in that column is read in that
unit; a cell may also carry its own unit (``1,200 MWh``). English names, spaces or case do
not matter, and the usual Chinese headers (数据中心编码, 总用电量, 挖矿用电量, ...) are
understood. CSV is read as UTF-8 (with or without BOM) or else GB18030.

Readers return the raw report of each facility with the row a spreadsheet shows (header on
row 1); a cell that cannot be read is a :class:`RowProblem` naming sheet, row and column.
Judging values is :func:`hashwatch.reporting.rules.validate_report`'s business.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import openpyxl
from openpyxl.utils import get_column_letter

from hashwatch.errors import FileFormatError
from hashwatch.io.csvtext import csv_records, decode_csv_bytes
from hashwatch.io.workbooks import bounded_rows, open_workbook
from hashwatch.io.xlsx_checks import ErrorStyle, add_lists, list_check, number_check
from hashwatch.reporting.report import Algorithm, OperationMode
from hashwatch.reporting.rules_amounts import COIN_ALGORITHMS


@dataclass(frozen=True)
class Column:
    name: str
    path: str
    unit: str | None = None
    zh: str = ""
    kind: str = "text"  # text, quantity, boolean, integer, date, datetime, explanations


def _c(name: str, path: str, zh: str, unit: str | None = None, kind: str = "text") -> Column:
    return Column(name, path, unit, zh, "quantity" if unit and kind == "text" else kind)


SHEETS: Final[Mapping[str, tuple[Column, ...]]] = {
    "reports": (
        _c("facility_code", "", "数据中心编码"),
        _c("involved_in_mining", "involved_in_mining", "是否涉及挖矿", kind="boolean"),
        _c("facility_electricity_kwh", "facility_electricity_kwh", "总用电量", "kWh"),
        _c("mining_electricity_kwh", "mining_electricity_kwh", "挖矿用电量", "kWh"),
        _c("mining_share_pct", "mining_share_pct", "挖矿用电占比", "%"),
        _c("peak_demand_kw", "peak_demand_kw", "最大负荷", "kW"),
        _c("operation_mode", "operation_mode", "运营方式"),
        _c("hosted_clients", "hosted_clients", "托管客户数", kind="integer"),
        _c("grid_supplier", "power_supply.grid_supplier", "供电企业"),
        _c("self_generation_kwh", "power_supply.self_generation_kwh", "自发电量", "kWh"),
        _c("renewable_share_pct", "power_supply.renewable_share_pct", "可再生能源占比", "%"),
        _c("mining_start_date", "mining_start_date", "开始挖矿日期", kind="date"),
        _c("planned_exit_date", "planned_exit_date", "停止挖矿日期", kind="date"),
        _c("contact_name", "contact.name", "联系人"),
        _c("contact_title", "contact.title", "联系人职务"),
        _c("contact_phone", "contact.phone", "联系电话"),
        _c("contact_email", "contact.email", "联系邮箱"),
        _c("attestation_name", "attestation.name", "签署人"),
        _c("attestation_title", "attestation.title", "签署人职务"),
        _c("attestation_signed_at", "attestation.signed_at", "签署时间", kind="datetime"),
        _c(
            "attestation_statement_accepted",
            "attestation.statement_accepted",
            "确认声明",
            kind="boolean",
        ),
        _c("explanations", "explanations", "说明", kind="explanations"),
    ),
    "coins": (
        _c("facility_code", "", "数据中心编码"),
        _c("coin", "coin", "币种"),
        _c("algorithm", "algorithm", "算法"),
        _c("hashrate_ths", "hashrate_ths", "平均算力", "TH/s"),
        _c("electricity_kwh", "electricity_kwh", "用电量", "kWh"),
    ),
    "equipment": (
        _c("facility_code", "", "数据中心编码"),
        _c("model", "model", "品牌型号"),
        _c("count", "count", "数量", kind="integer"),
        _c("rated_power_w", "rated_power_w", "单台额定功率", "W"),
    ),
}
TRUE_WORDS: Final = frozenset({"yes", "true", "y", "1", "是", "有", "涉及"})
FALSE_WORDS: Final = frozenset({"no", "false", "n", "0", "否", "无", "不涉及"})
_MAX_ROWS: Final = 20_000


@dataclass(frozen=True)
class RowProblem:
    """A cell or row that cannot be read; ``row`` as a spreadsheet shows it."""

    sheet: str
    row: int
    facility_code: str | None
    field: str | None
    code: str
    message: str
    data: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """The values behind ``message`` (a validation finding's data, or a ``bulk.`` problem's)."""


@dataclass(frozen=True)
class ReportRow:
    row: int
    facility_code: str
    raw: dict[str, Any]


@dataclass
class ReportRows:
    """The reports of an upload, and every problem found reading it."""

    rows: list[ReportRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-()\[\]:/（）【】]+", "", folded)


def _split_header(text: str) -> tuple[str, str | None]:
    """Header name and the unit in its brackets, if any (``总用电量(MWh)`` → MWh)."""
    normal = unicodedata.normalize("NFKC", text).strip()
    match = re.fullmatch(r"(.*?)\s*[\[(]\s*([^\])]+?)\s*[\])]\s*", normal)
    if match is None:
        return normal, None
    return match.group(1), match.group(2)


def _index(columns: Sequence[Column]) -> dict[str, Column]:
    found: dict[str, Column] = {}
    for column in columns:
        for name in (column.name, column.zh, column.path):
            if name:
                found[_key(name)] = column
        if column.unit and column.name.endswith(_key(column.unit)):
            found[_key(column.name[: -len(_key(column.unit))])] = column
    return found


_INDEXES: Final = {sheet: _index(columns) for sheet, columns in SHEETS.items()}


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


@dataclass(frozen=True)
class _Header:
    columns: list[tuple[Column, str | None] | None]


def _header(sheet: str, cells: Sequence[Any]) -> _Header:
    index = _INDEXES[sheet]
    columns: list[tuple[Column, str | None] | None] = []
    seen: set[str] = set()
    for number, cell in enumerate(cells, start=1):
        text = _cell_text(cell)
        if text is None:
            columns.append(None)
            continue
        name, unit = _split_header(text)
        column = index.get(_key(name)) or index.get(_key(text))
        if column is None:
            expected = ", ".join(c.name for c in SHEETS[sheet])
            raise FileFormatError(
                f"{sheet}: header {text!r} in column {number} is not a column of this sheet; "
                f"expected some of: {expected}",
                field=text,
                row=1,
            )
        if column.name in seen:
            raise FileFormatError(f"{sheet}: two columns give {column.name}", field=column.name)
        seen.add(column.name)
        columns.append((column, unit if unit and column.kind == "quantity" else None))
    if "facility_code" not in seen:
        raise FileFormatError(
            f"{sheet}: the column facility_code (数据中心编码) is missing", field="facility_code"
        )
    return _Header(columns)


def _put(raw: dict[str, Any], path: str, value: Any) -> None:
    head, _, rest = path.partition(".")
    if rest:
        _put(raw.setdefault(head, {}), rest, value)
    else:
        raw[head] = value


def _explanations(text: str) -> dict[str, str]:
    """``code: text`` pairs, one a line or separated by ``;``."""
    found: dict[str, str] = {}
    for part in re.split(r"[;\n；]", text):
        key, sep, value = part.partition(":")
        if not sep:
            key, sep, value = part.partition("：")
        if sep and key.strip() and value.strip():
            found[key.strip()] = value.strip()
        elif part.strip():
            raise ValueError(f"{part.strip()!r} is not 'code: explanation'")
    return found


def _value(column: Column, unit: str | None, text: str) -> Any:
    """The raw report value of one cell; ``ValueError`` for a cell that cannot be read."""
    if column.kind == "boolean":
        word = text.casefold()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(f"{text!r} is not yes or no (是/否)")
    if column.kind == "integer":
        return int(text) if re.fullmatch(r"[+]?\d{1,12}", text) else text
    if column.kind == "quantity":
        if re.fullmatch(r"[-+]?[\d,]*\.?\d+(?:[eE][-+]?\d+)?", text):
            return f"{text} {unit or column.unit}"
        return text
    if column.kind == "date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00", text):
        return text[:10]
    if column.kind == "explanations":
        return _explanations(text)
    return text


def _records(
    sheet: str, records: Iterable[tuple[int, Sequence[Any]]], out: ReportRows
) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(row, facility_code, raw values) of each non-empty row of a table."""
    header: _Header | None = None
    for number, cells in records:
        if all(_cell_text(c) is None for c in cells):
            continue
        if header is None:
            header = _header(sheet, cells)
            continue
        if number > _MAX_ROWS:
            raise FileFormatError(f"{sheet}: more than {_MAX_ROWS} rows", row=number)
        raw: dict[str, Any] = {}
        code: str | None = None
        for position, cell in enumerate(cells):
            text = _cell_text(cell)
            spec = header.columns[position] if position < len(header.columns) else None
            if text is None:
                continue
            if spec is None:
                out.problems.append(
                    RowProblem(
                        sheet,
                        number,
                        code,
                        None,
                        "bulk.cell_without_header",
                        f"column {position + 1} has a value ({text!r}) but no header",
                        {"column": position + 1, "value": text},
                    )
                )
                continue
            column, unit = spec
            if column.name == "facility_code":
                code = text
                continue
            try:
                _put(raw, column.path, _value(column, unit, text))
            except ValueError as exc:
                out.problems.append(
                    RowProblem(sheet, number, code, column.path, "bulk.invalid_cell", str(exc))
                )
        if code is None:
            out.problems.append(
                RowProblem(
                    sheet,
                    number,
                    None,
                    "facility_code",
                    "bulk.missing_facility_code",
                    "the row has no facility_code",
                )
            )
            continue
        yield number, code, raw


def _assemble(tables: Mapping[str, Iterable[tuple[int, Sequence[Any]]]], out: ReportRows) -> None:
    by_code: dict[str, ReportRow] = {}
    for number, code, raw in _records("reports", tables["reports"], out):
        if code in by_code:
            out.problems.append(
                RowProblem(
                    "reports",
                    number,
                    code,
                    "facility_code",
                    "bulk.duplicate_facility",
                    f"{code} is also on row {by_code[code].row}; one row per facility",
                    {"facility_code": code, "other_row": by_code[code].row},
                )
            )
            continue
        by_code[code] = ReportRow(number, code, raw)
    for sheet in ("coins", "equipment"):
        for number, code, line in _records(sheet, tables.get(sheet, ()), out):
            if code not in by_code:
                out.problems.append(
                    RowProblem(
                        sheet,
                        number,
                        code,
                        "facility_code",
                        "bulk.unknown_facility",
                        f"{code} has no row in the sheet reports",
                        {"facility_code": code},
                    )
                )
                continue
            by_code[code].raw.setdefault(sheet, []).append(line)
    out.rows.extend(by_code.values())
    if not out.rows and not out.problems:
        raise FileFormatError("reports: the file has no report rows")


def read_report_csv(files: Mapping[str, tuple[str, bytes]]) -> ReportRows:
    """CSV tables by sheet name (``reports``, and optionally ``coins``, ``equipment``)."""
    out = ReportRows()
    tables = {
        sheet: list(csv_records(name, decode_csv_bytes(name, data, out.notes)))
        for sheet, (name, data) in files.items()
    }
    if "reports" not in tables:
        raise FileFormatError("the reports table is missing", field="reports")
    _assemble(tables, out)
    return out


def read_report_xlsx(name: str, data: bytes) -> ReportRows:
    """A workbook with the sheets ``reports``, ``coins`` and ``equipment``."""
    workbook = open_workbook(name, data, data_only=True)
    try:
        sheets = {s.title.strip().casefold(): s for s in workbook.worksheets}
        if "reports" not in sheets:
            raise FileFormatError(f"{name}: the workbook has no sheet 'reports'", field="reports")
        tables = {
            sheet: list(bounded_rows(sheet, sheets[sheet], max_rows=_MAX_ROWS + 1))
            for sheet in SHEETS
            if sheet in sheets
        }
        out = ReportRows()
        _assemble(tables, out)
        return out
    finally:
        workbook.close()


def read_report_upload(files: Mapping[str, tuple[str, bytes]]) -> ReportRows:
    """An upload: one XLSX workbook under ``reports``, or CSV tables by sheet name."""
    name, data = files["reports"]
    if name.lower().endswith((".xlsx", ".xlsm")) or data.startswith(b"PK\x03\x04"):
        return read_report_xlsx(name, data)
    if name.lower().endswith((".csv", ".txt")):
        return read_report_csv(files)
    raise FileFormatError(f"{name}: unknown file type; use .csv or .xlsx", field="reports")


def template_headers(sheet: str) -> list[str]:
    """Headers of a template sheet: the canonical name with its unit in brackets."""
    return [f"{c.name} [{c.unit}]" if c.unit else c.name for c in SHEETS[sheet]]


def template_csv(sheet: str, facility_codes: Sequence[str] = ()) -> bytes:
    """A CSV template (UTF-8 with BOM, so spreadsheets show Chinese text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(template_headers(sheet))
    if sheet == "reports":
        writer.writerows([[code] for code in facility_codes])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx(facility_codes: Sequence[str] = ()) -> bytes:
    """The XLSX template: sheets reports, coins and equipment; one reports row per facility."""
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for sheet, columns in SHEETS.items():
        ws = workbook.create_sheet(sheet)
        ws.append(template_headers(sheet))
        if sheet == "reports":
            for code in facility_codes:
                ws.append([code])
        for position, column in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(position)].width = max(14, len(column.name) + 6)
    _add_checks(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


#: The drop-down lists of the XLSX template: what the reader and the report accept.
TEMPLATE_LISTS: Final[Mapping[str, tuple[str, ...]]] = {
    "yes_no": ("是", "否", "yes", "no"),
    "operation_mode": tuple(mode.value for mode in OperationMode),
    "coin": tuple(COIN_ALGORITHMS),
    "algorithm": tuple(algorithm.value for algorithm in Algorithm),
}
_LISTED: Final = frozenset({"operation_mode", "coin", "algorithm"})


def _add_checks(workbook: Any) -> None:
    """Drop-downs for yes/no, operation mode, coin and algorithm; ranges for amounts."""
    formulas = add_lists(workbook, TEMPLATE_LISTS)
    for sheet, columns in SHEETS.items():
        ws = workbook[sheet]
        for position, column in enumerate(columns, start=1):
            title = f"{column.zh} {column.name}"
            if column.kind == "boolean":
                prompt = f"{column.zh}: 是 or 否 (yes or no)."
                list_check(ws, position, formulas["yes_no"], title=title, prompt=prompt)
            elif column.name in _LISTED:
                # another coin's ticker is accepted too: the coin list only warns
                style: ErrorStyle = "warning" if column.name == "coin" else "stop"
                prompt = f"{column.zh}: {', '.join(TEMPLATE_LISTS[column.name])}."
                formula = formulas[column.name]
                list_check(ws, position, formula, title=title, prompt=prompt, error_style=style)
            elif column.kind == "quantity":
                prompt = (
                    f"{column.zh}: a number in {column.unit} (or the unit in the header), "
                    "or a value with its unit (1,200 MWh). 数字，单位见表头。"
                )
                top = 100.0 if column.unit == "%" else None
                number_check(
                    ws,
                    position,
                    minimum=0,
                    maximum=top,
                    title=title,
                    prompt=prompt,
                    error_style="warning",
                )
            elif column.kind == "integer":
                least = 1 if column.name == "count" else 0
                prompt = f"{column.zh}: a whole number ≥ {least}. 整数。"
                number_check(ws, position, minimum=least, whole=True, title=title, prompt=prompt)
