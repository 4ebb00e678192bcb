"""Row-level isolation over every API route: another entity's credentials never get data.

Every route of the app under ``/api/`` (and ``/healthz``) is enumerated from ``app.routes``;
:data:`ROUTES` says who may call each and how to fill its path and body, and a test fails
when a route is missing from it. Entity B's credentials (its API token, its recipient's
access token, its recipient session, its organization session) are then used on entity A's
objects: the answer must be 403 or 404 and carry none of A's data. Regulator-only routes
refuse every entity credential, and every non-public route refuses a caller with none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from hashwatch.store.engine import Database
from hashwatch.web.app import create_app
from tests.web.api.world import (
    A_FACILITY_KWH,
    A_FACILITY_NAME,
    A_MINING_KWH,
    A_ORG_NAME,
    REF,
    USCC_A,
    TestClient,
    World,
    build_world,
    client_for,
    example,
    report_a,
    settings_for,
)

Access = Literal["public", "self", "entity", "regulator"]
REGISTRY_CSV = (
    "facility_code,facility_name,organization_uscc,organization_name,organization_kind,"
    "district\nB-DC-9,Bravo Ninth,91110000MA01TEST1X,Bravo Cloud,cloud,110105\n"
)
NOTICE = {
    "ref": "BJ-2021-05",
    "title": "May",
    "legal_basis": "law",
    "issuer": "bureau",
    "period_start": "2021-05-01",
    "period_end": "2021-05-31",
    "deadline": "2021-06-07T18:00:00+08:00",
}


@dataclass(frozen=True)
class Spec:
    """Who may call a route, and what to send (``{code}`` is the target facility)."""

    access: Access
    json: Callable[[], Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str]] | None = None


ROUTES: dict[tuple[str, str], Spec] = {
    ("GET", "/healthz"): Spec("public"),
    ("GET", "/api/v1/schema/report"): Spec("public"),
    ("POST", "/api/v1/session"): Spec(
        "public", json=lambda: {"username": "nobody", "password": "not a password"}
    ),
    ("DELETE", "/api/v1/session"): Spec("self"),
    ("GET", "/api/v1/me"): Spec("self"),
    ("GET", "/api/v1/facilities"): Spec("regulator", params={"q": "Alpha"}),
    ("GET", "/api/v1/facilities/{code}"): Spec("regulator"),
    ("POST", "/api/v1/registry/imports"): Spec(
        "regulator", files={"file": ("r.csv", REGISTRY_CSV.encode(), "text/csv")}
    ),
    ("GET", "/api/v1/registry/export"): Spec("regulator"),
    ("GET", "/api/v1/registry/template"): Spec("regulator"),
    ("GET", "/api/v1/notices"): Spec("regulator"),
    ("POST", "/api/v1/notices"): Spec("regulator", json=lambda: NOTICE),
    ("GET", "/api/v1/notices/{ref}"): Spec("regulator"),
    ("POST", "/api/v1/notices/{ref}/recipients"): Spec(
        "regulator", json=lambda: {"facility_codes": ["A-DC-2"]}
    ),
    ("POST", "/api/v1/notices/{ref}/issue"): Spec("regulator"),
    ("GET", "/api/v1/notices/{ref}/status"): Spec("regulator"),
    ("POST", "/api/v1/notices/{ref}/remind"): Spec("regulator"),
    ("POST", "/api/v1/notices/{ref}/recipients/{code}/token"): Spec("regulator"),
    ("POST", "/api/v1/notices/{ref}/close"): Spec("regulator"),
    ("GET", "/api/v1/notices/{ref}/export"): Spec("regulator", params={"format": "json"}),
    ("GET", "/api/v1/notices/{ref}/assessment"): Spec("regulator"),
    ("GET", "/api/v1/notices/{ref}/report"): Spec("regulator", params={"format": "xlsx"}),
    ("POST", "/api/v1/notices/{ref}/facilities/{code}/submissions"): Spec("entity", json=report_a),
    ("POST", "/api/v1/notices/{ref}/facilities/{code}/check"): Spec("entity", json=report_a),
    ("PUT", "/api/v1/notices/{ref}/facilities/{code}/draft"): Spec("entity", json=report_a),
    ("GET", "/api/v1/notices/{ref}/facilities/{code}/submissions"): Spec("entity"),
    ("GET", "/api/v1/notices/{ref}/facilities/{code}/submissions/{version}"): Spec("entity"),
    ("GET", "/api/v1/notices/{ref}/facilities/{code}/receipt"): Spec("entity"),
    ("POST", "/api/v1/notices/{ref}/facilities/{code}/review/return"): Spec(
        "regulator", json=lambda: {"comment": "fix it"}
    ),
    ("POST", "/api/v1/notices/{ref}/facilities/{code}/review/accept"): Spec("regulator", json=dict),
    ("GET", "/api/v1/notices/{ref}/facilities/{code}/diff"): Spec(
        "regulator", params={"from_version": 1, "to_version": 2}
    ),
    ("GET", "/api/v1/audit"): Spec("regulator"),
    ("POST", "/api/v1/audit/verify"): Spec("regulator"),
}
CREDENTIALS = ("api_token", "recipient_token", "recipient_session", "organization_session")


def all_api_routes(app: FastAPI) -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every APIRoute, included routers' ones with their full path."""
    for route in app.routes:
        if isinstance(route, APIRoute):
            yield route.path, route.methods
        contexts = getattr(route, "effective_route_contexts", None)  # FastAPI >= 0.16x
        if contexts is not None:
            for context in contexts():
                if isinstance(context.original_route, APIRoute):
                    yield context.path, set(context.methods or ())


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the JSON API, enumerated from the app."""
    found = set()
    for path, methods in all_api_routes(app):
        if path.startswith("/api/") or path == "/healthz":
            found.update((method, path) for method in methods)
    return sorted(found)


def a_data(url: str) -> list[str]:
    """Strings that would show A's data in an answer (A-DC-1 only when not asked for)."""
    leaks = [A_FACILITY_NAME, A_ORG_NAME, USCC_A, "A-DC-2", "alpha.example.cn"]
    leaks += [f"{A_FACILITY_KWH:.0f}", f"{A_MINING_KWH:.0f}"]
    return leaks if "A-DC-1" in url else [*leaks, "A-DC-1"]


