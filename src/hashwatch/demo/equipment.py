"""Mining machines of the demo city (as in April 2021) and the fleets facilities declare.

Rated hashrate and power per machine are the figures of ``energy-model.md`` §9 (the hardware
efficiency table). The Antminer L7 (Scrypt) only shipped in late 2021, so the demo's
Litecoin miners are the Antminer L3+ that was in use in April 2021.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from hashwatch.reporting.report import Algorithm

MIN_MACHINES_PER_LINE = 5


@dataclass(frozen=True)
class Machine:
    """A mining machine model: algorithm, rated hashrate [TH/s] and rated power [W]."""

    model: str
    algorithm: Algorithm
    coin: str
    hashrate_ths: float
    rated_power_w: float
    weight: float


MACHINES: Final[tuple[Machine, ...]] = (
    Machine("Antminer S19 Pro", Algorithm.SHA256, "BTC", 110.0, 3250.0, 3.0),
    Machine("Antminer S19j Pro", Algorithm.SHA256, "BTC", 100.0, 2950.0, 2.0),
    Machine("Antminer S19", Algorithm.SHA256, "BTC", 95.0, 3250.0, 2.0),
    Machine("Whatsminer M30S", Algorithm.SHA256, "BTC", 88.0, 3344.0, 2.0),
    Machine("AvalonMiner 1246", Algorithm.SHA256, "BTC", 90.0, 3420.0, 1.0),
    Machine("Antminer S17", Algorithm.SHA256, "BTC", 53.0, 2385.0, 1.0),
)
SCRYPT_MACHINE: Final = Machine("Antminer L3+", Algorithm.SCRYPT, "LTC", 504e-6, 800.0, 1.0)
ETHASH_MACHINES: Final[tuple[Machine, ...]] = (
    Machine("Innosilicon A10 Pro", Algorithm.ETHASH, "ETH", 500e-6, 950.0, 1.0),
    Machine("GPU rig, 8 × GeForce RTX 3070", Algorithm.ETHASH, "ETH", 480e-6, 1200.0, 1.0),
)


@dataclass(frozen=True)
class FleetLine:
    """Identical machines in a facility: how many, and the share of the period they ran."""

    machine: Machine
    count: int
    running_fraction: float = 1.0

    @property
    def rated_power_kw(self) -> float:
        """Rated power of the whole line [kW]."""
        return self.count * self.machine.rated_power_w / 1000.0


def _sha256_machine(rng: random.Random, exclude: Machine | None = None) -> Machine:
    choices = [m for m in MACHINES if m is not exclude]
    return rng.choices(choices, weights=[m.weight for m in choices])[0]


def fleet_machines(rng: random.Random) -> list[tuple[Machine, float]]:
    """The machine models of one facility with the share of its mining power each takes."""
    roll = rng.random()
    if roll < 0.08:
        return [(rng.choice(ETHASH_MACHINES), 1.0)]
    first = _sha256_machine(rng)
    lines = [(first, 1.0)]
    if rng.random() < 0.3:
        lines = [(first, 0.6), (_sha256_machine(rng, exclude=first), 0.4)]
    if roll > 0.85:
        lines = [(m, share * 0.8) for m, share in lines] + [(SCRYPT_MACHINE, 0.2)]
    elif roll > 0.78:
        lines = [(m, share * 0.85) for m, share in lines] + [(rng.choice(ETHASH_MACHINES), 0.15)]
    return lines


def build_fleet(rng: random.Random, mining_power_kw: float) -> list[FleetLine]:
    """Machines adding up to about ``mining_power_kw`` of rated power (at least 5 a line)."""
    return [
        FleetLine(
            machine,
            max(
                MIN_MACHINES_PER_LINE, round(mining_power_kw * share * 1000 / machine.rated_power_w)
            ),
        )
        for machine, share in fleet_machines(rng)
    ]
