"""A short, translatable title for each validation finding code, shown on the pages.

The title says in a few words what is wrong; the full sentence with the numbers follows it,
translated too (:mod:`hashwatch.web.finding_messages`, :mod:`hashwatch.web.finding_text`).
A test checks that every code has a title.
"""

from __future__ import annotations

from typing import Final

from hashwatch.i18n import N_

FINDING_TITLES: Final[dict[str, str]] = {
    "submission.missing_field": N_("A required field is missing"),
    "submission.negative_value": N_("A value is negative"),
    "submission.not_numeric": N_("A value is not a number"),
    "submission.out_of_range": N_("A value is out of range"),
    "submission.unknown_field": N_("Unknown field"),
    "submission.unknown_unit": N_("Unknown unit"),
    "submission.wrong_unit": N_("Wrong kind of unit for this field"),
    "submission.invalid_value": N_("Invalid value"),
    "submission.mining_exceeds_total": N_("Mining electricity above the facility total"),
    "submission.share_out_of_range": N_("Mining share outside 0–100 %"),
    "submission.share_mismatch": N_("Stated share disagrees with the amounts"),
    "submission.mining_electricity_missing": N_("Involved in mining but no mining electricity"),
    "submission.nil_return_with_mining": N_("Nil return that lists mining"),
    "submission.coin_sum_mismatch": N_("Per-coin electricity does not add up to the mining total"),
    "submission.duplicate_coin": N_("A coin is listed twice"),
    "submission.coins_missing": N_("No coin lines"),
    "submission.coin_algorithm_mismatch": N_("Coin and algorithm do not match"),
    "submission.renewable_share_out_of_range": N_("Renewable share outside 0–100 %"),
    "submission.self_generation_exceeds_total": N_("Self-generation above the facility total"),
    "submission.energy_exceeds_grid_capacity": N_("Electricity above contracted capacity × hours"),
    "submission.energy_exceeds_it_capacity": N_("Electricity above rated IT capacity × hours"),
    "submission.peak_exceeds_grid_capacity": N_("Peak demand above contracted capacity"),
    "submission.energy_exceeds_peak_demand": N_("Electricity above peak demand × hours"),
    "submission.equipment_energy_mismatch": N_("Equipment implies different electricity"),
    "submission.hashrate_energy_mismatch": N_("Hashrate implies different electricity"),
    "submission.equipment_power_implausible": N_("Implausible rated power per machine"),
    "submission.equipment_missing": N_("Involved in mining but no equipment"),
    "submission.equipment_power_off_catalogue": N_(
        "Rated power differs from the hardware catalogue"
    ),
    "submission.mining_start_after_period": N_("Mining started after the period"),
    "submission.exit_before_start": N_("Planned exit before mining start"),
    "submission.no_mining_in_period": N_("No day of mining in the period"),
    "submission.exit_in_period": N_("Mining stops within the period"),
    "submission.attestation_before_period": N_("Signed before the period began"),
    "submission.attestation_in_future": N_("Signed in the future"),
    "submission.attestation_missing": N_("Attestation missing"),
    "submission.attestation_not_accepted": N_("Statement not accepted"),
    "submission.contact_email_invalid": N_("Contact e-mail is not valid"),
    "submission.operation_mode_missing": N_("Own mining or hosting not stated"),
    "submission.hosting_without_clients": N_("Hosting but no hosted clients"),
    "submission.own_mining_with_clients": N_("Own mining with hosted clients"),
}
