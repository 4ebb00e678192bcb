"""The report a data centre files in answer to a notice: models, JSON Schema, normal form.

The field set follows the Beijing 2021 notice (is the facility involved in mining; how much
and what share of its electricity went to mining, by coin) with the fields the
comparable regimes ask for (capacity, hashrate, equipment, power supply, dates, contact,
attestation; see ``regulatory-reporting.md`` §1.2). Names carry their units
(docs/glossary.md); a quantity may also be given as ``{"value": 1.2, "unit": "MWh"}`` or
``"1.2 MWh"`` (:mod:`hashwatch.reporting.units`) and is stored in the unit of its name.

Parsing is strict: an unknown field is an error (a misspelt field must never be dropped
silently), booleans and counts must be JSON booleans and integers, dates are ISO 8601
(``YYYY-MM-DD``) and the attestation time carries its UTC offset. :func:`parse_report`
turns every parsing problem into an error :class:`~hashwatch.reporting.findings.Finding`
naming the field, never an exception.

Every input is bounded, so that no rule can overflow and every finding serialises: the
quantities by :data:`MAX_ENERGY_KWH`, :data:`MAX_POWER_W` and :data:`MAX_HASHRATE_THS`, the
counts by :data:`MAX_MACHINE_COUNT` and :data:`MAX_HOSTED_CLIENTS`, dates and the signing
time to the years :data:`MIN_YEAR`–:data:`MAX_YEAR`, lists and text by length; a value
beyond a bound is a ``submission.out_of_range`` finding. Free text may not contain control
characters (U+0000–U+001F, U+007F–U+009F; they break spreadsheet exports) or unpaired
surrogates: ``submission.invalid_value``. The JSON Schema publishes the same bounds.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from hashwatch.reporting.canonical import canonical_json
from hashwatch.reporting.units import (
    Dimension,
    QuantityError,
    QuantityErrorKind,
    normalise_quantity,
    quantity_string_pattern,
    unit_pattern,
    units_of,
)

REPORT_SCHEMA_VERSION: Final = "1"
SCHEMA_ID: Final = f"urn:hashwatch:schema:report:{REPORT_SCHEMA_VERSION}"


class Algorithm(StrEnum):
    """Proof-of-work algorithm of a coin line; Etchash (ETC) is filed as Ethash."""

    SHA256 = "SHA-256"
    SCRYPT = "Scrypt"
    ETHASH = "Ethash"
    EQUIHASH = "Equihash"
    RANDOMX = "RandomX"
    X11 = "X11"
    OTHER = "other"


class OperationMode(StrEnum):
    """Whose machines mine: the operator's own, hosted clients', or both."""

    OWN = "own"
    HOSTING = "hosting"
    BOTH = "both"


#: Common names of coins, read as their ticker (keys are case-folded).
COIN_ALIASES: Final[Mapping[str, str]] = {
    "bitcoin": "BTC",
    "bitcoin cash": "BCH",
    "litecoin": "LTC",
    "ethereum": "ETH",
    "ethereum classic": "ETC",
    "dogecoin": "DOGE",
    "zcash": "ZEC",
    "monero": "XMR",
    "dash": "DASH",
    "比特币": "BTC",
    "莱特币": "LTC",
    "以太坊": "ETH",
    "以太经典": "ETC",
    "狗狗币": "DOGE",
}

_ALGORITHM_KEYS: Final[Mapping[str, Algorithm]] = {
    **{re.sub(r"[\s_-]", "", a.value).casefold(): a for a in Algorithm},
    "etchash": Algorithm.ETHASH,
}
EXPLANATION_KEY_PATTERN: Final = r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+(?:@[A-Za-z0-9_.]+)?$"

#: Largest electricity of any field [kWh]: 1e12 kWh = 1,000 TWh, far above any facility.
MAX_ENERGY_KWH: Final = 1e12
#: Largest power of any field [W]: 10 GW (``peak_demand_kw`` ≤ 1e7 kW).
MAX_POWER_W: Final = 1e10
#: Largest hashrate of a coin line [TH/s]: 1,000 EH/s, above the whole Bitcoin network.
MAX_HASHRATE_THS: Final = 1e9
#: Most machines on one equipment line.
MAX_MACHINE_COUNT: Final = 10_000_000
#: Most hosted clients.
MAX_HOSTED_CLIENTS: Final = 1_000_000
#: Years accepted in dates and in the signing time.
MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2200
#: Longest free text [characters]; explanations may be longer.
MAX_TEXT_CHARS: Final = 300
MAX_EXPLANATION_CHARS: Final = 4000
MAX_EXPLANATION_KEY_CHARS: Final = 200
#: Most lines and explanations in one report.
MAX_COIN_LINES: Final = 100
MAX_EQUIPMENT_LINES: Final = 1000
MAX_EXPLANATIONS: Final = 500
#: Characters free text may not hold: C0 and C1 controls, DEL, unpaired surrogates.
FORBIDDEN_TEXT_PATTERN: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: ECMA-262 pattern of text without them, for the JSON Schema.
PLAIN_TEXT_SCHEMA_PATTERN: Final = "^[^\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff]*$"
#: ECMA-262 pattern of a date or time whose year lies in MIN_YEAR–MAX_YEAR.
YEAR_SCHEMA_PATTERN: Final = r"^\s*(?:19\d{2}|2[01]\d{2}|2200)-"


def short_repr(value: Any) -> str:
    """``repr(value)`` cut to 80 characters, safe for huge integers (for messages)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        text = format(Decimal(value), ".6e")  # repr of a huge int may be refused
    else:
        try:
            text = repr(value)
        except ValueError:  # holds an integer too long to print
            text = f"<{type(value).__name__} holding a huge integer>"
    return text if len(text) <= 80 else text[:77] + "..."


