"""The report form: its fields, and the mapping between form fields and a raw report.

Form field names are the dotted paths of the report (``contact.email``,
``coins.0.electricity_kwh``); a quantity's unit is in ``<name>:unit``; the explanation of a
warning is in ``explain:<code>`` or ``explain:<code>@<field>``. The raw report built here
is validated by :func:`hashwatch.reporting.rules.validate_report`, which names any field at
fault; this module never judges values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo

from hashwatch.reporting.report import Algorithm, OperationMode
from hashwatch.reporting.units import Dimension, units_of

#: Quantities: field → (unit of the name, dimension).
QUANTITIES: Final[Mapping[str, tuple[str, Dimension]]] = {
    "facility_electricity_kwh": ("kWh", Dimension.ENERGY),
    "mining_electricity_kwh": ("kWh", Dimension.ENERGY),
    "mining_share_pct": ("%", Dimension.SHARE),
    "peak_demand_kw": ("kW", Dimension.POWER),
    "power_supply.self_generation_kwh": ("kWh", Dimension.ENERGY),
    "power_supply.renewable_share_pct": ("%", Dimension.SHARE),
}
LINE_QUANTITIES: Final[Mapping[str, Mapping[str, tuple[str, Dimension]]]] = {
    "coins": {
        "hashrate_ths": ("TH/s", Dimension.HASHRATE),
        "electricity_kwh": ("kWh", Dimension.ENERGY),
    },
    "equipment": {"rated_power_w": ("W", Dimension.POWER)},
}
LINE_TEXT: Final[Mapping[str, tuple[str, ...]]] = {
    "coins": ("coin", "algorithm"),
    "equipment": ("model", "count"),
}
TEXTS: Final = (
    "power_supply.grid_supplier",
    "contact.name",
    "contact.title",
    "contact.phone",
    "contact.email",
    "attestation.name",
    "attestation.title",
)
DATES: Final = ("mining_start_date", "planned_exit_date")
INTEGERS: Final = ("hosted_clients", "equipment.count")
ALGORITHMS: Final = tuple(a.value for a in Algorithm)
OPERATION_MODES: Final = tuple(m.value for m in OperationMode)
MAX_LINES: Final = 200
_LINE_KEY = re.compile(r"^(coins|equipment)\.(\d+)\.")


def units_for(dimension: Dimension) -> list[str]:
    return list(units_of(dimension))


@dataclass
class FormState:
    """The form's text as the user typed it, with its coin and equipment lines."""

    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, list[dict[str, str]]] = field(
        default_factory=lambda: {"coins": [], "equipment": []}
    )
    explanations: dict[str, str] = field(default_factory=dict)

    def v(self, name: str) -> str:
        return self.values.get(name, "")

    def unit(self, name: str) -> str:
        base = QUANTITIES[name][0] if name in QUANTITIES else ""
        return self.values.get(f"{name}:unit") or base

    def shown_lines(self, kind: str) -> list[dict[str, str]]:
        """The lines to show: at least one (empty) line."""
        return self.lines[kind] or [{}]

    def edit(self, action: str) -> None:
        """``add:coins``, ``remove:equipment.1`` — the no-JS and htmx line buttons."""
        verb, _, target = action.partition(":")
        kind, _, index = target.partition(".")
        if kind not in self.lines:
            return
        if verb == "add" and len(self.lines[kind]) < MAX_LINES:
            if not self.lines[kind]:
                self.lines[kind].append({})
            self.lines[kind].append({})
        elif verb == "remove" and index.isdigit() and int(index) < len(self.lines[kind]):
            del self.lines[kind][int(index)]


def from_form(form: Mapping[str, Any]) -> FormState:
    """The state of a posted form (text kept as typed)."""
    state = FormState()
    indices: dict[str, set[int]] = {"coins": set(), "equipment": set()}
    for key, value in form.items():
        text = value.strip() if isinstance(value, str) else ""
        if key.startswith("explain:"):
            if text:
                state.explanations[key.removeprefix("explain:")] = text
            continue
        match = _LINE_KEY.match(key)
        if match and int(match.group(2)) < MAX_LINES:
            indices[match.group(1)].add(int(match.group(2)))
        state.values[key] = text
    for kind, found in indices.items():
        for i in sorted(found):
            prefix = f"{kind}.{i}."
            line = {
                k.removeprefix(prefix): v for k, v in state.values.items() if k.startswith(prefix)
            }
            state.lines[kind].append(line)
        for key in [k for k in state.values if k.startswith(f"{kind}.")]:
            del state.values[key]
    return state


def _quantity(text: str, unit: str) -> str | None:
    return f"{text} {unit}".strip() if text else None


