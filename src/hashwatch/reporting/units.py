"""Unit normalisation for report quantities: pure functions, no I/O.

A quantity in a report may be written three ways; all mean the same thing:

* a bare number, in the unit the field's name carries (``"facility_electricity_kwh": 1200``);
* an object ``{"value": 1.2, "unit": "MWh"}``;
* a string ``"1.2 MWh"``, ``"1,200 kWh"`` or ``"1200"`` (no unit: the field's unit).

Canonical units, and the units accepted for each dimension (matched without regard to
case, spaces or a ``·`` between the parts; SI prefixes read as multiples, so ``MWh`` and
``mwh`` are both megawatt-hours, except that the SI spelling ``mWh`` / ``mW`` is refused as
ambiguous):

=========  =========  ======================================================================
dimension  canonical  accepted
=========  =========  ======================================================================
energy     kWh        Wh, kWh, MWh, GWh, TWh; 度 and 千瓦时 (kWh), 兆瓦时 (MWh), 万千瓦时
                      (10⁴ kWh), 亿千瓦时 (10⁸ kWh)
power      W or kW    W, kW, MW, GW; 瓦, 千瓦, 兆瓦
hashrate   TH/s       H/s, kH/s, MH/s, GH/s, TH/s, PH/s, EH/s, with or without ``/s``
share      %          ``%``, ``pct``, ``percent`` (percentage points, never a 0–1 fraction)
=========  =========  ======================================================================

Conversion: ``value_in_target = value × factor(unit) / factor(target)``, each factor being
the size of the unit in the dimension's base (kWh, W, TH/s or %). The arithmetic is done in
:class:`~decimal.Decimal` on the number exactly as written (a JSON float by its shortest
``repr``), rounded to :data:`SIGNIFICANT_DIGITS` significant digits and turned into a float
once, so ``"2.007 MWh"`` is exactly ``2007.0`` kWh, the same float as ``2007``; binary
floating point would give ``2007.0000000000002``. Numbers in strings use
``.`` as the decimal point and ``,`` only between groups of three digits (``1,200.5``);
``1,2`` is refused rather than guessed. Every failure raises :class:`QuantityError`, a
:class:`ValueError` whose message quotes the value and whose ``kind`` says what went wrong
(``not_finite`` for NaN and infinity, ``too_large`` for a number beyond the float range).
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Final


class Dimension(StrEnum):
    ENERGY = "energy"
    POWER = "power"
    HASHRATE = "hashrate"
    SHARE = "share"


class QuantityErrorKind(StrEnum):
    NOT_NUMERIC = "not_numeric"
    NOT_FINITE = "not_finite"
    TOO_LARGE = "too_large"
    UNKNOWN_UNIT = "unknown_unit"
    AMBIGUOUS_UNIT = "ambiguous_unit"
    WRONG_DIMENSION = "wrong_dimension"


class QuantityError(ValueError):
    """A quantity that cannot be read; ``kind`` is a :class:`QuantityErrorKind`."""

    def __init__(self, message: str, kind: QuantityErrorKind):
        super().__init__(message)
        self.message = message
        self.kind = kind


#: Size of each unit in the dimension's base unit, by dimension. Keys are the canonical
#: spellings; lookups go through :func:`_unit_key`.
UNITS: Final[Mapping[Dimension, Mapping[str, float]]] = {
    Dimension.ENERGY: {
        "Wh": 1e-3,
        "kWh": 1.0,
        "MWh": 1e3,
        "GWh": 1e6,
        "TWh": 1e9,
        "度": 1.0,
        "千瓦时": 1.0,
        "兆瓦时": 1e3,
        "万千瓦时": 1e4,
        "亿千瓦时": 1e8,
    },
    Dimension.POWER: {
        "W": 1.0,
        "kW": 1e3,
        "MW": 1e6,
        "GW": 1e9,
        "瓦": 1.0,
        "千瓦": 1e3,
        "兆瓦": 1e6,
    },
    Dimension.HASHRATE: {
        "H/s": 1e-12,
        "kH/s": 1e-9,
        "MH/s": 1e-6,
        "GH/s": 1e-3,
        "TH/s": 1.0,
        "PH/s": 1e3,
        "EH/s": 1e6,
    },
    Dimension.SHARE: {"%": 1.0, "pct": 1.0, "percent": 1.0},
}

#: The canonical unit of each target spelling used in field names.
_TARGETS: Final[Mapping[str, Dimension]] = {
    "kWh": Dimension.ENERGY,
    "W": Dimension.POWER,
    "kW": Dimension.POWER,
    "TH/s": Dimension.HASHRATE,
    "%": Dimension.SHARE,
}

#: Significant digits a converted quantity keeps: 15, the most a float holds faithfully
#: (``DBL_DIG``), so every decimal of up to 15 digits survives exactly while float artefacts
#: in an input (``0.30000000000000004``) are rounded away.
SIGNIFICANT_DIGITS: Final = 15
#: Exact arithmetic for the conversions: 40 digits hold any product of a 17-digit number
#: and a power of ten (a longer number is rounded to 40 digits on reading, harmlessly); no
#: traps, so an exponent beyond any range gives ``Infinity`` (refused as too large) or 0.
_EXACT: Final = decimal.Context(prec=40, traps=[])
_ROUNDED: Final = decimal.Context(
    prec=SIGNIFICANT_DIGITS, rounding=decimal.ROUND_HALF_EVEN, traps=[]
)

_AMBIGUOUS: Final = frozenset({"mW", "mWh"})
_SEPARATORS = re.compile(r"[\s·⋅*\-]+")
_NON_FINITE_WORDS: Final = frozenset({"nan", "inf", "infinity"})

#: An unsigned number as written in a string: digits, with commas only between groups of
#: three, then an optional fraction and exponent.
UNSIGNED_NUMBER_PATTERN: Final = r"(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
NUMBER_PATTERN: Final = r"[+-]?" + UNSIGNED_NUMBER_PATTERN
_QUANTITY_RE = re.compile(
    rf"^\s*(?P<number>{NUMBER_PATTERN})\s*(?P<unit>[^\d\s.,+-].*?)?\s*$", re.DOTALL
)


def _unit_key(unit: str) -> str:
    """Spelling-insensitive key: no separators, case folded, ``/s`` and ``ps`` unified."""
    key = _SEPARATORS.sub("", unit).casefold()
    if key.endswith("ps") and key[:-2].endswith("h"):
        key = key[:-2] + "/s"
    return key


def _lookup_table() -> dict[str, tuple[Dimension, str]]:
    table: dict[str, tuple[Dimension, str]] = {}
    for dimension, units in UNITS.items():
        for unit in units:
            table[_unit_key(unit)] = (dimension, unit)
            if dimension is Dimension.HASHRATE:
                table[_unit_key(unit.removesuffix("/s"))] = (dimension, unit)
    return table


_LOOKUP: Final = _lookup_table()


def units_of(dimension: Dimension) -> list[str]:
    """The canonical spellings accepted for ``dimension``."""
    return list(UNITS[dimension])


def canonical_unit(unit: str) -> tuple[Dimension, str]:
    """The dimension and canonical spelling of ``unit`` (``"th/s"`` → hashrate, ``"TH/s"``)."""
    if _SEPARATORS.sub("", unit) in _AMBIGUOUS:
        raise QuantityError(
            f"unit {unit.strip()!r} is ambiguous: in SI it means milli-; write MWh or MW for mega-",
            QuantityErrorKind.AMBIGUOUS_UNIT,
        )
    found = _LOOKUP.get(_unit_key(unit))
    if found is None:
        raise QuantityError(f"unknown unit {unit!r}", QuantityErrorKind.UNKNOWN_UNIT)
    return found


def unit_factor(unit: str, dimension: Dimension) -> float:
    """Size of ``unit`` in the base unit of ``dimension``; refuses a unit of another one."""
    found_dimension, spelling = canonical_unit(unit)
    if found_dimension is not dimension:
        raise QuantityError(
            f"unit {unit!r} measures {found_dimension.value}, not {dimension.value} "
            f"(use {', '.join(units_of(dimension)[:7])})",
            QuantityErrorKind.WRONG_DIMENSION,
        )
    return UNITS[dimension][spelling]


def _target_dimension(target_unit: str) -> Dimension:
    try:
        return _TARGETS[target_unit]
    except KeyError:
        raise ValueError(f"{target_unit!r} is not a target unit ({', '.join(_TARGETS)})") from None


def _factor(unit: str, dimension: Dimension) -> Decimal:
    """:func:`unit_factor` as an exact decimal (the factors are powers of ten)."""
    return Decimal(repr(unit_factor(unit, dimension)))


def _to_float(number: Decimal, original: object) -> float:
    """``number`` rounded to :data:`SIGNIFICANT_DIGITS` digits, as a finite float."""
    return _finite_float(_ROUNDED.plus(number), original)


def _convert_decimal(number: Decimal, from_unit: str, to_unit: str) -> Decimal:
    dimension, _ = canonical_unit(to_unit)
    ratio = _EXACT.divide(_factor(from_unit, dimension), _factor(to_unit, dimension))
    return _EXACT.multiply(number, ratio)


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (same dimension).

    ``result = value × factor(from_unit) / factor(to_unit)``, computed in decimal on
    ``repr(value)`` and rounded to :data:`SIGNIFICANT_DIGITS` significant digits.
    """
    number = _decimal_of(value)
    try:
        return _to_float(_convert_decimal(number, from_unit, to_unit), value)
    except QuantityError as exc:
        if exc.kind is not QuantityErrorKind.TOO_LARGE:
            raise
        raise QuantityError(
            f"{value!r} {from_unit} is too large to express in {to_unit}",
            QuantityErrorKind.TOO_LARGE,
        ) from None


