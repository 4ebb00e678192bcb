"""Rules on the declared amounts: electricity, shares, coins and power supply.

Each rule is ``(report, context, settings) -> list[Finding]`` and gives one code. Amounts
are compared with the relative tolerance of :func:`~hashwatch.reporting.rules_common.exceeds`,
so equal amounts written in different units never trip a rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

from hashwatch.reporting.findings import Finding, Severity
from hashwatch.reporting.report import Algorithm, Report, derived_mining_share_pct
from hashwatch.reporting.rules_common import (
    RuleContext,
    RuleSettings,
    exceeds,
    finding,
    mining_days,
    num,
    within,
)

ERROR, WARNING = Severity.ERROR, Severity.WARNING

#: The algorithm each well-known coin is mined with (Etchash filed as Ethash).
COIN_ALGORITHMS: Final[Mapping[str, Algorithm]] = {
    "BTC": Algorithm.SHA256,
    "BCH": Algorithm.SHA256,
    "BSV": Algorithm.SHA256,
    "LTC": Algorithm.SCRYPT,
    "DOGE": Algorithm.SCRYPT,
    "ETH": Algorithm.ETHASH,
    "ETC": Algorithm.ETHASH,
    "ZEC": Algorithm.EQUIHASH,
    "XMR": Algorithm.RANDOMX,
    "DASH": Algorithm.X11,
}


def mining_exceeds_total(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.mining_exceeds_total``: mining electricity > facility electricity."""
    mining_kwh, total_kwh = report.mining_electricity_kwh, report.facility_electricity_kwh
    if mining_kwh is None or not exceeds(mining_kwh, total_kwh):
        return []
    return [
        finding(
            "submission.mining_exceeds_total",
            ERROR,
            f"mining electricity {num(mining_kwh)} kWh is above the facility's total "
            f"{num(total_kwh)} kWh",
            "mining_electricity_kwh",
            mining_electricity_kwh=mining_kwh,
            facility_electricity_kwh=total_kwh,
        )
    ]


