"""Signing in and out, cookies, CSRF, the login limiter, and who the caller is."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from hashwatch.reporting.models import Recipient
from hashwatch.services import notices
from hashwatch.web.api.session import LoginLimiter
from hashwatch.web.app import create_app
from hashwatch.web.cookies import SECURE_SESSION_COOKIE, SESSION_COOKIE
from tests.web.api.world import PASSWORD, REF, TestClient, World, example


def _login(client: TestClient, **headers: str) -> object:
    body = {"username": "analyst", "password": PASSWORD}
    return client.post("/api/v1/session", json=body, headers=headers)


def test_login_sets_a_safe_cookie_and_returns_the_csrf_token(client: TestClient) -> None:
    answer = client.post("/api/v1/session", json={"username": "analyst", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert body["kind"] == "user"
    assert body["role"] == "analyst"
    assert len(body["csrf_token"]) > 20
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    assert client.get("/api/v1/me").json()["name"] == "analyst"


def test_an_https_public_url_makes_the_cookie_secure_behind_a_plain_http_proxy(
    world: World,
) -> None:
    """The TLS proxy forwards plain HTTP: the public URL, not the scheme, decides."""
    settings = world.settings.model_copy(update={"public_url": "https://hashwatch.example.cn"})
    with TestClient(create_app(settings, world.db), base_url="http://10.0.0.5:8000") as c:
        answer = c.post("/api/v1/session", json={"username": "analyst", "password": PASSWORD})
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{SECURE_SESSION_COOKIE}=")
        assert "Secure" in cookie
        assert "Path=/" in cookie
        assert "domain" not in cookie.lower()
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
        logout = c.delete(
            "/api/v1/session",
            headers={
                "Cookie": f"{SECURE_SESSION_COOKIE}={answer.cookies[SECURE_SESSION_COOKIE]}",
                "X-CSRF-Token": answer.json()["csrf_token"],
            },
        )
        assert logout.status_code == 204  # the __Host- cookie is the one read
        cleared = logout.headers["set-cookie"]
        assert cleared.startswith(f"{SECURE_SESSION_COOKIE}=")
        assert "Secure" in cleared
        plain = c.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}=anything"})
        assert plain.status_code == 401  # the plain name is not read over HTTPS


def test_plain_http_development_keeps_plain_cookies_and_no_hsts(world: World) -> None:
    with TestClient(create_app(world.settings, world.db), base_url="https://testserver") as c:
        answer = c.post("/api/v1/session", json={"username": "analyst", "password": PASSWORD})
        assert answer.headers["set-cookie"].startswith(f"{SESSION_COOKIE}=")
        assert "Secure" not in answer.headers["set-cookie"]  # the request's scheme is ignored
        assert "strict-transport-security" not in answer.headers


def test_secure_cookies_may_be_set_without_an_https_public_url(world: World) -> None:
    settings = world.settings.model_copy(update={"secure_cookies": True})
    with TestClient(create_app(settings, world.db)) as c:
        answer = c.get("/healthz")
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
    assert not world.settings.model_copy(
        update={"public_url": "https://x.example", "secure_cookies": False}
    ).serves_https


def test_a_wrong_password_is_refused(client: TestClient) -> None:
    answer = client.post("/api/v1/session", json={"username": "analyst", "password": "nope"})
    assert answer.status_code == 403
    assert answer.json()["detail"] == "wrong user name or password"
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_a_cross_site_login_is_refused(client: TestClient) -> None:
    body = {"username": "analyst", "password": PASSWORD}
    evil = client.post("/api/v1/session", json=body, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert evil.json()["field"] == "origin"
    fetch = client.post("/api/v1/session", json=body, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch.status_code == 403
    same = client.post("/api/v1/session", json=body, headers={"Origin": "http://testserver"})
    assert same.status_code == 200


def test_too_many_logins_from_one_address_get_429(client: TestClient) -> None:
    client.app.state.login_limiter = LoginLimiter(attempts=3, window_s=60)  # type: ignore[attr-defined]
    body = {"username": "nobody", "password": "whatever"}
    codes = [client.post("/api/v1/session", json=body).status_code for _ in range(4)]
    assert codes == [403, 403, 403, 429]
    answer = client.post("/api/v1/session", json=body)
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["retry-after"]) <= 60


def test_the_limiter_window_slides() -> None:
    limiter = LoginLimiter(attempts=2, window_s=10)
    assert limiter.retry_after_s("x", now=0) is None
    assert limiter.retry_after_s("x", now=1) is None
    assert limiter.retry_after_s("x", now=2) == 8
    assert limiter.retry_after_s("y", now=2) is None
    assert limiter.retry_after_s("x", now=10.5) is None


def test_unsafe_requests_with_the_cookie_need_the_csrf_token(
    world: World, client: TestClient
) -> None:
    csrf = world.session(client)
    assert client.post("/api/v1/audit/verify").status_code == 403
    wrong = client.post("/api/v1/audit/verify", headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    assert wrong.json()["field"] == "csrf_token"
    assert client.post("/api/v1/audit/verify", headers=csrf).status_code == 200
    assert client.get("/api/v1/audit").status_code == 200  # safe methods need none


def test_the_csrf_token_may_come_as_a_form_field(world: World, client: TestClient) -> None:
    csrf = world.session(client)
    files = {"file": ("r.csv", b"facility_code\n", "text/csv")}
    refused = client.post("/api/v1/registry/imports?dry_run=true", files=files)
    assert refused.status_code == 403
    accepted = client.post(
        "/api/v1/registry/imports?dry_run=true",
        files=files,
        data={"csrf_token": csrf["X-CSRF-Token"]},
    )
    assert accepted.status_code != 403, accepted.text


def test_bearer_requests_need_no_csrf_token(world: World, client: TestClient) -> None:
    answer = client.put(
        f"/api/v1/notices/{REF}/facilities/B-DC-1/draft",
        json=example("nil-return.json"),
        headers={"Authorization": f"Bearer {world.api_token_b}"},
    )
    assert answer.status_code == 200


def test_logout_ends_the_session(world: World, client: TestClient) -> None:
    csrf = world.session(client)
    assert client.delete("/api/v1/session").status_code == 403  # no CSRF token
    answer = client.delete("/api/v1/session", headers=csrf)
    assert answer.status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_unauthenticated_and_other_schemes_get_401(client: TestClient) -> None:
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/me", headers={"Authorization": "Basic eDp5"}).status_code == 401


def test_me_for_each_kind_of_caller(world: World, client: TestClient) -> None:
    org = client.get("/api/v1/me", headers={"Authorization": f"Bearer {world.api_token_a}"})
    assert org.json()["kind"] == "organization"
    assert [r["facility_code"] for r in org.json()["recipients"]] == ["A-DC-1", "A-DC-2"]
    assert org.json()["recipients"][0]["latest_version"] == 1
    token = world.tokens["A-DC-2"]
    one = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert one["kind"] == "recipient"
    assert [r["facility_code"] for r in one["recipients"]] == ["A-DC-2"]
    assert one["recipients"][0]["status"] == "overdue"
    world.organization_session(client, world.api_token_a)
    assert client.get("/api/v1/me").json()["kind"] == "organization"


def test_a_wrong_or_expired_recipient_token_is_refused(world: World, client: TestClient) -> None:
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 403
    with world.db.transaction() as session:
        session.execute(
            update(Recipient).values(token_expires_at=dt.datetime(2022, 1, 1, tzinfo=dt.UTC))
        )
    answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {world.tokens['A-DC-1']}"})
    assert answer.status_code == 403
    assert "expired" in answer.json()["detail"]


def test_a_closed_notice_token_reads_receipts_but_files_nothing(
    world: World, client: TestClient
) -> None:
    notices.close_notice(world.db, REF, actor="test")
    auth = {"Authorization": f"Bearer {world.tokens['A-DC-1']}"}
    base = f"/api/v1/notices/{REF}/facilities/A-DC-1"
    assert client.get(f"{base}/receipt", headers=auth).status_code == 200
    filed = client.post(f"{base}/submissions", json=example("nil-return.json"), headers=auth)
    assert filed.status_code == 403
    assert "closed" in filed.json()["detail"]
