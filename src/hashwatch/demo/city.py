"""The demo city: a synthetic Beijing, its April 2021 notice and the reports that answered it,
after a monthly notice for March 2021 (:mod:`hashwatch.demo.march`) that gives the April
assessment a trend.

:func:`build_demo_city` drives the real services only: the registry is written as a CSV file
and loaded by :func:`~hashwatch.services.registry.import_registry`; the notice is created
and issued by :mod:`hashwatch.services.notices` (tokens go to the outbox and are read back
from the ``.eml`` files); reports go through
:func:`~hashwatch.services.submissions.submit_report` with explicit ``now`` times, and the
reviewer's returns and acceptances through
:func:`~hashwatch.services.review.review_submission`; the March notice is closed by
:func:`~hashwatch.services.notices.close_notice` before the April notice is created.
Everything is drawn from one :class:`random.Random` seeded with ``seed`` (March from a
generator seeded by it once April is planned, so adding March left April as it was), so
one seed gives one city (only the access tokens, which are secrets, differ).
"""

from __future__ import annotations

import datetime as dt
import email
import random
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy import func, select

from hashwatch.demo.facilities import DEFAULT_FACILITIES, generate_registry
from hashwatch.demo.march import MARCH_DEADLINE, MARCH_END, MARCH_START, MarchPlan, plan_march
from hashwatch.demo.meters import FOLDER as METERS_FOLDER
from hashwatch.demo.meters import DemoMeters, build_demo_meters
from hashwatch.demo.plan import Action, Step, plan_city
from hashwatch.demo.reports import PERIOD_END, PERIOD_START, SHANGHAI
from hashwatch.errors import ConfigurationError, ConflictError, InputError
from hashwatch.io.registry_files import write_registry_csv
from hashwatch.io.tables import write_json
from hashwatch.reporting.models import Facility, Notice, Organization, ReviewAction
from hashwatch.services.audit_log import verify_audit
from hashwatch.services.notices import (
    NoticeDraft,
    add_recipients,
    close_notice,
    create_notice,
    issue_notice,
)
from hashwatch.services.notices import open_notice as open_link
from hashwatch.services.registry import import_registry
from hashwatch.services.review import review_submission
from hashwatch.services.status import notice_status
from hashwatch.services.submissions import submit_report
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from hashwatch.store.meter_readings import METERS_DIR, readings_root

NOTICE_REF: Final = "BJ-2021-04"
MARCH_NOTICE_REF: Final = "BJ-2021-03"
REGISTRAR: Final = "registrar:demo"
ANALYST: Final = "analyst:demo"
REVIEWER: Final = "reviewer:demo"
PENDING_REPORTS_DIR: Final = "demo-reports"
_TOKEN_LINE = re.compile(r"Access token: (\S+)")
Progress = Callable[[str], None]


def demo_notice() -> NoticeDraft:
    """The demo's notice, modelled on Beijing's emergency notice of 27 April 2021.

    Title and issuer as reported (Reuters, CoinDesk, 29 Apr 2021); the Chinese original, its
    deadline and its legal basis were not found, so the legal basis states the purpose
    the press reported, and the deadline is the demo's own.
    """
    return NoticeDraft(
        ref=NOTICE_REF,
        title="Emergency Notice Concerning the Data Center Involving Bitcoin and Other "
        "Cryptocurrency Mining Businesses in Our City's Data Centers",
        legal_basis="Emergency notice to assess the impact of cryptocurrency mining on the "
        "city's energy consumption (as reported 29 Apr 2021; the Chinese original and its "
        "legal basis were not found). Demo data: every facility and report is synthetic.",
        issuer="Beijing Municipal Bureau of Economy and Information Technology "
        "(北京市经济和信息化局)",
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        deadline=dt.datetime(2021, 5, 7, 18, 0, tzinfo=SHANGHAI),
        timezone="Asia/Shanghai",
        urgent=True,
    )


