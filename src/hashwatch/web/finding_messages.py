"""A translatable message template for each validation finding code, shown on the pages.

The rules write their ``message`` in English for the CLI and the API; the pages show these
templates instead, translated and filled from the finding's ``field`` and ``data``
(:mod:`hashwatch.web.finding_text` formats the numbers, units and dates for the locale).
Each template names the values it needs as ``%(key)s``, a key of the finding's ``data`` or
``field``; a literal percent sign is written ``%%``.

A code may have variants: ``(conditions, template)`` pairs tried in order before the code's
own template, each condition ``"key"`` (the data holds a value for it) or ``"key=value"``
(the data's value, as text, is ``value``). A test checks that every code has a template and
that every template is translated into Chinese with the same placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from hashwatch.i18n import N_

Variant = tuple[tuple[str, ...], str]

FINDING_MESSAGES: Final[Mapping[str, str]] = {
    # parsing
    "submission.missing_field": N_("%(field)s is required"),
    "submission.unknown_field": N_("%(field)s is not a field of the report"),
    "submission.negative_value": N_("%(field)s: %(input)s is negative (must be 0 or more)"),
    "submission.not_numeric": N_(
        "%(field)s: %(input)s is not a number (write 1200.5 or 1,200.5: a point before the "
        "decimals, commas only between groups of three digits)"
    ),
    "submission.out_of_range": N_("%(field)s: %(input)s is outside the accepted range"),
    "submission.unknown_unit": N_("%(field)s: the unit of %(input)s is not known"),
    "submission.wrong_unit": N_(
        "%(field)s: the unit of %(input)s measures another quantity than this field"
    ),
    "submission.invalid_value": N_("%(field)s: %(input)s is not a valid value"),
    # amounts
    "submission.mining_exceeds_total": N_(
        "mining electricity %(mining_electricity_kwh)s is above the facility's total "
        "%(facility_electricity_kwh)s"
    ),
    "submission.share_out_of_range": N_("mining share %(mining_share_pct)s is outside 0–100 %%"),
    "submission.share_mismatch": N_(
        "stated mining share %(mining_share_pct)s differs from %(mining_electricity_kwh)s / "
        "%(facility_electricity_kwh)s = %(mining_share_pct_derived)s by %(gap_pct_points)s "
        "percentage points (tolerance %(tolerance_pct_points)s)"
    ),
    "submission.mining_electricity_missing": N_(
        "the facility reports involvement in mining but its mining electricity is missing"
    ),
    "submission.nil_return_with_mining": N_(
        "the report says the facility is not involved in mining but declares mining in %(field)s"
    ),
    "submission.coin_sum_mismatch": N_(
        "electricity by coin sums to %(coins_electricity_kwh)s but mining electricity is "
        "%(mining_electricity_kwh)s: %(gap_kwh)s apart, tolerance %(tolerance_pct)s"
    ),
    "submission.duplicate_coin": N_(
        "coin %(coin)s is listed again on line %(line)s (first on line %(first_line)s): give "
        "one line per coin"
    ),
    "submission.coins_missing": N_(
        "the facility reports involvement in mining but lists no coins: say which coins were "
        "mined and the electricity of each"
    ),
    "submission.coin_algorithm_mismatch": N_(
        "%(coin)s is mined with %(expected_algorithm)s, not %(algorithm)s"
    ),
    "submission.renewable_share_out_of_range": N_(
        "renewable share %(renewable_share_pct)s is outside 0–100 %%"
    ),
    "submission.self_generation_exceeds_total": N_(
        "self-generation %(self_generation_kwh)s is above the facility's total electricity "
        "%(facility_electricity_kwh)s"
    ),
    # capacity, equipment, hashrate
    "submission.energy_exceeds_grid_capacity": N_(
        "facility electricity %(facility_electricity_kwh)s is above what the contracted grid "
        "capacity allows: %(contracted_grid_capacity_kw)s × %(hours)s = %(limit_kwh)s"
    ),
    "submission.energy_exceeds_it_capacity": N_(
        "facility electricity %(facility_electricity_kwh)s is above the rated IT capacity "
        "%(rated_it_capacity_kw)s × PUE %(pue_upper)s × %(hours)s = %(limit_kwh)s: more IT "
        "load than registered?"
    ),
    "submission.peak_exceeds_grid_capacity": N_(
        "peak demand %(peak_demand_kw)s is above the contracted grid capacity "
        "%(contracted_grid_capacity_kw)s"
    ),
    "submission.energy_exceeds_peak_demand": N_(
        "facility electricity %(facility_electricity_kwh)s is more than running at the stated "
        "peak demand all period: %(peak_demand_kw)s × %(hours)s = %(limit_kwh)s"
    ),
    "submission.equipment_energy_mismatch": N_(
        "the equipment listed (%(rated_power_kw)s rated, %(hours)s of mining in the period) "
        "implies %(expected_min_kwh)s–%(expected_max_kwh)s; declared mining electricity is "
        "%(mining_electricity_kwh)s"
    ),
    "submission.hashrate_energy_mismatch": N_(
        "%(coin)s: %(hashrate_ths)s for %(hours)s implies %(expected_min_kwh)s–"
        "%(expected_max_kwh)s; declared %(electricity_kwh)s, i.e. "
        "%(implied_efficiency_j_per_th)s"
    ),
    "submission.equipment_power_implausible": N_(
        "%(model)s: rated power %(rated_power_w)s per machine is outside %(min_w)s–%(max_w)s; "
        "is it the power of one machine?"
    ),
    "submission.equipment_missing": N_(
        "the facility reports involvement in mining but lists no mining equipment"
    ),
    "submission.equipment_power_off_catalogue": N_(
        "%(model)s: rated power %(rated_power_w)s per machine differs by %(gap_pct)s from the "
        "catalogue's %(catalogue_power_w)s for %(catalogue_model)s (%(catalogue_source)s)"
    ),
    # dates
    "submission.mining_start_after_period": N_(
        "mining start %(mining_start_date)s is after the period ends (%(period_end)s): the "
        "facility cannot have mined in the period"
    ),
    "submission.exit_before_start": N_(
        "exit date %(planned_exit_date)s is before the mining start %(mining_start_date)s"
    ),
    "submission.no_mining_in_period": N_(
        "the report says the facility mined in the period (%(period_start)s to "
        "%(period_end)s), but mining stopped on %(planned_exit_date)s (the first day without "
        "mining), leaving no day of mining in the period"
    ),
    "submission.exit_in_period": N_(
        "mining stops within the period: exit date %(planned_exit_date)s, last day of mining "
        "%(last_mining_date)s (period %(period_start)s to %(period_end)s)"
    ),
    "submission.attestation_before_period": N_(
        "the attestation was signed at %(signed_at)s, before the period began (%(period_start)s)"
    ),
    "submission.attestation_in_future": N_(
        "the attestation is dated %(signed_at)s, %(ahead_s)s after the report was received "
        "(%(received_at)s)"
    ),
    # parties
    "submission.attestation_missing": N_(
        "the report has no attestation: a named signer must state that it is true and complete"
    ),
    "submission.attestation_not_accepted": N_(
        "%(signer)s did not accept the attestation statement"
    ),
    "submission.contact_email_invalid": N_(
        "contact e-mail %(email)s is not an e-mail address (name@example.cn)"
    ),
    "submission.operation_mode_missing": N_(
        "the facility reports involvement in mining but not whose machines mine: "
        "operation_mode own, hosting or both"
    ),
    "submission.hosting_without_clients": N_(
        "operation mode is %(operation_mode)s but the number of hosted clients is not given"
    ),
    "submission.own_mining_with_clients": N_(
        "operation mode is own mining (no hosting) but %(hosted_clients)s hosted client(s) are "
        "declared"
    ),
}

_LIMITS: Final[tuple[Variant, ...]] = (
    (
        ("error_type=greater_than_equal", "ge"),
        N_("%(field)s: %(input)s is below the smallest accepted value, %(ge)s"),
    ),
    (("error_type=greater_than", "gt"), N_("%(field)s: %(input)s must be above %(gt)s")),
    (
        ("error_type=less_than_equal", "le"),
        N_("%(field)s: %(input)s is above the largest accepted value, %(le)s"),
    ),
    (("error_type=less_than", "lt"), N_("%(field)s: %(input)s must be below %(lt)s")),
)

FINDING_MESSAGE_VARIANTS: Final[Mapping[str, tuple[Variant, ...]]] = {
    "submission.unknown_field": (
        (
            ("suggestion",),
            N_("%(field)s is not a field of the report; did you mean %(suggestion)s?"),
        ),
    ),
    "submission.negative_value": _LIMITS,
    "submission.not_numeric": (
        (("error_type=not_finite",), N_("%(field)s: %(input)s is not a finite number")),
    ),
    "submission.out_of_range": (
        *_LIMITS,
        (
            ("error_type=too_large",),
            N_("%(field)s: %(input)s is above the largest accepted value"),
        ),
        (
            ("error_type=date_out_of_range", "min_year", "max_year"),
            N_("%(field)s: %(input)s is not in the years %(min_year)s–%(max_year)s"),
        ),
        (
            ("error_type=string_too_long", "max_length"),
            N_("%(field)s is longer than %(max_length)s characters"),
        ),
        (
            ("error_type=too_long", "max_length"),
            N_("%(field)s has more than %(max_length)s entries"),
        ),
    ),
    "submission.unknown_unit": (
        (
            ("error_type=ambiguous_unit",),
            N_(
                "%(field)s: the unit of %(input)s is ambiguous: in SI a small m means milli-; "
                "write MWh or MW for mega-"
            ),
        ),
    ),
    "submission.invalid_value": (
        (("error_type=bool_type",), N_("%(field)s must be true or false, not %(input)s")),
        (("error_type=int_type",), N_("%(field)s must be a whole number, not %(input)s")),
        (("error_type=string_type",), N_("%(field)s must be text")),
        (("error_type=string_too_short",), N_("%(field)s is empty")),
        (
            ("error_type=date_parsing",),
            N_("%(field)s: %(input)s is not a valid date in the form YYYY-MM-DD"),
        ),
        (
            ("error_type=datetime_parsing",),
            N_(
                "%(field)s: %(input)s is not a date and time in ISO 8601 "
                "(2021-05-06T10:00:00+08:00)"
            ),
        ),
        (
            ("error_type=timezone_aware",),
            N_("%(field)s: %(input)s has no UTC offset (add +08:00 or Z)"),
        ),
        (
            ("error_type=control_character",),
            N_(
                "%(field)s contains a control character: free text may not hold line breaks, "
                "tabs or other control characters"
            ),
        ),
        (("error_type=enum",), N_("%(field)s: %(input)s is not one of the accepted values")),
        (
            ("error_type=literal_error",),
            N_("%(field)s: %(input)s is not one of the accepted values"),
        ),
        (("error_type=model_type",), N_("%(field)s must be a group of fields (a JSON object)")),
        (("error_type=dict_type",), N_("%(field)s must be a group of fields (a JSON object)")),
        (("error_type=tuple_type",), N_("%(field)s must be a list")),
        (("error_type=list_type",), N_("%(field)s must be a list")),
        (
            ("error_type=string_pattern_mismatch",),
            N_(
                "explanation key %(input)s is not a finding code (submission.name, or "
                "submission.name@field for one finding)"
            ),
        ),
    ),
    "submission.mining_electricity_missing": (
        (
            ("mining_electricity_kwh",),
            N_(
                "the facility reports involvement in mining but its mining electricity is "
                "%(mining_electricity_kwh)s"
            ),
        ),
    ),
    "submission.nil_return_with_mining": (
        (
            ("mining_electricity_kwh",),
            N_(
                "the report says the facility is not involved in mining but declares mining "
                "electricity %(mining_electricity_kwh)s"
            ),
        ),
        (
            ("mining_share_pct",),
            N_(
                "the report says the facility is not involved in mining but declares a mining "
                "share of %(mining_share_pct)s"
            ),
        ),
        (
            ("equipment_lines",),
            N_(
                "the report says the facility is not involved in mining but declares "
                "%(equipment_lines)s equipment line(s)"
            ),
        ),
        (
            ("coin_lines",),
            N_(
                "the report says the facility is not involved in mining but declares "
                "%(coin_lines)s coin line(s)"
            ),
        ),
        (
            ("mining_start_date",),
            N_(
                "the report says the facility is not involved in mining but declares mining "
                "from %(mining_start_date)s, which puts mining inside the period"
            ),
        ),
    ),
    "submission.coin_sum_mismatch": (
        (
            ("gap_pct",),
            N_(
                "electricity by coin sums to %(coins_electricity_kwh)s but mining electricity is "
                "%(mining_electricity_kwh)s: %(gap_kwh)s apart (%(gap_pct)s), tolerance "
                "%(tolerance_pct)s"
            ),
        ),
    ),
    "submission.equipment_energy_mismatch": (
        (
            ("estimate_lower_kwh", "estimate_best_kwh", "estimate_upper_kwh", "catalogue_lines"),
            N_(
                "the equipment listed (%(rated_power_kw)s rated, %(catalogue_lines)s line(s) "
                "rated from the hardware catalogue, %(hours)s of mining in the period) draws "
                "%(estimate_lower_kwh)s–%(estimate_upper_kwh)s by the energy model (best "
                "%(estimate_best_kwh)s), so %(expected_min_kwh)s–%(expected_max_kwh)s is "
                "expected; declared mining electricity is %(mining_electricity_kwh)s"
            ),
        ),
    ),
    "submission.hashrate_energy_mismatch": (
        (
            ("efficiency_basis", "estimate_lower_kwh", "estimate_upper_kwh"),
            N_(
                "%(coin)s: %(hashrate_ths)s for %(hours)s at %(efficiency_min_j_per_th)s–"
                "%(efficiency_max_j_per_th)s (%(efficiency_basis)s) draws "
                "%(estimate_lower_kwh)s–%(estimate_upper_kwh)s by the energy model, so "
                "%(expected_min_kwh)s–%(expected_max_kwh)s is expected; declared "
                "%(electricity_kwh)s, i.e. %(implied_efficiency_j_per_th)s"
            ),
        ),
        (
            ("efficiency_min_j_per_th", "efficiency_max_j_per_th", "pue_upper"),
            N_(
                "%(coin)s: %(hashrate_ths)s for %(hours)s at %(efficiency_min_j_per_th)s–"
                "%(efficiency_max_j_per_th)s (PUE up to %(pue_upper)s) needs "
                "%(expected_min_kwh)s–%(expected_max_kwh)s; declared %(electricity_kwh)s, i.e. "
                "%(implied_efficiency_j_per_th)s"
            ),
        ),
    ),
    "submission.no_mining_in_period": (
        (
            ("mining_start_date",),
            N_(
                "the report says the facility mined in the period (%(period_start)s to "
                "%(period_end)s), but mining from %(mining_start_date)s stopped on "
                "%(planned_exit_date)s (the first day without mining), leaving no day of "
                "mining in the period"
            ),
        ),
    ),
    "submission.hosting_without_clients": (
        (
            ("hosted_clients",),
            N_(
                "operation mode is %(operation_mode)s but the number of hosted clients is "
                "%(hosted_clients)s"
            ),
        ),
    ),
}

#: Words a finding's data holds as text, shown translated (data key → value → label).
VALUE_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "operation_mode": {
        "own": N_("own mining"),
        "hosting": N_("hosting"),
        "both": N_("own mining and hosting"),
    },
    "efficiency_basis": {
        "declared machines": N_("declared machines"),
        "catalogue machines in use": N_("catalogue machines in use"),
        "notice settings": N_("notice settings"),
    },
}

#: What ``%(field)s`` says when a finding concerns the whole report (no field).
WHOLE_REPORT: Final = N_("the report")

#: Shown after an unexplained warning in the bulk upload's problem list.
EXPLAIN_IN_COLUMN: Final = N_("(explain it in the column explanations as %(code)s: …)")


#: the bulk upload's own row problems (not findings); ``bulk.invalid_cell`` keeps the
#: reader's English reason, so it is shown as it is
BULK_MESSAGES: Final[Mapping[str, str]] = {
    "bulk.cell_without_header": N_("column %(column)s has a value (%(value)s) but no header"),
    "bulk.missing_facility_code": N_("the row has no facility_code"),
    "bulk.duplicate_facility": N_(
        "%(facility_code)s is also on row %(other_row)s; one row per facility"
    ),
    "bulk.unknown_facility": N_("%(facility_code)s has no row in the sheet reports"),
    "bulk.not_your_recipient": N_(
        "%(facility_code)s: this sign-in cannot file for this facility in notice %(notice_ref)s"
    ),
    "bulk.notice_not_open": N_("notice %(notice_ref)s is not open for reports"),
}


def all_templates() -> list[str]:
    """Every template and label, for the catalog tests."""
    variants = [t for options in FINDING_MESSAGE_VARIANTS.values() for _, t in options]
    labels = [t for options in VALUE_LABELS.values() for t in options.values()]
    return [
        *FINDING_MESSAGES.values(),
        *BULK_MESSAGES.values(),
        *variants,
        *labels,
        WHOLE_REPORT,
        EXPLAIN_IN_COLUMN,
    ]
