"""Errors are pages for browsers and JSON for the API; no stack trace is ever shown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from hashwatch.web.app import create_app


@pytest.fixture
def client(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, max_request_body_bytes=2048), db)

    @app.get("/boom-for-test")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_unknown_page_is_a_404_page(client: TestClient) -> None:
    response = client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text


def test_unknown_api_path_is_json(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.json()["code"] == "http.404"


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_an_unexpected_error_shows_no_internals(client: TestClient, accept: str) -> None:
    response = client.get("/boom-for-test", headers={"accept": accept})
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_oversized_bodies_get_413(client: TestClient) -> None:
    response = client.post(
        "/api/v1/session", content=b"x" * 4096, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_security_headers_are_set(client: TestClient) -> None:
    response = client.get("/healthz")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