def march_notice() -> NoticeDraft:
    """The demo's own monthly notice for March 2021, sent on 1 April (no such notice is known)."""
    return NoticeDraft(
        ref=MARCH_NOTICE_REF,
        title="Monthly Report on Data Center Electricity and Cryptocurrency Mining, March 2021",
        legal_basis="Monthly reporting of data centers' electricity, with the share used by "
        "cryptocurrency mining. Demo data: this notice is the demo's own, so that the April "
        "notice's assessment has a trend; every facility and report is synthetic.",
        issuer="Beijing Municipal Bureau of Economy and Information Technology "
        "(北京市经济和信息化局)",
        period_start=MARCH_START,
        period_end=MARCH_END,
        deadline=MARCH_DEADLINE,
        timezone="Asia/Shanghai",
        urgent=False,
    )


@dataclass(frozen=True)
class PendingReport:
    """A report the demo leaves for the user to file: who, their token, and the JSON file."""

    status: str
    facility_code: str
    token: str
    report_path: Path


@dataclass(frozen=True)
class DemoSummary:
    """What the demo built. Equal for equal seeds (paths, tokens and timing aside)."""

    seed: int
    notice_ref: str
    earlier_notice_ref: str
    earlier_reports: int
    """Reports filed (and accepted) under the earlier notice, now closed."""
    facilities: int
    organizations: int
    organizations_by_kind: dict[str, int]
    districts: int
    recipients: int
    status_counts: dict[str, int]
    submissions: int
    submissions_by_version: dict[int, int]
    rejected_attempts: int
    late_reports: int
    facilities_involved_in_mining: int
    reported_facility_electricity_kwh: float
    reported_mining_electricity_kwh: float
    reported_mining_share_pct: float | None
    audit_rows: int
    audit_chain_ok: bool
    meters: DemoMeters | None
    """The meter data and its detection run (None when built without meters)."""
    data_dir: Path = field(compare=False)
    outbox_dir: Path = field(compare=False)
    pending_reports: tuple[PendingReport, ...] = field(compare=False, repr=False)
    seconds: float = field(compare=False)


def existing_rows(db: Database) -> dict[str, int]:
    """How many organizations, facilities and notices the database holds."""
    with db.read() as session:
        return {
            name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in (
                ("organizations", Organization),
                ("facilities", Facility),
                ("notices", Notice),
            )
        }


def ensure_empty(db: Database) -> None:
    """Refuse to build the demo over existing data (:class:`ConflictError`)."""
    held = {name: count for name, count in existing_rows(db).items() if count}
    if held:
        what = ", ".join(
            f"{count} {name if count > 1 else name[:-1]}" for name, count in held.items()
        )
        raise ConflictError(
            f"the database already holds data ({what}); the demo city is built in an empty "
            "database. Use another HASHWATCH_DATA_DIR, or `hashwatch demo --reset` to delete "
            "the embedded SQLite database, the outbox and the demo's files first."
        )


def reset_demo_data(settings: Settings) -> list[Path]:
    """Delete the embedded SQLite database (with its WAL files), the outbox, the demo reports
    and the meter data (the readings store, the labels and series).

    Only for the embedded SQLite database: a PostgreSQL database is never dropped here
    (:class:`ConfigurationError`). Returns the paths deleted.
    """
    db = Database.from_settings(settings)
    try:
        if not db.is_sqlite or not db.url.database or db.url.database == ":memory:":
            raise ConfigurationError(
                "--reset only deletes the embedded SQLite database; with "
                "HASHWATCH_DATABASE_URL set, empty that database yourself"
            )
        database = Path(db.url.database)
    finally:
        db.dispose()
    deleted = []
    for path in (database, *(Path(f"{database}{s}") for s in ("-wal", "-shm", "-journal"))):
        if path.exists():
            path.unlink()
            deleted.append(path)
    demo_folders = (PENDING_REPORTS_DIR, METERS_FOLDER, METERS_DIR)
    for folder in (settings.outbox_dir, *(settings.data_dir / name for name in demo_folders)):
        if folder.exists():
            shutil.rmtree(folder)
            deleted.append(folder)
    return deleted


