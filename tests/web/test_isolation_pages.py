"""Row-level isolation over every HTML page route: another party's session never gets data.

The page routes (every route of the app outside ``/api/``, ``/healthz``, the OpenAPI pages
and ``/static``) are enumerated from ``app.routes``; :data:`PAGES` says who may open each
and what to send, and a test fails when a route is missing from it. Each route is then
requested, GET and unsafe methods alike, by every attacker of :data:`ATTACKERS`: no session,
another recipient's session (of another organization, and of A's other facility), another
organization's session (signed in with its API token, as for bulk upload), a regulator's
session on the entities' pages, and an entity's session (A's own included) on the
regulator's pages. Unsafe requests carry the attacker's own valid CSRF token, so the CSRF
check is never what refuses them.

Every answer must be below 500 and must not show data of a facility or organization that
is not the attacker's (code, name, receipt hashes, figures, explanations, access token;
strings the attacker itself sent excepted), in its body, an XLSX body's cells or its
``Location``; A-DC-1's rows (recipient, versions, reviews), the notices and the registry
must stay as they were. A request that names A's object (``target``) or a page of another
kind of user is refused: 401, 403 or 404, or for a regulator page without a session a
redirect to ``/login``. The one exception is a bulk upload naming A's facility, which
answers 422 with its per-row refusal (and files nothing). Requests that name nothing of A
(``/report`` with B's session) may answer with the attacker's own page.

``test_the_matrix_catches_a_broken_check`` breaks one ownership or role check at a time
and asserts that the matrix then fails.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import openpyxl
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import select

from hashwatch.errors import NotFoundError
from hashwatch.reporting.models import Facility, Notice, Recipient, Review, Submission
from hashwatch.services.submissions import submit_report
from hashwatch.store.engine import Database
from hashwatch.web.app import create_app
from hashwatch.web.cookies import SESSION_COOKIE
from hashwatch.web.deps import SessionDep, SettingsDep
from tests.web.api.world import (
    A_FACILITY_NAME,
    A_ORG_NAME,
    REF,
    USCC_A,
    USCC_B,
    World,
    build_world,
    client_for,
    report_a,
    settings_for,
)
from tests.web.pages.reporter_world import form_fields
from tests.web.test_isolation import all_api_routes

Access = Literal["public", "recipient", "organization", "regulator"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORGED_LINK = "forged-notice-link-token"
A_VERSION = 3  # A-DC-1 files three versions; an attacker files at most one in a run
A_CONTACT = "Qiao Alphaname"  # in A's versions 2 and 3 only
A_FIGURES = ("4321987", "4,321,987", "4321.987", "4,321.987", "387654", "387,654", "387.654")
A_EXPLANATIONS = ("machines ran part of the month", "older firmware")
REFUSED = (401, 403, 404)
NON_PAGE = ("/api/", "/healthz", "/docs", "/openapi.json", "/static")


def _bulk_csv() -> bytes:
    """A valid nil return for A-DC-1 (what B would file if ownership were not checked)."""
    rows = [
        [
            *("facility_code", "involved_in_mining", "facility_electricity_kwh [MWh]"),
            *("mining_electricity_kwh", "mining_share_pct", "peak_demand_kw"),
            *("contact_name", "contact_phone", "contact_email", "attestation_name"),
            *("attestation_signed_at", "attestation_statement_accepted"),
        ],
        [
            *("A-DC-1", "否", "1200", "0", "0", "2500", "Wang Fang", "+86 10 5555 0200"),
            *("wang.fang@example.cn", "Chen Jie", "2021-05-06T09:30", "是"),
        ],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


REGISTRY_CSV = (
    b"facility_code,facility_name,organization_uscc,organization_name,organization_kind,"
    b"district\nB-DC-9,Bravo Ninth,91110000MA01TEST1X,Bravo Cloud,cloud,110105\n"
)
NOTICE_FORM = {
    "ref": "BJ-2021-05",
    "title": "May",
    "legal_basis": "law",
    "issuer": "bureau",
    "period_start": "2021-05-01",
    "period_end": "2021-05-31",
    "deadline": "2021-06-07T18:00",
}


@dataclass(frozen=True)
class Page:
    """Who may open a page route, what to send, and whether the request names A's object."""

    access: Access
    target: bool = False
    form: Callable[[], dict[str, str]] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    params: dict[str, Any] = field(default_factory=dict)


