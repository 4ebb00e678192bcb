"""Filing reports: validate, store a new version, return the receipt (the copy of record).

A submission is never changed or deleted: an amendment is a new version that supersedes
the one before. Submitting is idempotent per recipient: a retry carrying the same
``idempotency_key`` gets the first receipt back, never a second version.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hashwatch.energy.catalogue import Machine
from hashwatch.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from hashwatch.io.catalogue_files import builtin_catalogue
from hashwatch.reporting import audit
from hashwatch.reporting.canonical import canonical_json, sha256_hex
from hashwatch.reporting.models import (
    NoticeState,
    Recipient,
    RecipientState,
    ReviewState,
    Submission,
)
from hashwatch.reporting.rules import RuleContext, ValidationResult, validate_report
from hashwatch.services.lookup import RecipientLocator, by_token
from hashwatch.services.notices import notice_rule_settings
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow

MAX_IDEMPOTENCY_KEY_CHARS = 128


@dataclass(frozen=True)
class Receipt:
    """What the submitter keeps: the copy of record and its SHA-256."""

    notice_ref: str
    facility_code: str
    version: int
    received_at: dt.datetime
    record_sha256: str
    record_json: str
    late: bool
    warnings: int
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "notice_ref": self.notice_ref,
            "facility_code": self.facility_code,
            "version": self.version,
            "received_at": self.received_at.isoformat(),
            "record_sha256": self.record_sha256,
            "late": self.late,
            "warnings": self.warnings,
            "replayed": self.replayed,
        }


def rule_context(recipient: Recipient, received_at: dt.datetime | None) -> RuleContext:
    """What the rules need to know about the notice and the facility."""
    notice, facility = recipient.notice, recipient.facility
    return RuleContext(
        period_start=notice.period_start,
        period_end=notice.period_end,
        timezone=notice.timezone,
        rated_it_capacity_kw=facility.rated_it_capacity_kw,
        contracted_grid_capacity_kw=facility.contracted_grid_capacity_kw,
        received_at=received_at,
        catalogue=hardware_catalogue(),
    )


@functools.cache
def hardware_catalogue() -> tuple[Machine, ...]:
    """The shipped hardware catalogue that equipment lines are matched against (read once)."""
    return tuple(builtin_catalogue())


def _receipt(submission: Submission, recipient: Recipient, *, replayed: bool) -> Receipt:
    return Receipt(
        notice_ref=recipient.notice.ref,
        facility_code=recipient.facility.code,
        version=submission.version,
        received_at=submission.received_at,
        record_sha256=submission.record_sha256,
        record_json=submission.record_json,
        late=submission.received_at > recipient.notice.deadline,
        warnings=submission.warning_count,
        replayed=replayed,
    )


def check_report(
    db: Database,
    who: RecipientLocator,
    raw: Mapping[str, Any],
) -> ValidationResult:
    """Validate a report for the caller's facility without filing it."""
    with db.read() as session:
        recipient = who(session)
        return validate_report(
            raw, rule_context(recipient, utcnow()), notice_rule_settings(recipient.notice)
        )


def _rejection(result: ValidationResult) -> InputError:
    problems = [f.as_dict() for f in result.errors] + [
        {**f.as_dict(), "needs": "explanation"} for f in result.unexplained_warnings
    ]
    first = problems[0]
    where = f" ({first['field']})" if first.get("field") else ""
    return InputError(
        f"the report was not accepted: {len(result.errors)} error(s), "
        f"{len(result.unexplained_warnings)} warning(s) without explanation; "
        f"first: {first['code']}{where}: {first['message']}",
        field=first.get("field"),
        problems=problems,
    )


def _replay(session: Session, recipient: Recipient, key: str, report_sha256: str) -> Receipt | None:
    earlier = session.execute(
        select(Submission).where(
            Submission.recipient_id == recipient.id, Submission.idempotency_key == key
        )
    ).scalar_one_or_none()
    if earlier is None:
        return None
    if sha256_hex(earlier.report_json) != report_sha256:
        raise ConflictError(
            f"idempotency key {key!r} was already used for a different report (version "
            f"{earlier.version}); use a new key for a new version",
            field="idempotency_key",
        )
    return _receipt(earlier, recipient, replayed=True)