def _integer(text: str) -> int | str | None:
    if not text:
        return None
    return int(text) if re.fullmatch(r"\d{1,12}", text) else text


def _signed_at(text: str, timezone: str) -> str | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.isoformat()


def _put(raw: dict[str, Any], path: str, value: Any) -> None:
    if value is None or value == "":
        return
    head, _, rest = path.partition(".")
    if rest:
        _put(raw.setdefault(head, {}), rest, value)
    else:
        raw[head] = value


def _line(kind: str, line: Mapping[str, str]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for name in LINE_TEXT[kind]:
        text = line.get(name, "")
        _put(out, name, _integer(text) if name == "count" else text)
    for name, (base, _dim) in LINE_QUANTITIES[kind].items():
        _put(out, name, _quantity(line.get(name, ""), line.get(f"{name}:unit") or base))
    return out or None


def to_raw(state: FormState, timezone: str) -> dict[str, Any]:
    """The raw report of a form; blank fields and blank lines are left out."""
    raw: dict[str, Any] = {}
    involved = state.v("involved_in_mining")
    if involved in ("yes", "no"):
        raw["involved_in_mining"] = involved == "yes"
    for name in QUANTITIES:
        _put(raw, name, _quantity(state.v(name), state.unit(name)))
    for name in (*TEXTS, *DATES, "operation_mode"):
        _put(raw, name, state.v(name))
    _put(raw, "hosted_clients", _integer(state.v("hosted_clients")))
    if any(state.v(n) for n in ("attestation.name", "attestation.title", "attestation.signed_at")):
        _put(raw, "attestation.signed_at", _signed_at(state.v("attestation.signed_at"), timezone))
        raw.setdefault("attestation", {})["statement_accepted"] = (
            state.v("attestation.statement_accepted") == "yes"
        )
    for kind in ("coins", "equipment"):
        lines = [line for line in (_line(kind, x) for x in state.lines[kind]) if line]
        if lines:
            raw[kind] = lines
    if state.explanations:
        raw["explanations"] = dict(state.explanations)
    return raw


_NUMBER_UNIT = re.compile(r"^\s*([-+]?[\d.,\s]*\d[\d.,]*|[-+]?\d*\.?\d+(?:e[-+]?\d+)?)\s*(.*)$")


def _split_quantity(value: Any, base: str) -> tuple[str, str]:
    """Form text and unit of a raw quantity (number, ``"1.2 MWh"`` or ``{value, unit}``)."""
    if isinstance(value, Mapping):
        return str(value.get("value", "")), str(value.get("unit", base))
    if isinstance(value, bool) or value is None:
        return "", base
    if isinstance(value, int | float):
        return f"{value:.15g}", base
    match = _NUMBER_UNIT.match(str(value))
    if match is None:
        return str(value), base
    return match.group(1).strip(), match.group(2).strip() or base


def _local_minutes(value: Any, timezone: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(timezone))
    return moment.strftime("%Y-%m-%dT%H:%M")


def _get(raw: Mapping[str, Any], path: str) -> Any:
    node: Any = raw
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def from_raw(raw: Mapping[str, Any] | None, timezone: str) -> FormState:
    """The form prefilled from a raw or normalised report (a draft or the newest version)."""
    state = FormState()
    if not raw:
        return state
    involved = raw.get("involved_in_mining")
    if isinstance(involved, bool):
        state.values["involved_in_mining"] = "yes" if involved else "no"
    for name, (base, _dim) in QUANTITIES.items():
        text, unit = _split_quantity(_get(raw, name), base)
        state.values[name], state.values[f"{name}:unit"] = text, unit
    for name in (*TEXTS, *DATES, "operation_mode", "hosted_clients"):
        value = _get(raw, name)
        state.values[name] = "" if value is None else str(value)
    if _get(raw, "attestation.statement_accepted") is True:
        state.values["attestation.statement_accepted"] = "yes"
    signed = _get(raw, "attestation.signed_at")
    state.values["attestation.signed_at"] = _local_minutes(signed, timezone) if signed else ""
    for kind in ("coins", "equipment"):
        for item in raw.get(kind) or ():
            if not isinstance(item, Mapping):
                continue
            line = {n: "" if item.get(n) is None else str(item[n]) for n in LINE_TEXT[kind]}
            for name, (base, _dim) in LINE_QUANTITIES[kind].items():
                line[name], line[f"{name}:unit"] = _split_quantity(item.get(name), base)
            state.lines[kind].append(line)
    given = raw.get("explanations")
    if isinstance(given, Mapping):
        state.explanations = {str(k): str(v) for k, v in given.items()}
    return state
