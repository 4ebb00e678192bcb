"""Tables of the reporting core (SQLAlchemy 2 declarative models).

Names follow docs/glossary.md. Times are timezone-aware UTC (:class:`UTCDateTime`); JSON that
is hashed (copies of record, audit before/after) is kept as canonical JSON text so that it
reads back byte for byte on every backend.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from hashwatch.store.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def enum_column(cls: type[enum.Enum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class OrganizationKind(enum.StrEnum):
    TELECOM = "telecom"
    COLOCATION = "colocation"
    CLOUD = "cloud"
    ENTERPRISE = "enterprise"
    OTHER = "other"


class NoticeState(enum.StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    CLOSED = "closed"


class RecipientState(enum.StrEnum):
    """What a recipient has done; ``overdue`` is derived from the deadline, never stored."""

    NOT_OPENED = "not_opened"
    OPENED = "opened"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"


class ReviewState(enum.StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganizationKind] = mapped_column(enum_column(OrganizationKind))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    facilities: Mapped[list[Facility]] = relationship(back_populates="organization")


class Facility(Base):
    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    district_code: Mapped[str] = mapped_column(String(12), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    rated_it_capacity_kw: Mapped[float | None] = mapped_column(Float)
    contracted_grid_capacity_kw: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="facilities")
    meters: Mapped[list[FacilityMeter]] = relationship(
        back_populates="facility", cascade="all, delete-orphan", order_by="FacilityMeter.meter_id"
    )
    ip_ranges: Mapped[list[FacilityIpRange]] = relationship(
        back_populates="facility", cascade="all, delete-orphan", order_by="FacilityIpRange.cidr"
    )


class FacilityMeter(Base):
    """A utility meter serving a facility; a meter belongs to one facility only."""

    __tablename__ = "facility_meters"

    meter_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)

    facility: Mapped[Facility] = relationship(back_populates="meters")


class FacilityIpRange(Base):
    """An IP range (CIDR) announced by or assigned to a facility."""

    __tablename__ = "facility_ip_ranges"
    __table_args__ = (UniqueConstraint("facility_id", "cidr"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    cidr: Mapped[str] = mapped_column(String(64))

    facility: Mapped[Facility] = relationship(back_populates="ip_ranges")


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    legal_basis: Mapped[str] = mapped_column(Text)
    issuer: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[NoticeState] = mapped_column(enum_column(NoticeState), default=NoticeState.DRAFT)
    questionnaire_version: Mapped[str | None] = mapped_column(String(32))
    # The validation tolerances of this notice (RuleSettings as JSON), frozen at issue.
    rule_settings_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    recipients: Mapped[list[Recipient]] = relationship(back_populates="notice")


class Recipient(Base):
    """A facility asked to report under a notice, with the hash of its access token."""

    __tablename__ = "recipients"
    __table_args__ = (UniqueConstraint("notice_id", "facility_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    state: Mapped[RecipientState] = mapped_column(
        enum_column(RecipientState), default=RecipientState.NOT_OPENED
    )
    token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminder_count: Mapped[int] = mapped_column(Integer, default=0)
    draft_json: Mapped[str | None] = mapped_column(Text)

    notice: Mapped[Notice] = relationship(back_populates="recipients")
    facility: Mapped[Facility] = relationship()
    submissions: Mapped[list[Submission]] = relationship(
        back_populates="recipient", order_by="Submission.version"
    )


class Submission(Base):
    """One version of a recipient's report. Versions are never changed or deleted."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("recipient_id", "version"),
        UniqueConstraint("recipient_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str] = mapped_column(String(200))
    report_json: Mapped[str] = mapped_column(Text)
    findings_json: Mapped[str] = mapped_column(Text)
    record_json: Mapped[str] = mapped_column(Text)
    record_sha256: Mapped[str] = mapped_column(String(64))
    review_state: Mapped[ReviewState] = mapped_column(
        enum_column(ReviewState), default=ReviewState.SUBMITTED
    )
    # Denormalised figures of the normalised report, for fast aggregation.
    involved_in_mining: Mapped[bool] = mapped_column(Boolean)
    facility_electricity_kwh: Mapped[float | None] = mapped_column(Float)
    mining_electricity_kwh: Mapped[float | None] = mapped_column(Float)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)

    recipient: Mapped[Recipient] = relationship(back_populates="submissions")
    reviews: Mapped[list[Review]] = relationship(back_populates="submission", order_by="Review.id")


class ReviewAction(enum.StrEnum):
    RETURN = "return"
    ACCEPT = "accept"


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    action: Mapped[ReviewAction] = mapped_column(enum_column(ReviewAction))
    comment: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="reviews")


class AuditEntry(Base):
    """One row of the hash-chained audit log. Rows are only ever appended."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(128))
    before_json: Mapped[str | None] = mapped_column(Text)
    after_json: Mapped[str | None] = mapped_column(Text)
    prev_sha256: Mapped[str] = mapped_column(String(64))
    row_sha256: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """A single row holding the newest audit hash; appenders lock it to keep the chain linear."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_sha256: Mapped[str] = mapped_column(String(64))
