"""Notices: create, add recipients, issue with per-recipient tokens, status, remind, close.

A recipient's access token is 256 random bits (``secrets.token_urlsafe(32)``); only its
SHA-256 is stored, so the database alone cannot be used to file a report. Tokens reach
recipients through :mod:`hashwatch.services.delivery` after the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from hashwatch.errors import ConflictError, InputError, NotFoundError
from hashwatch.reporting import audit
from hashwatch.reporting.models import (
    Facility,
    Notice,
    NoticeState,
    Organization,
    Recipient,
    RecipientState,
)
from hashwatch.reporting.report import REPORT_SCHEMA_VERSION
from hashwatch.reporting.rules import RuleSettings
from hashwatch.services import messages
from hashwatch.services.accounts import end_recipient_sessions
from hashwatch.services.delivery import DeliveryReport, Message, deliver, prepare
from hashwatch.services.lookup import get_notice, hash_token, recipient_by_code, recipient_for_token
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow

TOKEN_BYTES = 32
DEFAULT_TOKEN_GRACE = dt.timedelta(days=30)
NOT_SUBMITTED = (RecipientState.NOT_OPENED, RecipientState.OPENED, RecipientState.DRAFT)
OWES_REPORT = (*NOT_SUBMITTED, RecipientState.RETURNED)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_CHARS = {"ref": 64, "title": 300, "issuer": 200, "legal_basis": 5000}


@dataclass(frozen=True)
class NoticeDraft:
    """What a regulator fills in to create a notice."""

    ref: str
    title: str
    legal_basis: str
    issuer: str
    period_start: dt.date
    period_end: dt.date
    deadline: dt.datetime
    timezone: str = "Asia/Shanghai"
    urgent: bool = False
    rule_settings: RuleSettings | None = None


@dataclass(frozen=True)
class IssueResult:
    notice_ref: str
    recipients: int
    delivery: DeliveryReport


def new_token() -> str:
    """A fresh, unguessable access token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def notice_rule_settings(notice: Notice) -> RuleSettings:
    """The validation tolerances of a notice: its own (frozen at issue) or the defaults."""
    if notice.rule_settings_json is None:
        return RuleSettings()
    return RuleSettings.model_validate_json(notice.rule_settings_json)


def notice_summary(notice: Notice) -> dict[str, Any]:
    """A notice as plain data (also the audit trail's before/after form)."""
    return {
        "ref": notice.ref,
        "title": notice.title,
        "legal_basis": notice.legal_basis,
        "issuer": notice.issuer,
        "period_start": notice.period_start,
        "period_end": notice.period_end,
        "deadline": notice.deadline,
        "timezone": notice.timezone,
        "urgent": notice.urgent,
        "state": notice.state.value,
        "questionnaire_version": notice.questionnaire_version,
        "rule_settings": notice_rule_settings(notice).model_dump(),
        "issued_at": notice.issued_at,
        "closed_at": notice.closed_at,
    }


def _validate_draft(draft: NoticeDraft) -> None:
    for name, max_chars in _MAX_CHARS.items():
        value = str(getattr(draft, name)).strip()
        if not value:
            raise InputError(f"{name} must not be empty", field=name)
        if len(value) > max_chars:
            raise InputError(f"{name} is longer than {max_chars} characters", field=name)
        if _CONTROL.search(value if name != "legal_basis" else value.replace("\n", " ")):
            raise InputError(f"{name} must not contain control characters", field=name)
    try:
        ZoneInfo(draft.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"timezone {draft.timezone!r} is not an IANA time zone (e.g. Asia/Shanghai)",
            field="timezone",
        ) from None
    if draft.period_end < draft.period_start:
        raise InputError(
            f"period_end {draft.period_end} is before period_start {draft.period_start}",
            field="period_end",
        )
    if draft.deadline.tzinfo is None:
        raise InputError("deadline must carry a time zone", field="deadline")
    start_local = dt.datetime.combine(
        draft.period_start, dt.time(), tzinfo=ZoneInfo(draft.timezone)
    )
    if draft.deadline <= start_local:
        raise InputError(
            f"deadline {draft.deadline.isoformat()} is not after the period start "
            f"{draft.period_start}",
            field="deadline",
        )


def create_notice(db: Database, draft: NoticeDraft, *, actor: str) -> dict[str, Any]:
    """Create a notice in the draft state."""
    _validate_draft(draft)
    ref = draft.ref.strip()
    try:
        return _create_notice(db, draft, ref, actor)
    except IntegrityError:  # another session created the same reference meanwhile
        raise ConflictError(f"a notice with reference {ref!r} exists", field="ref") from None


