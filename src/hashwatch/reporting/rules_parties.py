"""Rules on who reports and for whom: attestation, contact, operation mode and clients."""

from __future__ import annotations

import re
from typing import Final

from hashwatch.reporting.findings import Finding, Severity
from hashwatch.reporting.report import OperationMode, Report
from hashwatch.reporting.rules_common import RuleContext, RuleSettings, finding

ERROR, WARNING = Severity.ERROR, Severity.WARNING

#: local@domain.tld: no spaces, one @, dot-separated domain labels, a top-level domain of
#: letters; Unicode letters allowed (internationalised addresses).
EMAIL_PATTERN: Final = re.compile(
    r"[^\s@\"(),:;<>\[\]\\]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}"
)


def attestation_missing(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.attestation_missing``: no signed attestation."""
    if report.attestation is not None:
        return []
    return [
        finding(
            "submission.attestation_missing",
            ERROR,
            "the report has no attestation: a named signer must state that it is true and complete",
            "attestation",
        )
    ]


def attestation_not_accepted(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.attestation_not_accepted``: the signer did not accept the statement."""
    if report.attestation is None or report.attestation.statement_accepted:
        return []
    return [
        finding(
            "submission.attestation_not_accepted",
            ERROR,
            f"{report.attestation.name} did not accept the attestation statement",
            "attestation.statement_accepted",
            signer=report.attestation.name,
        )
    ]


def contact_email_invalid(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.contact_email_invalid``: the contact e-mail is not an address."""
    email = report.contact.email
    if EMAIL_PATTERN.fullmatch(email):
        return []
    return [
        finding(
            "submission.contact_email_invalid",
            ERROR,
            f"contact e-mail {email!r} is not an e-mail address (name@example.cn)",
            "contact.email",
            email=email,
        )
    ]


def operation_mode_missing(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.operation_mode_missing``: involved, but whose machines is not said."""
    if not report.involved_in_mining or report.operation_mode is not None:
        return []
    return [
        finding(
            "submission.operation_mode_missing",
            ERROR,
            "the facility reports involvement in mining but not whose machines mine: "
            "operation_mode own, hosting or both",
            "operation_mode",
        )
    ]


def hosting_without_clients(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Warning ``submission.hosting_without_clients``: hosting, but no hosted clients."""
    mode = report.operation_mode
    if mode not in (OperationMode.HOSTING, OperationMode.BOTH) or report.hosted_clients:
        return []
    return [
        finding(
            "submission.hosting_without_clients",
            WARNING,
            f"operation mode is {mode.value} but the number of hosted clients is "
            f"{report.hosted_clients if report.hosted_clients is not None else 'not given'}",
            "hosted_clients",
            operation_mode=mode.value,
            hosted_clients=report.hosted_clients,
        )
    ]


def own_mining_with_clients(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Warning ``submission.own_mining_with_clients``: own mining only, yet hosted clients."""
    clients = report.hosted_clients
    if report.operation_mode is not OperationMode.OWN or not clients:
        return []
    return [
        finding(
            "submission.own_mining_with_clients",
            WARNING,
            f"operation mode is own (no hosting) but {clients} hosted client(s) are declared",
            "hosted_clients",
            operation_mode=OperationMode.OWN.value,
            hosted_clients=clients,
        )
    ]


RULES_PARTIES = (
    attestation_missing,
    attestation_not_accepted,
    contact_email_invalid,
    operation_mode_missing,
    hosting_without_clients,
    own_mining_with_clients,
)