def submit_report(
    db: Database,
    token: str,
    raw: Mapping[str, Any],
    *,
    notice_ref: str | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> Receipt:
    """File a report with a recipient's access token (see :func:`file_report`)."""
    return file_report(
        db,
        by_token(token, notice_ref),
        raw,
        idempotency_key=idempotency_key,
        now=now,
    )


def file_report(
    db: Database,
    who: RecipientLocator,
    raw: Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> Receipt:
    """File a report for the caller's facility; a new version if one exists already.

    ``who`` locates the recipient: :func:`~hashwatch.services.lookup.by_token` for an
    access token, :func:`~hashwatch.services.lookup.by_principal` for a session or an
    organization's API token.
    """
    if idempotency_key is not None and not (0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY_CHARS):
        raise InputError(
            f"idempotency_key must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters",
            field="idempotency_key",
        )
    try:
        return _submit(
            db,
            who,
            raw=raw,
            idempotency_key=idempotency_key,
            now=now,
        )
    except IntegrityError:
        # Two retries with one key raced; the loser returns the winner's receipt.
        if idempotency_key is None:
            raise
        with db.read() as session:
            recipient = who(session)
            result = validate_report(
                raw, rule_context(recipient, now), notice_rule_settings(recipient.notice)
            )
            replay = _replay(
                session,
                recipient,
                idempotency_key,
                sha256_hex(canonical_json(result.normalised)),
            )
            if replay is None:
                raise
            return replay


def _submit(
    db: Database,
    who: RecipientLocator,
    *,
    raw: Mapping[str, Any],
    idempotency_key: str | None,
    now: dt.datetime | None,
) -> Receipt:
    received_at = now or utcnow()
    with db.transaction() as session:
        # A retry with its idempotency key gets its receipt even after the notice closed.
        recipient = who(
            session, now=received_at, for_update=True, allow_closed=idempotency_key is not None
        )
        result = validate_report(
            raw, rule_context(recipient, received_at), notice_rule_settings(recipient.notice)
        )
        return file_in_session(
            session, recipient, result, idempotency_key=idempotency_key, received_at=received_at
        )


def file_in_session(
    session: Session,
    recipient: Recipient,
    result: ValidationResult,
    *,
    idempotency_key: str | None,
    received_at: dt.datetime,
) -> Receipt:
    """Store a validated report as the recipient's next version, in the caller's transaction.

    Refuses (``InputError`` with every problem) a report that is not accepted; replays the
    first receipt for a known idempotency key. Callers that file many reports at once (bulk
    upload) call this for each inside one transaction, so all are filed or none.
    """
    notice = recipient.notice
    if not result.accepted or result.normalised is None:
        raise _rejection(result)
    report_json = canonical_json(result.normalised)
    if idempotency_key is not None:
        replay = _replay(session, recipient, idempotency_key, sha256_hex(report_json))
        if replay is not None:
            return replay
    if notice.state is NoticeState.CLOSED:
        raise PermissionDeniedError(
            f"notice {notice.ref!r} is closed: it takes no more reports", field="notice_ref"
        )
    if notice.state is not NoticeState.ISSUED:
        raise ConflictError(f"notice {notice.ref!r} is {notice.state.value}, not issued")
    previous = session.execute(
        select(Submission)
        .where(Submission.recipient_id == recipient.id)
        .order_by(Submission.version.desc())
        .limit(1)
    ).scalar_one_or_none()
    if previous is not None and previous.review_state is ReviewState.ACCEPTED:
        raise ConflictError(
            f"version {previous.version} was accepted by the regulator and is locked; "
            "ask the regulator to reopen it before amending"
        )
    version = 1 if previous is None else previous.version + 1
    findings = result.as_dict()["findings"]
    submitted_by = f"recipient:{recipient.facility.code}"
    record = {
        "kind": "hashwatch.copy_of_record",
        "notice_ref": notice.ref,
        "questionnaire_version": notice.questionnaire_version,
        "rule_settings": notice_rule_settings(notice).model_dump(),
        "facility_code": recipient.facility.code,
        "organization_uscc": recipient.facility.organization.uscc,
        "version": version,
        "supersedes_version": None if previous is None else previous.version,
        "received_at": received_at,
        "submitted_by": submitted_by,
        "idempotency_key": idempotency_key,
        "report": result.normalised,
        "findings": findings,
    }
    record_json = canonical_json(record)
    submission = Submission(
        recipient=recipient,
        version=version,
        supersedes_id=None if previous is None else previous.id,
        idempotency_key=idempotency_key,
        received_at=received_at,
        submitted_by=submitted_by,
        report_json=report_json,
        findings_json=canonical_json(findings),
        record_json=record_json,
        record_sha256=sha256_hex(record_json),
        review_state=ReviewState.SUBMITTED,
        involved_in_mining=bool(result.normalised.get("involved_in_mining")),
        facility_electricity_kwh=result.normalised.get("facility_electricity_kwh"),
        mining_electricity_kwh=result.normalised.get("mining_electricity_kwh"),
        warning_count=len(result.findings) - len(result.errors),
    )
    session.add(submission)
    if previous is not None:
        previous.review_state = ReviewState.SUPERSEDED
    before_state = recipient.state.value
    recipient.state = RecipientState.SUBMITTED
    recipient.draft_json = None
    if recipient.first_submitted_at is None:
        recipient.first_submitted_at = received_at
    session.flush()
    audit.record(
        session,
        actor=submitted_by,
        action="submission.create",
        object_type="submission",
        object_id=f"{notice.ref}/{recipient.facility.code}/v{version}",
        before={"recipient_state": before_state},
        after={
            "record_sha256": submission.record_sha256,
            "version": version,
            "recipient_state": recipient.state.value,
        },
    )
    return _receipt(submission, recipient, replayed=False)


def save_draft(db: Database, who: RecipientLocator, raw: Mapping[str, Any]) -> ValidationResult:
    """Keep an unfinished report for the caller's facility; returns its findings so far."""
    text = json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)
    with db.transaction() as session:
        recipient = who(session, for_update=True)
        result = validate_report(
            raw, rule_context(recipient, utcnow()), notice_rule_settings(recipient.notice)
        )
        recipient.draft_json = text
        if recipient.state in (RecipientState.NOT_OPENED, RecipientState.OPENED):
            recipient.state = RecipientState.DRAFT
        audit.record(
            session,
            actor=f"recipient:{recipient.facility.code}",
            action="draft.save",
            object_type="recipient",
            object_id=f"{recipient.notice.ref}/{recipient.facility.code}",
            after={"draft_sha256": sha256_hex(text)},
        )
        return result


def get_receipt(db: Database, who: RecipientLocator, version: int | None = None) -> Receipt:
    """A receipt of the caller's facility: the given version, or the newest."""
    with db.read() as session:
        recipient = who(session, allow_closed=True)
        versions = recipient.submissions
        if not versions:
            raise NotFoundError("nothing has been submitted for this facility yet")
        chosen = (
            versions[-1]
            if version is None
            else next((s for s in versions if s.version == version), None)
        )
        if chosen is None:
            raise NotFoundError(f"there is no version {version}", field="version")
        return _receipt(chosen, recipient, replayed=False)
