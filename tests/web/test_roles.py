"""Admins and analysts: which regulator actions are admin-only, on the API and the pages.

The rule (docs/web-regulator.md): admins import the registry and run a notice's life cycle
(create, add recipients, issue, resend a token, close); analysts read everything, review
(return, accept), remind and verify the audit chain. :data:`ADMIN_API` and
:data:`ADMIN_PAGES` enumerate the admin-only routes, and a test checks that they are exactly
the routes of the app that depend on :func:`hashwatch.web.deps.admin`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from hashwatch.services import accounts
from hashwatch.services.status import notice_status
from hashwatch.store.engine import Database
from hashwatch.web.app import create_app
from hashwatch.web.cookies import SESSION_COOKIE
from hashwatch.web.deps import ADMIN_ONLY, admin
from tests.web.api.world import (
    ADMIN,
    ANALYST,
    PASSWORD,
    REF,
    TestClient,
    World,
    build_world,
    settings_for,
)

NEW_REF = "BJ-2021-05"
NOTICE_JSON = {
    "ref": NEW_REF,
    "title": "May",
    "legal_basis": "law",
    "issuer": "bureau",
    "period_start": "2021-05-01",
    "period_end": "2021-05-31",
    "deadline": "2021-06-07T18:00:00+08:00",
}
NOTICE_FORM = {**NOTICE_JSON, "deadline": "2021-06-07T18:00", "timezone": "Asia/Shanghai"}
REGISTRY_CSV = (
    b"facility_code,facility_name,organization_uscc,organization_name,organization_kind,"
    b"district\nC-DC-1,Charlie One,91110105MA0000015F,Charlie Data,colocation,110105\n"
)
FILES = {"file": ("registry.csv", REGISTRY_CSV, "text/csv")}

#: (method, path) -> what an admin sends and the status that says it worked. In this order
#: every request succeeds for an admin (the new notice is created before it is issued).
ADMIN_API: dict[tuple[str, str], tuple[dict[str, Any], int]] = {
    ("POST", "/api/v1/registry/imports"): ({"files": FILES}, 200),
    ("POST", "/api/v1/notices"): ({"json": NOTICE_JSON}, 201),
    ("POST", "/api/v1/notices/{ref}/recipients"): ({"json": {"facility_codes": ["A-DC-1"]}}, 200),
    ("POST", "/api/v1/notices/{ref}/issue"): ({}, 200),
    ("POST", "/api/v1/notices/{ref}/recipients/{code}/token"): ({}, 200),
    ("POST", "/api/v1/notices/{ref}/close"): ({}, 200),
}
ADMIN_PAGES: dict[tuple[str, str], tuple[dict[str, Any], int]] = {
    ("GET", "/notices/new"): ({}, 200),
    ("POST", "/notices"): ({"data": NOTICE_FORM}, 303),
    ("POST", "/notices/{ref}/recipients"): ({"data": {"facility_codes": "A-DC-1"}}, 303),
    ("POST", "/notices/{ref}/issue"): ({}, 303),
    ("POST", "/notices/{ref}/facilities/{code}/token"): ({}, 303),
    ("POST", "/notices/{ref}/close"): ({}, 303),
    ("POST", "/registry/check"): ({"files": FILES}, 200),
    ("POST", "/registry/import"): ({"data": {"upload_id": "{upload_id}"}}, 303),
}
#: Notice actions on the new notice (draft until issued); the others on the issued REF.
ON_NEW_NOTICE = ("/recipients", "/issue")


def _depends_on_admin(dependant: Dependant) -> bool:
    return any(d.call is admin or _depends_on_admin(d) for d in dependant.dependencies)


def _routes(app: FastAPI) -> Iterator[APIRoute]:
    for route in app.routes:
        if isinstance(route, APIRoute):
            yield route
        for context in getattr(route, "effective_route_contexts", lambda: [])():
            if isinstance(context.original_route, APIRoute):
                yield context.original_route


def test_the_admin_only_routes_are_exactly_those_listed() -> None:
    app = create_app(settings_for(Path("unused")))
    found = {
        (method, route.path)
        for route in _routes(app)
        if _depends_on_admin(route.dependant)
        for method in route.methods or ()
    }
    assert found == set(ADMIN_API) | set(ADMIN_PAGES)


@pytest.fixture
def world(db: Database, tmp_path: Path) -> World:
    return build_world(db, settings_for(tmp_path))


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings, world.db)) as test_client:
        yield test_client


def sign_in_as(client: TestClient, world: World, username: str) -> str:
    """A regulator session cookie on ``client``; returns its CSRF token."""
    info = accounts.login(world.db, username, PASSWORD)
    client.cookies.set(SESSION_COOKIE, info.session_id)
    return info.csrf_token


def _url(path: str) -> str:
    ref = NEW_REF if path.endswith(ON_NEW_NOTICE) else REF
    return path.format(ref=ref, code="A-DC-2")


def _send(
    client: TestClient,
    method: str,
    path: str,
    spec: dict[str, Any],
    csrf: str,
    upload_id: str = "none",
) -> Any:
    data = {k: v.format(upload_id=upload_id) for k, v in spec.get("data", {}).items()}
    if method == "GET":
        return client.get(_url(path), headers={"accept": "text/html"}, follow_redirects=False)
    return client.request(
        method,
        _url(path),
        json=spec.get("json"),
        files=spec.get("files"),
        data={**data, "csrf_token": csrf} if not spec.get("json") else None,
        headers={"x-csrf-token": csrf, "accept": "text/html"},
        follow_redirects=False,
    )


def _nothing_changed(world: World) -> None:
    assert notice_status(world.db, REF).notice["state"] == "issued"
    with pytest.raises(Exception, match=NEW_REF):
        notice_status(world.db, NEW_REF)


def test_an_analyst_gets_403_on_each_admin_only_api_route(world: World, client: TestClient) -> None:
    csrf = sign_in_as(client, world, ANALYST)
    for (method, path), (spec, _) in ADMIN_API.items():
        answer = _send(client, method, path, spec, csrf)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["detail"] == ADMIN_ONLY  # JSON, whatever the Accept header
    _nothing_changed(world)


def test_an_analyst_gets_a_403_page_on_each_admin_only_page(
    world: World, client: TestClient
) -> None:
    csrf = sign_in_as(client, world, ANALYST)
    for (method, path), (spec, _) in ADMIN_PAGES.items():
        answer = _send(client, method, path, spec, csrf)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.headers["content-type"].startswith("text/html"), path
        assert "只有管理员可以执行此操作" in answer.text, path  # translated
    _nothing_changed(world)


def test_an_admin_may_use_each_admin_only_api_route(world: World, client: TestClient) -> None:
    csrf = sign_in_as(client, world, ADMIN)
    for (method, path), (spec, status) in ADMIN_API.items():
        answer = _send(client, method, path, spec, csrf)
        assert answer.status_code == status, (path, answer.text)
    assert notice_status(world.db, REF).notice["state"] == "closed"
    assert notice_status(world.db, NEW_REF).notice["state"] == "issued"


def test_an_admin_may_use_each_admin_only_page(world: World, client: TestClient) -> None:
    csrf = sign_in_as(client, world, ADMIN)
    upload_id = ""
    for (method, path), (spec, status) in ADMIN_PAGES.items():
        answer = _send(client, method, path, spec, csrf, upload_id)
        assert answer.status_code == status, (path, answer.text)
        if path == "/registry/check":
            found = re.search(r'name="upload_id" value="([^"]+)"', answer.text)
            assert found, answer.text
            upload_id = found.group(1)
    assert notice_status(world.db, REF).notice["state"] == "closed"
    assert notice_status(world.db, NEW_REF).notice["state"] == "issued"


def test_an_analyst_reads_reviews_and_reminds(world: World, client: TestClient) -> None:
    csrf = {"x-csrf-token": sign_in_as(client, world, ANALYST)}
    assert client.get(f"/api/v1/notices/{REF}/status").status_code == 200
    assert client.post(f"/api/v1/notices/{REF}/remind", headers=csrf).status_code == 200
    returned = client.post(
        f"/api/v1/notices/{REF}/facilities/A-DC-1/review/return",
        json={"comment": "list the machines"},
        headers=csrf,
    )
    assert returned.status_code == 200, returned.text
    assert client.post("/api/v1/audit/verify", headers=csrf).status_code == 200
    page = client.post(f"/notices/{REF}/remind", data={"csrf_token": csrf["x-csrf-token"]})
    assert page.status_code == 200  # after the redirect, the dashboard


@pytest.mark.parametrize(("username", "shown"), [(ADMIN, True), (ANALYST, False)])
def test_analysts_see_no_button_they_cannot_use(
    world: World, client: TestClient, username: str, shown: bool
) -> None:
    sign_in_as(client, world, username)
    dashboard = client.get(f"/notices/{REF}").text
    admin_forms = (
        f'action="/notices/{REF}/close"',
        f'action="/notices/{REF}/recipients"',
        f'action="/notices/{REF}/facilities/A-DC-2/token"',
    )
    for form in admin_forms:
        assert (form in dashboard) is shown, form
    assert f'action="/notices/{REF}/remind"' in dashboard  # everyone's
    assert ('href="/notices/new"' in client.get("/notices").text) is shown
    assert ('action="/registry/check"' in client.get("/registry").text) is shown
