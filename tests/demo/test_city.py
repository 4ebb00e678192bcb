"""The demo city: deterministic, complete, built through the real services on both backends."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from hashwatch.demo.city import MARCH_NOTICE_REF, build_demo_city, reset_demo_data
from hashwatch.demo.plan import Action, plan_city
from hashwatch.demo.reports import Scenario
from hashwatch.errors import ConfigurationError, ConflictError
from hashwatch.reporting.districts import BEIJING_DISTRICTS
from hashwatch.services.assessment import assess
from hashwatch.services.audit_log import verify_audit
from hashwatch.services.status import notice_status
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from hashwatch.store.meter_readings import readings_root

SMALL = 40


def _fresh_sqlite(path: Path) -> Database:
    database = Database(f"sqlite:///{path}")
    database.migrate()
    return database


def _settings(tmp_path: Path, name: str) -> Settings:
    return Settings(data_dir=tmp_path / name)


def test_same_seed_same_city_on_every_backend(db: Database, tmp_path: Path) -> None:
    first = build_demo_city(db, _settings(tmp_path, "a"), seed=1, facilities=SMALL)
    again_db = _fresh_sqlite(tmp_path / "again.sqlite3")
    other_db = _fresh_sqlite(tmp_path / "other.sqlite3")
    try:
        again = build_demo_city(again_db, _settings(tmp_path, "b"), seed=1, facilities=SMALL)
        other = build_demo_city(other_db, _settings(tmp_path, "c"), seed=2, facilities=SMALL)
    finally:
        again_db.dispose()
        other_db.dispose()
    assert first == again
    assert first != other


def test_the_city_has_every_status_a_second_version_and_an_intact_audit_chain(
    db: Database, tmp_path: Path
) -> None:
    summary = build_demo_city(db, _settings(tmp_path, "data"), seed=7, facilities=SMALL)
    assert summary.facilities == summary.recipients == SMALL
    assert summary.districts == len(BEIJING_DISTRICTS)
    assert {"submitted", "returned", "accepted"} <= set(summary.status_counts)
    assert {"overdue", "not_opened"} & set(summary.status_counts)
    assert summary.submissions_by_version.get(2, 0) >= 1
    assert summary.rejected_attempts >= 1
    assert summary.facilities_involved_in_mining >= 1
    assert 0 < summary.reported_mining_electricity_kwh < summary.reported_facility_electricity_kwh
    chain = verify_audit(db)
    assert chain.ok
    assert chain.rows_checked == summary.audit_rows
    assert summary.pending_reports
    assert all(p.report_path.is_file() for p in summary.pending_reports)
    assert {p.status for p in summary.pending_reports} == {"returned", "overdue"}


def test_the_march_notice_is_closed_and_gives_april_a_trend(db: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path, "data")
    summary = build_demo_city(db, settings, seed=7, facilities=SMALL)
    march = notice_status(db, MARCH_NOTICE_REF)
    assert summary.earlier_notice_ref == MARCH_NOTICE_REF
    assert march.notice["state"] == "closed"
    assert 0 < summary.earlier_reports == march.counts["accepted"] < SMALL
    assert set(march.counts) == {"accepted", "overdue"}
    trend = assess(db, summary.notice_ref, settings=settings).trend
    assert [p.ref for p in trend] == [MARCH_NOTICE_REF, summary.notice_ref]
    assert trend[0].counted == summary.earlier_reports
    assert trend[0].mining_electricity_kwh > 0
    assert trend[1].change_pct is not None


def test_a_database_with_data_is_refused(db: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path, "data")
    build_demo_city(db, settings, seed=3, facilities=20)
    with pytest.raises(ConflictError, match="already holds data"):
        build_demo_city(db, settings, seed=3, facilities=20)


def test_full_size_plan_every_district_and_the_shares() -> None:
    from hashwatch.demo.facilities import generate_registry

    rng = random.Random(2021)
    registry = generate_registry(rng, 300)
    plan = plan_city(rng, registry.facilities)
    assert Counter(f.district_code for f in registry.facilities).keys() == {
        d.code for d in BEIJING_DISTRICTS
    }
    involved = [code for code, s in plan.scenarios.items() if s.involved]
    assert 0.08 * 300 <= len(involved) <= 0.12 * 300 + 1
    assert len(plan.non_responders) == 18  # 6 %
    submitted = {s.facility_code for s in plan.steps if s.action is Action.SUBMIT}
    assert submitted.isdisjoint(plan.non_responders)
    assert len(submitted) == 300 - 18
    assert {Scenario.MID_MONTH_INSTALL, Scenario.STOPPED_AFTER_NOTICE} <= set(
        plan.scenarios.values()
    )


def test_reset_deletes_the_sqlite_database_and_the_outbox(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "data")
    database = Database.from_settings(settings)
    database.migrate()
    try:
        build_demo_city(database, settings, seed=1, facilities=20)
    finally:
        database.dispose()
    assert any(readings_root(settings.data_dir).rglob("*.parquet"))
    deleted = reset_demo_data(settings)
    assert settings.data_dir / "hashwatch.sqlite3" in deleted
    assert not settings.outbox_dir.exists()
    assert not (settings.data_dir / "hashwatch.sqlite3").exists()
    # the meter data too: the readings store, the labels and series
    assert not (settings.data_dir / "meters").exists()
    assert not (settings.data_dir / "demo-meters").exists()


def test_a_readings_store_with_data_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "data")
    stray = readings_root(settings.data_dir) / "bucket=00" / "readings.parquet"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"")
    database = _fresh_sqlite(tmp_path / "db.sqlite3")
    try:
        with pytest.raises(ConflictError, match="readings store"):
            build_demo_city(database, settings, seed=1, facilities=20)
        build_demo_city(database, settings, seed=1, facilities=20, meters=False)
    finally:
        database.dispose()


def test_reset_refuses_postgresql(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    with pytest.raises(ConfigurationError, match="SQLite"):
        reset_demo_data(settings)
