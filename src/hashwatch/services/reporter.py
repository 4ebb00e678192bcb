"""What a reporting entity's pages show: its notice, status, draft and own history.

A recipient session acts for exactly one recipient row; :func:`own_recipient` locates it
for the submission services, with the same checks as
:func:`~hashwatch.services.lookup.recipient_for_principal`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hashwatch.accounts.principal import Principal
from hashwatch.errors import PermissionDeniedError
from hashwatch.reporting.models import Facility, Notice, Recipient
from hashwatch.services.lookup import RecipientLocator, recipient_for_principal
from hashwatch.services.notices import notice_summary, recipient_status
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow


def own_recipient(principal: Principal) -> RecipientLocator:
    """Locate the recipient of a recipient session (the facility of its notice link)."""

    def locate(
        session: Session,
        *,
        now: dt.datetime | None = None,
        for_update: bool = False,
        allow_closed: bool = False,
    ) -> Recipient:
        if principal.kind != "recipient" or principal.recipient_id is None:
            raise PermissionDeniedError("open the link of your notice first")
        row = session.execute(
            select(Notice.ref, Facility.code)
            .select_from(Recipient)
            .join(Notice, Recipient.notice_id == Notice.id)
            .join(Facility, Recipient.facility_id == Facility.id)
            .where(Recipient.id == principal.recipient_id)
        ).one_or_none()
        if row is None:
            raise PermissionDeniedError("open the link of your notice first")
        return recipient_for_principal(
            session,
            principal,
            row[0],
            row[1],
            now=now,
            for_update=for_update,
            allow_closed=allow_closed,
        )

    return locate


def _version(submission: Any, notice: Notice) -> dict[str, Any]:
    return {
        "version": submission.version,
        "received_at": submission.received_at,
        "late": submission.received_at > notice.deadline,
        "review_state": submission.review_state.value,
        "record_sha256": submission.record_sha256,
        "warnings": submission.warning_count,
        "reviews": [
            {"action": r.action.value, "comment": r.comment, "at": r.at} for r in submission.reviews
        ],
    }


def reporter_overview(db: Database, principal: Principal) -> dict[str, Any]:
    """The notice, facility and status of the session's recipient, its draft and versions.

    ``prefill`` is what the form starts from: the draft, else the newest version's report.
    """
    with db.read() as session:
        recipient = own_recipient(principal)(session, allow_closed=True)
        notice = recipient.notice
        versions = [_version(s, notice) for s in recipient.submissions]
        draft = json.loads(recipient.draft_json) if recipient.draft_json else None
        latest = (
            json.loads(recipient.submissions[-1].report_json) if recipient.submissions else None
        )
        return {
            "notice": notice_summary(notice),
            "facility_code": recipient.facility.code,
            "facility_name": recipient.facility.name,
            "organization_name": recipient.facility.organization.name,
            "status": recipient_status(recipient, notice, utcnow()),
            "draft": draft,
            "latest_report": latest,
            "prefill": draft if draft is not None else latest,
            "versions": list(reversed(versions)),
        }