def _create_notice(db: Database, draft: NoticeDraft, ref: str, actor: str) -> dict[str, Any]:
    with db.transaction() as session:
        if session.execute(select(Notice.id).where(Notice.ref == ref)).first():
            raise ConflictError(f"a notice with reference {ref!r} exists", field="ref")
        notice = Notice(
            ref=ref,
            title=draft.title.strip(),
            legal_basis=draft.legal_basis.strip(),
            issuer=draft.issuer.strip(),
            period_start=draft.period_start,
            period_end=draft.period_end,
            deadline=draft.deadline,
            timezone=draft.timezone,
            urgent=draft.urgent,
            state=NoticeState.DRAFT,
            rule_settings_json=None
            if draft.rule_settings is None
            else draft.rule_settings.model_dump_json(),
        )
        session.add(notice)
        session.flush()
        summary = notice_summary(notice)
        audit.record(
            session,
            actor=actor,
            action="notice.create",
            object_type="notice",
            object_id=notice.ref,
            after=summary,
        )
        return summary


def _select_facilities(
    session: Session,
    *,
    facility_codes: Sequence[str],
    organization_uscc: str | None,
    district_code: str | None,
    all_facilities: bool,
) -> list[Facility]:
    if not (facility_codes or organization_uscc or district_code or all_facilities):
        raise InputError(
            "say which facilities: facility codes, an organization, a district, or all",
            field="recipients",
        )
    chosen: dict[int, Facility] = {}
    if facility_codes:
        wanted = list(dict.fromkeys(facility_codes))
        found = {
            f.code: f
            for f in session.execute(select(Facility).where(Facility.code.in_(wanted))).scalars()
        }
        missing = [c for c in wanted if c not in found]
        if missing:
            raise NotFoundError(
                f"no facility with code {', '.join(map(repr, missing))}", field="facility_code"
            )
        chosen.update({f.id: f for f in found.values()})
    stmt = select(Facility)
    if organization_uscc:
        organization_uscc = organization_uscc.strip().upper()
        org = session.execute(
            select(Organization).where(Organization.uscc == organization_uscc)
        ).scalar_one_or_none()
        if org is None:
            raise NotFoundError(
                f"no organization with code {organization_uscc!r}", field="organization_uscc"
            )
        chosen.update(
            {
                f.id: f
                for f in session.execute(stmt.where(Facility.organization_id == org.id)).scalars()
            }
        )
    if district_code:
        chosen.update(
            {
                f.id: f
                for f in session.execute(
                    stmt.where(Facility.district_code == district_code)
                ).scalars()
            }
        )
    if all_facilities:
        chosen.update({f.id: f for f in session.execute(stmt).scalars()})
    return sorted(chosen.values(), key=lambda f: f.code)


def add_recipients(
    db: Database,
    ref: str,
    *,
    actor: str,
    settings: Settings,
    facility_codes: Sequence[str] = (),
    organization_uscc: str | None = None,
    district_code: str | None = None,
    all_facilities: bool = False,
) -> dict[str, Any]:
    """Add facilities to a notice; on an issued notice the new ones get their tokens at once."""
    outgoing: list[Message] = []
    with db.transaction() as session:
        notice = get_notice(session, ref, lock=True)
        if notice.state is NoticeState.CLOSED:
            raise ConflictError(f"notice {ref!r} is closed", field="notice_ref")
        facilities = _select_facilities(
            session,
            facility_codes=facility_codes,
            organization_uscc=organization_uscc,
            district_code=district_code,
            all_facilities=all_facilities,
        )
        existing = set(
            session.execute(
                select(Recipient.facility_id).where(Recipient.notice_id == notice.id)
            ).scalars()
        )
        new = [f for f in facilities if f.id not in existing]
        for facility in new:
            recipient = Recipient(notice=notice, facility=facility)
            session.add(recipient)
            if notice.state is NoticeState.ISSUED:
                outgoing.append(_arm(recipient, notice, facility, settings.public_url))
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="notice.add_recipients",
            object_type="notice",
            object_id=notice.ref,
            after={"facility_codes": [f.code for f in new]},
        )
        result: dict[str, Any] = {
            "notice_ref": notice.ref,
            "added": len(new),
            "already_recipients": len(facilities) - len(new),
        }
        prepared = prepare(outgoing, settings)
    if prepared:
        result["delivery"] = deliver(prepared, settings)
    return result


def _arm(recipient: Recipient, notice: Notice, facility: Facility, public_url: str) -> Message:
    """Give a recipient a fresh token and build the message that carries it."""
    token = new_token()
    recipient.token_sha256 = hash_token(token)
    # Valid until a grace period after the deadline, and never less than that after issue.
    recipient.token_expires_at = max(notice.deadline, utcnow()) + DEFAULT_TOKEN_GRACE
    return messages.notice_message(notice, facility, token, public_url)