def send(
    client: TestClient, method: str, path: str, spec: Spec, headers: dict[str, str], code: str
) -> tuple[str, Any]:
    url = path.format(ref=REF, code=code, version=1)
    answer = client.request(
        method,
        url,
        json=spec.json() if spec.json else None,
        params=spec.params,
        files=spec.files,
        headers=headers,
    )
    return url, answer


@pytest.fixture(scope="module")
def app_routes() -> list[tuple[str, str]]:
    return api_routes(create_app(settings_for(Path("unused"))))


def test_the_table_covers_every_api_route(app_routes: list[tuple[str, str]]) -> None:
    assert len(app_routes) > 20
    missing = sorted(set(app_routes) - set(ROUTES))
    assert not missing, f"routes with no isolation spec: {missing}"
    stale = sorted(set(ROUTES) - set(app_routes))
    assert not stale, f"specs of routes that no longer exist: {stale}"


@pytest.fixture
def world(db: Database, tmp_path: Path) -> World:
    return build_world(db, settings_for(tmp_path))


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    yield from client_for(world)


def _login_as_b(client: TestClient, world: World, credential: str) -> dict[str, str]:
    client.cookies.clear()
    if credential == "api_token":
        return {"Authorization": f"Bearer {world.api_token_b}"}
    if credential == "recipient_token":
        return {"Authorization": f"Bearer {world.tokens['B-DC-1']}"}
    if credential == "recipient_session":
        return world.recipient_session(client, "B-DC-1")
    return world.organization_session(client, world.api_token_b)


def test_b_never_gets_a_data_on_any_route(world: World, client: TestClient) -> None:
    failures = []
    for (method, path), spec in ROUTES.items():
        for credential in CREDENTIALS:
            headers = _login_as_b(client, world, credential)
            url, answer = send(client, method, path, spec, headers, "A-DC-1")
            where = f"{method} {url} with B's {credential}"
            assert answer.status_code < 500, f"{where}: {answer.status_code} {answer.text}"
            leaked = [s for s in a_data(url) if s in answer.text]
            if leaked:
                failures.append(f"{where}: {answer.status_code} shows {leaked}")
            if spec.access in ("regulator", "entity") and answer.status_code not in (403, 404):
                failures.append(f"{where}: {answer.status_code}, not 403/404: {answer.text}")
            if spec.access == "regulator" and answer.status_code != 403:
                failures.append(f"{where}: regulator-only route answered {answer.status_code}")
    assert not failures, "\n".join(failures)


def test_b_may_use_entity_routes_on_its_own_facility(world: World, client: TestClient) -> None:
    """The control: the same credentials work on B's own objects (so 403/404 above is real)."""
    for (method, path), spec in ROUTES.items():
        if spec.access != "entity":
            continue
        own = Spec(spec.access, json=lambda: example("nil-return.json"), params=spec.params)
        for credential in CREDENTIALS:
            headers = _login_as_b(client, world, credential)
            url, answer = send(client, method, path, own if spec.json else spec, headers, "B-DC-1")
            assert answer.status_code in (200, 201), (credential, url, answer.text)
            assert not [s for s in a_data(url) if s in answer.text]


def test_no_credentials_no_access(client: TestClient) -> None:
    for (method, path), spec in ROUTES.items():
        if spec.access == "public":
            continue
        url, answer = send(client, method, path, spec, {}, "A-DC-1")
        assert answer.status_code in (401, 403), (method, url, answer.status_code)
        assert not [s for s in a_data("") if s in answer.text]


@pytest.mark.parametrize("header", ["Bearer hwt_forged", "Bearer forged", "Basic YTpi"])
def test_forged_credentials_are_refused(client: TestClient, header: str) -> None:
    for (method, path), spec in ROUTES.items():
        if spec.access in ("public",):
            continue
        url, answer = send(client, method, path, spec, {"Authorization": header}, "A-DC-1")
        assert answer.status_code in (401, 403), (method, url, answer.status_code)
