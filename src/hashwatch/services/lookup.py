"""Finding notices and recipients: by reference, by facility code, by access token, or for
a principal (a recipient session or an organization's API token).

A :class:`RecipientLocator` finds the recipient a caller acts for inside the caller's
transaction; the filing, draft and receipt services take one, so the same code serves the
CLI (token), the web pages (session) and the API (token or API key). Another entity's
facility is always reported as not found.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Protocol

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, joinedload

from hashwatch.accounts.principal import Principal
from hashwatch.errors import NotFoundError, PermissionDeniedError
from hashwatch.reporting.canonical import sha256_hex
from hashwatch.reporting.models import Facility, Notice, NoticeState, Recipient
from hashwatch.store.types import utcnow


def hash_token(token: str) -> str:
    """The stored form of an access token."""
    return sha256_hex(token)


def get_notice(session: Session, ref: str, *, lock: bool = False) -> Notice:
    """The notice with this reference number, or :class:`NotFoundError`."""
    stmt = select(Notice).where(Notice.ref == ref)
    if lock:
        stmt = stmt.with_for_update()
    notice = session.execute(stmt).scalar_one_or_none()
    if notice is None:
        raise NotFoundError(f"no notice with reference {ref!r}", field="notice_ref")
    return notice


def _load_recipient(
    session: Session, *conditions: ColumnElement[bool], for_update: bool
) -> Recipient | None:
    """One recipient with its notice, facility and organization loaded (row-locked if asked)."""
    stmt = (
        select(Recipient)
        .where(*conditions)
        .options(
            joinedload(Recipient.notice),
            joinedload(Recipient.facility).joinedload(Facility.organization),
        )
    )
    if for_update:
        stmt = stmt.with_for_update(of=Recipient)
    return session.execute(stmt).scalar_one_or_none()


def recipient_by_code(
    session: Session, notice: Notice, facility_code: str, *, for_update: bool = False
) -> Recipient:
    """A notice's recipient by facility code, or :class:`NotFoundError`."""
    recipient = _load_recipient(
        session,
        Recipient.notice_id == notice.id,
        Recipient.facility_id.in_(select(Facility.id).where(Facility.code == facility_code)),
        for_update=for_update,
    )
    if recipient is None:
        raise NotFoundError(
            f"facility {facility_code!r} is not a recipient of notice {notice.ref!r}",
            field="facility_code",
        )
    return recipient


def recipient_for_token(
    session: Session,
    token: str,
    *,
    now: dt.datetime | None = None,
    for_update: bool = False,
    allow_closed: bool = False,
    notice_ref: str | None = None,
) -> Recipient:
    """The recipient a token belongs to, refusing unknown and expired tokens.

    Tokens of a closed notice are refused too, unless ``allow_closed`` (reading receipts);
    with ``notice_ref`` the token must belong to that notice.
    """
    recipient = _load_recipient(
        session, Recipient.token_sha256 == hash_token(token.strip()), for_update=for_update
    )
    if recipient is None:
        raise PermissionDeniedError("the access token is not valid", field="token")
    if notice_ref is not None and recipient.notice.ref != notice_ref:
        raise PermissionDeniedError(
            f"the access token is not for notice {notice_ref!r}", field="token"
        )
    moment = now or utcnow()
    if recipient.token_expires_at is not None and moment > recipient.token_expires_at:
        raise PermissionDeniedError(
            f"the access token expired at {recipient.token_expires_at.isoformat()}",
            field="token",
        )
    if recipient.notice.state is NoticeState.CLOSED and not allow_closed:
        raise PermissionDeniedError(
            f"notice {recipient.notice.ref!r} is closed: it takes no more reports",
            field="notice_ref",
        )
    return recipient


def recipient_for_principal(
    session: Session,
    principal: Principal,
    notice_ref: str,
    facility_code: str,
    *,
    now: dt.datetime | None = None,
    for_update: bool = False,
    allow_closed: bool = False,
) -> Recipient:
    """The recipient row a principal may act for; another entity's is reported not found."""
    del now  # sessions and API tokens carry their own expiry
    # one query for the recipient with its notice, facility and organization; the notice is
    # looked up alone only to name what is missing
    recipient = _load_recipient(
        session,
        Recipient.notice_id.in_(select(Notice.id).where(Notice.ref == notice_ref)),
        Recipient.facility_id.in_(select(Facility.id).where(Facility.code == facility_code)),
        for_update=for_update,
    )
    if recipient is None:
        notice = get_notice(session, notice_ref)
        raise NotFoundError(
            f"facility {facility_code!r} is not a recipient of notice {notice.ref!r}",
            field="facility_code",
        )
    notice = recipient.notice
    if not principal.may_act_for_recipient(recipient.id, recipient.facility_id):
        raise NotFoundError(
            f"facility {facility_code!r} is not a recipient of notice {notice_ref!r}",
            field="facility_code",
        )
    if notice.state is NoticeState.CLOSED and not allow_closed:
        raise PermissionDeniedError(
            f"notice {notice.ref!r} is closed: it takes no more reports", field="notice_ref"
        )
    return recipient


class RecipientLocator(Protocol):
    """Finds the recipient a caller acts for, inside the caller's transaction."""

    def __call__(
        self,
        session: Session,
        *,
        now: dt.datetime | None = None,
        for_update: bool = False,
        allow_closed: bool = False,
    ) -> Recipient: ...


def by_token(token: str, notice_ref: str | None = None) -> RecipientLocator:
    """Locate by a recipient's access token (optionally checking its notice)."""
    return functools.partial(recipient_for_token, token=token, notice_ref=notice_ref)


def by_principal(principal: Principal, notice_ref: str, facility_code: str) -> RecipientLocator:
    """Locate by notice and facility, for a principal allowed to act for that facility."""
    return functools.partial(
        recipient_for_principal,
        principal=principal,
        notice_ref=notice_ref,
        facility_code=facility_code,
    )