REPORT_FORM = Page("recipient", form=form_fields)
PAGES: dict[tuple[str, str], Page] = {
    # frame and sign-in pages: anyone may call them; they must show nobody's data
    ("POST", "/lang"): Page("public", form=lambda: {"locale": "en", "back": "/report"}),
    ("POST", "/logout"): Page("public"),
    ("GET", "/logged-out"): Page("public"),
    ("GET", "/login"): Page("public", params={"next": "/notices"}),
    ("POST", "/login"): Page("public", form=lambda: {"username": "nobody", "password": "x"}),
    ("GET", "/r/{token}"): Page("public"),
    ("POST", "/r"): Page("public", form=lambda: {"token": FORGED_LINK}),
    ("GET", "/org"): Page("public"),
    ("POST", "/org/enter"): Page("public", form=lambda: {"api_token": "hwt_forged"}),
    # the recipient's pages: the session's own facility only
    ("GET", "/report"): Page("recipient"),
    ("POST", "/report/edit"): Page("recipient", form=lambda: form_fields(action="add:coins")),
    ("POST", "/report/check"): REPORT_FORM,
    ("POST", "/report/draft"): REPORT_FORM,
    ("POST", "/report/submit"): REPORT_FORM,
    ("GET", "/report/history"): Page("recipient"),
    ("GET", "/report/receipt/{version}"): Page("recipient", target=True),
    ("GET", "/report/receipt/{version}/record.json"): Page("recipient", target=True),
    # bulk upload: the organization's own facilities only
    ("GET", "/org/template.xlsx"): Page("organization", params={"notice": REF}),
    ("GET", "/org/template/{sheet}.csv"): Page("organization", params={"notice": REF}),
    ("POST", "/org/upload"): Page(
        "organization",
        target=True,
        form=lambda: {"notice_ref": REF},
        files={"reports": ("reports.csv", _bulk_csv(), "text/csv")},
    ),
    # the regulator's pages
    ("GET", "/notices"): Page("regulator"),
    ("GET", "/notices/new"): Page("regulator"),
    ("POST", "/notices"): Page("regulator", form=lambda: NOTICE_FORM),
    ("GET", "/notices/{ref}"): Page("regulator"),
    ("GET", "/notices/{ref}/charts/districts.json"): Page("regulator"),
    ("GET", "/notices/{ref}/charts/status.json"): Page("regulator"),
    ("GET", "/notices/{ref}/assessment"): Page("regulator"),
    ("GET", "/notices/{ref}/report.{fmt}"): Page("regulator", params={"lang": "en"}),
    ("POST", "/notices/{ref}/recipients"): Page(
        "regulator", form=lambda: {"facility_codes": "A-DC-2"}
    ),
    ("POST", "/notices/{ref}/issue"): Page("regulator"),
    ("POST", "/notices/{ref}/remind"): Page("regulator"),
    ("POST", "/notices/{ref}/close"): Page("regulator"),
    ("POST", "/notices/{ref}/facilities/{code}/token"): Page("regulator", target=True),
    ("GET", "/notices/{ref}/facilities/{code}"): Page("regulator", target=True),
    ("GET", "/notices/{ref}/facilities/{code}/evidence.json"): Page(
        "regulator", target=True, params={"meter": "M-A-DC-1"}
    ),
    ("GET", "/notices/{ref}/facilities/{code}/diff"): Page(
        "regulator", target=True, params={"from": 1, "to": 2}
    ),
    ("POST", "/notices/{ref}/facilities/{code}/review"): Page(
        "regulator", target=True, form=lambda: {"action": "accept", "version": str(A_VERSION)}
    ),
    ("GET", "/facilities"): Page("regulator", params={"q": "Alpha"}),
    ("GET", "/organizations"): Page("regulator"),
    ("GET", "/registry"): Page("regulator"),
    ("POST", "/registry/check"): Page(
        "regulator", files={"file": ("r.csv", REGISTRY_CSV, "text/csv")}
    ),
    ("POST", "/registry/import"): Page("regulator", form=lambda: {"upload_id": "0" * 32}),
    ("GET", "/audit"): Page("regulator"),
    ("POST", "/audit/verify"): Page("regulator"),
}


@dataclass(frozen=True)
class Attacker:
    """A caller and what is its own: facility codes and organizations (A, B)."""

    name: str
    facilities: frozenset[str] = frozenset()
    organizations: frozenset[str] = frozenset()
    recipient: str | None = None  # facility of its notice link
    api_token: str | None = None  # "a" or "b": an organization's sign-in
    regulator: bool = False


