"""Reading the assessment's reference tables: jurisdiction electricity and emission factors.

Both are CSV (UTF-8 or GB18030) with a header. The jurisdiction table has the columns
``jurisdiction,year,value,unit,source`` (``note`` optional); the emission factor table
``level,region,vintage_year,value,unit,publication_date,source`` (``verified`` and
``note`` optional). Every row needs its source: a figure without one is refused. Units are
those of :data:`~hashwatch.assessment.factors.ELECTRICITY_UNITS_KWH` and
:data:`~hashwatch.assessment.factors.FACTOR_UNITS_KG_PER_KWH`. Errors name the file, the
row (the header is row 1) and the column.
"""

from __future__ import annotations

import datetime as dt
import math
from importlib import resources
from pathlib import Path

from hashwatch.assessment.factors import (
    ELECTRICITY_UNITS_KWH,
    FACTOR_LEVELS,
    FACTOR_UNITS_KG_PER_KWH,
    EmissionFactor,
    JurisdictionElectricity,
)
from hashwatch.errors import FileFormatError, InputError
from hashwatch.io.csvtext import decode_csv_bytes, dict_records, number_or_nan

JURISDICTION_COLUMNS = ("jurisdiction", "year", "value", "unit", "source")
FACTOR_COLUMNS = ("level", "region", "vintage_year", "value", "unit", "publication_date", "source")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0", ""}


def _records(name: str, text: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    fields, rows = dict_records(text)
    missing = [c for c in required if c not in fields]
    if missing:
        raise FileFormatError(f"{name}: missing column(s) {', '.join(missing)}", row=1)
    if not rows:
        raise FileFormatError(f"{name}: the table has no rows", row=2)
    return [(n, {k: (v or "").strip() for k, v in r.items() if k}) for n, r in enumerate(rows, 2)]


def _required(rec: dict[str, str], column: str, name: str, row: int) -> str:
    value = rec.get(column, "")
    if not value:
        raise FileFormatError(f"{name}: {column} is empty", field=column, row=row)
    return value


def _positive(rec: dict[str, str], column: str, name: str, row: int) -> float:
    value = number_or_nan(_required(rec, column, name, row), row=row, field=column)
    if not math.isfinite(value) or value <= 0:
        raise FileFormatError(f"{name}: {column} must be a positive number", field=column, row=row)
    return value


def _year(rec: dict[str, str], column: str, name: str, row: int) -> int:
    text = _required(rec, column, name, row)
    if not (text.isdigit() and len(text) == 4):
        raise FileFormatError(
            f"{name}: {column} must be a year (YYYY): {text!r}", field=column, row=row
        )
    return int(text)


def _unit(rec: dict[str, str], units: dict[str, float], name: str, row: int) -> float:
    unit = _required(rec, "unit", name, row)
    if unit not in units:
        raise FileFormatError(
            f"{name}: unit {unit!r} is not one of {', '.join(units)}", field="unit", row=row
        )
    return units[unit]


def parse_jurisdiction_electricity(name: str, text: str) -> list[JurisdictionElectricity]:
    """The rows of a jurisdiction electricity table; one row per jurisdiction and year."""
    table: list[JurisdictionElectricity] = []
    seen: set[tuple[str, int]] = set()
    for row, rec in _records(name, text, JURISDICTION_COLUMNS):
        item = JurisdictionElectricity(
            jurisdiction=_required(rec, "jurisdiction", name, row),
            year=_year(rec, "year", name, row),
            electricity_kwh=_positive(rec, "value", name, row)
            * _unit(rec, ELECTRICITY_UNITS_KWH, name, row),
            source=_required(rec, "source", name, row),
            note=rec.get("note", ""),
        )
        key = (item.jurisdiction.casefold(), item.year)
        if key in seen:
            raise FileFormatError(
                f"{name}: {item.jurisdiction} {item.year} appears twice", field="year", row=row
            )
        seen.add(key)
        table.append(item)
    return table


def parse_emission_factors(name: str, text: str) -> list[EmissionFactor]:
    """The rows of an emission factor table; one row per level, region and vintage."""
    table: list[EmissionFactor] = []
    seen: set[tuple[str, str, int]] = set()
    for row, rec in _records(name, text, FACTOR_COLUMNS):
        level = _required(rec, "level", name, row).lower()
        if level not in FACTOR_LEVELS:
            raise FileFormatError(
                f"{name}: level {level!r} is not one of {', '.join(FACTOR_LEVELS)}",
                field="level",
                row=row,
            )
        published = _required(rec, "publication_date", name, row)
        try:
            publication_date = dt.date.fromisoformat(published)
        except ValueError:
            raise FileFormatError(
                f"{name}: publication_date must be YYYY-MM-DD: {published!r}",
                field="publication_date",
                row=row,
            ) from None
        verified = rec.get("verified", "").lower()
        if verified not in _TRUE | _FALSE:
            raise FileFormatError(
                f"{name}: verified must be true or false: {verified!r}", field="verified", row=row
            )
        item = EmissionFactor(
            level=level,
            region=_required(rec, "region", name, row),
            vintage_year=_year(rec, "vintage_year", name, row),
            kg_co2_per_kwh=_positive(rec, "value", name, row)
            * _unit(rec, FACTOR_UNITS_KG_PER_KWH, name, row),
            publication_date=publication_date,
            source=_required(rec, "source", name, row),
            verified=verified in _TRUE,
            note=rec.get("note", ""),
        )
        key = (item.level, item.region.casefold(), item.vintage_year)
        if key in seen:
            raise FileFormatError(
                f"{name}: {level} {item.region} {item.vintage_year} appears twice",
                field="vintage_year",
                row=row,
            )
        seen.add(key)
        table.append(item)
    return table


def _file_text(path: Path, field: str) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", field=field) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}", field=field) from None
    return decode_csv_bytes(str(path), data, [])


def _builtin(name: str) -> str:
    return resources.files("hashwatch.assessment").joinpath(name).read_text(encoding="utf-8")


def jurisdiction_electricity_table(path: Path | None) -> list[JurisdictionElectricity]:
    """The table of ``path`` if given, else the shipped one (Beijing, reference §6.2)."""
    if path is None:
        return parse_jurisdiction_electricity(
            "jurisdiction_electricity.csv", _builtin("jurisdiction_electricity.csv")
        )
    text = _file_text(path, "jurisdiction_electricity_file")
    return parse_jurisdiction_electricity(str(path), text)


def emission_factor_table(path: Path | None) -> list[EmissionFactor]:
    """The table of ``path`` if given, else the shipped one (MEE/NBS 2023, reference §6.3)."""
    if path is None:
        return parse_emission_factors("emission_factors.csv", _builtin("emission_factors.csv"))
    return parse_emission_factors(str(path), _file_text(path, "emission_factor_file"))
