"""Read-side views the API and the pages both show: who may act for what, versions, diffs.

Nothing here writes. Functions that take a :class:`~hashwatch.services.lookup.RecipientLocator`
see only what the caller may see: a locator built by
:func:`~hashwatch.services.lookup.by_principal` reports another entity's facility as not
found.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.orm import joinedload

from hashwatch.accounts.principal import Principal
from hashwatch.errors import InputError, NotFoundError
from hashwatch.io.registry_files import configured_districts
from hashwatch.reporting.canonical import canonical_json
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


def _folded(value: Any) -> str | None:
    """Text folded for matching: width, case, runs of spaces, hyphens and underscores."""
    if not isinstance(value, str) or not value.strip():
        return None
    folded = unicodedata.normalize("NFKC", value).casefold()
    return re.sub(r"[\s_\-]+", " ", folded).strip()


def _coin_keys(line: Mapping[str, Any]) -> tuple[str | None, ...]:
    """Keys of a coin line, most exact first: coin and algorithm, then the coin alone."""
    coin, algorithm = _folded(line.get("coin")), _folded(line.get("algorithm"))
    return (f"{coin}/{algorithm}" if coin else None, coin)


def _equipment_keys(line: Mapping[str, Any]) -> tuple[str | None, ...]:
    """Keys of an equipment line: the catalogue's model when matched, then the model as typed."""
    return (_folded(line.get("catalogue_model")), _folded(line.get("model")))


def _coin_label(line: Mapping[str, Any]) -> str:
    return " ".join(str(line[k]) for k in ("coin", "algorithm") if line.get(k))


def _equipment_label(line: Mapping[str, Any]) -> str:
    return str(line.get("catalogue_model") or line.get("model") or "")


LineKeys = Callable[[Mapping[str, Any]], tuple[str | None, ...]]
#: Lists of a report whose lines are matched by what they describe, not by position: the
#: keys of a line (most exact first) and the label a change shows.
LINE_LISTS: Final[Mapping[str, tuple[LineKeys, Callable[[Mapping[str, Any]], str]]]] = {
    "coins": (_coin_keys, _coin_label),
    "equipment": (_equipment_keys, _equipment_label),
}


def pair_lines(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]], keys: LineKeys
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Match the lines of two versions of a list: (old, new) index pairs, removed, added.

    Identical lines pair first (so reordered duplicates show no change), then lines with
    equal keys, one key after the other, most exact first; among several lines with one key,
    in their order. A line that pairs with none was removed (old) or added (new).
    """
    old_keys = [(canonical_json(line), *keys(line)) for line in old]  # the whole line first
    new_keys = [(canonical_json(line), *keys(line)) for line in new]
    left, right = list(range(len(old))), list(range(len(new)))
    pairs = []
    for n in range(max((len(k) for k in old_keys + new_keys), default=0)):
        for j in list(right):
            wanted = new_keys[j][n] if n < len(new_keys[j]) else None
            found = next(
                (i for i in left if wanted is not None and old_keys[i][n : n + 1] == (wanted,)),
                None,
            )
            if found is not None:
                pairs.append((found, j))
                left.remove(found)
                right.remove(j)
    return sorted(pairs, key=lambda pair: pair[1]), left, right


def _lines(value: Any) -> list[Mapping[str, Any]] | None:
    """A list of lines (absent is no lines), or ``None`` if ``value`` is something else."""
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(line, Mapping) for line in value):
        return value
    return None


def _change(
    field: str, kind: str, before: Any, after: Any, line: str | None = None
) -> dict[str, Any]:
    return {"field": field, "change": kind, "before": before, "after": after, "line": line}


def _leaf_changes(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    line: str | None = None,
    prefix: str = "",
) -> list[dict[str, Any]]:
    before, after = _flatten(old, prefix), _flatten(new, prefix)
    changes = []
    for path in sorted(before.keys() | after.keys()):
        if path not in after:
            changes.append(_change(path, "removed", before[path], None, line))
        elif path not in before:
            changes.append(_change(path, "added", None, after[path], line))
        elif before[path] != after[path]:
            changes.append(_change(path, "changed", before[path], after[path], line))
    return changes


def _line_changes(
    name: str, old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    keys, label = LINE_LISTS[name]
    pairs, removed, added = pair_lines(old, new, keys)
    changes = []
    for i, j in pairs:
        changes += _leaf_changes(old[i], new[j], label(new[j]), f"{name}.{j}")
    changes += [
        _change(f"{name}.{i}", "removed", dict(old[i]), None, label(old[i])) for i in removed
    ]
    changes += [_change(f"{name}.{j}", "added", None, dict(new[j]), label(new[j])) for j in added]
    return changes


def _natural(field: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key of a dotted path with list positions in number order (coins.2 < coins.10)."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in field.split("."))


def diff_reports(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What changed between two reports, in field order.

    Each change is ``{"field", "change", "before", "after", "line"}`` with ``change`` one of
    ``added``, ``removed`` or ``changed``; equal leaves are left out. Coin lines are matched
    by coin and algorithm and equipment lines by model (:data:`LINE_LISTS`,
    :func:`pair_lines`), not by position: a line removed or added is one change whose
    ``before`` or ``after`` is the whole line, a line moved is no change, and a changed value
    of a line has the line's path in the newer report and its ``line`` label (``BTC SHA-256``,
    ``Antminer S19 Pro``). Other changes have ``line`` None.
    """
    changes = []
    rest_before, rest_after = dict(before), dict(after)
    for name in LINE_LISTS:
        old, new = _lines(before.get(name)), _lines(after.get(name))
        if old is not None and new is not None and (name in before or name in after):
            changes += _line_changes(name, old, new)
            rest_before.pop(name, None)
            rest_after.pop(name, None)
    changes += _leaf_changes(rest_before, rest_after)
    return sorted(changes, key=lambda change: _natural(change["field"]))


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
