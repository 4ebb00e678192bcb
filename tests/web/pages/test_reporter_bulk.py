"""Bulk upload pages (/org): API-token sign-in, templates, all-or-nothing upload."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from hashwatch.reporting.models import Submission
from hashwatch.services import api_tokens
from hashwatch.store.engine import Database
from hashwatch.web.app import create_app
from tests.factories import ORG_USCC
from tests.web.pages.reporter_world import ReporterWorld, TestClient, build, enter, hidden

HEADER = [
    "facility_code",
    "involved_in_mining",
    "facility_electricity_kwh [MWh]",
    "mining_electricity_kwh [MWh]",
    "mining_share_pct",
    "operation_mode",
    "hosted_clients",
    "contact_name",
    "contact_phone",
    "contact_email",
    "attestation_name",
    "attestation_signed_at",
    "attestation_statement_accepted",
    "explanations",
]


def _row(code: str, mining_mwh: str = "380") -> list[str]:
    return [
        code,
        "是",
        "4000",
        mining_mwh,
        "9.5",
        "own",
        "0",
        "Li Wei",
        "+86 10 5555 0100",
        "li@example.cn",
        "Zhang Min",
        "2021-05-06T10:00",
        "是",
        "submission.equipment_missing: 机器已搬走",
    ]


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


COINS = _csv(
    [
        ["facility_code", "coin", "algorithm", "electricity_kwh [MWh]"],
        ["DC-000", "BTC", "SHA-256", "380"],
        ["DC-002", "BTC", "SHA-256", "380"],
    ]
)


@pytest.fixture
def world(db: Database, tmp_path: Path) -> ReporterWorld:
    return build(db, tmp_path)


@pytest.fixture
def client(world: ReporterWorld) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings, world.db)) as test_client:
        secret, _ = api_tokens.create_api_token(world.db, ORG_USCC[0], "bulk", actor="admin")
        assert "API 令牌" in test_client.get("/org").text
        bad = test_client.post("/org/enter", data={"api_token": "hwt_wrong"})
        assert bad.status_code == 403
        signed_in = test_client.post("/org/enter", data={"api_token": secret})
        assert signed_in.status_code == 200
        yield test_client


def _count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Submission)) or 0)


def _upload(client: TestClient, reports: bytes, coins: bytes = COINS) -> tuple[int, str]:
    page = client.get("/org").text
    response = client.post(
        "/org/upload",
        data={"notice_ref": "BJ-2021-04", "csrf_token": hidden(page, "csrf_token")},
        files={
            "reports": ("reports.csv", reports, "text/csv"),
            "coins": ("coins.csv", coins, "text/csv"),
        },
    )
    return response.status_code, response.text


def test_overview_and_templates(client: TestClient) -> None:
    page = client.get("/org").text
    assert "Data center 0 (DC-000)" in page
    assert "Data center 2 (DC-002)" in page
    assert "DC-001" not in page  # another organization's facility
    workbook = client.get("/org/template.xlsx?notice=BJ-2021-04")
    assert workbook.status_code == 200
    sheets = openpyxl.load_workbook(io.BytesIO(workbook.content))
    assert sheets.sheetnames == ["reports", "coins", "equipment", "lists"]  # lists: hidden
    assert [c.value for c in sheets["reports"]["A"]] == ["facility_code", "DC-000", "DC-002"]
    table = client.get("/org/template/coins.csv?notice=BJ-2021-04")
    assert table.content.startswith(b"\xef\xbb\xbffacility_code,coin")
    assert client.get("/org/template.xlsx?notice=NOPE").status_code == 404


def test_a_clean_upload_files_every_row(client: TestClient, world: ReporterWorld) -> None:
    status, page = _upload(client, _csv([HEADER, _row("DC-000"), _row("DC-002")]))
    assert status == 200, page
    assert "全部 2 份报告已提交。" in page
    assert _count(world.db) == 2


def test_one_bad_row_files_nothing_and_names_the_row(
    client: TestClient, world: ReporterWorld
) -> None:
    status, page = _upload(client, _csv([HEADER, _row("DC-000"), _row("DC-002", "5000")]))
    assert status == 422
    assert "未提交任何报告" in page
    assert '<td class="num">3</td><td>DC-002</td>' in page
    assert "submission.mining_exceeds_total" in page
    assert _count(world.db) == 0


def test_a_foreign_facility_and_an_unreadable_file(
    client: TestClient, world: ReporterWorld
) -> None:
    coins = _csv(
        [
            ["facility_code", "coin", "algorithm", "electricity_kwh [MWh]"],
            ["DC-000", "BTC", "SHA-256", "380"],
            ["DC-001", "BTC", "SHA-256", "380"],
        ]
    )
    status, page = _upload(client, _csv([HEADER, _row("DC-000"), _row("DC-001")]), coins)
    assert status == 422
    assert "bulk.not_your_recipient" in page
    status, page = _upload(client, b"colour\nred\n")
    assert status == 422
    assert "colour" in page
    assert _count(world.db) == 0


def test_uploads_need_the_csrf_token(client: TestClient) -> None:
    response = client.post(
        "/org/upload",
        data={"notice_ref": "BJ-2021-04"},
        files={"reports": ("r.csv", _csv([HEADER, _row("DC-000")]), "text/csv")},
    )
    assert response.status_code == 403


def test_a_recipient_session_is_not_an_organization(world: ReporterWorld) -> None:
    with TestClient(create_app(world.settings, world.db)) as client:
        enter(client, world.tokens["DC-000"])
        assert client.get("/org/template.xlsx?notice=BJ-2021-04").status_code == 403
