"""Reporting throughput: import a registry, issue a notice, file reports, on SQLite or PostgreSQL.

Every step goes through the service layer, as the CLI and the web app do:

1. ``import``: a generated registry CSV of ``--facilities`` data centers (the demo city's
   generator) loaded by :func:`hashwatch.services.registry.import_registry`;
2. ``add recipients`` and ``issue``: one notice to every facility, tokens written to the
   outbox as ``.eml`` files;
3. ``submit``: ``--reports`` reports through :func:`hashwatch.services.submissions.submit_report`
   (about 90 % nil returns, 10 % mining reports, a third of those with an explained warning);
4. ``status`` and ``audit verify``: the notice's status table and the whole hash chain.

Usage::

    python benchmarks/reporting_throughput.py --facilities 10000 --reports 10000
    python benchmarks/reporting_throughput.py --database-url \\
        postgresql+psycopg://postgres@127.0.0.1:5432/test --json pg.json

With a PostgreSQL URL a scratch database (``hashwatch_bench``) is created on that server
and dropped afterwards; the database named in the URL is only used to connect.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hashwatch.demo.city import demo_notice, tokens_from_messages
from hashwatch.demo.facilities import DemoFacility, generate_registry
from hashwatch.demo.reports import (
    SHANGHAI,
    WARNING_SCENARIOS,
    Scenario,
    Signer,
    attested,
    build_report,
)
from hashwatch.io.registry_files import write_registry_csv
from hashwatch.services.audit_log import verify_audit
from hashwatch.services.notices import add_recipients, create_notice, issue_notice
from hashwatch.services.registry import import_registry
from hashwatch.services.status import notice_status
from hashwatch.services.submissions import submit_report
from hashwatch.settings import Settings
from hashwatch.store.engine import Database

SCRATCH_DATABASE = "hashwatch_bench"
ACTOR = "bench:throughput"
INVOLVED_SHARE = 0.10
T = TypeVar("T")


@dataclass(frozen=True)
class Measure:
    """One timed step: how long, how many rows, and the rate."""

    step: str
    seconds: float
    rows: int
    unit: str

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def timed(step: str, rows: int, unit: str, action: Callable[[], T]) -> tuple[T, Measure]:
    """Run ``action`` once and measure it."""
    print(f"{step}: {rows} {unit} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = action()
    return result, Measure(step, time.perf_counter() - started, rows, unit)


def machine() -> dict[str, Any]:
    """What a benchmark ran on, for its JSON figures."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


@contextmanager
def scratch_database(
    url: str | None, workdir: Path, *, name: str = SCRATCH_DATABASE
) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file in ``workdir`` or a scratch PostgreSQL one,
    ``name`` on the server of ``url``, dropped afterwards."""
    if url is None or make_url(url).get_backend_name() == "sqlite":
        yield url or f"sqlite:///{workdir / f'{name}.sqlite3'}"
        return
    admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with admin.connect() as conn:
        conn.execute(drop)
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(drop)
        admin.dispose()


def mixed_reports(
    rng: random.Random, facilities: list[DemoFacility], count: int
) -> list[tuple[str, dict[str, Any], dt.datetime]]:
    """(facility code, report, received at) for the first ``count`` facilities."""
    chosen = facilities[:count]
    involved = set(rng.sample(range(len(chosen)), round(len(chosen) * INVOLVED_SHARE)))
    reports = []
    for index, facility in enumerate(chosen):
        scenario = Scenario.NIL
        if index in involved:
            roll = rng.random()
            scenario = WARNING_SCENARIOS[int(roll * 9)] if roll < 1 / 3 else Scenario.MINING
        received = dt.datetime(2021, 5, 6, 9, tzinfo=SHANGHAI) + dt.timedelta(
            seconds=rng.randint(0, 30 * 3600)
        )
        signer = Signer("陈杰", "总经理 General manager")
        report = attested(build_report(rng, facility, scenario), signer, received)
        reports.append((facility.code, report, received))
    return reports


def run(facilities: int, reports: int, database_url: str | None, seed: int) -> dict[str, Any]:
    """The whole benchmark; returns the figures as plain data."""
    measures: list[Measure] = []
    with (
        tempfile.TemporaryDirectory(prefix="hashwatch-bench-") as tmp,
        scratch_database(database_url, Path(tmp)) as url,
    ):
        workdir = Path(tmp)
        settings = Settings(data_dir=workdir / "data", database_url=url, smtp_host=None)
        db = Database(url)
        db.migrate()
        rng = random.Random(seed)
        registry = generate_registry(rng, facilities)
        csv_path = workdir / "registry.csv"
        write_registry_csv(csv_path, [f.registry_row() for f in registry.facilities])
        _, m = timed(
            "import", facilities, "facilities", lambda: import_registry(db, csv_path, actor=ACTOR)
        )
        measures.append(m)
        create_notice(db, demo_notice(), actor=ACTOR)
        ref = demo_notice().ref

        def add() -> object:
            return add_recipients(db, ref, actor=ACTOR, settings=settings, all_facilities=True)

        _, m = timed("add recipients", facilities, "recipients", add)
        measures.append(m)
        issued, m = timed(
            "issue",
            facilities,
            "recipients",
            lambda: issue_notice(db, ref, actor=ACTOR, settings=settings),
        )
        measures.append(m)
        tokens = tokens_from_messages(issued.delivery.outbox_files)
        batch = mixed_reports(rng, sorted(registry.facilities, key=lambda f: f.code), reports)

        def submit_all() -> int:
            for code, report, received in batch:
                submit_report(db, tokens[code], report, notice_ref=ref, now=received)
            return len(batch)

        _, m = timed("submit", len(batch), "reports", submit_all)
        measures.append(m)
        status, m = timed("status", facilities, "recipients", lambda: notice_status(db, ref))
        measures.append(m)
        chain, m = timed("audit verify", 0, "rows", lambda: verify_audit(db))
        measures.append(Measure(m.step, m.seconds, chain.rows_checked, m.unit))
        db.dispose()
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "backend": make_url(url).get_backend_name(),
        "facilities": facilities,
        "reports": len(batch),
        "submitted_status": status.counts.get("submitted", 0),
        "audit_chain_ok": chain.ok,
        "peak_rss_mib": round(peak_rss_mib, 1),
        "machine": machine(),
        "steps": [{**asdict(m), "rate_per_s": round(m.rate, 1)} for m in measures],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facilities", type=int, default=10_000, help="registry size")
    parser.add_argument("--reports", type=int, default=10_000, help="reports to submit")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if not 0 < args.reports <= args.facilities:
        parser.error("--reports must be between 1 and --facilities")
    figures = run(args.facilities, args.reports, args.database_url, args.seed)
    print(
        f"backend {figures['backend']}, {figures['facilities']} facilities, "
        f"{figures['reports']} reports, {figures['machine']['cpus']} CPUs"
    )
    for step in figures["steps"]:
        print(
            f"  {step['step']:<15} {step['seconds']:8.2f} s  {step['rows']:>7} {step['unit']:<10}"
            f" {step['rate_per_s']:>9,.1f} /s"
        )
    print(
        f"  peak RSS {figures['peak_rss_mib']:.0f} MiB; audit chain ok: {figures['audit_chain_ok']}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