NOBODY = Attacker("no session")
B_RECIPIENT = Attacker("B-DC-1's recipient", frozenset({"B-DC-1"}), frozenset("B"), "B-DC-1")
A2_RECIPIENT = Attacker("A-DC-2's recipient", frozenset({"A-DC-2"}), frozenset("A"), "A-DC-2")
B_ORGANIZATION = Attacker("organization B", frozenset({"B-DC-1"}), frozenset("B"), api_token="b")
A1_RECIPIENT = Attacker("A-DC-1's recipient", frozenset({"A-DC-1"}), frozenset("A"), "A-DC-1")
A_ORGANIZATION = Attacker(
    "organization A", frozenset({"A-DC-1", "A-DC-2"}), frozenset("A"), api_token="a"
)
REGULATOR = Attacker(
    "a regulator", frozenset({"A-DC-1", "A-DC-2", "B-DC-1"}), frozenset("AB"), regulator=True
)
ATTACKERS: dict[Access, tuple[Attacker, ...]] = {
    "public": (NOBODY, B_RECIPIENT, A2_RECIPIENT, B_ORGANIZATION),
    "recipient": (NOBODY, B_RECIPIENT, A2_RECIPIENT, B_ORGANIZATION, A_ORGANIZATION, REGULATOR),
    "organization": (NOBODY, B_RECIPIENT, A2_RECIPIENT, A1_RECIPIENT, B_ORGANIZATION, REGULATOR),
    "regulator": (
        NOBODY,
        B_RECIPIENT,
        A2_RECIPIENT,
        A1_RECIPIENT,
        B_ORGANIZATION,
        A_ORGANIZATION,
    ),
}


def page_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the HTML pages, enumerated from the app."""
    found: set[tuple[str, str]] = set()
    for path, methods in all_api_routes(app):
        if not path.startswith(NON_PAGE):
            found.update((method, path) for method in methods if method != "HEAD")
    return sorted(found)


@pytest.fixture(scope="module")
def app_routes() -> list[tuple[str, str]]:
    return page_routes(create_app(settings_for(Path("unused"))))


def test_the_table_covers_every_page_route(app_routes: list[tuple[str, str]]) -> None:
    assert len(app_routes) > 30
    missing = sorted(set(app_routes) - set(PAGES))
    assert not missing, f"page routes with no isolation case: {missing}"
    stale = sorted(set(PAGES) - set(app_routes))
    assert not stale, f"cases of page routes that no longer exist: {stale}"


# --- the world: A-DC-1 has three versions, B-DC-1 one -------------------------------------


@pytest.fixture
def world(db: Database, tmp_path: Path) -> World:
    world = build_world(db, settings_for(tmp_path))
    later = copy.deepcopy(report_a())
    later["contact"]["name"] = A_CONTACT
    for _ in range(A_VERSION - 1):
        submit_report(db, world.tokens["A-DC-1"], later)
    return world


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    yield from client_for(world)


def _hashes(db: Database, code: str) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(Submission.record_sha256)
                .join(Recipient, Submission.recipient_id == Recipient.id)
                .join(Facility, Recipient.facility_id == Facility.id)
                .where(Facility.code == code)
            )
        )


def identifying_data(world: World) -> dict[str, list[str]]:
    """Strings that show a facility's (by code) or an organization's (A, B) data."""
    return {
        "A-DC-1": [
            "A-DC-1",
            A_FACILITY_NAME,
            A_CONTACT,
            world.tokens["A-DC-1"],
            *_hashes(world.db, "A-DC-1"),
            *A_FIGURES,
            *A_EXPLANATIONS,
        ],
        "A-DC-2": ["A-DC-2", "Alpha Second Site", world.tokens["A-DC-2"]],
        "B-DC-1": [
            "B-DC-1",
            "Bravo Main Site",
            world.tokens["B-DC-1"],
            *_hashes(world.db, "B-DC-1"),
        ],
        "A": [A_ORG_NAME, USCC_A, "alpha.example.cn", world.api_token_a],
        "B": ["Bravo Cloud", USCC_B, world.api_token_b],
    }


def a_state(db: Database) -> dict[str, Any]:
    """A-DC-1's rows, the notices and the registry: what no attacker may change."""
    with db.read() as session:
        recipient = session.execute(
            select(Recipient).join(Facility).where(Facility.code == "A-DC-1")
        ).scalar_one()
        versions = [
            (s.id, s.version, s.review_state.value, s.record_sha256) for s in recipient.submissions
        ]
        reviews = session.scalars(
            select(Review.id).where(Review.submission_id.in_([v[0] for v in versions]))
        ).all()
        notices = session.execute(select(Notice.ref, Notice.state)).all()
        facilities = session.execute(
            select(Facility.code, Facility.name, Facility.organization_id)
        ).all()
        return {
            "recipient": (recipient.state.value, recipient.token_sha256, recipient.draft_json),
            "reminders": (recipient.reminder_count, recipient.last_reminded_at),
            "versions": versions,
            "reviews": list(reviews),
            "notices": sorted((ref, state.value) for ref, state in notices),
            "facilities": sorted(facilities),
        }