def _not_a_number(value: str) -> QuantityError:
    words = value.strip().casefold().split()
    if words and words[0].lstrip("+-") in _NON_FINITE_WORDS:
        return QuantityError(f"{value!r} is not a finite number", QuantityErrorKind.NOT_FINITE)
    return QuantityError(
        f"{value!r} is not a number (write '1200.5' or '1,200.5': '.' before decimals, "
        "',' only between groups of three digits)",
        QuantityErrorKind.NOT_NUMERIC,
    )


def _decimal_of(value: object) -> Decimal:
    """The exact decimal of a JSON number (a float by its ``repr``) or a numeric string."""
    if isinstance(value, bool):
        raise QuantityError(f"{value!r} is not a number", QuantityErrorKind.NOT_NUMERIC)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QuantityError(f"{value!r} is not a finite number", QuantityErrorKind.NOT_FINITE)
        return _EXACT.create_decimal(repr(value))
    if isinstance(value, int):
        return _EXACT.create_decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(NUMBER_PATTERN, text):
            return _EXACT.create_decimal(text.replace(",", ""))
        raise _not_a_number(value)
    raise QuantityError(f"{value!r} is not a number", QuantityErrorKind.NOT_NUMERIC)


def _short_repr(value: object) -> str:
    """``repr(value)`` cut to 100 characters, or the size of an integer too long to print."""
    if isinstance(value, int) and value.bit_length() > 1000:
        return f"an integer of {Decimal(value).adjusted() + 1} digits"
    try:
        text = repr(value)
    except ValueError:  # a mapping holding such an integer
        return f"a {type(value).__name__} holding an integer too long to print"
    return text if len(text) <= 100 else text[:97] + "..."


