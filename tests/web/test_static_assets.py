"""The browser libraries installed by ``make assets`` are served by the app itself (no CDN)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from hashwatch.web.app import STATIC_DIR, create_app

VENDOR_DIR = STATIC_DIR / "vendor"
# file -> a name the library defines on ``window`` (its UMD global)
VENDOR_FILES = {
    "htmx.min.js": "htmx",
    "vega.min.js": "vega",
    "vega-lite.min.js": "vegaLite",
    "vega-embed.min.js": "vegaEmbed",
}
JAVASCRIPT_TYPES = ("text/javascript", "application/javascript")


def _missing() -> list[str]:
    return [name for name in VENDOR_FILES if not (VENDOR_DIR / name).is_file()]


@pytest.fixture(scope="module")
def vendor_ready() -> None:
    missing = _missing()
    if not missing:
        return
    reason = (
        f"{', '.join(missing)} not in {VENDOR_DIR}: run `make assets` "
        "(npm ci, then copy into static/vendor)"
    )
    if os.environ.get("HASHWATCH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"HASHWATCH_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _get_all(tmp_path: Path, paths: list[str]) -> list[httpx.Response]:
    """GET each path from the app over ASGI (no server, no lifespan needed for static files)."""
    db = Database(f"sqlite:///{tmp_path / 'hashwatch.sqlite3'}")
    app = create_app(Settings(data_dir=tmp_path), db)

    async def fetch() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return [await client.get(path) for path in paths]

    try:
        return asyncio.run(fetch())
    finally:
        db.dispose()


def test_vendor_files_are_served_as_javascript(tmp_path: Path, vendor_ready: None) -> None:
    responses = _get_all(tmp_path, [f"/static/vendor/{name}" for name in VENDOR_FILES])
    for (name, global_name), response in zip(VENDOR_FILES.items(), responses, strict=True):
        body = (VENDOR_DIR / name).read_bytes()
        assert len(body) > 10_000, f"{name} looks truncated"
        assert global_name.encode() in body[:2_000], f"{name} does not define {global_name}"
        assert response.status_code == 200, name
        assert response.headers["content-type"].split(";")[0].strip() in JAVASCRIPT_TYPES
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content == body


def test_vendor_licenses_are_served_with_the_libraries(vendor_ready: None) -> None:
    assert {p.name for p in (VENDOR_DIR / "licenses").iterdir()} == {
        "htmx.org.txt",
        "vega.txt",
        "vega-lite.txt",
        "vega-embed.txt",
    }