def share_out_of_range(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.share_out_of_range``: stated mining share outside [0, 100] %."""
    share_pct = report.mining_share_pct
    if share_pct is None or within(share_pct, 0.0, 100.0):
        return []
    return [
        finding(
            "submission.share_out_of_range",
            ERROR,
            f"mining share {num(share_pct)} % is outside 0–100 %",
            "mining_share_pct",
            mining_share_pct=share_pct,
        )
    ]


def share_mismatch(report: Report, context: RuleContext, settings: RuleSettings) -> list[Finding]:
    """Error ``submission.share_mismatch``: stated share ≠ mining / facility × 100.

    Fires when ``|share_pct − mining_kwh / facility_kwh × 100| > share_tolerance_pct_points``;
    a share outside [0, 100] is left to :func:`share_out_of_range`, a share on a nil return
    to :func:`nil_return_with_mining`.
    """
    stated_pct, derived_pct = report.mining_share_pct, derived_mining_share_pct(report)
    if not report.involved_in_mining or stated_pct is None or derived_pct is None:
        return []
    if not within(stated_pct, 0.0, 100.0):
        return []
    gap, tolerance = abs(stated_pct - derived_pct), settings.share_tolerance_pct_points
    if within(stated_pct, derived_pct - tolerance, derived_pct + tolerance):
        return []
    mining_kwh = report.mining_electricity_kwh or 0.0
    return [
        finding(
            "submission.share_mismatch",
            ERROR,
            f"stated mining share {num(stated_pct)} % differs from {num(mining_kwh)} kWh / "
            f"{num(report.facility_electricity_kwh)} kWh = {num(derived_pct)} % by "
            f"{num(gap)} percentage points (tolerance "
            f"{num(settings.share_tolerance_pct_points)})",
            "mining_share_pct",
            mining_share_pct=stated_pct,
            mining_share_pct_derived=derived_pct,
            mining_electricity_kwh=mining_kwh,
            facility_electricity_kwh=report.facility_electricity_kwh,
            gap_pct_points=gap,
            tolerance_pct_points=settings.share_tolerance_pct_points,
        )
    ]


def mining_electricity_missing(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.mining_electricity_missing``: involved, but no mining electricity."""
    if not report.involved_in_mining or (report.mining_electricity_kwh or 0.0) > 0.0:
        return []
    stated = report.mining_electricity_kwh
    what = "missing" if stated is None else "0 kWh"
    return [
        finding(
            "submission.mining_electricity_missing",
            ERROR,
            f"the facility reports involvement in mining but its mining electricity is {what}",
            "mining_electricity_kwh",
            mining_electricity_kwh=stated,
        )
    ]


def nil_return_with_mining(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.nil_return_with_mining``: a nil return that still declares mining.

    One finding per contradiction: mining electricity or stated share > 0, equipment or
    coin lines, or a mining start date that puts mining inside the period.
    """
    if report.involved_in_mining:
        return []
    problems: list[tuple[str, str, dict[str, object]]] = []
    mining_kwh, share_pct = report.mining_electricity_kwh, report.mining_share_pct
    if mining_kwh is not None and mining_kwh > 0.0:
        what = f"mining electricity {num(mining_kwh)} kWh"
        problems.append(("mining_electricity_kwh", what, {"mining_electricity_kwh": mining_kwh}))
    if share_pct is not None and share_pct > 0.0:
        what = f"a mining share of {num(share_pct)} %"
        problems.append(("mining_share_pct", what, {"mining_share_pct": share_pct}))
    if report.equipment:
        what = f"{len(report.equipment)} equipment line(s)"
        problems.append(("equipment", what, {"equipment_lines": len(report.equipment)}))
    if report.coins:
        what = f"{len(report.coins)} coin line(s)"
        problems.append(("coins", what, {"coin_lines": len(report.coins)}))
    start = report.mining_start_date
    if start is not None and mining_days(report, context) is not None:
        what = f"mining from {start}, which puts mining inside the period"
        problems.append(("mining_start_date", what, {"mining_start_date": start.isoformat()}))
    return [
        finding(
            "submission.nil_return_with_mining",
            ERROR,
            f"the report says the facility is not involved in mining but declares {what}",
            field,
            **data,
        )
        for field, what, data in problems
    ]


def coin_sum_mismatch(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.coin_sum_mismatch``: Σ per-coin electricity ≠ mining electricity.

    Fires when ``|Σ coin_kwh − mining_kwh| > mining_kwh × coin_sum_tolerance_pct / 100``.
    """
    mining_kwh = report.mining_electricity_kwh
    if not report.coins or mining_kwh is None:
        return []
    coins_kwh = math.fsum(c.electricity_kwh for c in report.coins)
    gap_kwh = abs(coins_kwh - mining_kwh)
    allowed_kwh = mining_kwh * settings.coin_sum_tolerance_pct / 100.0
    if within(coins_kwh, mining_kwh - allowed_kwh, mining_kwh + allowed_kwh):
        return []
    gap_pct = gap_kwh / mining_kwh * 100.0 if mining_kwh > 0 else None
    relative = f" ({num(gap_pct)} %)" if gap_pct is not None else ""
    return [
        finding(
            "submission.coin_sum_mismatch",
            ERROR,
            f"electricity by coin sums to {num(coins_kwh)} kWh but mining electricity is "
            f"{num(mining_kwh)} kWh: {num(gap_kwh)} kWh apart{relative}, tolerance "
            f"{num(settings.coin_sum_tolerance_pct)} %",
            "coins",
            coins_electricity_kwh=coins_kwh,
            mining_electricity_kwh=mining_kwh,
            gap_kwh=gap_kwh,
            gap_pct=gap_pct,
            tolerance_pct=settings.coin_sum_tolerance_pct,
        )
    ]


def duplicate_coin(report: Report, context: RuleContext, settings: RuleSettings) -> list[Finding]:
    """Error ``submission.duplicate_coin``: a coin listed on more than one line."""
    first_line: dict[str, int] = {}
    found = []
    for index, line in enumerate(report.coins):
        if line.coin in first_line:
            found.append(
                finding(
                    "submission.duplicate_coin",
                    ERROR,
                    f"coin {line.coin} is listed again on line {index} (first on line "
                    f"{first_line[line.coin]}): give one line per coin",
                    f"coins.{index}.coin",
                    coin=line.coin,
                    line=index,
                    first_line=first_line[line.coin],
                )
            )
        else:
            first_line[line.coin] = index
    return found


def coins_missing(report: Report, context: RuleContext, settings: RuleSettings) -> list[Finding]:
    """Warning ``submission.coins_missing``: involved in mining, but no coin lines."""
    if not report.involved_in_mining or report.coins:
        return []
    return [
        finding(
            "submission.coins_missing",
            WARNING,
            "the facility reports involvement in mining but lists no coins: say which coins "
            "were mined and the electricity of each",
            "coins",
        )
    ]


def coin_algorithm_mismatch(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Warning ``submission.coin_algorithm_mismatch``: a known coin with another algorithm."""
    found = []
    for index, line in enumerate(report.coins):
        expected = COIN_ALGORITHMS.get(line.coin)
        if expected is not None and line.algorithm is not expected:
            found.append(
                finding(
                    "submission.coin_algorithm_mismatch",
                    WARNING,
                    f"{line.coin} is mined with {expected.value}, not {line.algorithm.value}",
                    f"coins.{index}.algorithm",
                    coin=line.coin,
                    algorithm=line.algorithm.value,
                    expected_algorithm=expected.value,
                )
            )
    return found


def renewable_share_out_of_range(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.renewable_share_out_of_range``: renewable share outside [0, 100] %."""
    share_pct = report.power_supply.renewable_share_pct if report.power_supply else None
    if share_pct is None or within(share_pct, 0.0, 100.0):
        return []
    return [
        finding(
            "submission.renewable_share_out_of_range",
            ERROR,
            f"renewable share {num(share_pct)} % is outside 0–100 %",
            "power_supply.renewable_share_pct",
            renewable_share_pct=share_pct,
        )
    ]


def self_generation_exceeds_total(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Warning ``submission.self_generation_exceeds_total``: own generation > facility total.

    Possible only when the surplus is exported; the submitter should say so.
    """
    generated_kwh = report.power_supply.self_generation_kwh if report.power_supply else None
    total_kwh = report.facility_electricity_kwh
    if generated_kwh is None or not exceeds(generated_kwh, total_kwh):
        return []
    return [
        finding(
            "submission.self_generation_exceeds_total",
            WARNING,
            f"self-generation {num(generated_kwh)} kWh is above the facility's total "
            f"electricity {num(total_kwh)} kWh",
            "power_supply.self_generation_kwh",
            self_generation_kwh=generated_kwh,
            facility_electricity_kwh=total_kwh,
        )
    ]


RULES_AMOUNTS = (
    mining_exceeds_total,
    share_out_of_range,
    share_mismatch,
    mining_electricity_missing,
    nil_return_with_mining,
    coin_sum_mismatch,
    duplicate_coin,
    coins_missing,
    coin_algorithm_mismatch,
    renewable_share_out_of_range,
    self_generation_exceeds_total,
)