def _finite_float(number: Decimal, original: object) -> float:
    result = float(number)
    if not math.isfinite(result):
        raise QuantityError(f"{_short_repr(original)} is too large", QuantityErrorKind.TOO_LARGE)
    return result


def parse_number(value: object) -> float:
    """A finite float from a JSON number or a numeric string (``"1,200.5"``); no unit."""
    return _finite_float(_decimal_of(value), value)


def _split_decimal(value: object) -> tuple[Decimal, str | None]:
    """:func:`split_quantity` with the magnitude as an exact decimal."""
    if isinstance(value, Mapping):
        if set(value) != {"value", "unit"}:
            raise QuantityError(
                f"{dict(value)!r} is not a quantity: an object needs exactly "
                "'value' (a number) and 'unit' (a string)",
                QuantityErrorKind.NOT_NUMERIC,
            )
        number, unit = value["value"], value["unit"]
        if isinstance(number, str) or not isinstance(unit, str):
            raise QuantityError(
                f"{dict(value)!r} is not a quantity: 'value' must be a number and 'unit' a string",
                QuantityErrorKind.NOT_NUMERIC,
            )
        return _decimal_of(number), unit
    if isinstance(value, str):
        match = _QUANTITY_RE.match(value)
        if match is None:
            raise _not_a_number(value)
        return _decimal_of(match["number"]), match["unit"]
    return _decimal_of(value), None