def _custom_error(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, "{message}", {"message": message})


def _quantity(
    target_unit: str, *, signed: bool, maximum: float | None = None
) -> Callable[[object], float]:
    def validate(value: object) -> float:
        try:
            number = normalise_quantity(value, target_unit)
        except QuantityError as exc:
            raise _custom_error(exc.kind.value, exc.message) from None
        if number < 0 and not signed:
            raise _custom_error("negative_value", f"{value!r} is negative (must be 0 or more)")
        if maximum is not None and number > maximum:
            raise _custom_error(
                QuantityErrorKind.TOO_LARGE.value,
                f"{short_repr(value)} is above the largest accepted value, "
                f"{maximum:g} {target_unit}",
            )
        return number + 0.0  # -0.0 becomes 0.0

    return validate


def _quantity_schema(
    dimension: Dimension, unit: str, *, maximum: float | None = None
) -> dict[str, Any]:
    """JSON Schema of the three input forms; the schema documents the valid range."""
    number: dict[str, Any] = {"type": "number", "minimum": 0}
    if maximum is not None:
        number["maximum"] = maximum
    units = ", ".join(units_of(dimension))
    return {
        "anyOf": [
            number,
            {"type": "string", "pattern": quantity_string_pattern(dimension, signed=False)},
            {
                "type": "object",
                "properties": {
                    "value": number,
                    "unit": {"type": "string", "pattern": rf"^\s*{unit_pattern(dimension)}\s*$"},
                },
                "required": ["value", "unit"],
                "additionalProperties": False,
            },
        ],
        "description": (
            f"A {dimension.value} in {unit}: a number in {unit}, a string such as "
            f'\'1,200.5 {unit}\', or {{"value": 1.2, "unit": ...}}; units: {units}.'
            + (f" At most {maximum:g} {unit} in any unit." if maximum is not None else "")
        ),
    }


_MAX_POWER_KW: Final = MAX_POWER_W / 1000.0
EnergyKwh = Annotated[
    float,
    BeforeValidator(_quantity("kWh", signed=False, maximum=MAX_ENERGY_KWH)),
    WithJsonSchema(_quantity_schema(Dimension.ENERGY, "kWh", maximum=MAX_ENERGY_KWH)),
]
PowerW = Annotated[
    float,
    BeforeValidator(_quantity("W", signed=False, maximum=MAX_POWER_W)),
    WithJsonSchema(_quantity_schema(Dimension.POWER, "W", maximum=MAX_POWER_W)),
]
PowerKw = Annotated[
    float,
    BeforeValidator(_quantity("kW", signed=False, maximum=_MAX_POWER_KW)),
    WithJsonSchema(_quantity_schema(Dimension.POWER, "kW", maximum=_MAX_POWER_KW)),
]
HashrateThs = Annotated[
    float,
    BeforeValidator(_quantity("TH/s", signed=False, maximum=MAX_HASHRATE_THS)),
    WithJsonSchema(_quantity_schema(Dimension.HASHRATE, "TH/s", maximum=MAX_HASHRATE_THS)),
]
#: Shares are read as any finite number (the schema documents 0–100); the rules report
#: a share outside [0, 100] as a finding.
SharePct = Annotated[
    float,
    BeforeValidator(_quantity("%", signed=True)),
    WithJsonSchema(_quantity_schema(Dimension.SHARE, "%", maximum=100)),
]


