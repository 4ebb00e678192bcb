"""Bulk upload: many facilities' reports filed at once by their organization, all or nothing.

Every row is checked first: the facility must be one of the caller's (an organization
session or API token sees only its own facilities) and a recipient of the notice, and its
report must have no error and every warning explained. Only when no row is blocked are all
reports filed, each with :func:`~hashwatch.services.submissions.file_in_session`, in one
transaction. Otherwise the result lists every problem (sheet, row, facility, field, code,
message) and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hashwatch.accounts.principal import Principal
from hashwatch.errors import NotFoundError, PermissionDeniedError
from hashwatch.io.report_files import ReportRow, ReportRows, RowProblem
from hashwatch.reporting.models import Notice, NoticeState, Recipient
from hashwatch.reporting.rules import ValidationResult, validate_report
from hashwatch.services.lookup import recipient_for_principal
from hashwatch.services.notices import notice_summary, recipient_status
from hashwatch.services.submissions import Receipt, file_in_session, rule_context
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow


@dataclass
class BulkResult:
    """Receipts of the filed reports, or the problems that stopped the upload."""

    receipts: list[Receipt] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def filed(self) -> bool:
        return not self.problems and bool(self.receipts)


def _local_times(raw: dict[str, Any], timezone: str) -> dict[str, Any]:
    """A signing time without a UTC offset is read in the notice's time zone."""
    attestation = raw.get("attestation")
    signed = attestation.get("signed_at") if isinstance(attestation, dict) else None
    if isinstance(signed, str):
        try:
            moment = dt.datetime.fromisoformat(signed)
        except ValueError:
            return raw
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(timezone))
            assert isinstance(attestation, dict)
            return {**raw, "attestation": {**attestation, "signed_at": moment.isoformat()}}
    return raw


def _row_problems(row: ReportRow, result: ValidationResult) -> list[RowProblem]:
    problems = [
        RowProblem("reports", row.row, row.facility_code, f.field, f.code, f.message, f.data)
        for f in result.errors
    ]
    problems += [
        RowProblem(
            "reports",
            row.row,
            row.facility_code,
            f.field,
            f.code,
            f"{f.message} (explain it in the column explanations as {f.code}: ...)",
            f.data,
        )
        for f in result.unexplained_warnings
    ]
    return problems


def bulk_file(
    db: Database,
    principal: Principal,
    notice_ref: str,
    upload: ReportRows,
    *,
    upload_sha256: str | None = None,
    now: dt.datetime | None = None,
) -> BulkResult:
    """Check every row, then file all reports in one transaction, or none.

    ``upload_sha256`` (of the uploaded bytes) makes a repeated upload of the same file
    return the first receipts instead of filing new versions.
    """
    result = BulkResult(problems=list(upload.problems))
    if result.problems:
        return result
    received_at = now or utcnow()
    key = f"bulk-{upload_sha256[:40]}" if upload_sha256 else None
    with db.transaction() as session:
        checked: list[tuple[Recipient, ValidationResult]] = []
        for row in upload.rows:
            try:
                recipient = recipient_for_principal(
                    session, principal, notice_ref, row.facility_code, for_update=True
                )
            except (NotFoundError, PermissionDeniedError) as exc:
                result.problems.append(
                    RowProblem(
                        "reports",
                        row.row,
                        row.facility_code,
                        exc.field,
                        "bulk.not_your_recipient",
                        exc.message,
                        {"facility_code": row.facility_code, "notice_ref": notice_ref},
                    )
                )
                continue
            if recipient.notice.state is not NoticeState.ISSUED:
                result.problems.append(
                    RowProblem(
                        "reports",
                        row.row,
                        row.facility_code,
                        "notice_ref",
                        "bulk.notice_not_open",
                        f"notice {notice_ref!r} is {recipient.notice.state.value}",
                        {"notice_ref": notice_ref},
                    )
                )
                continue
            raw = _local_times(row.raw, recipient.notice.timezone)
            validation = validate_report(raw, rule_context(recipient, received_at))
            result.problems.extend(_row_problems(row, validation))
            checked.append((recipient, validation))
        if result.problems:
            return result  # nothing was written: the transaction only read
        for recipient, validation in checked:
            result.receipts.append(
                file_in_session(
                    session, recipient, validation, idempotency_key=key, received_at=received_at
                )
            )
    return result


def upload_digest(files: dict[str, tuple[str, bytes]]) -> str:
    """One SHA-256 over an upload's files (sheet name, then content), for idempotency."""
    digest = hashlib.sha256()
    for sheet in sorted(files):
        digest.update(sheet.encode() + b"\0" + hashlib.sha256(files[sheet][1]).digest())
    return digest.hexdigest()


def organization_overview(db: Database, principal: Principal) -> list[dict[str, Any]]:
    """The notices open for reports in which the caller's facilities are recipients."""
    if principal.kind != "organization":
        raise PermissionDeniedError("sign in with your organization's API token")
    now = utcnow()
    with db.read() as session:
        recipients = session.execute(
            select(Recipient)
            .join(Notice, Recipient.notice_id == Notice.id)
            .where(
                Recipient.facility_id.in_(principal.facility_ids),
                Notice.state == NoticeState.ISSUED,
            )
            .options(joinedload(Recipient.notice), joinedload(Recipient.facility))
            .order_by(Notice.deadline, Notice.ref)
        ).scalars()
        notices: dict[str, dict[str, Any]] = {}
        for recipient in recipients:
            entry = notices.setdefault(
                recipient.notice.ref,
                {"notice": notice_summary(recipient.notice), "facilities": []},
            )
            entry["facilities"].append(
                {
                    "code": recipient.facility.code,
                    "name": recipient.facility.name,
                    "status": recipient_status(recipient, recipient.notice, now),
                }
            )
        for entry in notices.values():
            entry["facilities"].sort(key=lambda f: f["code"])
        return list(notices.values())


def facility_codes(db: Database, principal: Principal, notice_ref: str) -> list[str]:
    """The caller's facilities that are recipients of a notice (for the template)."""
    for entry in organization_overview(db, principal):
        if entry["notice"]["ref"] == notice_ref:
            return [f["code"] for f in entry["facilities"]]
    raise NotFoundError(f"no open notice {notice_ref!r} for your facilities", field="notice_ref")
