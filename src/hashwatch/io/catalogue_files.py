"""Reading hardware catalogues: hashwatch's own CSV and CBECI's machine list.

hashwatch's format has the columns of ``hashwatch/energy/hardware.csv``: ``model``,
``manufacturer``, ``algorithm``, ``hashrate``, ``hashrate_unit``, ``power_w``,
``efficiency``, ``efficiency_unit``, ``release_date`` (``YYYY``, ``YYYY-MM`` or
``YYYY-MM-DD``), ``source``, ``confidence`` and ``aliases`` (``|``-separated). Only
``model`` and either ``efficiency`` or both ``hashrate`` and ``power_w`` are required;
efficiency is computed as power ÷ hashrate when it is missing.

CBECI's machine list (``server_config/miners.csv`` of the CBECI backend) has the columns
``Miner_name``, ``UNIX_date_of_release`` (seconds), ``Efficiency_J_Gh`` and ``Qty``; it is
read as it is, efficiency converted to J/TH.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hashwatch.energy.catalogue import Machine
from hashwatch.errors import FileFormatError, InputError

CBECI_COLUMNS = ("Miner_name", "UNIX_date_of_release", "Efficiency_J_Gh")


def read_text(path: Path) -> str:
    """The text of ``path`` (UTF-8, a byte-order mark dropped); errors name the file."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", field="input") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"{path}: cannot read: {exc}", field="input") from None


def _number(text: str | None, *, row: int, field: str) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise FileFormatError(f"{field} is not a number: {text!r}", field=field, row=row) from None


def _release(text: str | None, *, row: int) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    parts = text.split("-")
    try:
        numbers = [int(p) for p in parts] + [1] * (3 - len(parts))
        return date(numbers[0], numbers[1], numbers[2])
    except (ValueError, IndexError):
        raise FileFormatError(
            f"release_date must be YYYY, YYYY-MM or YYYY-MM-DD: {text!r}",
            field="release_date",
            row=row,
        ) from None


def _machine(rec: dict[str, str], row: int) -> Machine:
    model = (rec.get("model") or "").strip()
    if not model:
        raise FileFormatError("model is empty", field="model", row=row)
    hashrate = _number(rec.get("hashrate"), row=row, field="hashrate")
    power_w = _number(rec.get("power_w"), row=row, field="power_w")
    efficiency = _number(rec.get("efficiency"), row=row, field="efficiency")
    if efficiency is None:
        if hashrate is None or power_w is None or hashrate <= 0:
            raise FileFormatError(
                "give efficiency, or hashrate and power_w", field="efficiency", row=row
            )
        efficiency = power_w / hashrate
    if efficiency <= 0:
        raise FileFormatError("efficiency must be positive", field="efficiency", row=row)
    return Machine(
        model=model,
        manufacturer=(rec.get("manufacturer") or "").strip(),
        algorithm=(rec.get("algorithm") or "SHA-256").strip(),
        hashrate=hashrate,
        hashrate_unit=(rec.get("hashrate_unit") or "TH/s").strip(),
        power_w=power_w,
        efficiency=efficiency,
        efficiency_unit=(rec.get("efficiency_unit") or "J/TH").strip().upper(),
        release_date=_release(rec.get("release_date"), row=row),
        source=(rec.get("source") or "").strip(),
        confidence=(rec.get("confidence") or "").strip(),
        aliases=tuple(a.strip() for a in (rec.get("aliases") or "").split("|") if a.strip()),
    )


def _cbeci_machine(rec: dict[str, str], row: int) -> Machine:
    released = _number(rec["UNIX_date_of_release"], row=row, field="UNIX_date_of_release")
    efficiency = _number(rec["Efficiency_J_Gh"], row=row, field="Efficiency_J_Gh")
    if released is None or efficiency is None:
        raise FileFormatError("release and efficiency are required", row=row)
    return Machine(
        model=rec["Miner_name"].strip(),
        manufacturer="",
        algorithm="SHA-256",
        hashrate=None,
        hashrate_unit="TH/s",
        power_w=None,
        efficiency=efficiency * 1000.0,
        efficiency_unit="J/TH",
        release_date=datetime.fromtimestamp(released, tz=UTC).date(),
        source="CBECI",
        confidence="",
    )


def parse_catalogue(text: str) -> list[Machine]:
    """Machines of a catalogue CSV in hashwatch's format or CBECI's (rows counted from 2)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = [f.strip() for f in reader.fieldnames or []]
    reader.fieldnames = fields
    if all(c in fields for c in CBECI_COLUMNS):
        build = _cbeci_machine
    elif "model" in fields:
        build = _machine
    else:
        raise FileFormatError(
            "a catalogue needs a model column (hashwatch) or Miner_name, "
            "UNIX_date_of_release and Efficiency_J_Gh (CBECI)",
            row=1,
        )
    return [build(rec, n) for n, rec in enumerate(reader, start=2)]


def read_catalogue(path: Path) -> list[Machine]:
    """The machines of the catalogue file ``path``."""
    return parse_catalogue(read_text(path))


def builtin_catalogue() -> list[Machine]:
    """The catalogue shipped with hashwatch (``hashwatch/energy/hardware.csv``)."""
    resource = resources.files("hashwatch.energy").joinpath("hardware.csv")
    return parse_catalogue(resource.read_text(encoding="utf-8"))


def release_day_and_efficiency(
    machines: list[Machine],
) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.float64]]:
    """Release dates (``datetime64[D]``) and efficiencies (J/TH) of dated SHA-256 machines."""
    chosen = [m for m in machines if m.release_date is not None and m.algorithm == "SHA-256"]
    released = np.array([m.release_date for m in chosen], dtype="datetime64[D]")
    return released, np.array([m.efficiency_j_per_th for m in chosen], dtype=np.float64)