def _in_years(value: object, parsed: dt.date) -> None:
    """Refuse a date outside :data:`MIN_YEAR`–:data:`MAX_YEAR` (``date_out_of_range``)."""
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise _custom_error(
            "date_out_of_range", f"{value!r} is not in the years {MIN_YEAR}–{MAX_YEAR}"
        )


def _iso_date(value: object) -> dt.date:
    parsed: dt.date | None = None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        try:
            parsed = dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise _custom_error("date_parsing", f"{value!r} is not a valid date: {exc}") from None
    if parsed is None:
        raise _custom_error("date_parsing", f"{value!r} is not a date in the form YYYY-MM-DD")
    _in_years(value, parsed)
    return parsed


def _aware_datetime(value: object) -> dt.datetime:
    parsed: dt.datetime | None = value if isinstance(value, dt.datetime) else None
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise _custom_error(
            "datetime_parsing",
            f"{value!r} is not a date and time in ISO 8601 (2021-05-06T10:00:00+08:00)",
        )
    if parsed.utcoffset() is None:
        raise _custom_error("timezone_aware", f"{value!r} has no UTC offset (add +08:00 or Z)")
    _in_years(value, parsed)
    return parsed


def _plain_text(value: str) -> str:
    """Refuse control characters and unpaired surrogates (``control_character``)."""
    found = FORBIDDEN_TEXT_PATTERN.search(value)
    if found is not None:
        raise _custom_error(
            "control_character",
            f"contains the control character U+{ord(found.group()):04X} at position "
            f"{found.start() + 1}: free text may not hold line breaks, tabs or other "
            "control characters",
        )
    return value


def _coin(value: object) -> object:
    if not isinstance(value, str):
        return value
    text = " ".join(_plain_text(value.strip()).split())
    return COIN_ALIASES.get(text.casefold(), text.upper())


def _algorithm(value: object) -> object:
    if not isinstance(value, str):
        return value
    found = _ALGORITHM_KEYS.get(re.sub(r"[\s_-]", "", value).casefold())
    if found is None:
        allowed = ", ".join(a.value for a in Algorithm)
        raise _custom_error("enum", f"{value!r} is not an algorithm ({allowed})")
    return found


def _text_schema(max_length: int) -> dict[str, Any]:
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": max_length,
        "pattern": PLAIN_TEXT_SCHEMA_PATTERN,
        "description": f"Free text, at most {max_length} characters, no control characters.",
    }


def _year_schema(format_: str) -> dict[str, Any]:
    return {"type": "string", "format": format_, "pattern": YEAR_SCHEMA_PATTERN}


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date), WithJsonSchema(_year_schema("date"))]
AwareDateTime = Annotated[
    dt.datetime, BeforeValidator(_aware_datetime), WithJsonSchema(_year_schema("date-time"))
]
#: Free text: stripped, 1 to MAX_TEXT_CHARS characters, no control characters.
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_CHARS),
    AfterValidator(_plain_text),
    WithJsonSchema(_text_schema(MAX_TEXT_CHARS)),
]
CoinCode = Annotated[
    str,
    BeforeValidator(_coin),
    StringConstraints(min_length=1, max_length=20),
    WithJsonSchema(
        {"type": "string", "minLength": 1, "maxLength": 20, "pattern": PLAIN_TEXT_SCHEMA_PATTERN}
    ),
]
ExplanationKey = Annotated[
    str,
    StringConstraints(pattern=EXPLANATION_KEY_PATTERN, max_length=MAX_EXPLANATION_KEY_CHARS),
]
ExplanationText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_EXPLANATION_CHARS),
    AfterValidator(_plain_text),
    WithJsonSchema(_text_schema(MAX_EXPLANATION_CHARS)),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CoinLine(_Strict):
    """Mining of one coin in the period."""

    coin: CoinCode = Field(description="Ticker, upper-case (BTC, LTC, ETH, ...).")
    algorithm: Annotated[Algorithm, BeforeValidator(_algorithm)] = Field(
        description="Proof-of-work algorithm."
    )
    hashrate_ths: HashrateThs | None = Field(
        None, description="Mean hashrate in the period [TH/s]."
    )
    electricity_kwh: EnergyKwh = Field(description="Electricity used mining this coin [kWh].")


class EquipmentLine(_Strict):
    """A group of identical mining machines."""

    model: Text = Field(description="Make and model, free text (Antminer S19 Pro).")
    count: int = Field(ge=1, le=MAX_MACHINE_COUNT, strict=True, description="Number of machines.")
    rated_power_w: PowerW = Field(description="Rated power of one machine [W].")


