"""Accounts: organization sessions from API tokens, recipient-token principals, sessions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import update

from hashwatch.errors import PermissionDeniedError
from hashwatch.reporting.models import Recipient
from hashwatch.services import accounts, api_tokens, notices
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow
from tests.web.api.world import PASSWORD, REF, USCC_A, World, build_world, settings_for


@pytest.fixture
def world(db: Database, tmp_path: Path) -> World:
    return build_world(db, settings_for(tmp_path), submit=False)


def test_an_api_token_opens_an_organization_session(world: World) -> None:
    info = api_tokens.enter_with_api_token(world.db, world.api_token_a)
    assert info.principal.kind == "organization"
    resolved = accounts.resolve_session(world.db, info.session_id)
    assert resolved is not None
    assert resolved.principal == info.principal
    assert len(resolved.principal.facility_ids) == 2
    assert resolved.csrf_token == info.csrf_token
    later = utcnow() + accounts.ORGANIZATION_SESSION_TTL + dt.timedelta(seconds=1)
    assert accounts.resolve_session(world.db, info.session_id, now=later) is None
    accounts.end_session(world.db, info.session_id)
    assert accounts.resolve_session(world.db, info.session_id) is None


def test_a_revoked_or_unknown_api_token_opens_nothing(world: World) -> None:
    with pytest.raises(PermissionDeniedError):
        api_tokens.enter_with_api_token(world.db, "hwt_forged")
    token_id = api_tokens.list_api_tokens(world.db)[0]["id"]
    api_tokens.revoke_api_token(world.db, token_id, actor="test")
    with pytest.raises(PermissionDeniedError):
        api_tokens.enter_with_api_token(world.db, world.api_token_a)
    with pytest.raises(PermissionDeniedError):
        api_tokens.api_token_principal(world.db, world.api_token_a)


def test_recipient_token_principal(world: World) -> None:
    principal = accounts.recipient_token_principal(world.db, world.tokens["A-DC-1"])
    assert principal.kind == "recipient"
    assert principal.name == "recipient:A-DC-1"
    with pytest.raises(PermissionDeniedError):
        accounts.recipient_token_principal(world.db, "forged")
    notices.close_notice(world.db, REF, actor="test")  # still identifies, to read receipts
    assert accounts.recipient_token_principal(world.db, world.tokens["A-DC-1"]) == principal
    with world.db.transaction() as session:
        session.execute(update(Recipient).values(token_expires_at=utcnow()))
    with pytest.raises(PermissionDeniedError, match="expired"):
        accounts.recipient_token_principal(world.db, world.tokens["A-DC-1"])


def test_user_and_recipient_sessions_resolve(world: World) -> None:
    user = accounts.login(world.db, "analyst", PASSWORD)
    resolved = accounts.resolve_session(world.db, user.session_id)
    assert resolved is not None
    assert resolved.principal.is_regulator
    recipient = accounts.enter_with_token(world.db, world.tokens["B-DC-1"])
    resolved = accounts.resolve_session(world.db, recipient.session_id)
    assert resolved is not None
    assert resolved.principal.name == "recipient:B-DC-1"
    assert accounts.resolve_session(world.db, "unknown") is None


def test_revoking_an_api_token_ends_its_browser_sessions(world: World) -> None:
    info = api_tokens.enter_with_api_token(world.db, world.api_token_a)
    token_id = next(
        t["id"] for t in api_tokens.list_api_tokens(world.db) if t["organization_uscc"] == USCC_A
    )
    api_tokens.revoke_api_token(world.db, token_id, actor="test")
    assert accounts.resolve_session(world.db, info.session_id) is None


def test_resending_a_token_ends_sessions_opened_with_the_old_link(
    world: World, tmp_path: Path
) -> None:
    info = accounts.enter_with_token(world.db, world.tokens["A-DC-1"])
    assert accounts.resolve_session(world.db, info.session_id) is not None
    notices.resend_token(world.db, REF, "A-DC-1", actor="test", settings=world.settings)
    assert accounts.resolve_session(world.db, info.session_id) is None


def test_an_unknown_user_costs_a_password_check_like_a_known_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    verify = accounts._verify

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return verify(password_hash, password)

    monkeypatch.setattr(accounts, "_verify", spy)
    with pytest.raises(PermissionDeniedError):
        accounts.login(world.db, "nobody-here", PASSWORD, client_address="192.0.2.1")
    # an argon2id hash made on first use (not at import, which every command would pay)
    assert len(checked) == 1
    assert checked[0].startswith("$argon2id$")
    assert checked[0] == accounts._dummy_hash()


def test_the_web_app_makes_the_unknown_users_hash_when_it_starts(tmp_path: Path) -> None:
    from hashwatch.web.app import create_app

    accounts._dummy_hash.cache_clear()
    create_app(settings_for(tmp_path))
    assert accounts._dummy_hash.cache_info().currsize == 1