def split_quantity(value: object) -> tuple[float, str | None]:
    """The magnitude and the unit as written (``None``: the field's unit) of any input form."""
    number, unit = _split_decimal(value)
    return _finite_float(number, value), unit


def normalise_quantity(value: object, target_unit: str) -> float:
    """Any input form of a quantity, in ``target_unit`` (``kWh``, ``W``, ``kW``, ``TH/s``, ``%``).

    A bare number or a string without a unit is already in ``target_unit``. The conversion
    is exact in decimal; the result is rounded to :data:`SIGNIFICANT_DIGITS` significant
    digits (so a 15-digit input is kept exactly and equal amounts in different units give
    the same float).
    """
    _target_dimension(target_unit)
    number, unit = _split_decimal(value)
    try:
        if unit is not None:
            number = _convert_decimal(number, unit, target_unit)
        return _to_float(number, value)
    except QuantityError as exc:
        if exc.kind is QuantityErrorKind.TOO_LARGE and unit is not None:
            message = f"{_short_repr(value)} is too large to express in {target_unit}"
        elif exc.kind is QuantityErrorKind.TOO_LARGE:
            message = f"{_short_repr(value)} is too large"
        else:
            message = f"{_short_repr(value)}: {exc.message}"
        raise QuantityError(message, exc.kind) from None


def to_kwh(value: object) -> float:
    """Energy in kWh (``"1.2 MWh"`` → 1200.0)."""
    return normalise_quantity(value, "kWh")


def to_w(value: object) -> float:
    """Power in W (``"3.25 kW"`` → 3250.0)."""
    return normalise_quantity(value, "W")


def to_kw(value: object) -> float:
    """Power in kW (``"12 MW"`` → 12000.0)."""
    return normalise_quantity(value, "kW")


def to_ths(value: object) -> float:
    """Hashrate in TH/s (``"1.5 PH/s"`` → 1500.0)."""
    return normalise_quantity(value, "TH/s")


def to_pct(value: object) -> float:
    """A share in percent (``"12.5 %"`` → 12.5); a 0–1 fraction is not guessed."""
    return normalise_quantity(value, "%")


def format_quantity(value: float, unit: str) -> str:
    """``value`` and ``unit`` as a string that :func:`split_quantity` reads back exactly."""
    return f"{value!r} {unit}"


def _case_insensitive(text: str) -> str:
    parts = []
    for char in text:
        if char.isalpha() and char.lower() != char.upper():
            parts.append(f"[{char.lower()}{char.upper()}]")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def unit_pattern(dimension: Dimension) -> str:
    """An ECMA-262 regular expression (for JSON Schema) of the units of ``dimension``.

    It accepts the canonical spellings in any case, with ``/s`` optional for hashrate; it
    does not describe every separator :func:`canonical_unit` tolerates.
    """
    spellings: list[str] = []
    for unit in UNITS[dimension]:
        pattern = _case_insensitive(unit)
        if dimension is Dimension.HASHRATE:
            pattern = _case_insensitive(unit.removesuffix("/s")) + "(?:/[sS])?"
        spellings.append(pattern)
    # the parser refuses the SI spellings mWh and mW as ambiguous
    guard = "(?!mW)" if dimension in (Dimension.ENERGY, Dimension.POWER) else ""
    return guard + "(?:" + "|".join(spellings) + ")"


def quantity_string_pattern(dimension: Dimension, *, signed: bool) -> str:
    """ECMA-262 pattern of a quantity string such as ``"1,200 kWh"`` (unit optional)."""
    number = NUMBER_PATTERN if signed else r"\+?" + UNSIGNED_NUMBER_PATTERN
    return rf"^\s*{number}\s*{unit_pattern(dimension)}?\s*$"