def tokens_from_messages(paths: Iterable[Path]) -> dict[str, str]:
    """Facility code → access token, read from notice messages (``.eml`` files)."""
    found: dict[str, str] = {}
    for path in sorted(paths):
        message = email.message_from_bytes(path.read_bytes())
        payload = message.get_payload(decode=True)
        match = _TOKEN_LINE.search(payload.decode("utf-8")) if isinstance(payload, bytes) else None
        if match is None:
            raise InputError(f"{path}: no access token in the notice message")
        found[str(message["X-Hashwatch-Facility"])] = match.group(1)
    return found


def _run_step(db: Database, step: Step, token: str, notice_ref: str = NOTICE_REF) -> bool:
    """Carry out one step; ``False`` if it was a first attempt that validation refused."""
    if step.action is Action.OPEN:
        open_link(db, token, now=step.at)
    elif step.action is Action.SUBMIT:
        assert step.report is not None
        try:
            submit_report(
                db,
                token,
                step.report,
                notice_ref=notice_ref,
                idempotency_key=f"{step.facility_code}/{step.at:%Y%m%dT%H%M%S}",
                now=step.at,
            )
        except InputError:
            if step.expect_rejection:
                return False
            raise
        if step.expect_rejection:
            raise RuntimeError(f"the demo's faulty report of {step.facility_code} was accepted")
    else:
        action = ReviewAction.RETURN if step.action is Action.RETURN else ReviewAction.ACCEPT
        review_submission(
            db, notice_ref, step.facility_code, action, reviewer=REVIEWER, comment=step.comment
        )
    return True


def _pending_reports(
    rows: list[dict[str, Any]],
    tokens: Mapping[str, str],
    reports: Mapping[str, dict[str, Any]],
    folder: Path,
) -> tuple[PendingReport, ...]:
    """A returned and an overdue recipient, with their token and a report file to submit."""
    pending = []
    for status in ("returned", "overdue"):
        row = next(
            (r for r in rows if r["status"] == status and r["facility_code"] in reports), None
        )
        if row is not None:
            code = str(row["facility_code"])
            path = folder / f"{code}.json"
            write_json(path, reports[code])
            pending.append(PendingReport(status, code, tokens[code], path))
    return tuple(pending)


def _issue(db: Database, draft: NoticeDraft, settings: Settings) -> tuple[int, dict[str, str]]:
    """Create ``draft``, address it to every facility and issue it: recipients and tokens."""
    create_notice(db, draft, actor=ANALYST)
    add_recipients(db, draft.ref, actor=ANALYST, settings=settings, all_facilities=True)
    issued = issue_notice(db, draft.ref, actor=ANALYST, settings=settings)
    return issued.recipients, tokens_from_messages(issued.delivery.outbox_files)


def _march(db: Database, settings: Settings, plan: MarchPlan, say: Progress) -> int:
    """The March notice issued, answered, reviewed and closed; the reports filed."""
    say(f"notice {MARCH_NOTICE_REF}: issuing, {len(plan.steps) // 2} reports accepted, closing")
    _, tokens = _issue(db, march_notice(), settings)
    for step in plan.steps:
        _run_step(db, step, tokens[step.facility_code], MARCH_NOTICE_REF)
    close_notice(db, MARCH_NOTICE_REF, actor=ANALYST)
    return sum(step.action is Action.SUBMIT for step in plan.steps)


