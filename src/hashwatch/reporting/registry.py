"""The registry file's rows: one facility per row, its organization's columns repeated.

This module checks rows and nothing else: it opens no file and no database. Readers in
:mod:`hashwatch.io.registry_files` turn a file into ``(row number, {column: text})`` pairs;
:func:`parse_registry_rows` checks every row and the rows against each other;
:func:`meter_conflicts` checks the meters against those already in the database.

Row numbers are those the user sees in the file: the header is row 1, the first data row 2.
Within one file a blank contact cell of an organization takes the value given on its other
rows; two different non-blank values are an error.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from hashwatch.errors import InputError
from hashwatch.reporting.districts import BEIJING_DISTRICTS, District, resolve_district
from hashwatch.reporting.models import OrganizationKind
from hashwatch.reporting.uscc import parse_uscc

COLUMN_HELP: dict[str, str] = {
    "facility_code": "Facility code, unique in the registry (letters, digits, . _ -; "
    "starting with a letter or digit).",
    "facility_name": "Name of the data center (数据中心名称).",
    "organization_uscc": "Operator's unified social credit code, 18 characters (GB 32100).",
    "organization_name": "Operator's registered name (机构名称).",
    "organization_kind": "telecom | colocation | cloud | enterprise | other "
    "(电信运营商 | 主机托管 | 云服务 | 企业 | 其他).",
    "contact_name": "Person who answers notices for the operator.",
    "contact_email": "E-mail address notices are sent to.",
    "contact_phone": "Telephone number of the contact.",
    "address": "Street address of the facility.",
    "district": "District: code (110105), Chinese name (朝阳区) or Pinyin (Chaoyang).",
    "latitude": "Latitude in decimal degrees (WGS 84), -90 to 90 [°].",
    "longitude": "Longitude in decimal degrees (WGS 84), -180 to 180 [°].",
    "rated_it_capacity_kw": "Rated IT (equipment) power capacity [kW], ≥ 0.",
    "contracted_grid_capacity_kw": "Contracted grid connection capacity [kW], ≥ 0.",
    "meter_ids": "Utility meter ids serving the facility, separated by ';'.",
    "ip_ranges": "IP networks of the facility in CIDR form (10.0.0.0/24), separated by ';'.",
}
COLUMNS: tuple[str, ...] = tuple(COLUMN_HELP)
REQUIRED_COLUMNS: tuple[str, ...] = (
    "facility_code",
    "facility_name",
    "organization_uscc",
    "organization_name",
    "organization_kind",
    "district",
)
CONTACT_COLUMNS = ("contact_name", "contact_email", "contact_phone")
ORGANIZATION_COLUMNS = ("organization_name", "organization_kind", *CONTACT_COLUMNS)

KIND_LABELS_ZH: dict[OrganizationKind, str] = {
    OrganizationKind.TELECOM: "电信运营商",
    OrganizationKind.COLOCATION: "主机托管",
    OrganizationKind.CLOUD: "云服务",
    OrganizationKind.ENTERPRISE: "企业",
    OrganizationKind.OTHER: "其他",
}
_KINDS: dict[str, OrganizationKind] = {k.value: k for k in OrganizationKind} | {
    label: kind for kind, label in KIND_LABELS_ZH.items()
}

EXAMPLE_ROW: dict[str, str] = {
    "facility_code": "BJ-CY-0001",
    "facility_name": "示例数据中心 Example Data Center",
    "organization_uscc": "91110105MA01H5K36T",
    "organization_name": "北京示例数据服务有限公司",
    "organization_kind": "colocation",
    "contact_name": "张三",
    "contact_email": "zhangsan@example.com",
    "contact_phone": "+86 10 5555 0100",
    "address": "北京市朝阳区示例路1号",
    "district": "朝阳区",
    "latitude": "39.9219",
    "longitude": "116.4431",
    "rated_it_capacity_kw": "2400",
    "contracted_grid_capacity_kw": "4000",
    "meter_ids": "M-110105-0001;M-110105-0002",
    "ip_ranges": "203.0.113.0/24;2001:db8:10::/48",
}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LIST_SEPARATOR = re.compile(r"[;；]")
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d*)?$")
_CODE = re.compile(r"^[^\s;,]+$")
# Facility codes name folders (the outbox) and URLs: ASCII letters, digits, '.', '_', '-'.
_FACILITY_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[\d()\-\s]{5,}((ext\.?|x|转)\s*\d+)?$", re.IGNORECASE)


def split_list(text: str | None) -> list[str]:
    """The items of a ';'-separated cell (full-width '；' too), blanks dropped."""
    return [item.strip() for item in _LIST_SEPARATOR.split(text or "") if item.strip()]


def _number(value: Any) -> Any:
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        return text.replace(",", "") if _THOUSANDS.match(text) else text
    return value


def _kind(value: Any) -> Any:
    if isinstance(value, str):
        kind = _KINDS.get(value.strip().casefold())
        if kind is None:
            choices = ", ".join(f"{k.value} ({label})" for k, label in KIND_LABELS_ZH.items())
            raise ValueError(f"unknown organization kind {value!r}; use one of {choices}")
        return kind
    return value


def _network(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text, strict=True))
    except ValueError as exc:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(f"{text!r} is not an IP network in CIDR form: {exc}") from None
        raise ValueError(
            f"{text!r} has host bits set: did you mean {loose}? (give the network address)"
        ) from None


Number = Annotated[float | None, BeforeValidator(_number)]


class RegistryRow(BaseModel):
    """One checked row of the registry file: a facility and its organization."""

    model_config = ConfigDict(
        frozen=True, str_strip_whitespace=True, allow_inf_nan=False, populate_by_name=True
    )

    facility_code: str = Field(max_length=64, pattern=_FACILITY_CODE.pattern)
    facility_name: str = Field(min_length=1, max_length=200)
    organization_uscc: str
    organization_name: str = Field(min_length=1, max_length=200)
    organization_kind: Annotated[OrganizationKind, BeforeValidator(_kind)]
    contact_name: str | None = Field(None, max_length=100)
    contact_email: str | None = Field(None, max_length=200, pattern=_EMAIL.pattern)
    contact_phone: str | None = Field(None, max_length=50)
    address: str | None = Field(None, max_length=300)
    district_code: str = Field(validation_alias="district")
    latitude: Number = Field(None, ge=-90, le=90)
    longitude: Number = Field(None, ge=-180, le=180)
    rated_it_capacity_kw: Number = Field(None, ge=0)
    contracted_grid_capacity_kw: Number = Field(None, ge=0)
    meter_ids: tuple[str, ...] = ()
    ip_ranges: tuple[str, ...] = ()

    @field_validator("*", mode="before")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        if isinstance(value, str) and _CONTROL.search(value):
            raise ValueError("contains a control character")
        return value

    @field_validator("organization_uscc", mode="before")
    @classmethod
    def _uscc(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = unicodedata.normalize("NFKC", value)
        if re.fullmatch(r"\s*\d(\.\d+)?[eE]\+?\d+\s*", text):
            raise ValueError(
                f"{value!r} is a number a spreadsheet rounded: format the column as text "
                "and type the code again"
            )
        try:
            return parse_uscc(text).code
        except InputError as exc:
            raise ValueError(exc.message) from None

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not _PHONE.match(value):
            raise ValueError(f"{value!r} is not a telephone number (digits, spaces, + - ( ))")
        return value

    @field_validator("district_code", mode="before")
    @classmethod
    def _district(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        districts = (info.context or {}).get("districts", BEIJING_DISTRICTS)
        try:
            return resolve_district(value, districts).code
        except InputError as exc:
            raise ValueError(exc.message) from None

    @field_validator("meter_ids", mode="before")
    @classmethod
    def _meters(cls, value: Any) -> Any:
        if value is None or not isinstance(value, str):
            return () if value is None else value
        meters = split_list(value)
        for meter in meters:
            if len(meter) > 64 or not _CODE.match(meter):
                raise ValueError(f"meter id {meter!r} is longer than 64 characters or has spaces")
        repeated = sorted({m for m in meters if meters.count(m) > 1})
        if repeated:
            raise ValueError(f"meter id {repeated[0]!r} is listed twice")
        return tuple(sorted(meters))

    @field_validator("ip_ranges", mode="before")
    @classmethod
    def _ip_ranges(cls, value: Any) -> Any:
        if value is None or not isinstance(value, str):
            return () if value is None else value
        networks = [_network(item) for item in split_list(value)]
        repeated = sorted({n for n in networks if networks.count(n) > 1})
        if repeated:
            raise ValueError(f"IP range {repeated[0]} is listed twice")
        return tuple(sorted(networks))

    def organization(self) -> dict[str, Any]:
        """The organization's fields, keyed as in :func:`organization_snapshot` form."""
        return {
            "uscc": self.organization_uscc,
            "name": self.organization_name,
            "kind": self.organization_kind.value,
            "contact_name": self.contact_name,
            "contact_email": self.contact_email,
            "contact_phone": self.contact_phone,
        }

    def facility(self) -> dict[str, Any]:
        """The facility's fields in the form the service compares and audits."""
        return {
            "code": self.facility_code,
            "name": self.facility_name,
            "organization_uscc": self.organization_uscc,
            "address": self.address,
            "district_code": self.district_code,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "rated_it_capacity_kw": self.rated_it_capacity_kw,
            "contracted_grid_capacity_kw": self.contracted_grid_capacity_kw,
            "meter_ids": list(self.meter_ids),
            "ip_ranges": list(self.ip_ranges),
        }


