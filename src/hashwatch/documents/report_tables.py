"""What the assessment report's tables hold: columns with their headers and units, and the
words of enumerated values; marked for the catalogs, translated where the report is made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hashwatch.i18n import N_


@dataclass(frozen=True)
class Column:
    """A table column: the data key, its header (msgid) and unit, and how to show it."""

    key: str
    header: str
    unit: str = ""
    kind: str = "text"  # text, count, kwh, pct, number, label


GROUP_COLUMNS: Final = (
    Column("recipients", N_("Recipients"), kind="count"),
    Column("counted", N_("Reported"), kind="count"),
    Column("involved", N_("Involved in mining"), kind="count"),
    Column("facility_electricity_kwh", N_("Facility electricity"), "kWh", "kwh"),
    Column("mining_electricity_kwh", N_("Mining electricity"), "kWh", "kwh"),
    Column("mining_share_pct", N_("Mining share of facility electricity"), "%", "pct"),
    Column("share_of_mining_pct", N_("Share of all mining electricity"), "%", "pct"),
    Column("unknown", N_("Unknown (no report or returned)"), kind="count"),
    Column("imputed_upper_kwh", N_("Imputed upper bound of the unknown"), "kWh", "kwh"),
)
TABLES: Final[dict[str, tuple[str, tuple[Column, ...]]]] = {
    "by_district": (N_("By district"), (Column("label", N_("District")), *GROUP_COLUMNS)),
    "by_organization_kind": (
        N_("By kind of organization"),
        (Column("label", N_("Kind of organization"), kind="label"), *GROUP_COLUMNS),
    ),
    "by_organization": (
        N_("By organization"),
        (Column("label", N_("Organization")), Column("key", N_("USCC")), *GROUP_COLUMNS),
    ),
    "by_coin": (
        N_("By coin"),
        (
            Column("key", N_("Coin"), kind="label"),
            Column("algorithm", N_("Algorithm")),
            Column("facilities", N_("Facilities"), kind="count"),
            Column("mining_electricity_kwh", N_("Mining electricity"), "kWh", "kwh"),
            Column("hashrate_ths", N_("Hashrate"), "TH/s", "number"),
            Column("share_of_mining_pct", N_("Share of all mining electricity"), "%", "pct"),
        ),
    ),
    "emissions": (
        N_("Emissions of mining electricity"),
        (
            Column("level", N_("Level"), kind="label"),
            Column("region", N_("Region"), kind="label"),
            Column("vintage_year", N_("Year of the factor")),
            Column("kg_co2_per_kwh", N_("Emission factor"), "kg CO2/kWh", "number"),
            Column("gross_t", N_("CO2, all mining electricity"), "t", "number"),
            Column("net_t", N_("CO2, grid electricity not renewable"), "t", "number"),
            Column("imputed_upper_t", N_("CO2, imputed upper bound of the unknown"), "t", "number"),
            Column("verified", N_("Verified against the publication"), kind="label"),
            Column("source", N_("Source")),
        ),
    ),
    "declared_vs_estimated": (
        N_("Declared against estimated, per facility"),
        (
            Column("facility_code", N_("Facility")),
            Column("basis", N_("Estimated from"), kind="label"),
            Column("declared_kwh", N_("Declared mining electricity"), "kWh", "kwh"),
            Column("lower_kwh", N_("Energy model, lower"), "kWh", "kwh"),
            Column("best_kwh", N_("Energy model, best"), "kWh", "kwh"),
            Column("upper_kwh", N_("Energy model, upper"), "kWh", "kwh"),
            Column("status", N_("Declared vs bounds"), kind="label"),
            Column("gap_kwh", N_("Gap to the nearest bound"), "kWh", "kwh"),
            Column("gap_pct", N_("Gap to the nearest bound"), "%", "pct"),
        ),
    ),
    "unknown": (
        N_("Facilities without a counted report (imputed, not declared)"),
        (
            Column("facility_code", N_("Facility")),
            Column("facility_name", N_("Name")),
            Column("standing", N_("Standing"), kind="label"),
            Column("ratio_kwh", N_("Imputed at the reporters' ratio"), "kWh", "kwh"),
            Column("upper_kwh", N_("Imputed upper bound"), "kWh", "kwh"),
        ),
    ),
    "trend": (
        N_("Trend across notices"),
        (
            Column("ref", N_("Notice")),
            Column("period_start", N_("Period start")),
            Column("period_end", N_("Period end")),
            Column("counted", N_("Reported"), kind="count"),
            Column("involved", N_("Involved in mining"), kind="count"),
            Column("mining_electricity_kwh", N_("Mining electricity"), "kWh", "kwh"),
            Column("mining_electricity_kwh_per_day", N_("Mining electricity per day"), "kWh/d"),
            Column("mining_share_pct", N_("Mining share of facility electricity"), "%", "pct"),
            Column("change_pct", N_("Change per day on the previous notice"), "%", "pct"),
        ),
    ),
}
#: words of enumerated values, translated where shown.
LABELS: Final = {
    "telecom": N_("Telecom operator"),
    "colocation": N_("Colocation"),
    "cloud": N_("Cloud"),
    "enterprise": N_("Enterprise"),
    "other": N_("Other"),
    "inside": N_("inside"),
    "below": N_("below"),
    "above": N_("above"),
    "accepted": N_("Accepted"),
    "awaiting_review": N_("Awaiting review"),
    "returned": N_("Returned"),
    "no_report": N_("No report"),
    "equipment": N_("equipment"),
    "hashrate": N_("hashrate"),
    "equipment+hashrate": N_("equipment and hashrate"),
    "unspecified": N_("unspecified"),
    "Beijing": N_("Beijing"),
    "North China": N_("North China"),
    "China": N_("China"),
    "provincial": N_("provincial"),
    "regional": N_("regional grid"),
    "national": N_("national"),
    "True": N_("yes"),
    "False": N_("no"),
}
