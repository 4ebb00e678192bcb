"""The texts of notices and reminders (Chinese first, then English)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hashwatch.reporting.models import Facility, Notice
from hashwatch.services.delivery import Message


def _local_deadline(notice: Notice) -> str:
    local = notice.deadline.astimezone(ZoneInfo(notice.timezone))
    return f"{local:%Y-%m-%d %H:%M} ({notice.timezone}, UTC{local:%z})"


def notice_message(notice: Notice, facility: Facility, token: str, public_url: str) -> Message:
    """The notice as sent to one facility, carrying its access token."""
    urgent = "【紧急】" if notice.urgent else ""
    body = f"""{urgent}{notice.title}

发文单位 Issuer: {notice.issuer}
文号 Reference: {notice.ref}
依据 Legal basis: {notice.legal_basis}
报告期 Reporting period: {notice.period_start} – {notice.period_end}
截止时间 Deadline: {_local_deadline(notice)}
数据中心 Facility: {facility.name} ({facility.code})

请通过以下链接或访问令牌填报。令牌仅供本数据中心使用，请妥善保管。
Please report through this link, or with the access token below. The token is for this
facility only; keep it safe.

  {public_url.rstrip("/")}/r/{token}

Access token: {token}

Command line / API: hashwatch submit {notice.ref} --token <token> --file report.json
"""
    return Message(
        notice_ref=notice.ref,
        facility_code=facility.code,
        kind="notice",
        to_address=facility.organization.contact_email,
        subject=f"{urgent}{notice.title} [{notice.ref}]",
        body=body,
    )


def reminder_message(notice: Notice, facility: Facility, now: dt.datetime) -> Message:
    """A reminder to a facility that has not reported (it carries no token)."""
    overdue = now > notice.deadline
    state_zh = "已逾期" if overdue else "尚未提交"
    state_en = "is overdue" if overdue else "has not been submitted yet"
    body = f"""提醒 Reminder: {notice.title} [{notice.ref}]

{facility.name} ({facility.code}) 的报告{state_zh}。
The report of {facility.name} ({facility.code}) {state_en}.
截止时间 Deadline: {_local_deadline(notice)}

请使用通知中的链接填报；如链接遗失，请联系发文单位重新发送。
Please report through the link in the notice; if it is lost, ask {notice.issuer} to resend it.
"""
    return Message(
        notice_ref=notice.ref,
        facility_code=facility.code,
        kind="reminder",
        to_address=facility.organization.contact_email,
        subject=f"提醒 Reminder: {notice.title} [{notice.ref}]",
        body=body,
    )
