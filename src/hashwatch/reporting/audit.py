"""The tamper-evident audit trail.

Every change is appended as one row: actor, action, object, before/after, time. Each row
carries ``row_sha256 = SHA-256(prev_sha256 || canonical JSON of the row's fields)`` where
``prev_sha256`` is the previous row's hash (64 zeros for the first). Editing, deleting or
reordering any row breaks the chain at that row, which :func:`verify_chain` names.

Appenders lock the single :class:`AuditHead` row (``SELECT ... FOR UPDATE`` on PostgreSQL;
SQLite transactions here begin IMMEDIATE and so are already serial), so concurrent
transactions extend the chain one after the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hashwatch.reporting.canonical import canonical_json, sha256_hex
from hashwatch.reporting.models import AuditEntry, AuditHead
from hashwatch.store.types import utcnow

GENESIS_SHA256 = "0" * 64
_VERIFY_BATCH_ROWS = 5000


def row_digest(
    *,
    prev_sha256: str,
    entry_id: int,
    at: dt.datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before_json: str | None,
    after_json: str | None,
) -> str:
    """The hash of one audit row given the hash of the row before it."""
    body = canonical_json(
        {
            "id": entry_id,
            "at": at,
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "before": before_json,
            "after": after_json,
        }
    )
    return sha256_hex(prev_sha256 + body)


@dataclass(frozen=True)
class AuditEvent:
    """One change to append: what was done to which object, with its before and after."""

    action: str
    object_type: str
    object_id: str | int
    before: Any = None
    after: Any = None


_INSERT_BATCH_ROWS = 1000


def record_many(session: Session, *, actor: str, events: Sequence[AuditEvent]) -> int:
    """Append events to the audit chain inside the caller's transaction, in one go.

    The head row is locked once; rows are inserted in batches of multi-row INSERTs. All the
    events of one call carry the same time. Returns the id of the last row written (0 when
    there were no events).
    """
    if not events:
        return 0
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_id=0, last_sha256=GENESIS_SHA256)
        session.add(head)
    at, prev, entry_id = utcnow(), head.last_sha256, head.last_id
    rows: list[dict[str, Any]] = []
    for event in events:
        entry_id += 1
        row: dict[str, Any] = {
            "at": at,
            "actor": actor,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": str(event.object_id),
            "before_json": None if event.before is None else canonical_json(event.before),
            "after_json": None if event.after is None else canonical_json(event.after),
        }
        digest = row_digest(prev_sha256=prev, entry_id=entry_id, **row)
        rows.append({"id": entry_id, **row, "prev_sha256": prev, "row_sha256": digest})
        prev = digest
    for start in range(0, len(rows), _INSERT_BATCH_ROWS):
        session.execute(insert(AuditEntry), rows[start : start + _INSERT_BATCH_ROWS])
    head.last_id, head.last_sha256 = entry_id, prev
    session.flush()
    return entry_id


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    before: Any = None,
    after: Any = None,
) -> int:
    """Append one row to the audit chain inside the caller's transaction; returns its id."""
    event = AuditEvent(action, object_type, object_id, before, after)
    return record_many(session, actor=actor, events=[event])


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify_chain`."""

    rows_checked: int
    ok: bool
    bad_row_id: int | None = None
    problem: str | None = None
    head_sha256: str | None = None


def _iter_rows(session: Session) -> Iterable[AuditEntry]:
    last_id = 0
    while True:
        batch = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.id > last_id)
                .order_by(AuditEntry.id)
                .limit(_VERIFY_BATCH_ROWS)
            )
            .scalars()
            .all()
        )
        if not batch:
            return
        yield from batch
        last_id = batch[-1].id
        session.expunge_all()


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash in order; name the first row that was edited, deleted or moved."""
    prev = GENESIS_SHA256
    expected_id = 1
    checked = 0
    for entry in _iter_rows(session):
        if entry.id != expected_id:
            return ChainReport(
                checked, False, expected_id, f"row {expected_id} is missing (next is {entry.id})"
            )
        if entry.prev_sha256 != prev:
            return ChainReport(
                checked, False, entry.id, f"row {entry.id} does not follow row {entry.id - 1}"
            )
        digest = row_digest(
            prev_sha256=prev,
            entry_id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            before_json=entry.before_json,
            after_json=entry.after_json,
        )
        if digest != entry.row_sha256:
            return ChainReport(checked, False, entry.id, f"row {entry.id} was altered")
        prev = digest
        expected_id += 1
        checked += 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_id != checked or head.last_sha256 != prev):
        bad = checked + 1 if head.last_id > checked else head.last_id
        return ChainReport(
            checked,
            False,
            bad,
            f"the chain ends at row {checked} but the head says row {head.last_id}: "
            "rows at the end were deleted",
        )
    return ChainReport(checked, True, head_sha256=prev if checked else None)