class PowerSupply(_Strict):
    """Where the facility's electricity comes from."""

    grid_supplier: Text | None = Field(None, description="Grid company supplying the facility.")
    self_generation_kwh: EnergyKwh | None = Field(
        None, description="Electricity generated on site in the period [kWh]."
    )
    renewable_share_pct: SharePct | None = Field(
        None, description="Share of the facility's electricity from renewables [%, 0–100]."
    )


class Contact(_Strict):
    """Whom the regulator may ask about the report."""

    name: Text
    title: Text | None = None
    phone: Text
    email: Text


class Attestation(_Strict):
    """The signer's statement that the report is true and complete."""

    name: Text
    title: Text | None = None
    statement_accepted: StrictBool = Field(
        description="The signer accepted the attestation statement."
    )
    signed_at: AwareDateTime = Field(description="When it was signed, with UTC offset.")


class Report(_Strict):
    """One facility's report for one notice period."""

    model_config = ConfigDict(title="hashwatch report")

    schema_version: Literal["1"] = Field(
        REPORT_SCHEMA_VERSION, description="Version of this schema."
    )
    involved_in_mining: StrictBool = Field(
        description="Any cryptocurrency mining in the facility in the period; false: nil return."
    )
    facility_electricity_kwh: EnergyKwh = Field(
        description="The facility's total electricity in the period [kWh]."
    )
    mining_electricity_kwh: EnergyKwh | None = Field(
        None, description="Electricity used by mining in the period [kWh]."
    )
    mining_share_pct: SharePct | None = Field(
        None, description="Stated share of the facility's electricity used by mining [%]."
    )
    peak_demand_kw: PowerKw | None = Field(
        None, description="Highest demand of the facility in the period [kW]."
    )
    coins: tuple[CoinLine, ...] = Field(
        (), max_length=MAX_COIN_LINES, description="Mining by coin."
    )
    equipment: tuple[EquipmentLine, ...] = Field(
        (), max_length=MAX_EQUIPMENT_LINES, description="Mining machines."
    )
    operation_mode: OperationMode | None = Field(
        None, description="own, hosting (clients' machines) or both."
    )
    hosted_clients: int | None = Field(
        None,
        ge=0,
        le=MAX_HOSTED_CLIENTS,
        strict=True,
        description="Number of hosted mining clients.",
    )
    power_supply: PowerSupply | None = None
    mining_start_date: IsoDate | None = Field(None, description="First day of mining.")
    planned_exit_date: IsoDate | None = Field(
        None, description="First day without mining (past or planned)."
    )
    contact: Contact
    attestation: Attestation | None = None
    explanations: dict[ExplanationKey, ExplanationText] = Field(
        default_factory=dict,
        max_length=MAX_EXPLANATIONS,
        json_schema_extra={"additionalProperties": False},
        description=(
            "Explanations of warnings: key a finding code (every warning with it) "
            "or code@field (one warning)."
        ),
    )


def report_json_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of a report, describing every input form."""
    schema = Report.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "description": (
            f"hashwatch report, schema version {REPORT_SCHEMA_VERSION}. Quantities may be "
            "numbers in the unit of the field name, strings with a unit ('1.2 MWh') or "
            "objects {value, unit}; unknown fields are refused."
        ),
    }


def derived_mining_share_pct(report: Report) -> float | None:
    """Mining share from the amounts: ``mining_electricity_kwh / facility_electricity_kwh × 100``.

    A nil return counts as 0 kWh of mining. ``None`` when mining electricity is not stated on
    an involved report, the facility total is 0, or the quotient is not a finite number (a
    tiny facility total such as 1e-307 kWh).
    """
    mining_kwh = report.mining_electricity_kwh
    if mining_kwh is None and not report.involved_in_mining:
        mining_kwh = 0.0
    if mining_kwh is None or report.facility_electricity_kwh <= 0:
        return None
    share_pct = mining_kwh / report.facility_electricity_kwh * 100.0
    return share_pct if math.isfinite(share_pct) else None


def normalised_report(report: Report) -> dict[str, Any]:
    """The report as canonical JSON-ready data: units normalised, keys sorted, times in UTC.

    Adds ``mining_share_pct_derived`` (:func:`derived_mining_share_pct`).
    """
    data = report.model_dump(mode="python")
    data["mining_share_pct_derived"] = derived_mining_share_pct(report)
    result: dict[str, Any] = json.loads(canonical_json(data))
    return result
