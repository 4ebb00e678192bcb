"""Data validations of the XLSX fill-in templates: drop-down lists and number ranges.

Spreadsheet programs (Excel, LibreOffice, WPS) show a list check as a drop-down on the
cell, and every check's input message as a prompt when the cell is selected. The choices
are kept on a hidden sheet (:data:`LISTS_SHEET`, one column per list, its name on row 1)
and referenced by range, so a list may be longer than the 255 characters an inline list
allows. The readers never look at that sheet.

``error_style`` says what happens to a value outside a check: ``stop`` refuses it,
``warning`` asks, ``information`` only tells, and ``None`` says nothing (for lists whose
other spellings the reader accepts as well).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

#: The hidden sheet with the choices of the drop-down lists.
LISTS_SHEET: Final = "lists"
#: The last row a template's checks cover (the header is row 1).
LAST_ROW: Final = 10_000
ErrorStyle = Literal["stop", "warning", "information"] | None
_TITLE_CHARS: Final = 32  # the longest prompt or error title Excel keeps
_PROMPT_CHARS: Final = 255  # the longest prompt or error message Excel keeps


def add_lists(workbook: Any, lists: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Write the lists on a new hidden sheet; the range formula of each, by list name."""
    sheet = workbook.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "hidden"
    formulas = {}
    for position, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(position)
        sheet.cell(row=1, column=position, value=name)
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=position, value=value).data_type = "s"
        formulas[name] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"
    return formulas


def _add(
    sheet: Worksheet,
    column: int,
    check: DataValidation,
    *,
    title: str,
    prompt: str,
    error_style: ErrorStyle,
    error: str,
) -> DataValidation:
    check.promptTitle = title[:_TITLE_CHARS]
    check.prompt = prompt[:_PROMPT_CHARS]
    check.showInputMessage = True
    check.showErrorMessage = error_style is not None
    if error_style is not None:
        check.errorStyle = error_style
        check.errorTitle = title[:_TITLE_CHARS]
        check.error = error[:_PROMPT_CHARS]
    letter = get_column_letter(column)
    check.add(f"{letter}2:{letter}{LAST_ROW}")
    sheet.add_data_validation(check)
    return check


def list_check(
    sheet: Worksheet,
    column: int,
    formula: str,
    *,
    title: str,
    prompt: str,
    error_style: ErrorStyle = "stop",
) -> DataValidation:
    """A drop-down of the list ``formula`` (from :func:`add_lists`) on a column's rows."""
    check = DataValidation(type="list", formula1=formula, allow_blank=True)
    error = f"{prompt} Choose from the list. 请从列表中选择。"
    return _add(
        sheet, column, check, title=title, prompt=prompt, error_style=error_style, error=error
    )


def number_check(
    sheet: Worksheet,
    column: int,
    *,
    minimum: float,
    maximum: float | None = None,
    whole: bool = False,
    title: str,
    prompt: str,
    error_style: ErrorStyle = "stop",
) -> DataValidation:
    """A number from ``minimum`` (to ``maximum``) on a column's rows; ``whole`` for counts."""
    check = DataValidation(
        type="whole" if whole else "decimal",
        operator="greaterThanOrEqual" if maximum is None else "between",
        formula1=f"{minimum:g}",
        formula2=None if maximum is None else f"{maximum:g}",
        allow_blank=True,
    )
    span = f"≥ {minimum:g}" if maximum is None else f"{minimum:g} – {maximum:g}"
    kind = "a whole number 整数" if whole else "a number 数字"
    error = f"Give {kind} {span}. {prompt}"
    return _add(
        sheet, column, check, title=title, prompt=prompt, error_style=error_style, error=error
    )
