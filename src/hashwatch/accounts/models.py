"""Tables of regulator users, web sessions and organization-scoped API tokens.

Secrets are never stored: passwords as argon2 hashes, session ids and API tokens as SHA-256.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hashwatch.reporting.models import Base, Organization, Recipient, enum_column
from hashwatch.store.types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"


class User(Base):
    """A member of the regulator's staff."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """Failed sign-ins of one user from one client address (the lockout's counter).

    Keyed on the address too: failures from one place lock the user out from that place
    only, so whoever knows a user name cannot keep that user out from everywhere.
    """

    __tablename__ = "login_failures"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    client_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SessionKind(enum.StrEnum):
    USER = "user"
    RECIPIENT = "recipient"
    ORGANIZATION = "organization"


class WebSession(Base):
    """A signed-in browser: a regulator user, a recipient who came through its notice link, or
    an organization that signed in with its API token (bulk upload for many sites)."""

    __tablename__ = "web_sessions"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[SessionKind] = mapped_column(enum_column(SessionKind))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipients.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

    user: Mapped[User | None] = relationship()
    recipient: Mapped[Recipient | None] = relationship()
    organization: Mapped[Organization | None] = relationship()


class ApiToken(Base):
    """A token that lets an organization's systems use the API for its own facilities."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship()
