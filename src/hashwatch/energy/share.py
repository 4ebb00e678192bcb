"""A jurisdiction's share of the global hashrate and of the global mining electricity.

Two estimates are reported side by side (energy-model reference §7.3):

* share method: E_j = s_j · E_global, with s_j = H_j / H_global (or a share from the
  Cambridge mining map) and E_global the network estimate (lower/best/upper);
* bottom-up: P_j = H_j · ε · PUE, with ε the efficiency of the jurisdiction's machines.

Pool-IP-based shares (the mining map) are biased by VPNs and hosting; state them as priors.
"""

from __future__ import annotations

from dataclasses import dataclass

from hashwatch.energy.network import HOURS_PER_YEAR, PUE_BEST, PUE_LOWER, PUE_UPPER


@dataclass(frozen=True)
class ShareEstimate:
    """Share of the network (0–1) and the electricity attributed to the jurisdiction."""

    share: float
    share_lower_twh_per_yr: float
    share_best_twh_per_yr: float
    share_upper_twh_per_yr: float
    bottom_up_lower_twh_per_yr: float | None
    bottom_up_best_twh_per_yr: float | None
    bottom_up_upper_twh_per_yr: float | None


def hashrate_share(hashrate_ths: float, network_hashrate_ths: float) -> float:
    """s = H_j / H_global, a fraction (0–1)."""
    if network_hashrate_ths <= 0:
        raise ValueError("the network hashrate must be positive")
    return hashrate_ths / network_hashrate_ths


def bottom_up_twh_per_yr(hashrate_ths: float, efficiency_j_per_th: float, pue: float) -> float:
    """E = H · ε · PUE · 8766 h / 10¹² [TWh/yr] (H in TH/s, ε in J/TH; W → TWh/yr).

    Example (reference §7.3): 1 EH/s at 30 J/TH and PUE 1.10 is 33 MW, ≈ 0.289 TWh/yr.
    """
    return hashrate_ths * efficiency_j_per_th * pue * HOURS_PER_YEAR / 1e12


def jurisdiction_share(
    share: float,
    network_twh_per_yr: tuple[float, float, float],
    hashrate_ths: float | None = None,
    efficiency_j_per_th: float | None = None,
) -> ShareEstimate:
    """Electricity attributed to a jurisdiction by share, and bottom-up when it can be.

    ``network_twh_per_yr`` is the network's (lower, best, upper) estimate; the bottom-up
    value needs the jurisdiction's hashrate and efficiency, with PUE 1.01/1.10/1.20.
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError("a share is between 0 and 1")
    lower, best, upper = (share * e for e in network_twh_per_yr)
    bottom: list[float | None] = [None, None, None]
    if hashrate_ths is not None and efficiency_j_per_th is not None:
        bottom = [
            bottom_up_twh_per_yr(hashrate_ths, efficiency_j_per_th, pue)
            for pue in (PUE_LOWER, PUE_BEST, PUE_UPPER)
        ]
    return ShareEstimate(share, lower, best, upper, bottom[0], bottom[1], bottom[2])
