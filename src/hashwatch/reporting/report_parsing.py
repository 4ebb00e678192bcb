"""Parsing a raw report into :class:`~hashwatch.reporting.report.Report`, with every problem
as an error finding that names the field (never an exception).
"""

from __future__ import annotations

import difflib
import math
import typing
from collections.abc import Mapping
from typing import Any, Final

from pydantic import (
    BaseModel,
    ValidationError,
)

from hashwatch.reporting.findings import Finding, Severity
from hashwatch.reporting.report import (
    FORBIDDEN_TEXT_PATTERN,
    MAX_YEAR,
    MIN_YEAR,
    Report,
    short_repr,
)

_CODE_BY_ERROR_TYPE: Final[Mapping[str, str]] = {
    "missing": "submission.missing_field",
    "extra_forbidden": "submission.unknown_field",
    "negative_value": "submission.negative_value",
    "not_numeric": "submission.not_numeric",
    "not_finite": "submission.not_numeric",
    "unknown_unit": "submission.unknown_unit",
    "ambiguous_unit": "submission.unknown_unit",
    "wrong_dimension": "submission.wrong_unit",
    "too_large": "submission.out_of_range",
    "date_out_of_range": "submission.out_of_range",
    "string_too_long": "submission.out_of_range",
    "too_long": "submission.out_of_range",
    "greater_than_equal": "submission.out_of_range",
    "greater_than": "submission.out_of_range",
    "less_than_equal": "submission.out_of_range",
    "less_than": "submission.out_of_range",
}
#: Limits pydantic names in an error's context, copied into the finding's data.
_LIMIT_KEYS: Final = ("ge", "gt", "le", "lt", "max_length")
#: The codes :func:`parse_report` can give, all errors.
PARSE_CODES: Final = (
    *sorted(set(_CODE_BY_ERROR_TYPE.values())),
    "submission.invalid_value",
)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """Field names of the model at ``loc`` (for 'did you mean')."""
    model: type[BaseModel] = Report
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        sub = _model_in(info.annotation) if info is not None else None
        if sub is None:
            return []
        model = sub
    return list(model.model_fields)


def _json_safe(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return short_repr(value)
    if isinstance(value, str) and (len(value) > 80 or FORBIDDEN_TEXT_PATTERN.search(value)):
        return short_repr(value)  # long, or holding refused characters (repr escapes them)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return short_repr(value)


def _finding_of(error: Mapping[str, Any]) -> Finding:
    loc = tuple(error["loc"])
    if len(loc) > 1 and loc[-1] == "[key]":  # pydantic's marker of a bad mapping key
        loc = loc[:-1]
    path = ".".join(str(p) for p in loc) or None
    kind = str(error["type"])
    value = error.get("input")
    code = _CODE_BY_ERROR_TYPE.get(kind, "submission.invalid_value")
    if code == "submission.out_of_range" and isinstance(value, int | float) and value < 0:
        code = "submission.negative_value"
    where = path or "report"
    extra: dict[str, Any] = {}  # what a translated message needs besides the input
    if kind == "missing":
        message = f"{where} is required"
    elif kind == "extra_forbidden":
        name = str(loc[-1]) if loc else ""
        close = difflib.get_close_matches(name, _fields_at(loc[:-1]), n=1)
        hint = ""
        if close:
            hint, extra["suggestion"] = f"; did you mean {close[0]!r}?", close[0]
        message = f"{where} is not a field of the report{hint}"
    elif kind == "string_pattern_mismatch" and loc[:1] == ("explanations",):
        message = (
            f"explanation key {str(value)!r} is not a finding code "
            "(submission.name, or submission.name@field for one finding)"
        )
    elif isinstance(error.get("ctx"), Mapping) and "message" in error["ctx"]:
        message = f"{where}: {error['msg']}"
    else:
        message = f"{where}: {error['msg']} (got {short_repr(value)})"
    if kind == "date_out_of_range":
        extra.update(min_year=MIN_YEAR, max_year=MAX_YEAR)
    if isinstance(error.get("ctx"), Mapping):
        extra.update({k: _json_safe(v) for k, v in error["ctx"].items() if k in _LIMIT_KEYS})
    data = {"error_type": kind, "input": _json_safe(value), **extra} if kind != "missing" else {}
    return Finding(code, Severity.ERROR, message, path, data)


def findings_from_validation_error(exc: ValidationError) -> list[Finding]:
    """Each pydantic error as an error finding with the dotted path of its field."""
    return [_finding_of(e) for e in exc.errors(include_url=False)]


def parse_report(raw: object) -> tuple[Report | None, list[Finding]]:
    """The report and no findings, or ``None`` and the parsing problems as findings."""
    try:
        return Report.model_validate(raw), []
    except ValidationError as exc:
        return None, findings_from_validation_error(exc)
