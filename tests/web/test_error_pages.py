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
    assert response.json()["code"] == "request.too_large"


def _chunks(size: int) -> Iterator[bytes]:
    """A body sent without Content-Length (chunked), so that the limit counts it."""
    for _ in range(size // 1024):
        yield b"x" * 1024


@pytest.mark.parametrize("streamed", [False, True])
def test_an_oversized_page_upload_gets_the_413_page(client: TestClient, streamed: bool) -> None:
    """A browser's form post (bulk upload, registry import) is answered with a page."""
    headers = {"accept": "text/html,application/xhtml+xml", "accept-language": "en"}
    files = {"file": ("registry.csv", b"x" * 4096, "text/csv")}
    if streamed:
        headers["content-type"] = "multipart/form-data; boundary=x"
        response = client.post("/registry/check", content=_chunks(4096), headers=headers)
    else:
        response = client.post("/org/upload", files=files, headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "The upload is too large" in response.text
    assert "2048 bytes" in response.text
    api = client.post("/api/v1/registry/imports", files=files, headers=headers)
    assert api.status_code == 413
    assert api.json()["code"] == "request.too_large"  # the API stays JSON


def test_security_headers_are_set(client: TestClient) -> None:
    response = client.get("/healthz")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
