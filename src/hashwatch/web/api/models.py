"""Request and response bodies of the JSON API (they make ``/openapi.json`` complete)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hashwatch.reporting.rules import RuleSettings
from hashwatch.services.delivery import DeliveryReport


def _refuse_nul(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_nul(item)


class Model(BaseModel):
    """A body of the API: unknown fields and NUL characters are refused."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        _refuse_nul(data)
        return data


class Problem(BaseModel):
    """One problem among several (a row of a file, a finding, a request field)."""

    model_config = ConfigDict(extra="allow")


class ErrorBody(Model):
    """Every 4xx and 5xx answer: what went wrong, and where."""

    detail: str = Field(description="What went wrong, for a person to read.")
    code: str = Field(description="The kind of failure (InputError, NotFoundError, http.401…).")
    field: str | None = Field(None, description="The field, column or header at fault.")
    row: int | None = Field(None, description="The file row at fault (header = row 1).")
    problems: list[Problem] | None = Field(None, description="Every problem found.")


# --- sessions and the caller --------------------------------------------------------------


class LoginIn(Model):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class SessionOut(Model):
    kind: str = Field(description="user, recipient or organization.")
    name: str
    role: str | None
    csrf_token: str = Field(description="Send it as X-CSRF-Token with every unsafe request.")
    expires_at: dt.datetime


class MyRecipient(Model):
    """A notice/facility pair the caller may act for."""

    notice_ref: str
    notice_title: str
    notice_state: str
    deadline: dt.datetime
    facility_code: str
    facility_name: str
    status: str
    latest_version: int | None


class MeOut(Model):
    kind: str = Field(description="user (regulator staff), recipient or organization.")
    name: str
    role: str | None
    recipients: list[MyRecipient] = Field(description="What an entity may act for.")


# --- registry -----------------------------------------------------------------------------


class FacilityOut(Model):
    facility_code: str
    facility_name: str
    district_code: str
    district_name: str | None
    address: str | None
    organization_uscc: str
    organization_name: str
    organization_kind: str
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    latitude: float | None
    longitude: float | None
    rated_it_capacity_kw: float | None
    contracted_grid_capacity_kw: float | None
    meter_ids: list[str]
    ip_ranges: list[str]


class ChangeCountsOut(Model):
    created: int
    updated: int
    unchanged: int


class RowErrorOut(Model):
    row: int
    field: str | None
    message: str
    value: str | None


class ImportOut(Model):
    file: str
    rows: int
    organizations: ChangeCountsOut
    facilities: ChangeCountsOut
    notes: list[str]
    dry_run: bool


# --- notices ------------------------------------------------------------------------------


class NoticeIn(Model):
    ref: str = Field(min_length=1, max_length=64, description="Reference number.")
    title: str = Field(min_length=1, max_length=300)
    legal_basis: str = Field(min_length=1, max_length=2000)
    issuer: str = Field(min_length=1, max_length=200)
    period_start: dt.date
    period_end: dt.date
    deadline: dt.datetime = Field(description="With a time zone offset.")
    timezone: str = Field("Asia/Shanghai", max_length=64, description="IANA time zone.")
    urgent: bool = False
    rule_settings: RuleSettings | None = Field(
        None, description="Validation tolerances of this notice (default: the defaults)."
    )


class NoticeOut(Model):
    ref: str
    title: str
    legal_basis: str
    issuer: str
    period_start: dt.date
    period_end: dt.date
    deadline: dt.datetime
    timezone: str
    urgent: bool
    state: Literal["draft", "issued", "closed"]
    questionnaire_version: str | None
    rule_settings: RuleSettings
    issued_at: dt.datetime | None
    closed_at: dt.datetime | None
    recipients: int | None = None


class RecipientsIn(Model):
    """Which facilities to add: any combination."""

    facility_codes: list[str] = Field(default_factory=list, max_length=10000)
    organization_uscc: str | None = Field(None, max_length=18)
    district: str | None = Field(None, max_length=64, description="Code, Chinese or Pinyin.")
    all: bool = Field(False, description="Every facility of the registry.")


