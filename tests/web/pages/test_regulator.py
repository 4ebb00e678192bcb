"""The regulator's pages through the ASGI app: sign-in, access, dashboard, review."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hashwatch.accounts.models import Role
from hashwatch.i18n import Formatter
from hashwatch.reporting.models import ReviewAction
from hashwatch.services import accounts, api_tokens
from hashwatch.services.review import review_submission
from hashwatch.services.status import notice_status
from hashwatch.services.submissions import submit_report
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from hashwatch.web.api.session import LoginLimiter
from hashwatch.web.app import create_app
from hashwatch.web.cookies import SESSION_COOKIE
from tests.factories import ORG_USCC, settings_for
from tests.services.test_dashboard import REF, build_notice, example
from tests.web.pages.reporter_world import TestClient, hidden

PASSWORD = "correct horse battery staple"
DASHBOARD = f"/notices/{REF}"
ENGLISH = {"Accept-Language": "en"}
REGULATOR_PAGES = (
    "/notices",
    "/notices/new",
    DASHBOARD,
    f"{DASHBOARD}/assessment",
    f"{DASHBOARD}/facilities/DC-000",
    f"{DASHBOARD}/facilities/DC-005",
    f"{DASHBOARD}/facilities/DC-002/diff",
    "/facilities",
    f"/facilities?notice={REF}&status=overdue&district=110105&kind=colocation&q=DC",
    "/organizations",
    "/registry",
    "/audit",
    "/audit?action=review.&page=1",
)
REGULATOR_JSON = (
    f"{DASHBOARD}/charts/districts.json",
    f"{DASHBOARD}/charts/status.json",
)
REGULATOR_POSTS = (
    "/notices",
    f"{DASHBOARD}/recipients",
    f"{DASHBOARD}/issue",
    f"{DASHBOARD}/remind",
    f"{DASHBOARD}/close",
    f"{DASHBOARD}/facilities/DC-005/token",
    f"{DASHBOARD}/facilities/DC-000/review",
    "/registry/check",
    "/registry/import",
    "/audit/verify",
)


@dataclass(frozen=True)
class StaffWorld:
    db: Database
    settings: Settings
    tokens: dict[str, str]


def staff_world(db: Database, tmp_path: Path) -> StaffWorld:
    """The dashboard service tests' notice (six recipients), a regulator admin and analyst."""
    cfg = settings_for(tmp_path)
    tokens = build_notice(db, cfg)
    accounts.add_user(db, "analyst", PASSWORD, role=Role.ANALYST, actor="test")
    accounts.add_user(db, "admin", PASSWORD, role=Role.ADMIN, actor="test")
    return StaffWorld(db, cfg, tokens)


def sign_in(client: TestClient, username: str = "admin") -> str:
    """Sign in as a regulator user (the admin unless told); returns the session's CSRF token."""
    answer = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/notices"
    return hidden(client.get("/notices").text, "csrf_token")


def text_of(page: str, css_class: str) -> str:
    """The text of the first element with this class."""
    match = re.search(rf'class="[^"]*\b{re.escape(css_class)}\b[^"]*"[^>]*>([^<]*)<', page)
    assert match is not None, f"no element of class {css_class}"
    return html.unescape(match.group(1)).strip()


@pytest.fixture
def world(db: Database, tmp_path: Path) -> StaffWorld:
    return staff_world(db, tmp_path)


@pytest.fixture
def client(world: StaffWorld) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings, world.db)) as test_client:
        yield test_client


@pytest.fixture
def csrf(client: TestClient) -> str:
    return sign_in(client)


