"""Read-side views the API and the pages both show: who may act for what, versions, diffs.

Nothing here writes. Functions that take a :class:`~hashwatch.services.lookup.RecipientLocator`
see only what the caller may see: a locator built by
:func:`~hashwatch.services.lookup.by_principal` reports another entity's facility as not
found.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.orm import joinedload

from hashwatch.accounts.principal import Principal
from hashwatch.errors import InputError, NotFoundError
from hashwatch.io.registry_files import configured_districts
from hashwatch.reporting.models import Facility, Notice, Recipient, Submission
from hashwatch.services.lookup import RecipientLocator, get_notice
from hashwatch.services.notices import notice_summary, recipient_status
from hashwatch.services.registry import list_facilities
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow

_SEARCHED = ("facility_code", "facility_name", "organization_name", "organization_uscc", "address")


def notice_detail(db: Database, ref: str) -> dict[str, Any]:
    """A notice as plain data with its number of recipients."""
    with db.read() as session:
        notice = get_notice(session, ref)
        count = session.scalar(
            select(func.count()).select_from(Recipient).where(Recipient.notice_id == notice.id)
        )
        return {**notice_summary(notice), "recipients": int(count or 0)}


def search_facilities(
    db: Database,
    settings: Settings,
    *,
    q: str | None = None,
    district: str | None = None,
    organization_uscc: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Facilities by code, filtered by district, organization and a text (case-insensitive)."""
    rows = list_facilities(
        db,
        district=district,
        organization_uscc=organization_uscc,
        districts=configured_districts(settings.district_file),
    )
    needle = (q or "").strip().casefold()
    if needle:
        rows = [r for r in rows if any(needle in str(r.get(k) or "").casefold() for k in _SEARCHED)]
    return rows[:limit] if limit is not None else rows


def _scope(principal: Principal) -> ColumnElement[bool]:
    if principal.kind == "recipient":
        return Recipient.id == principal.recipient_id
    if principal.facility_ids:
        return Recipient.facility_id.in_(sorted(principal.facility_ids))
    return false()


def recipients_of(db: Database, principal: Principal) -> list[dict[str, Any]]:
    """The notice/facility pairs an entity may act for (none for regulator users)."""
    if principal.is_regulator:
        return []
    now = utcnow()
    latest = (
        select(Submission.recipient_id, func.max(Submission.version).label("version"))
        .group_by(Submission.recipient_id)
        .subquery()
    )
    with db.read() as session:
        rows = session.execute(
            select(Recipient, latest.c.version)
            .join(Notice)
            .join(Facility)
            .outerjoin(latest, latest.c.recipient_id == Recipient.id)
            .where(_scope(principal))
            .options(joinedload(Recipient.notice), joinedload(Recipient.facility))
            .order_by(Notice.ref, Facility.code)
        ).tuples()
        return [
            {
                "notice_ref": recipient.notice.ref,
                "notice_title": recipient.notice.title,
                "notice_state": recipient.notice.state.value,
                "deadline": recipient.notice.deadline,
                "facility_code": recipient.facility.code,
                "facility_name": recipient.facility.name,
                "status": recipient_status(recipient, recipient.notice, now),
                "latest_version": version,
            }
            for recipient, version in rows
        ]


def _version_summary(submission: Submission, deadline: Any) -> dict[str, Any]:
    return {
        "version": submission.version,
        "received_at": submission.received_at,
        "late": submission.received_at > deadline,
        "review_state": submission.review_state.value,
        "record_sha256": submission.record_sha256,
        "warnings": submission.warning_count,
        "reviews": [
            {"action": r.action.value, "comment": r.comment, "at": r.at} for r in submission.reviews
        ],
    }


def list_versions(db: Database, who: RecipientLocator) -> list[dict[str, Any]]:
    """Every version of the caller's report, oldest first, with the review comments."""
    with db.read() as session:
        recipient = who(session, allow_closed=True)
        deadline = recipient.notice.deadline
        return [_version_summary(s, deadline) for s in recipient.submissions]


def get_version(db: Database, who: RecipientLocator, version: int) -> dict[str, Any]:
    """One version in full: its summary, the normalised report and the findings."""
    with db.read() as session:
        recipient = who(session, allow_closed=True)
        chosen = next((s for s in recipient.submissions if s.version == version), None)
        if chosen is None:
            raise NotFoundError(f"there is no version {version}", field="version")
        return {
            "notice_ref": recipient.notice.ref,
            "facility_code": recipient.facility.code,
            **_version_summary(chosen, recipient.notice.deadline),
            "report": json.loads(chosen.report_json),
            "findings": json.loads(chosen.findings_json),
        }


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of nested objects and lists by dotted path (``coins.0.hashrate_ths``)."""
    if isinstance(value, Mapping):
        items: list[tuple[str, Any]] = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return {prefix: value}
    if not items and prefix:
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, child in items:
        flat.update(_flatten(child, f"{prefix}.{key}" if prefix else key))
    return flat


def diff_reports(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What changed between two reports, leaf by leaf, in field order.

    Each change is ``{"field", "change", "before", "after"}`` with ``change`` one of
    ``added``, ``removed`` or ``changed``; equal leaves are left out.
    """
    old, new = _flatten(before), _flatten(after)
    changes = []
    for path in sorted(old.keys() | new.keys()):
        if path not in new:
            changes.append({"field": path, "change": "removed", "before": old[path], "after": None})
        elif path not in old:
            changes.append({"field": path, "change": "added", "before": None, "after": new[path]})
        elif old[path] != new[path]:
            changes.append(
                {"field": path, "change": "changed", "before": old[path], "after": new[path]}
            )
    return changes


def version_diff(
    db: Database, who: RecipientLocator, from_version: int, to_version: int
) -> dict[str, Any]:
    """The changes in the normalised report from one version to another."""
    if from_version == to_version:
        raise InputError("compare two different versions", field="to_version")
    with db.read() as session:
        recipient = who(session, allow_closed=True)
        reports = {s.version: s.report_json for s in recipient.submissions}
        for name, version in (("from_version", from_version), ("to_version", to_version)):
            if version not in reports:
                raise NotFoundError(f"there is no version {version}", field=name)
        changes = diff_reports(json.loads(reports[from_version]), json.loads(reports[to_version]))
        return {
            "notice_ref": recipient.notice.ref,
            "facility_code": recipient.facility.code,
            "from_version": from_version,
            "to_version": to_version,
            "changes": changes,
        }
