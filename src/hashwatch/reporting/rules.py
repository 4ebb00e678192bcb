"""Validation of a report: parsing problems and named rules, as findings.

:func:`validate_report` parses the raw report (:mod:`hashwatch.reporting.report`); a parsing
problem becomes an error finding naming the field and the rules are not run. Otherwise every
rule in :data:`RULES` runs. A rule is a pure function ``(report, context, settings) ->
list[Finding]`` that gives one code; the rules live in

* :mod:`~hashwatch.reporting.rules_amounts`: electricity, shares, coins, power supply;
* :mod:`~hashwatch.reporting.rules_capacity`: capacity × hours, equipment, hashrate;
* :mod:`~hashwatch.reporting.rules_dates`: mining start and exit, attestation time;
* :mod:`~hashwatch.reporting.rules_parties`: attestation, contact, operation mode.

Errors block a submission; a warning needs an explanation in the report's
``explanations``, keyed by its code (every warning with that code) or ``code@field``
(that one). :data:`FINDING_CODES` lists every code with its severity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from hashwatch.reporting.findings import Finding, Severity
from hashwatch.reporting.report import Report, normalised_report
from hashwatch.reporting.report_parsing import PARSE_CODES, parse_report
from hashwatch.reporting.rules_amounts import RULES_AMOUNTS
from hashwatch.reporting.rules_capacity import RULES_CAPACITY
from hashwatch.reporting.rules_catalogue import RULES_CATALOGUE, match_equipment
from hashwatch.reporting.rules_common import (
    Rule,
    RuleContext,
    RuleSettings,
    hours_in_period,
    mining_days,
    mining_hours,
)
from hashwatch.reporting.rules_dates import RULES_DATES
from hashwatch.reporting.rules_parties import RULES_PARTIES

__all__ = [
    "FINDING_CODES",
    "RULES",
    "Rule",
    "RuleContext",
    "RuleSettings",
    "ValidationResult",
    "hours_in_period",
    "mining_days",
    "mining_hours",
    "validate_report",
]

#: Every rule, in the order its findings are listed.
RULES: Final[tuple[Rule, ...]] = (
    *RULES_AMOUNTS,
    *RULES_CAPACITY,
    *RULES_CATALOGUE,
    *RULES_DATES,
    *RULES_PARTIES,
)

ERROR, WARNING = Severity.ERROR, Severity.WARNING

#: Every code validation can give, with its severity (parsing problems first).
FINDING_CODES: Final[Mapping[str, Severity]] = MappingProxyType(
    {
        **dict.fromkeys(PARSE_CODES, ERROR),
        "submission.mining_exceeds_total": ERROR,
        "submission.share_out_of_range": ERROR,
        "submission.share_mismatch": ERROR,
        "submission.mining_electricity_missing": ERROR,
        "submission.nil_return_with_mining": ERROR,
        "submission.coin_sum_mismatch": ERROR,
        "submission.duplicate_coin": ERROR,
        "submission.coins_missing": WARNING,
        "submission.coin_algorithm_mismatch": WARNING,
        "submission.renewable_share_out_of_range": ERROR,
        "submission.self_generation_exceeds_total": WARNING,
        "submission.energy_exceeds_grid_capacity": ERROR,
        "submission.energy_exceeds_it_capacity": WARNING,
        "submission.peak_exceeds_grid_capacity": WARNING,
        "submission.energy_exceeds_peak_demand": ERROR,
        "submission.equipment_energy_mismatch": WARNING,
        "submission.hashrate_energy_mismatch": WARNING,
        "submission.equipment_power_implausible": WARNING,
        "submission.equipment_missing": WARNING,
        "submission.equipment_power_off_catalogue": WARNING,
        "submission.mining_start_after_period": ERROR,
        "submission.exit_before_start": ERROR,
        "submission.no_mining_in_period": ERROR,
        "submission.exit_in_period": WARNING,
        "submission.attestation_before_period": WARNING,
        "submission.attestation_in_future": ERROR,
        "submission.attestation_missing": ERROR,
        "submission.attestation_not_accepted": ERROR,
        "submission.contact_email_invalid": ERROR,
        "submission.operation_mode_missing": ERROR,
        "submission.hosting_without_clients": WARNING,
        "submission.own_mining_with_clients": WARNING,
    }
)


def explanation_for(finding: Finding, explanations: Mapping[str, str]) -> str | None:
    """The explanation of ``finding``: by ``code@field`` first, then by ``code``."""
    if finding.field is not None:
        specific = explanations.get(f"{finding.code}@{finding.field}")
        if specific and specific.strip():
            return specific
    general = explanations.get(finding.code)
    return general if general and general.strip() else None


@dataclasses.dataclass(frozen=True)
class ValidationResult:
    """The outcome of :func:`validate_report`."""

    report: Report | None
    """The parsed report; ``None`` when the input could not be parsed."""
    normalised: dict[str, Any] | None
    """:func:`~hashwatch.reporting.report.normalised_report` of ``report``."""
    findings: tuple[Finding, ...]
    explanations: Mapping[str, str]

    @property
    def errors(self) -> list[Finding]:
        """The findings that block the submission."""
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        """The findings that need an explanation."""
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def unexplained_warnings(self) -> list[Finding]:
        """Warnings with no explanation under their code or ``code@field``."""
        return [f for f in self.warnings if explanation_for(f, self.explanations) is None]

    @property
    def accepted(self) -> bool:
        """No errors and every warning explained."""
        return not self.errors and not self.unexplained_warnings

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: acceptance and each finding with its explanation (or ``None``)."""
        return {
            "accepted": self.accepted,
            "findings": [
                {**f.as_dict(), "explanation": explanation_for(f, self.explanations)}
                for f in self.findings
            ],
        }


def _raw_explanations(raw: object) -> dict[str, str]:
    given = raw.get("explanations") if isinstance(raw, Mapping) else None
    if not isinstance(given, Mapping):
        return {}
    return {k: v for k, v in given.items() if isinstance(k, str) and isinstance(v, str)}


def validate_report(
    raw: Mapping[str, Any], context: RuleContext, settings: RuleSettings | None = None
) -> ValidationResult:
    """Parse ``raw`` and run every rule; problems are findings, never exceptions.

    ``context`` and ``settings`` come from the caller (notice, registry, configuration); an
    invalid context raises :class:`~hashwatch.errors.InputError` when it is built.
    """
    rule_settings = settings if settings is not None else RuleSettings()
    report, problems = parse_report(raw)
    if report is None:
        return ValidationResult(None, None, tuple(problems), _raw_explanations(raw))
    findings = tuple(f for rule in RULES for f in rule(report, context, rule_settings))
    normalised = normalised_report(report)
    if context.catalogue:
        matches = match_equipment(report, context.catalogue)
        for line, machine in zip(normalised["equipment"], matches, strict=True):
            line["catalogue_model"] = None if machine is None else machine.model
    return ValidationResult(
        report, normalised, findings, MappingProxyType(dict(report.explanations))
    )
