"""Who in the demo city does what, and when: the timeline of opens, reports and reviews.

Pure planning: facilities and a :class:`random.Random` in, a time-ordered list of
:class:`Step` out. About 6 % of recipients never report; 8–12 % of all recipients mined in
April 2021 (mostly at colocation and other non-telecom operators), a third of those with a
warning they explain, and one in five of the rest only from 1 April (``mining_start_date``
2021-04-01: they file a nil return for March, see :mod:`hashwatch.demo.march`); a few first
attempts carry a blocking slip; about 3 % of version 1
reports are returned by the reviewer, two in three of those are resubmitted as version 2;
the reviewer accepts part of the rest. Submissions fall on the working days around the
deadline (2021-05-07 18:00, Beijing time), some after it; 1–5 May 2021 was a public holiday.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from hashwatch.demo.facilities import DemoFacility
from hashwatch.demo.reports import (
    PERIOD_START,
    SHANGHAI,
    WARNING_SCENARIOS,
    Deficiency,
    Scenario,
    Slip,
    attested,
    build_report,
    corrected,
    return_comment,
    signer_for,
    with_deficiency,
    with_slip,
)
from hashwatch.reporting.models import OrganizationKind

NON_RESPONSE_SHARE: Final = 0.06
INVOLVED_SHARE_RANGE: Final = (0.08, 0.12)
LATE_SHARE: Final = 0.08
RETURN_SHARE_PER_KIND: Final = 0.01
NOTICE_SENT: Final = dt.datetime(2021, 4, 27, 16, 0, tzinfo=SHANGHAI)
LATE_SIGNED_AT: Final = dt.datetime(2021, 5, 14, 10, 0, tzinfo=SHANGHAI)
#: Days reports arrive, with weights: on time (holiday 1–5 May, then 6–7 May) and late
#: (8 May 2021 was a Saturday working day).
ON_TIME_DAYS: Final = {1: 0.4, 2: 0.4, 3: 0.4, 4: 0.4, 5: 0.4, 6: 3.0, 7: 4.0}
LATE_DAYS: Final = {8: 2.0, 10: 2.0, 11: 1.0, 12: 1.0}
#: Likelihood of mining by operator kind (weights for drawing the involved facilities).
MINING_WEIGHT: Final = {
    OrganizationKind.TELECOM: 0.0,
    OrganizationKind.COLOCATION: 1.0,
    OrganizationKind.CLOUD: 0.4,
    OrganizationKind.ENTERPRISE: 0.5,
    OrganizationKind.OTHER: 1.2,
}


class Action(StrEnum):
    """What happens at a step."""

    OPEN = "open"
    SUBMIT = "submit"
    RETURN = "return"
    ACCEPT = "accept"


@dataclass(frozen=True)
class Step:
    """One thing a recipient or the reviewer does at ``at``.

    ``report`` is the report submitted (``SUBMIT``); ``expect_rejection`` marks a first
    attempt with a slip; ``comment`` is the reviewer's comment (``RETURN``).
    """

    at: dt.datetime
    facility_code: str
    action: Action
    report: dict[str, Any] | None = None
    expect_rejection: bool = False
    comment: str | None = None


@dataclass(frozen=True)
class CityPlan:
    """The timeline and the roles drawn for the facilities."""

    steps: tuple[Step, ...]
    scenarios: dict[str, Scenario]
    non_responders: tuple[str, ...]
    pending: dict[str, dict[str, Any]]
    """Reports still owed (non-responders; returned and not yet resubmitted), ready to file."""


def _weighted_order(rng: random.Random, facilities: list[DemoFacility]) -> list[DemoFacility]:
    """Facilities in a random order favouring likely miners (Efraimidis–Spirakis keys)."""
    keyed = []
    for facility in facilities:
        weight = MINING_WEIGHT[facility.organization.kind]
        key = rng.random() ** (1.0 / weight) if weight > 0 else -rng.random()
        keyed.append((key, facility.code, facility))
    return [f for _, _, f in sorted(keyed, key=lambda item: (item[0], item[1]), reverse=True)]


def _moment(rng: random.Random, days: dict[int, float], *, before_deadline: bool) -> dt.datetime:
    day = rng.choices(list(days), weights=list(days.values()))[0]
    last_hour = 17 if before_deadline and day == 7 else 19
    minute = rng.randint(9 * 60, last_hour * 60 + 59)
    return dt.datetime(2021, 5, day, minute // 60, minute % 60, rng.randint(0, 59), tzinfo=SHANGHAI)


def _minutes(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(minutes=rng.randint(low, high))


def _days(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(low, high), minutes=rng.randint(0, 300))


@dataclass
class _Roles:
    scenario: dict[str, Scenario]
    slip: dict[str, Slip]
    deficiency: dict[str, Deficiency]
    started_in_april: set[str]


def _take(pool: list[DemoFacility], count: int, used: set[str]) -> list[DemoFacility]:
    chosen = [f for f in pool if f.code not in used][:count]
    used.update(f.code for f in chosen)
    return chosen


def _roles(rng: random.Random, responders: list[DemoFacility], total: int) -> _Roles:
    involved_count = max(2, round(total * rng.uniform(*INVOLVED_SHARE_RANGE)))
    involved = _weighted_order(rng, responders)[:involved_count]
    scenario = {f.code: Scenario.NIL for f in responders}
    n_warning = max(min(3, len(involved)), round(len(involved) * 0.3))
    for index, facility in enumerate(involved):
        scenario[facility.code] = (
            WARNING_SCENARIOS[index % len(WARNING_SCENARIOS)]
            if index < n_warning
            else Scenario.MINING
        )
    nil = [f for f in responders if scenario[f.code] is Scenario.NIL]
    roomy = [f for f in nil if f.contracted_grid_capacity_kw >= 1.45 * f.rated_it_capacity_kw]
    for facility in roomy[: max(1, round(total * 0.005))]:
        scenario[facility.code] = Scenario.IT_CAPACITY_OUTDATED
    per_kind = max(1, round(total / 300))
    mining = [f for f in involved if scenario[f.code] is Scenario.MINING]
    warned = [f for f in involved if scenario[f.code] in WARNING_SCENARIOS]
    nil = [f for f in responders if scenario[f.code] is Scenario.NIL]
    used: set[str] = set()
    slip: dict[str, Slip] = {}
    for kind, pool in (
        (Slip.MWH_AS_KWH, mining),
        (Slip.SHARE_AS_FRACTION, mining),
        (Slip.UNEXPLAINED_WARNING, warned),
        (Slip.MISSPELT_FIELD, nil),
        (Slip.ATTESTATION_MISSING, nil),
        (Slip.EMAIL_TYPO, nil),
    ):
        slip.update((f.code, kind) for f in _take(pool, per_kind, used))
    returns = max(1, round(total * RETURN_SHARE_PER_KIND))
    deficiency: dict[str, Deficiency] = {}
    for gap, pool in (
        (Deficiency.EXIT_DATE_MISSING, mining),
        (Deficiency.METER_READING, nil),
        (Deficiency.POWER_SUPPLY_MISSING, nil),
    ):
        deficiency.update((f.code, gap) for f in _take(pool, returns, used))
    return _Roles(scenario, slip, deficiency, {f.code for f in mining[2::5]})


def _submissions(
    rng: random.Random, facility: DemoFacility, roles: _Roles, index: int, late: bool
) -> tuple[list[Step], dict[str, Any] | None]:
    """The steps of one responding facility: open, (slip), version 1, review, version 2.

    Also the corrected report of a returned version 1 that is still awaited.
    """
    code = facility.code
    signer = signer_for(rng, facility)
    report = build_report(rng, facility, roles.scenario[code])
    if code in roles.started_in_april:
        report["mining_start_date"] = PERIOD_START.isoformat()
    first_at = _moment(rng, LATE_DAYS if late else ON_TIME_DAYS, before_deadline=not late)
    steps = [Step(NOTICE_SENT + _minutes(rng, 20, 3 * 24 * 60), code, Action.OPEN)]
    slip = roles.slip.get(code)
    deficiency = roles.deficiency.get(code)
    if slip is not None:
        tried_at = first_at - _minutes(rng, 15, 90)
        signed = attested(report, signer, tried_at - _minutes(rng, 5, 60))
        steps.append(Step(tried_at, code, Action.SUBMIT, with_slip(signed, slip), True))
        steps.append(Step(first_at, code, Action.SUBMIT, signed))
    else:
        signed = attested(report, signer, first_at - _minutes(rng, 10, 240))
        if deficiency is not None:
            signed = with_deficiency(signed, deficiency)
        steps.append(Step(first_at, code, Action.SUBMIT, signed))
    last_at = first_at
    if deficiency is not None:  # never together with a slip (see _roles)
        returned_at = first_at + _days(rng, 1, 3)
        comment = return_comment(deficiency, report)
        steps.append(Step(returned_at, code, Action.RETURN, comment=comment))
        last_at = returned_at + _days(rng, 1, 4)
        amended = attested(corrected(report, deficiency), signer, last_at - _minutes(rng, 5, 90))
        if index % 3 == 1:  # one in three returned reports is still awaited
            return steps, amended
        steps.append(Step(last_at, code, Action.SUBMIT, amended))
        accept = index % 3 == 0
    else:
        accept = index % 5 in ((0, 1, 3) if roles.scenario[code].involved else (0, 2))
    if accept:
        steps.append(Step(last_at + _days(rng, 1, 6), code, Action.ACCEPT))
    return steps, None


def plan_city(rng: random.Random, facilities: tuple[DemoFacility, ...]) -> CityPlan:
    """The demo city's timeline for the notice sent to ``facilities``."""
    order = list(facilities)
    rng.shuffle(order)
    silent = max(1, round(len(order) * NON_RESPONSE_SHARE))
    non_responders, responders = order[:silent], order[silent:]
    roles = _roles(rng, responders, len(order))
    steps: list[Step] = []
    pending: dict[str, dict[str, Any]] = {}
    for index, facility in enumerate(non_responders):
        if index % 5 in (1, 3):  # some open the link and never report
            steps.append(Step(NOTICE_SENT + _minutes(rng, 30, 6000), facility.code, Action.OPEN))
        report = build_report(rng, facility, Scenario.NIL)
        pending[facility.code] = attested(report, signer_for(rng, facility), LATE_SIGNED_AT)
    returned_index = 0
    for index, facility in enumerate(responders):
        late = index == 0 or rng.random() < LATE_SHARE
        counter = returned_index if facility.code in roles.deficiency else index
        more, awaited = _submissions(rng, facility, roles, counter, late)
        steps.extend(more)
        if awaited is not None:
            pending[facility.code] = awaited
        returned_index += facility.code in roles.deficiency
    steps.sort(key=lambda s: (s.at, s.facility_code, s.action != Action.OPEN))
    return CityPlan(
        steps=tuple(steps),
        scenarios=roles.scenario,
        non_responders=tuple(f.code for f in non_responders),
        pending=pending,
    )