def test_pages_send_a_browser_without_a_session_to_login(client: TestClient) -> None:
    answer = client.get(f"{DASHBOARD}?x=1", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next=/notices/{REF}%3Fx%3D1"
    fragment = client.get("/facilities", headers={"HX-Request": "true"}, follow_redirects=False)
    assert fragment.headers["hx-redirect"] == "/login?next=/facilities"
    posted = client.post(f"{DASHBOARD}/close", follow_redirects=False)
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/login")


def test_sign_in_goes_back_to_the_page_asked_for(client: TestClient) -> None:
    login_page = client.get("/login?next=/audit")
    assert login_page.status_code == 200
    assert hidden(login_page.text, "next_path") == "/audit"
    answer = client.post(
        "/login",
        data={"username": "analyst", "password": PASSWORD, "next_path": "/audit"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/audit"
    assert "httponly" in answer.headers["set-cookie"].lower()
    elsewhere = client.post(
        "/login",
        data={"username": "analyst", "password": PASSWORD, "next_path": "//evil.example"},
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/notices"
    assert client.get("/login", follow_redirects=False).status_code == 303  # signed in already


def test_refused_sign_in_does_not_say_whether_the_user_exists(client: TestClient) -> None:
    wrong = client.post("/login", data={"username": "analyst", "password": "wrong password!"})
    unknown = client.post("/login", data={"username": "nobody", "password": "wrong password!"})
    assert wrong.status_code == unknown.status_code == 403
    assert text_of(wrong.text, "flash-error") == text_of(unknown.text, "flash-error")
    assert 'value="analyst"' in wrong.text  # the user name stays in the form
    assert "hashwatch_session" not in wrong.headers.get("set-cookie", "")


def test_sign_in_is_throttled_per_address(client: TestClient) -> None:
    client.app.state.login_limiter = LoginLimiter(attempts=2, window_s=60)  # type: ignore[attr-defined]
    for _ in range(2):
        client.post("/login", data={"username": "nobody", "password": "x"})
    answer = client.post("/login", data={"username": "analyst", "password": PASSWORD})
    assert answer.status_code == 429
    wait = answer.headers["retry-after"]
    assert int(wait) > 0
    assert wait in text_of(answer.text, "flash-error")


@pytest.mark.parametrize("path", REGULATOR_PAGES)
def test_each_page_renders_for_the_regulator(client: TestClient, csrf: str, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert "<script>" not in answer.text  # the CSP allows no inline script
    assert " style=" not in answer.text


@pytest.mark.parametrize("path", REGULATOR_JSON)
def test_chart_specs_are_served_as_json(client: TestClient, csrf: str, path: str) -> None:
    spec = client.get(path).json()
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert spec["data"]["values"]


def _enter_as_entity(client: TestClient, world: StaffWorld, kind: str) -> str:
    """Open a reporting entity's session; returns its CSRF token."""
    if kind == "recipient":
        assert client.get(f"/r/{world.tokens['DC-000']}", follow_redirects=False).is_redirect
        return hidden(client.get("/report").text, "csrf_token")
    secret, _ = api_tokens.create_api_token(world.db, ORG_USCC[0], "bulk", actor="test")
    info = api_tokens.enter_with_api_token(world.db, secret)
    client.cookies.set(SESSION_COOKIE, info.session_id)
    return info.csrf_token


@pytest.mark.parametrize("kind", ["recipient", "organization"])
def test_entity_sessions_are_refused(client: TestClient, world: StaffWorld, kind: str) -> None:
    csrf = _enter_as_entity(client, world, kind)
    for path in (*REGULATOR_PAGES, *REGULATOR_JSON):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code in (403, 404), path
        assert "Data center 3" not in answer.text  # another organization's facility
    for path in REGULATOR_POSTS:
        answer = client.post(path, data={"csrf_token": csrf}, follow_redirects=False)
        assert answer.status_code in (403, 404), path
    assert notice_status(world.db, REF).notice["state"] == "issued"


def test_forms_need_the_csrf_token(client: TestClient, csrf: str, world: StaffWorld) -> None:
    answer = client.post(f"{DASHBOARD}/close", follow_redirects=False)
    assert answer.status_code == 403
    assert notice_status(world.db, REF).notice["state"] == "issued"


def test_dashboard_figures_match_notice_status(
    client: TestClient, csrf: str, world: StaffWorld
) -> None:
    page = client.get(DASHBOARD, headers=ENGLISH).text
    status = notice_status(world.db, REF)
    summary = status.summary
    fmt = Formatter("en")
    assert text_of(page, "rate-response") == fmt.percent(summary["reporting_rate_pct"])
    assert text_of(page, "rate-on-time") == fmt.percent(summary["reporting_rate_on_time_pct"])
    assert text_of(page, "mining-energy") == "760\N{NO-BREAK SPACE}MWh"
    assert text_of(page, "mining-share") == fmt.percent(summary["reported_mining_share_pct"], 2)
    for state, count in status.counts.items():
        assert f'data-status="{state}">{count}<' in page
    overdue = page.split('class="data overdue"')[1].split("</table>")[0]
    assert "DC-004" in overdue
    assert "DC-005" in overdue
    assert "DC-000" not in overdue
    haidian = page.split('data-district="110108"')[1].split("</tr>")[0]
    assert "Hǎidiàn Qū" in haidian
    assert "760\N{NO-BREAK SPACE}MWh" in haidian
    chart = client.get(f"{DASHBOARD}/charts/districts.json", headers=ENGLISH).json()
    values = {v["district"]: v for v in chart["data"]["values"]}
    assert values["Hǎidiàn Qū"]["mining_electricity_mwh"] == pytest.approx(760)
    assert chart["encoding"]["x"]["title"] == "Mining electricity [MWh]"


def test_dashboard_in_chinese(client: TestClient, csrf: str) -> None:
    client.post("/lang", data={"locale": "zh", "back": DASHBOARD, "csrf_token": csrf})
    page = client.get(DASHBOARD).text
    assert "海淀区" in page
    chart = client.get(f"{DASHBOARD}/charts/districts.json").json()
    assert "海淀区" in {v["district"] for v in chart["data"]["values"]}


def _decide(client: TestClient, csrf: str, code: str, **fields: str) -> tuple[int, str]:
    page = client.get(f"{DASHBOARD}/facilities/{code}").text
    data = {"csrf_token": csrf, "version": hidden(page, "version"), **fields}
    answer = client.post(f"{DASHBOARD}/facilities/{code}/review", data=data)
    return answer.status_code, answer.text


def test_return_amend_and_accept(client: TestClient, csrf: str, world: StaffWorld) -> None:
    page = client.get(f"{DASHBOARD}/facilities/DC-000").text
    assert "Antminer S19 Pro" in page
    assert "380" in page
    status, body = _decide(client, csrf, "DC-000", action="return", comment=" ")
    assert status == 422
    assert "comment" in body
    status, body = _decide(client, csrf, "DC-000", action="return", comment="List the S19 units")
    assert status == 200
    assert "List the S19 units" in body  # in the review history
    assert 'name="action" value="accept"' not in body  # nothing to decide now
    amended = example("report.json")
    amended["equipment"][0]["count"] = 101
    submit_report(world.db, world.tokens["DC-000"], amended)
    page = client.get(f"{DASHBOARD}/facilities/DC-000").text
    diff = page.split('id="diff"')[1]
    assert "equipment.0.count" in diff
    assert "101" in diff
    fragment = client.get(
        f"{DASHBOARD}/facilities/DC-000/diff?from=1&to=2", headers={"HX-Request": "true"}
    ).text
    assert fragment.startswith('<div id="diff"') or 'id="diff"' in fragment.split("\n")[1]
    assert "<html" not in fragment
    status, body = _decide(client, csrf, "DC-000", action="accept")
    assert status == 200
    row = next(r for r in notice_status(world.db, REF).rows if r["facility_code"] == "DC-000")
    assert (row["status"], row["version"]) == ("accepted", 2)


def test_a_review_made_meanwhile_is_a_409_message(
    client: TestClient, csrf: str, world: StaffWorld
) -> None:
    page = client.get(f"{DASHBOARD}/facilities/DC-000").text
    review_submission(world.db, REF, "DC-000", ReviewAction.ACCEPT, reviewer="someone else")
    answer = client.post(
        f"{DASHBOARD}/facilities/DC-000/review",
        data={
            "csrf_token": csrf,
            "version": hidden(page, "version"),
            "action": "return",
            "comment": "too late",
        },
    )
    assert answer.status_code == 409
    assert "already accepted" in text_of(answer.text, "flash-error")
    assert "someone else" in answer.text  # the other review is shown


def test_findings_are_shown_with_their_explanations(
    client: TestClient, csrf: str, world: StaffWorld
) -> None:
    report = example("report.json")
    report["coins"][0]["algorithm"] = "Scrypt"
    report["explanations"] = {"submission.coin_algorithm_mismatch": "Merged mining of LTC"}
    submit_report(world.db, world.tokens["DC-000"], report)
    page = client.get(f"{DASHBOARD}/facilities/DC-000").text
    findings = page.split('class="finding-list"')[1].split("</ul>")[0]
    assert "submission.coin_algorithm_mismatch" in findings
    assert "Merged mining of LTC" in findings
    assert "coins.0.algorithm" in page.split('id="diff"')[1]