# --- the matrix ----------------------------------------------------------------------------


def sign_in(client: TestClient, world: World, attacker: Attacker) -> dict[str, str]:
    """A fresh session of the attacker on ``client``; returns its CSRF header."""
    client.cookies.clear()
    if attacker.recipient is not None:
        return world.recipient_session(client, attacker.recipient)
    if attacker.api_token is not None:
        secret = world.api_token_a if attacker.api_token == "a" else world.api_token_b
        return world.organization_session(client, secret)
    if attacker.regulator:
        return world.session(client)
    return {}


def _body_text(answer: Any) -> str:
    """The answer as text; an XLSX workbook as the text of its cells."""
    if answer.headers.get("content-type", "").startswith(XLSX_TYPE):
        workbook = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
        cells = [
            str(c)
            for ws in workbook.worksheets
            for row in ws.iter_rows(values_only=True)
            for c in row
            if c is not None
        ]
        workbook.close()
        return "\n".join(cells)
    return str(answer.text)


def _refusal(page: Page, attacker: Attacker, answer: Any) -> str | None:
    """Why this answer should have been a refusal, or ``None`` if it is acceptable."""
    status, location = answer.status_code, answer.headers.get("location", "")
    if page.access == "public":
        return None
    if page.access == "regulator" and attacker is NOBODY:
        to_login = status == 303 and location.startswith("/login?next=")
        return None if to_login else f"{status}, not a redirect to /login"
    kind_of_page = {
        "recipient": attacker.recipient is not None,
        "organization": attacker.api_token is not None,
        "regulator": False,
    }[page.access]
    if kind_of_page and not page.target:
        return None  # the attacker's own page
    if status in REFUSED or (page.files and kind_of_page and status == 422):
        return None  # a bulk upload's per-row refusal is 422
    return f"{status}, not 401/403/404"


def run_matrix(world: World, client: TestClient) -> list[str]:
    """Every page route by every attacker; the list of failures (empty when isolated)."""
    data = identifying_data(world)
    before = a_state(world.db)
    failures: list[str] = []
    ordered = sorted(PAGES.items(), key=lambda item: item[0][0] != "GET")  # reads first
    for (method, path), page in ordered:
        for attacker in ATTACKERS[page.access]:
            headers = sign_in(client, world, attacker)
            url = path.format(
                ref=REF,
                code="A-DC-1",
                version=A_VERSION,
                token=FORGED_LINK,
                sheet="reports",
                fmt="xlsx",
            )
            form = page.form() if page.form else None
            answer = client.request(
                method,
                url,
                params=page.params,
                data=form,
                files=page.files,
                headers=headers if method != "GET" else {},
                follow_redirects=False,
            )
            where = f"{method} {url} by {attacker.name}"
            if answer.status_code >= 500:
                failures.append(f"{where}: {answer.status_code} {answer.text[:300]}")
                continue
            sent = url + json.dumps([page.params, form], ensure_ascii=False)
            sent += "".join(f[1].decode("utf-8-sig") for f in (page.files or {}).values())
            others = [k for k in data if k not in attacker.facilities | attacker.organizations]
            shown = _body_text(answer) + answer.headers.get("location", "")
            leaked = sorted({s for k in others for s in data[k] if s not in sent and s in shown})
            if leaked:
                failures.append(f"{where}: {answer.status_code} shows {leaked}")
            why = _refusal(page, attacker, answer)
            if why:
                failures.append(f"{where}: {why}")
            if method != "GET" and a_state(world.db) != before:
                failures.append(f"{where}: changed A-DC-1's rows, the notices or the registry")
                before = a_state(world.db)
    return failures