def build_demo_city(
    db: Database,
    settings: Settings,
    *,
    seed: int,
    facilities: int = DEFAULT_FACILITIES,
    meters: bool = True,
    progress: Progress | None = None,
) -> DemoSummary:
    """Build the demo city in an empty, migrated database and say what was built.

    Notices are written to the outbox even if SMTP is configured: the demo's addresses are
    fictitious. With ``meters``, every registered meter gets load data, ingested and scored
    (:mod:`hashwatch.demo.meters`). Raises :class:`ConflictError` if the database (or,
    with ``meters``, the readings store) already holds data.
    """
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    ensure_empty(db)
    if meters and any(readings_root(settings.data_dir).rglob("*.parquet")):
        raise ConflictError(
            f"the readings store in {settings.data_dir} already holds meter data; use another "
            "HASHWATCH_DATA_DIR, or `hashwatch demo --reset` to delete it first."
        )
    outbox_settings = settings.model_copy(update={"smtp_host": None})
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    say(f"registry: generating {facilities} facilities and importing them")
    registry = generate_registry(rng, facilities)
    with tempfile.TemporaryDirectory(prefix="hashwatch-demo-") as tmp:
        path = Path(tmp) / f"demo-registry-seed{seed}.csv"
        write_registry_csv(path, [f.registry_row() for f in registry.facilities])
        imported = import_registry(db, path, actor=REGISTRAR)
    plan = plan_city(rng, registry.facilities)
    march_rng = random.Random(rng.getrandbits(64))  # noqa: S311 - as above
    earlier = _march(db, outbox_settings, plan_march(march_rng, registry.facilities, plan), say)
    say(f"notice {NOTICE_REF}: creating and issuing to every facility")
    recipients, tokens = _issue(db, demo_notice(), outbox_settings)
    submits = sum(s.action is Action.SUBMIT for s in plan.steps)
    reviews = sum(s.action in (Action.RETURN, Action.ACCEPT) for s in plan.steps)
    say(f"reports: {submits} submission attempts and {reviews} reviews")
    rejected = sum(not _run_step(db, step, tokens[step.facility_code]) for step in plan.steps)
    metered = None
    if meters:
        say(f"meters: load curves of every registered meter, ingested and scored ({NOTICE_REF})")
        metered = build_demo_meters(
            db, settings, registry.facilities, plan.pending,
            seed=seed, notice_ref=NOTICE_REF, actor=ANALYST,
        )  # fmt: skip
    status = notice_status(db, NOTICE_REF)
    versions = Counter(
        v for r in status.rows if isinstance(r["version"], int) for v in range(1, r["version"] + 1)
    )
    chain = verify_audit(db)
    summary = status.summary
    return DemoSummary(
        seed=seed,
        notice_ref=NOTICE_REF,
        earlier_notice_ref=MARCH_NOTICE_REF,
        earlier_reports=earlier,
        facilities=imported.facilities.created,
        organizations=imported.organizations.created,
        organizations_by_kind=dict(
            sorted(Counter(o.kind.value for o in registry.organizations).items())
        ),
        districts=len({f.district_code for f in registry.facilities}),
        recipients=recipients,
        status_counts=dict(sorted(status.counts.items())),
        submissions=sum(versions.values()),
        submissions_by_version=dict(sorted(versions.items())),
        rejected_attempts=rejected,
        late_reports=sum(1 for r in status.rows if r["late"] is True),
        facilities_involved_in_mining=summary["facilities_involved_in_mining"],
        reported_facility_electricity_kwh=summary["reported_facility_electricity_kwh"],
        reported_mining_electricity_kwh=summary["reported_mining_electricity_kwh"],
        reported_mining_share_pct=summary["reported_mining_share_pct"],
        audit_rows=chain.rows_checked,
        audit_chain_ok=chain.ok,
        meters=metered,
        data_dir=settings.data_dir,
        outbox_dir=settings.outbox_dir,
        pending_reports=_pending_reports(
            status.rows, tokens, plan.pending, settings.data_dir / PENDING_REPORTS_DIR
        ),
        seconds=time.perf_counter() - started,
    )
