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
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
import typing
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from hashwatch.reporting.canonical import canonical_json
from hashwatch.reporting.findings import Finding, Severity
from hashwatch.reporting.units import (
    Dimension,
    QuantityError,
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


def _custom_error(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, "{message}", {"message": message})


def _quantity(target_unit: str, *, signed: bool) -> Callable[[object], float]:
    def validate(value: object) -> float:
        try:
            number = normalise_quantity(value, target_unit)
        except QuantityError as exc:
            raise _custom_error(exc.kind.value, exc.message) from None
        if number < 0 and not signed:
            raise _custom_error("negative_value", f"{value!r} is negative (must be 0 or more)")
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
        ),
    }


EnergyKwh = Annotated[
    float,
    BeforeValidator(_quantity("kWh", signed=False)),
    WithJsonSchema(_quantity_schema(Dimension.ENERGY, "kWh")),
]
PowerW = Annotated[
    float,
    BeforeValidator(_quantity("W", signed=False)),
    WithJsonSchema(_quantity_schema(Dimension.POWER, "W")),
]
PowerKw = Annotated[
    float,
    BeforeValidator(_quantity("kW", signed=False)),
    WithJsonSchema(_quantity_schema(Dimension.POWER, "kW")),
]
HashrateThs = Annotated[
    float,
    BeforeValidator(_quantity("TH/s", signed=False)),
    WithJsonSchema(_quantity_schema(Dimension.HASHRATE, "TH/s")),
]
#: Shares are read as any finite number (the schema documents 0–100); the rules report
#: a share outside [0, 100] as a finding.
SharePct = Annotated[
    float,
    BeforeValidator(_quantity("%", signed=True)),
    WithJsonSchema(_quantity_schema(Dimension.SHARE, "%", maximum=100)),
]


def _iso_date(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise _custom_error("date_parsing", f"{value!r} is not a valid date: {exc}") from None
    raise _custom_error("date_parsing", f"{value!r} is not a date in the form YYYY-MM-DD")


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
    return parsed


def _coin(value: object) -> object:
    if not isinstance(value, str):
        return value
    text = " ".join(value.split())
    return COIN_ALIASES.get(text.casefold(), text.upper())


def _algorithm(value: object) -> object:
    if not isinstance(value, str):
        return value
    found = _ALGORITHM_KEYS.get(re.sub(r"[\s_-]", "", value).casefold())
    if found is None:
        allowed = ", ".join(a.value for a in Algorithm)
        raise _custom_error("enum", f"{value!r} is not an algorithm ({allowed})")
    return found


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
AwareDateTime = Annotated[dt.datetime, BeforeValidator(_aware_datetime)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
CoinCode = Annotated[str, BeforeValidator(_coin), StringConstraints(min_length=1, max_length=20)]
ExplanationKey = Annotated[str, StringConstraints(pattern=EXPLANATION_KEY_PATTERN)]
ExplanationText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)
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
    count: int = Field(ge=1, strict=True, description="Number of machines.")
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
    coins: tuple[CoinLine, ...] = Field((), description="Mining by coin.")
    equipment: tuple[EquipmentLine, ...] = Field((), description="Mining machines.")
    operation_mode: OperationMode | None = Field(
        None, description="own, hosting (clients' machines) or both."
    )
    hosted_clients: int | None = Field(
        None, ge=0, strict=True, description="Number of hosted mining clients."
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
    an involved report, or the facility total is 0.
    """
    mining_kwh = report.mining_electricity_kwh
    if mining_kwh is None and not report.involved_in_mining:
        mining_kwh = 0.0
    if mining_kwh is None or report.facility_electricity_kwh <= 0:
        return None
    return mining_kwh / report.facility_electricity_kwh * 100.0


def normalised_report(report: Report) -> dict[str, Any]:
    """The report as canonical JSON-ready data: units normalised, keys sorted, times in UTC.

    Adds ``mining_share_pct_derived`` (:func:`derived_mining_share_pct`).
    """
    data = report.model_dump(mode="python")
    data["mining_share_pct_derived"] = derived_mining_share_pct(report)
    result: dict[str, Any] = json.loads(canonical_json(data))
    return result


# --- parsing problems as findings -------------------------------------------------------

_CODE_BY_ERROR_TYPE: Final[Mapping[str, str]] = {
    "missing": "submission.missing_field",
    "extra_forbidden": "submission.unknown_field",
    "negative_value": "submission.negative_value",
    "not_numeric": "submission.not_numeric",
    "not_finite": "submission.not_numeric",
    "unknown_unit": "submission.unknown_unit",
    "ambiguous_unit": "submission.unknown_unit",
    "wrong_dimension": "submission.wrong_unit",
    "greater_than_equal": "submission.out_of_range",
    "greater_than": "submission.out_of_range",
    "less_than_equal": "submission.out_of_range",
    "less_than": "submission.out_of_range",
}
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


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return _short(value)


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
    if kind == "missing":
        message = f"{where} is required"
    elif kind == "extra_forbidden":
        name = str(loc[-1]) if loc else ""
        close = difflib.get_close_matches(name, _fields_at(loc[:-1]), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        message = f"{where} is not a field of the report{hint}"
    elif kind == "string_pattern_mismatch" and loc[:1] == ("explanations",):
        message = (
            f"explanation key {str(value)!r} is not a finding code "
            "(submission.name, or submission.name@field for one finding)"
        )
    elif isinstance(error.get("ctx"), Mapping) and "message" in error["ctx"]:
        message = f"{where}: {error['msg']}"
    else:
        message = f"{where}: {error['msg']} (got {_short(value)})"
    data = {"error_type": kind, "input": _json_safe(value)} if kind != "missing" else {}
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
