"""Registry routes: list and search, look up, import (dry run, row errors), export, template."""

from __future__ import annotations

import io

import openpyxl

from tests.registry_rows import make_uscc
from tests.web.api.world import TestClient, World

USCC_C = make_uscc(7)

CSV_HEADER = (
    "facility_code,facility_name,organization_uscc,organization_name,organization_kind,district"
)
GOOD_CSV = f"{CSV_HEADER}\nC-DC-9,Charlie Ninth,{USCC_C},Charlie Hosting,cloud,110105\n"
BAD_CSV = (
    f"{CSV_HEADER}\nC-DC-9,Charlie Ninth,{USCC_C},Charlie Hosting,cloud,110105\n"
    "B-DC-8,Bad,NOT-A-USCC,Bravo Cloud,cloud,Atlantis\n"
)


def _upload(client: TestClient, csrf: dict[str, str], name: str, data: bytes, **params: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/registry/imports",
        params=params,
        files={"file": (name, data, "application/octet-stream")},
        headers=csrf,
    )


def test_list_search_and_filter(world: World, client: TestClient) -> None:
    world.session(client)
    every = client.get("/api/v1/facilities").json()
    assert [f["facility_code"] for f in every] == ["A-DC-1", "A-DC-2", "B-DC-1"]
    assert every[0]["district_name"] == "朝阳区"
    found = client.get("/api/v1/facilities", params={"q": "bravo"}).json()
    assert [f["facility_code"] for f in found] == ["B-DC-1"]
    by_org = client.get("/api/v1/facilities", params={"organization_uscc": "91110000MA01TEST0X"})
    assert len(by_org.json()) == 2
    assert client.get("/api/v1/facilities", params={"district": "海淀"}).json() == []
    bad = client.get("/api/v1/facilities", params={"district": "Atlantis"})
    assert bad.status_code == 422
    assert client.get("/api/v1/facilities", params={"limit": 1}).json()[0]["facility_code"] == (
        "A-DC-1"
    )


def test_get_one_facility(world: World, client: TestClient) -> None:
    world.session(client)
    assert client.get("/api/v1/facilities/B-DC-1").json()["facility_name"] == "Bravo Main Site"
    missing = client.get("/api/v1/facilities/NOPE")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NotFoundError"


def test_import_dry_run_then_for_real(world: World, client: TestClient) -> None:
    csrf = world.session(client)
    dry = _upload(client, csrf, "registry.csv", GOOD_CSV.encode(), dry_run="true")
    assert dry.status_code == 200, dry.text
    assert dry.json()["dry_run"] is True
    assert dry.json()["facilities"]["created"] == 1
    assert client.get("/api/v1/facilities/C-DC-9").status_code == 404
    real = _upload(client, csrf, "registry.csv", GOOD_CSV.encode())
    assert real.json()["facilities"]["created"] == 1
    assert real.json()["file"] == "registry.csv"
    assert client.get("/api/v1/facilities/C-DC-9").status_code == 200


def test_bad_rows_are_listed_and_nothing_is_written(world: World, client: TestClient) -> None:
    csrf = world.session(client)
    answer = _upload(client, csrf, "registry.csv", BAD_CSV.encode())
    assert answer.status_code == 422
    problems = answer.json()["problems"]
    assert {p["row"] for p in problems} == {3}
    assert {p["field"] for p in problems} >= {"organization_uscc", "district"}
    assert client.get("/api/v1/facilities/C-DC-9").status_code == 404


def test_bad_files_are_named(world: World, client: TestClient) -> None:
    csrf = world.session(client)
    wrong_type = _upload(client, csrf, "registry.pdf", b"%PDF-1.4")
    assert wrong_type.status_code == 422
    assert "unknown file type" in wrong_type.json()["detail"]
    not_xlsx = _upload(client, csrf, "registry.xlsx", b"this is no workbook")
    assert not_xlsx.status_code == 422
    assert "XLSX" in not_xlsx.json()["detail"]
    empty = _upload(client, csrf, "registry.csv", b"")
    assert empty.status_code == 422
    zipped = _upload(client, csrf, "registry.csv", b"PK\x03\x04 zip")
    assert zipped.status_code == 422
    assert "zip" in zipped.json()["detail"]


def test_an_oversized_upload_gets_413(world: World, client: TestClient) -> None:
    csrf = world.session(client)
    big = GOOD_CSV.encode() + b"x" * (world.settings.max_request_body_bytes + 1)
    answer = _upload(client, csrf, "registry.csv", big)
    assert answer.status_code == 413
    assert answer.json()["code"] == "request.too_large"


def test_export_and_template(world: World, client: TestClient) -> None:
    world.session(client)
    csv_file = client.get("/api/v1/registry/export", params={"format": "csv"})
    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_file.headers["content-disposition"]
    assert "B-DC-1" in csv_file.content.decode("utf-8-sig")
    xlsx = client.get("/api/v1/registry/export", params={"format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert book.sheetnames
    book.close()
    template = client.get("/api/v1/registry/template")
    book = openpyxl.load_workbook(io.BytesIO(template.content), read_only=True)
    assert "districts" in book.sheetnames
    book.close()
    assert client.get("/api/v1/registry/template", params={"format": "pdf"}).status_code == 422