# File columns -> keys of RegistryRow.organization() / RegistryRow.facility().
ORGANIZATION_KEYS = {
    "organization_name": "name",
    "organization_kind": "kind",
    "contact_name": "contact_name",
    "contact_email": "contact_email",
    "contact_phone": "contact_phone",
}
FACILITY_KEYS = {
    "facility_name": "name",
    "organization_uscc": "organization_uscc",
    "address": "address",
    "district": "district_code",
    "latitude": "latitude",
    "longitude": "longitude",
    "rated_it_capacity_kw": "rated_it_capacity_kw",
    "contracted_grid_capacity_kw": "contracted_grid_capacity_kw",
    "meter_ids": "meter_ids",
    "ip_ranges": "ip_ranges",
}


@dataclass(frozen=True)
class RowError:
    """One problem in one row: ``row`` as the user sees it (header = 1), the column at fault."""

    row: int
    field: str | None
    message: str
    value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The error as plain JSON-ready data."""
        return {"row": self.row, "field": self.field, "message": self.message, "value": self.value}

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass
class RegistryBatch:
    """The checked rows of one file: what to write, or why not."""

    columns: frozenset[str]
    rows: list[tuple[int, RegistryRow]] = field(default_factory=list)
    organizations: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def facility_rows(self) -> dict[str, int]:
        """Facility code -> row number."""
        return {r.facility_code: n for n, r in self.rows}


_PATTERN_MESSAGES = {
    "facility_code": "may hold only ASCII letters, digits, '.', '_' and '-', "
    "and must start with a letter or digit",
    "contact_email": "is not an e-mail address",
}
_MESSAGES = {
    "float_parsing": "is not a number",
    "float_type": "is not a number",
    "finite_number": "is not a finite number",
}


def _message(column: str | None, error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if error.get("input") is None or kind == "string_too_short":
        return "is required"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']:g}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']:g}"
    if kind == "string_too_long":
        return f"is longer than {ctx['max_length']} characters"
    if kind == "string_pattern_mismatch":
        return _PATTERN_MESSAGES.get(column or "", "has characters that are not allowed")
    return _MESSAGES.get(kind, str(error["msg"]))


def parse_row(
    row_number: int, raw: Mapping[str, str | None], districts: Sequence[District]
) -> tuple[RegistryRow | None, list[RowError]]:
    """Check one row on its own: the row, or ``None`` and every error in it."""
    values = {k: (v if v is None or v.strip() else None) for k, v in raw.items()}
    try:
        row = RegistryRow.model_validate(values, context={"districts": districts})
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            column = str(error["loc"][0]) if error["loc"] else None
            value = values.get(column) if column else None
            errors.append(RowError(row_number, column, _message(column, error), value))
        return None, errors
    if (row.latitude is None) != (row.longitude is None):
        missing = "longitude" if row.longitude is None else "latitude"
        return None, [RowError(row_number, missing, "is required when the other coordinate is")]
    return row, []


def _merge_organization(
    batch: RegistryBatch, first_rows: dict[str, int], number: int, row: RegistryRow
) -> None:
    uscc = row.organization_uscc
    organization = row.organization()
    known = batch.organizations.get(uscc)
    if known is None:
        batch.organizations[uscc] = organization
        first_rows[uscc] = number
        return
    for column in ORGANIZATION_COLUMNS:
        key = ORGANIZATION_KEYS[column]
        mine, theirs = organization[key], known[key]
        if mine is None:
            continue
        if theirs is None:
            known[key] = mine
        elif mine != theirs:
            batch.errors.append(
                RowError(
                    number,
                    column,
                    f"differs from row {first_rows[uscc]} ({theirs!r}) for organization {uscc}",
                    str(mine),
                )
            )


def parse_registry_rows(
    rows: Sequence[tuple[int, Mapping[str, str | None]]],
    *,
    columns: Sequence[str] = COLUMNS,
    districts: Sequence[District] = BEIJING_DISTRICTS,
) -> RegistryBatch:
    """Check every row, then the rows against each other.

    Across rows: a facility code appears once, a meter id belongs to one facility, and the
    organization columns agree for one USCC. ``columns`` are the file's columns; a missing
    required column is reported by the reader, not here.
    """
    batch = RegistryBatch(columns=frozenset(columns))
    first_rows: dict[str, int] = {}
    facility_rows: dict[str, int] = {}
    meter_rows: dict[str, tuple[int, str]] = {}
    for number, raw in rows:
        row, errors = parse_row(number, raw, districts)
        batch.errors.extend(errors)
        if row is None:
            continue
        code = row.facility_code
        if code in facility_rows:
            batch.errors.append(
                RowError(number, "facility_code", f"is already on row {facility_rows[code]}", code)
            )
            continue
        facility_rows[code] = number
        for meter in row.meter_ids:
            if meter in meter_rows:
                first, owner = meter_rows[meter]
                batch.errors.append(
                    RowError(
                        number,
                        "meter_ids",
                        f"meter {meter!r} is already listed for facility {owner} on row {first}",
                        meter,
                    )
                )
            else:
                meter_rows[meter] = (number, code)
        _merge_organization(batch, first_rows, number, row)
        batch.rows.append((number, row))
    batch.errors.sort(key=lambda e: e.row)
    return batch


def meter_conflicts(batch: RegistryBatch, owners: Mapping[str, str]) -> list[RowError]:
    """Meters of the file that the database gives to a facility the file does not list.

    ``owners`` maps meter id -> facility code in the database. A meter may move between two
    facilities that are both in the file: the file then says where each meter now is.
    """
    in_file = batch.facility_rows()
    errors = []
    for number, row in batch.rows:
        for meter in row.meter_ids:
            owner = owners.get(meter)
            if owner is not None and owner != row.facility_code and owner not in in_file:
                errors.append(
                    RowError(
                        number,
                        "meter_ids",
                        f"meter {meter!r} already belongs to facility {owner} in the registry",
                        meter,
                    )
                )
    return errors


def row_errors_problem(errors: Sequence[RowError]) -> InputError:
    """The :class:`InputError` for a file with bad rows: how many, the first, and all."""
    bad_rows = len({e.row for e in errors})
    first = errors[0]
    noun = "row has" if bad_rows == 1 else "rows have"
    return InputError(
        f"{bad_rows} {noun} errors; nothing was imported. First: {first}",
        field=first.field,
        problems=[e.as_dict() for e in errors],
    )
