"""The hardware catalogue: mining machines with their hashrate, power and efficiency.

The catalogue shipped with hashwatch (``hardware.csv`` beside this module, read by
:func:`hashwatch.io.catalogue_files.builtin_catalogue`) is written by the project from
the facts in the energy-model reference (§9): the CBECI miner list of May 2020, the
F2Pool device list of March 2020 and third-party lists, each row with its source and a
confidence (``high`` when CBECI and F2Pool agree, ``medium`` for one of them, ``low`` for
third-party code or press only). A user catalogue merges over it (:func:`merge`).

Efficiency is ``power_w / hashrate`` in J per hash unit: J/TH for SHA-256 machines, J/MH
for Scrypt and Ethash machines. 1 J/GH (the unit of the CBECI list) = 1000 J/TH.

This module is pure: rows in, rows out; parsing lives in :mod:`hashwatch.io`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from hashwatch.errors import NotFoundError

#: J per hash unit → J/TH, by efficiency unit.
J_PER_TH_FACTOR: dict[str, float] = {"J/TH": 1.0, "J/GH": 1e3, "J/MH": 1e6, "J/KH": 1e9}

#: brand names written in Chinese, mapped to the catalogue's English names.
_BRAND_ALIASES: dict[str, str] = {
    "蚂蚁矿机": "antminer",
    "蚂蚁": "antminer",
    "比特大陆": "bitmain",
    "神马矿机": "whatsminer",
    "神马": "whatsminer",
    "阿瓦隆": "avalonminer",
    "嘉楠": "canaan",
    "翼比特": "ebang",
    "芯动": "innosilicon",
    "矿机": "",
}
#: words that may be added in front of a model name and are ignored when matching.
_PREFIXES = (
    "bitmain",
    "microbt",
    "canaan",
    "ebang",
    "ebit",
    "antminer",
    "whatsminer",
    "avalonminer",
    "avalon",
)
_NON_KEY = re.compile(r"[^0-9a-z+]")


@dataclass(frozen=True)
class Machine:
    """One machine variant of the catalogue (one hashrate bin of one model)."""

    model: str
    manufacturer: str
    algorithm: str
    hashrate: float | None
    hashrate_unit: str
    power_w: float | None
    efficiency: float
    efficiency_unit: str
    release_date: date | None
    source: str
    confidence: str
    aliases: tuple[str, ...] = ()

    @property
    def efficiency_j_per_th(self) -> float:
        """Efficiency in J/TH (only meaningful for SHA-256 machines)."""
        return self.efficiency * J_PER_TH_FACTOR[self.efficiency_unit]

    def as_row(self) -> dict[str, Any]:
        """The machine as a flat row (dates as ISO text, aliases joined with ``|``)."""
        row = asdict(self)
        row["release_date"] = self.release_date.isoformat() if self.release_date else None
        row["aliases"] = "|".join(self.aliases)
        return row


def model_key(name: str) -> str:
    """The matching key of a model name: brand-free, lower case, letters, digits and ``+``.

    ``"Antminer S19 Pro"``, ``"S19Pro"``, ``"s19 pro"``, ``"蚂蚁矿机S19 Pro"`` and
    ``"Bitmain Antminer S19-Pro"`` all give ``"s19pro"``.
    """
    text = unicodedata.normalize("NFKC", name).strip().lower()
    for chinese, english in _BRAND_ALIASES.items():
        text = text.replace(chinese, f" {english} ")
    words = text.split()
    while words and words[0] in _PREFIXES:
        words = words[1:]
    key = _NON_KEY.sub("", " ".join(words))
    for prefix in _PREFIXES:  # prefixes written without a space: "AntminerS19"
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix) :]
            break
    return key


def merge(base: Sequence[Machine], override: Iterable[Machine]) -> list[Machine]:
    """``base`` with the machines of ``override`` replacing those of the same model key.

    Machines of ``override`` with a new model key are appended, in their order.
    """
    merged = {model_key(m.model): m for m in base}
    for machine in override:
        merged[model_key(machine.model)] = machine
    return list(merged.values())


@functools.cache
def model_index(catalogue: tuple[Machine, ...]) -> dict[str, Machine]:
    """:func:`model_key` of every model and alias → its machine (the first wins), built once
    per catalogue (a tuple, so that it can be cached)."""
    index: dict[str, Machine] = {}
    for machine in catalogue:
        for name in (machine.model, *machine.aliases):
            index.setdefault(model_key(name), machine)
    return index


def lookup(catalogue: Sequence[Machine], name: str) -> Machine:
    """The machine named ``name``, matched by :func:`model_key` on its model and aliases.

    Raises :class:`NotFoundError` naming the closest models when nothing matches.
    """
    key = model_key(name)
    for machine in catalogue:
        if key in {model_key(n) for n in (machine.model, *machine.aliases)}:
            return machine
    near = [m.model for m in catalogue if key and (key in model_key(m.model))][:5]
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    raise NotFoundError(f"no machine {name!r} in the hardware catalogue{hint}")