def issue_notice(db: Database, ref: str, *, actor: str, settings: Settings) -> IssueResult:
    """Freeze the questionnaire version, give every recipient a token and deliver it."""
    with db.transaction() as session:
        notice = get_notice(session, ref, lock=True)
        if notice.state is not NoticeState.DRAFT:
            raise ConflictError(
                f"notice {ref!r} is already {notice.state.value}; it can be issued once"
            )
        recipients = (
            session.execute(
                select(Recipient)
                .where(Recipient.notice_id == notice.id)
                .options(joinedload(Recipient.facility).joinedload(Facility.organization))
            )
            .scalars()
            .all()
        )
        if not recipients:
            raise InputError(f"notice {ref!r} has no recipients: add some first")
        before = notice_summary(notice)
        outgoing = [_arm(r, notice, r.facility, settings.public_url) for r in recipients]
        notice.state = NoticeState.ISSUED
        notice.questionnaire_version = REPORT_SCHEMA_VERSION
        notice.rule_settings_json = notice_rule_settings(notice).model_dump_json()
        notice.issued_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="notice.issue",
            object_type="notice",
            object_id=notice.ref,
            before=before,
            after={**notice_summary(notice), "recipients": len(recipients)},
        )
        prepared = prepare(outgoing, settings)
    return IssueResult(ref, len(prepared), deliver(prepared, settings))


def resend_token(
    db: Database, ref: str, facility_code: str, *, actor: str, settings: Settings
) -> DeliveryReport:
    """Replace a recipient's token (the old one stops working) and deliver the new one."""
    with db.transaction() as session:
        notice = get_notice(session, ref, lock=True)
        if notice.state is not NoticeState.ISSUED:
            raise ConflictError(f"notice {ref!r} is {notice.state.value}, not issued")
        recipient = recipient_by_code(session, notice, facility_code)
        message = _arm(recipient, notice, recipient.facility, settings.public_url)
        end_recipient_sessions(session, recipient.id)  # whoever used the old link is out
        audit.record(
            session,
            actor=actor,
            action="recipient.token_rotate",
            object_type="recipient",
            object_id=f"{ref}/{facility_code}",
        )
        prepared = prepare([message], settings)
    return deliver(prepared, settings)


def open_notice(db: Database, token: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """What a recipient sees when it opens its link; marks the notice opened."""
    with db.transaction() as session:
        recipient = recipient_for_token(session, token, now=now, for_update=True)
        if recipient.state is RecipientState.NOT_OPENED:
            recipient.state = RecipientState.OPENED
            recipient.opened_at = now or utcnow()
            audit.record(
                session,
                actor=f"recipient:{recipient.facility.code}",
                action="recipient.open",
                object_type="recipient",
                object_id=f"{recipient.notice.ref}/{recipient.facility.code}",
            )
        return {
            **notice_summary(recipient.notice),
            "facility_code": recipient.facility.code,
            "facility_name": recipient.facility.name,
            "organization_name": recipient.facility.organization.name,
            "recipient_state": recipient.state.value,
        }


def recipient_status(recipient: Recipient, notice: Notice, now: dt.datetime) -> str:
    """The status shown for a recipient: its state, or ``overdue`` past the deadline."""
    if recipient.state in NOT_SUBMITTED and now > notice.deadline:
        return "overdue"
    return recipient.state.value


def remind(db: Database, ref: str, *, actor: str, settings: Settings) -> DeliveryReport:
    """Remind every recipient that owes a report: not submitted yet, or returned for correction."""
    now = utcnow()
    with db.transaction() as session:
        notice = get_notice(session, ref, lock=True)
        if notice.state is not NoticeState.ISSUED:
            raise ConflictError(f"notice {ref!r} is {notice.state.value}: only issued notices")
        pending = (
            session.execute(
                select(Recipient)
                .where(Recipient.notice_id == notice.id, Recipient.state.in_(OWES_REPORT))
                .options(joinedload(Recipient.facility).joinedload(Facility.organization))
            )
            .scalars()
            .all()
        )
        outgoing = []
        for recipient in pending:
            recipient.last_reminded_at = now
            recipient.reminder_count += 1
            outgoing.append(messages.reminder_message(notice, recipient.facility, now))
        audit.record(
            session,
            actor=actor,
            action="notice.remind",
            object_type="notice",
            object_id=notice.ref,
            after={"facility_codes": [r.facility.code for r in pending]},
        )
        prepared = prepare(outgoing, settings)
    return deliver(prepared, settings)


def close_notice(db: Database, ref: str, *, actor: str) -> dict[str, Any]:
    """Close a notice: no more reports, tokens stop working; reviews may continue."""
    with db.transaction() as session:
        notice = get_notice(session, ref, lock=True)
        if notice.state is NoticeState.CLOSED:
            raise ConflictError(f"notice {ref!r} is already closed")
        before = notice_summary(notice)
        notice.state = NoticeState.CLOSED
        notice.closed_at = utcnow()
        after = notice_summary(notice)
        audit.record(
            session,
            actor=actor,
            action="notice.close",
            object_type="notice",
            object_id=notice.ref,
            before=before,
            after=after,
        )
        return after


def list_notices(db: Database) -> list[dict[str, Any]]:
    """Every notice with its number of recipients."""
    with db.read() as session:
        counts: dict[int, int] = {}
        for notice_id, n in session.execute(
            select(Recipient.notice_id, func.count()).group_by(Recipient.notice_id)
        ).tuples():
            counts[notice_id] = n
        notices = session.execute(select(Notice).order_by(Notice.created_at)).scalars().all()
        return [{**notice_summary(n), "recipients": counts.get(n.id, 0)} for n in notices]