def test_no_attacker_gets_or_changes_a_data_on_any_page(world: World, client: TestClient) -> None:
    failures = run_matrix(world, client)
    assert not failures, "\n".join(failures)


def _receipt_of_any_recipient(db: Database, who: Any, version: int | None = None) -> Any:
    """A broken receipt lookup: the version of the notice's first recipient that has one."""
    from hashwatch.services import submissions

    with db.read() as session:
        recipient = who(session, allow_closed=True)
        chosen = (
            session.execute(
                select(Submission)
                .join(Recipient)
                .where(Recipient.notice_id == recipient.notice_id, Submission.version == version)
            )
            .scalars()
            .first()
        )
        if chosen is None:
            raise NotFoundError(f"there is no version {version}")
        return submissions._receipt(chosen, chosen.recipient, replayed=False)


def _any_facility(
    session: Any, principal: Any, notice_ref: str, facility_code: str, **options: Any
) -> Recipient:
    """A broken bulk lookup: the recipient by notice and code, whoever the caller is."""
    from hashwatch.services.lookup import get_notice, recipient_by_code

    notice = get_notice(session, notice_ref)
    return recipient_by_code(
        session, notice, facility_code, for_update=options.get("for_update", False)
    )


def _any_signed_in_user(request: Request, session: SessionDep, settings: SettingsDep) -> Any:
    """A broken regulator guard: any session passes (the role is not checked)."""
    from hashwatch.io.registry_files import configured_districts
    from hashwatch.web.pages.common import page_context
    from hashwatch.web.pages.regulator_common import LoginRequiredError, Staff

    if session is None:
        raise LoginRequiredError("/notices")
    return Staff(
        page_context(request, session),
        session.principal,
        configured_districts(settings.district_file),
    )


@pytest.mark.parametrize("broken", ["receipt lookup", "bulk ownership", "regulator role"])
def test_the_matrix_catches_a_broken_check(
    world: World, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    """Skip one ownership or role check: the matrix must then fail on that route."""
    from hashwatch.web.pages import regulator_common, reporter

    app = create_app(world.settings, world.db)
    if broken == "receipt lookup":
        monkeypatch.setattr(reporter, "get_receipt", _receipt_of_any_recipient)
        expected = f"GET /report/receipt/{A_VERSION} by B-DC-1's recipient: 200 shows"
    elif broken == "bulk ownership":
        from hashwatch.services import bulk

        monkeypatch.setattr(bulk, "recipient_for_principal", _any_facility)
        expected = "POST /org/upload by organization B: changed A-DC-1's rows"
    else:
        app.dependency_overrides[regulator_common.regulator_page] = _any_signed_in_user
        expected = f"GET /notices/{REF}/facilities/A-DC-1 by B-DC-1's recipient: 200 shows"
    with TestClient(app) as client:
        failures = run_matrix(world, client)
    assert any(f.startswith(expected) for f in failures), "\n".join(failures)


def test_each_party_still_reaches_its_own_pages(world: World, client: TestClient) -> None:
    """The control: the refusals above are about ownership, not broken pages."""
    sign_in(client, world, B_RECIPIENT)
    receipt = client.get("/report/receipt/1")
    assert receipt.status_code == 200
    assert _hashes(world.db, "B-DC-1")[0] in receipt.text
    headers = sign_in(client, world, A1_RECIPIENT)
    own = client.get(f"/report/receipt/{A_VERSION}")
    assert own.status_code == 200
    assert _hashes(world.db, "A-DC-1")[-1] in own.text
    record = client.get(f"/report/receipt/{A_VERSION}/record.json").text
    assert A_CONTACT in record  # what the matrix looks for is there
    assert "4321987" in record
    form = client.get("/report").text
    assert A_FACILITY_NAME in form
    assert A_CONTACT in form
    draft = client.post(
        "/report/draft", data=form_fields(), headers=headers, follow_redirects=False
    )
    assert draft.status_code == 303
    client.cookies.clear()
    page = client.get("/org")
    token_field = 'name="api_token"'
    assert token_field in page.text
    entered = client.post(
        "/org/enter", data={"api_token": world.api_token_b}, follow_redirects=False
    )
    assert entered.status_code == 303
    overview = client.get("/org").text
    assert "B-DC-1" in overview
    assert "A-DC-1" not in overview
    template = client.get("/org/template.xlsx", params={"notice": REF})
    assert "B-DC-1" in _body_text(template)
    assert client.cookies.get(SESSION_COOKIE)
