"""A notice link opened while someone else is signed in asks before switching sessions."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from hashwatch.services import accounts
from hashwatch.store.engine import Database
from hashwatch.web.app import create_app
from hashwatch.web.cookies import SESSION_COOKIE
from hashwatch.web.security import TokenLinkLogFilter, redact_token_links
from tests.web.api.world import (
    ANALYST,
    PASSWORD,
    USCC_A,
    TestClient,
    World,
    build_world,
    settings_for,
)
from tests.web.pages.reporter_world import hidden

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def world(db: Database, tmp_path: Path) -> World:
    return build_world(db, settings_for(tmp_path), submit=False)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings, world.db)) as test_client:
        yield test_client


def _as_regulator(client: TestClient, world: World) -> accounts.SessionInfo:
    info = accounts.login(world.db, ANALYST, PASSWORD)
    client.cookies.set(SESSION_COOKIE, info.session_id)
    return info


def _confirmation(client: TestClient, world: World, code: str) -> str:
    answer = client.get(f"/r/{world.tokens[code]}", headers=ENGLISH, follow_redirects=False)
    assert answer.status_code == 200, answer.text
    assert "set-cookie" not in answer.headers  # nothing changes before the POST
    return html.unescape(answer.text)


def test_a_regulator_is_asked_and_only_the_post_switches(world: World, client: TestClient) -> None:
    regulator = _as_regulator(client, world)
    page = _confirmation(client, world, "A-DC-2")
    assert "Switch to this notice link?" in page
    assert "signed in as the regulator's user analyst" in page
    assert "facility A-DC-2 (Alpha Second Site) for notice BJ-2021-04" in page
    assert 'action="/r"' in page
    assert accounts.resolve_session(world.db, regulator.session_id) is not None
    assert client.get("/notices", follow_redirects=False).status_code == 200  # still staff

    switched = client.post(
        "/r",
        data={"token": hidden(page, "token"), "csrf_token": hidden(page, "csrf_token")},
        follow_redirects=False,
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/report"  # the token stays out of the address
    assert accounts.resolve_session(world.db, regulator.session_id) is None
    report = client.get("/report", headers=ENGLISH)
    assert report.status_code == 200
    assert "Alpha Second Site" in report.text
    assert client.get("/notices", follow_redirects=False).status_code == 403


def test_switching_needs_the_current_sessions_csrf_token(world: World, client: TestClient) -> None:
    regulator = _as_regulator(client, world)
    token = world.tokens["A-DC-2"]
    for form in ({"token": token}, {"token": token, "csrf_token": "forged"}):
        refused = client.post("/r", data=form, follow_redirects=False)
        assert refused.status_code == 403
        assert "set-cookie" not in refused.headers
    assert accounts.resolve_session(world.db, regulator.session_id) is not None


def test_the_same_recipient_just_goes_on(world: World, client: TestClient) -> None:
    csrf = world.recipient_session(client, "A-DC-1")["X-CSRF-Token"]
    session_id = client.cookies[SESSION_COOKIE]
    answer = client.get(f"/r/{world.tokens['A-DC-1']}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/report"
    assert "set-cookie" not in answer.headers
    resolved = accounts.resolve_session(world.db, session_id)
    assert resolved is not None
    assert resolved.csrf_token == csrf


def test_another_recipient_or_an_organization_is_asked_too(
    world: World, client: TestClient
) -> None:
    world.recipient_session(client, "A-DC-1")
    page = _confirmation(client, world, "A-DC-2")
    assert "signed in as the report of facility A-DC-1" in page
    world.organization_session(client, world.api_token_a)
    page = _confirmation(client, world, "A-DC-2")
    assert f"signed in as organization {USCC_A} (all its facilities)" in page
    assert 'href="/org"' in page  # the way back, staying signed in


def test_a_bad_link_leaves_the_current_session_alone(world: World, client: TestClient) -> None:
    regulator = _as_regulator(client, world)
    answer = client.get("/r/not-a-token", headers=ENGLISH, follow_redirects=False)
    assert answer.status_code == 403
    assert "This notice link does not work" in answer.text
    refused = client.post(
        "/r",
        data={"token": "not-a-token", "csrf_token": regulator.csrf_token},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert accounts.resolve_session(world.db, regulator.session_id) is not None


def test_notice_link_tokens_are_masked_in_logs() -> None:
    assert redact_token_links("GET /r/abc-DEF_123?x=1 HTTP/1.1") == "GET /r/[token]?x=1 HTTP/1.1"
    assert redact_token_links("/report/receipt/1") == "/report/receipt/1"
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "%s %s", ("GET", "/r/secret"), None
    )
    assert TokenLinkLogFilter().filter(record)
    assert record.getMessage() == "GET /r/[token]"
