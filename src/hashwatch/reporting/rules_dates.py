"""Rules on dates: mining start and exit against the period, and when the report was signed.

The period runs from local midnight of ``period_start`` to local midnight after
``period_end`` in the notice's time zone; ``planned_exit_date`` is the first day without
mining.
"""

from __future__ import annotations

import datetime as dt

from hashwatch.reporting.findings import Finding, Severity
from hashwatch.reporting.report import Report
from hashwatch.reporting.rules_common import (
    ONE_DAY,
    RuleContext,
    RuleSettings,
    finding,
    mining_days,
    num,
)

ERROR, WARNING = Severity.ERROR, Severity.WARNING


def _duration(seconds: float) -> str:
    return f"{num(seconds / 60.0)} min" if seconds < 7200 else f"{num(seconds / 3600.0)} h"


def mining_start_after_period(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.mining_start_after_period``: involved, but mining starts later.

    A facility cannot have mined in the period if mining started after ``period_end``; for a
    nil return a later start is a plan and is fine.
    """
    start = report.mining_start_date
    if not report.involved_in_mining or start is None or start <= context.period_end:
        return []
    return [
        finding(
            "submission.mining_start_after_period",
            ERROR,
            f"mining start {start} is after the period ends ({context.period_end}): the "
            "facility cannot have mined in the period",
            "mining_start_date",
            mining_start_date=start.isoformat(),
            period_end=context.period_end.isoformat(),
        )
    ]


def exit_before_start(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.exit_before_start``: planned exit before the mining start."""
    start, exit_date = report.mining_start_date, report.planned_exit_date
    if start is None or exit_date is None or exit_date >= start:
        return []
    return [
        finding(
            "submission.exit_before_start",
            ERROR,
            f"exit date {exit_date} is before the mining start {start}",
            "planned_exit_date",
            planned_exit_date=exit_date.isoformat(),
            mining_start_date=start.isoformat(),
        )
    ]


def no_mining_in_period(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.no_mining_in_period``: involved, but the dates leave no mining day.

    Fires when the report says the facility mined in the period but its mining start and
    exit leave no day of mining in it (:func:`~hashwatch.reporting.rules_common.mining_days`
    is ``None``): the exit was on or before the period's first day, or on the start day. A
    start after the period is left to :func:`mining_start_after_period`, an exit before the
    start to :func:`exit_before_start`.
    """
    start, exit_date = report.mining_start_date, report.planned_exit_date
    if not report.involved_in_mining or exit_date is None:
        return []
    if start is not None and (start > context.period_end or exit_date < start):
        return []
    if mining_days(report, context) is not None:
        return []
    return [
        finding(
            "submission.no_mining_in_period",
            ERROR,
            f"the report says the facility mined in the period ({context.period_start} to "
            f"{context.period_end}), but mining "
            + (f"from {start} " if start is not None else "")
            + f"stopped on {exit_date} (the first day without mining), leaving no day of "
            "mining in the period",
            "planned_exit_date",
            planned_exit_date=exit_date.isoformat(),
            mining_start_date=start.isoformat() if start is not None else None,
            period_start=context.period_start.isoformat(),
            period_end=context.period_end.isoformat(),
        )
    ]


def exit_in_period(report: Report, context: RuleContext, settings: RuleSettings) -> list[Finding]:
    """Warning ``submission.exit_in_period``: mining ends (or is to end) within the period.

    ``period_start < planned_exit_date ≤ period_end``: at least the period's first day was
    mined and at least its last day was not. An exit on ``period_start`` leaves no mining in
    the period (:func:`no_mining_in_period`).
    """
    exit_date = report.planned_exit_date
    if exit_date is None or not context.period_start < exit_date <= context.period_end:
        return []
    return [
        finding(
            "submission.exit_in_period",
            WARNING,
            f"mining stops within the period: exit date {exit_date}, last day of mining "
            f"{exit_date - ONE_DAY} (period {context.period_start} to {context.period_end})",
            "planned_exit_date",
            planned_exit_date=exit_date.isoformat(),
            last_mining_date=(exit_date - ONE_DAY).isoformat(),
            period_start=context.period_start.isoformat(),
            period_end=context.period_end.isoformat(),
        )
    ]


def attestation_before_period(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Warning ``submission.attestation_before_period``: signed before the period began."""
    if report.attestation is None:
        return []
    signed_at = report.attestation.signed_at
    period_start = context.local_midnight(context.period_start)
    if signed_at >= period_start:
        return []
    return [
        finding(
            "submission.attestation_before_period",
            WARNING,
            f"the attestation was signed at {signed_at.isoformat()}, before the period "
            f"began ({period_start.isoformat()})",
            "attestation.signed_at",
            signed_at=signed_at.isoformat(),
            period_start=period_start.isoformat(),
        )
    ]


def attestation_in_future(
    report: Report, context: RuleContext, settings: RuleSettings
) -> list[Finding]:
    """Error ``submission.attestation_in_future``: signed after the report was received.

    Fires when ``signed_at > received_at + clock_skew_s``.
    """
    received_at = context.received_at
    if report.attestation is None or received_at is None:
        return []
    signed_at = report.attestation.signed_at
    ahead_s = (signed_at - received_at).total_seconds()
    if ahead_s <= settings.clock_skew_s:
        return []
    return [
        finding(
            "submission.attestation_in_future",
            ERROR,
            f"the attestation is dated {signed_at.isoformat()}, {_duration(ahead_s)} after "
            f"the report was received ({received_at.astimezone(dt.UTC).isoformat()})",
            "attestation.signed_at",
            signed_at=signed_at.isoformat(),
            received_at=received_at.isoformat(),
            ahead_s=ahead_s,
        )
    ]


RULES_DATES = (
    mining_start_after_period,
    exit_before_start,
    no_mining_in_period,
    exit_in_period,
    attestation_before_period,
    attestation_in_future,
)