class DeliveryOut(Model):
    sent_by_smtp: int
    written_to_outbox: int
    missing_address: list[str] = Field(description="Facilities whose organization has no e-mail.")
    smtp_failed: list[str] = Field(description="Facilities whose mail the SMTP server refused.")
    smtp_error: str | None

    @classmethod
    def of(cls, report: DeliveryReport) -> DeliveryOut:
        return cls(
            sent_by_smtp=report.sent_by_smtp,
            written_to_outbox=report.written_to_outbox,
            missing_address=list(report.missing_address),
            smtp_failed=list(report.smtp_failed),
            smtp_error=report.smtp_error,
        )


class AddRecipientsOut(Model):
    notice_ref: str
    added: int
    already_recipients: int
    delivery: DeliveryOut | None


class IssueOut(Model):
    notice_ref: str
    recipients: int
    delivery: DeliveryOut


class StatusRow(Model):
    facility_code: str
    facility_name: str
    organization_name: str
    organization_uscc: str
    district_code: str
    status: str
    opened_at: dt.datetime | None
    version: int | None
    received_at: dt.datetime | None
    late: bool | None
    review_state: str | None
    involved_in_mining: bool | None
    facility_electricity_kwh: float | None
    mining_electricity_kwh: float | None
    mining_share_pct: float | None
    warnings: int | None
    reminders: int


class StatusSummary(Model):
    expected_reports: int
    actual_reports: int
    actual_reports_on_time: int
    reporting_rate_pct: float | None
    reporting_rate_on_time_pct: float | None
    facilities_involved_in_mining: int
    reported_facility_electricity_kwh: float
    reported_mining_electricity_kwh: float
    reported_mining_share_pct: float | None


class StatusOut(Model):
    notice: NoticeOut
    rows: list[StatusRow]
    counts: dict[str, int] = Field(description="Recipients by status.")
    summary: StatusSummary


# --- reports ------------------------------------------------------------------------------


class FindingOut(Model):
    code: str
    severity: Literal["error", "warning"]
    message: str
    field: str | None
    data: dict[str, Any]
    explanation: str | None = None


class FindingsOut(Model):
    accepted: bool = Field(description="No errors and every warning explained.")
    findings: list[FindingOut]


class ReceiptOut(Model):
    notice_ref: str
    facility_code: str
    version: int
    received_at: dt.datetime
    record_sha256: str = Field(description="SHA-256 of the copy of record.")
    late: bool
    warnings: int
    replayed: bool = Field(description="True when an Idempotency-Key retry got this receipt.")


class ReviewNote(Model):
    action: Literal["return", "accept"]
    comment: str | None
    at: dt.datetime


class VersionOut(Model):
    version: int
    received_at: dt.datetime
    late: bool
    review_state: str
    record_sha256: str
    warnings: int
    reviews: list[ReviewNote]


class VersionDetail(VersionOut):
    notice_ref: str
    facility_code: str
    report: dict[str, Any] = Field(description="The normalised report.")
    findings: list[FindingOut]


class ReviewIn(Model):
    comment: str | None = Field(None, max_length=4000)
    version: int | None = Field(None, ge=1, description="Refuse if this is not the newest.")


class ReviewOut(Model):
    notice_ref: str
    facility_code: str
    version: int
    review_state: str
    recipient_state: str
    comment: str | None


class Change(Model):
    field: str = Field(
        description="Dotted path in the report (coins.0.hashrate_ths); a line's path is in the "
        "newer version, a removed line's in the older."
    )
    change: Literal["added", "removed", "changed"]
    before: Any = Field(description="The value before; a removed line's whole line.")
    after: Any = Field(description="The value after; an added line's whole line.")
    line: str | None = Field(
        description="The coin or equipment line the change is in (BTC SHA-256, Antminer S19 "
        "Pro); lines are matched by coin and algorithm, and by model, not by position."
    )


class DiffOut(Model):
    notice_ref: str
    facility_code: str
    from_version: int
    to_version: int
    changes: list[Change]


# --- audit --------------------------------------------------------------------------------


class AuditEntryOut(Model):
    id: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: str | None = Field(description="Canonical JSON of the object before.")
    after: str | None
    row_sha256: str


class ChainOut(Model):
    rows_checked: int
    ok: bool
    bad_row_id: int | None
    problem: str | None
