"""Web load: many reporters filing at once through the JSON API, on SQLite or PostgreSQL.

A registry of ``--reporters`` data centers is imported, one notice issued to all of them, and
``hashwatch serve`` started in a subprocess on a free loopback port. Then every reporter
files its report at the same moment with ``httpx.AsyncClient``::

    POST /api/v1/notices/{ref}/facilities/{code}/submissions
    Authorization: Bearer <the recipient's access token>
    Idempotency-Key: load-<code>

A reporter retries with the same key after a timeout, a transport error or a 5xx/429 answer
(``--retries``, with backoff). ``--cut-share`` of the reporters give up on their first
attempt after ``--cut-after-ms`` whatever the server does (a client that loses its
connection), so the server sees retries of reports it may already have stored. At the end
the database is read directly: every reporter must have exactly one version (zero lost, zero
duplicated), and every answer must be 201 (stored) or 200 (a replay of the key).

Usage::

    python benchmarks/web_load.py --reporters 500
    python benchmarks/web_load.py --reporters 500 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --json pg.json

With a PostgreSQL URL a scratch database (``hashwatch_load``) is created on that server and
dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from reporting_throughput import machine, mixed_reports, scratch_database
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from hashwatch.demo.city import demo_notice, tokens_from_messages
from hashwatch.demo.facilities import generate_registry
from hashwatch.io.registry_files import write_registry_csv
from hashwatch.reporting.models import Facility, Notice, Recipient, Submission
from hashwatch.services.notices import add_recipients, create_notice, issue_notice
from hashwatch.services.registry import import_registry
from hashwatch.settings import Settings
from hashwatch.store.engine import Database

SCRATCH_DATABASE = "hashwatch_load"
ACTOR = "bench:web-load"
RETRYABLE = frozenset({429, 500, 502, 503, 504})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(
    env: dict[str, str], port: int, log: Path, workers: int = 1, cpus: set[int] | None = None
) -> Iterator[tuple[str, int]]:
    """``hashwatch serve`` in a subprocess until the block ends; yields its base URL and pid.

    With ``cpus`` the server (and its workers) may run on those CPUs only (Linux).
    """
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "hashwatch", "serve", "--port", str(port)),
                *("--workers", str(workers)),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,  # noqa: PLW1509
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    out.flush()
                    raise RuntimeError(f"the server did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.1)
            yield base, proc.pid
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@dataclass
class Tally:
    """What the reporters saw."""

    latencies_s: list[float] = field(default_factory=list)
    #: (seconds after the start when the request left, its latency) of every answer
    timeline: list[tuple[float, float]] = field(default_factory=list)
    started: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    cut: int = 0
    failed: list[str] = field(default_factory=list)


async def file_one(
    client: httpx.AsyncClient,
    url: str,
    job: tuple[str, str, dict[str, Any]],
    tally: Tally,
    *,
    retries: int,
    cut_after_s: float | None,
    start: asyncio.Event,
    delay_s: float = 0.0,
) -> None:
    """One reporter: file, retrying with the same Idempotency-Key until an answer is final.

    The first attempt leaves ``delay_s`` after the common start (0: all at once).
    """
    code, token, report = job
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"load-{code}"}
    await start.wait()
    if delay_s:
        await asyncio.sleep(delay_s)
    for attempt in range(retries + 1):
        if attempt:
            tally.retries += 1
            await asyncio.sleep(min(2.0, 0.05 * 2**attempt) * random.random())
        timeout = cut_after_s if (attempt == 0 and cut_after_s is not None) else 60.0
        began = time.perf_counter()
        try:
            response = await client.post(url, json=report, headers=headers, timeout=timeout)
        except httpx.TimeoutException:
            tally.statuses["timeout"] += 1
            if attempt == 0 and cut_after_s is not None:
                tally.cut += 1
            continue
        except httpx.TransportError as exc:
            tally.statuses[type(exc).__name__] += 1
            continue
        tally.latencies_s.append(time.perf_counter() - began)
        tally.timeline.append((began - tally.started, time.perf_counter() - began))
        tally.statuses[str(response.status_code)] += 1
        if response.status_code in (200, 201):
            return
        if response.status_code not in RETRYABLE:
            tally.failed.append(f"{code}: {response.status_code} {response.text[:200]}")
            return
    tally.failed.append(f"{code}: no final answer after {retries + 1} attempts")


async def load(
    base: str,
    ref: str,
    jobs: list[tuple[str, str, dict[str, Any]]],
    *,
    retries: int,
    cut_share: float,
    cut_after_ms: float,
    seed: int,
    rate_per_s: float | None = None,
) -> tuple[Tally, float]:
    """Every reporter files once; returns the tally and the wall-clock seconds.

    Without ``rate_per_s`` all first attempts leave at the same instant (a burst); with it
    they arrive as a Poisson process of that rate (exponential gaps, seeded): an open-loop
    load, so a slow server does not slow the arrivals down.
    """
    tally = Tally()
    rng = random.Random(seed)
    cut = set(rng.sample(range(len(jobs)), round(len(jobs) * cut_share)))
    delays = arrival_delays_s(rng, len(jobs), rate_per_s)
    limits = httpx.Limits(max_connections=len(jobs), max_keepalive_connections=len(jobs))
    start = asyncio.Event()
    async with httpx.AsyncClient(limits=limits) as client:
        tasks = [
            asyncio.create_task(
                file_one(
                    client,
                    f"{base}/api/v1/notices/{ref}/facilities/{job[0]}/submissions",
                    job,
                    tally,
                    retries=retries,
                    cut_after_s=cut_after_ms / 1000 if index in cut else None,
                    start=start,
                    delay_s=delays[index],
                )
            )
            for index, job in enumerate(jobs)
        ]
        await asyncio.sleep(0)
        began = time.perf_counter()
        tally.started = began
        start.set()
        await asyncio.gather(*tasks)
        return tally, time.perf_counter() - began


async def warm_up(base: str, ref: str, jobs: list[tuple[str, str, dict[str, Any]]], n: int) -> None:
    """``n`` uncounted ``POST .../check`` of the first reporters' reports (validation only,
    nothing stored): the server's threads, connections and caches are warm when the measured
    filing starts, as in service."""
    async with httpx.AsyncClient() as client:
        answers = await asyncio.gather(
            *(
                client.post(
                    f"{base}/api/v1/notices/{ref}/facilities/{code}/check",
                    json=report,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60.0,
                )
                for code, token, report in (jobs * n)[:n]
            )
        )
    if any(a.status_code != 200 for a in answers):
        raise RuntimeError(f"warm-up failed: {sorted({a.status_code for a in answers})}")


def arrival_delays_s(rng: random.Random, count: int, rate_per_s: float | None) -> list[float]:
    """Start offsets [s] of ``count`` arrivals: all 0, or a Poisson process of ``rate_per_s``."""
    if not rate_per_s:
        return [0.0] * count
    delays, moment = [], 0.0
    for _ in range(count):
        moment += rng.expovariate(rate_per_s)
        delays.append(moment)
    return delays


def _cpus(text: str | None) -> set[int] | None:
    """``"0"`` or ``"0,1"`` → CPU numbers (None: no pinning)."""
    return {int(c) for c in text.split(",")} if text else None


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        used[child] = (int(fields[11]) + int(fields[12])) / tick
    tree, grew = {pid}, True
    while grew:
        found = {child for child, parent in parents.items() if parent in tree} - tree
        grew = bool(found)
        tree |= found
    return sum(used.get(p, 0.0) for p in tree)


def stored_versions(db: Database, ref: str) -> dict[str, int]:
    """Facility code -> number of stored versions, for every recipient of the notice."""
    with db.read() as session:
        rows = session.execute(
            select(Facility.code, func.count(Submission.id))
            .select_from(Recipient)
            .join(Notice, Notice.id == Recipient.notice_id)
            .join(Facility, Facility.id == Recipient.facility_id)
            .outerjoin(Submission, Submission.recipient_id == Recipient.id)
            .where(Notice.ref == ref)
            .group_by(Facility.code)
        ).all()
    return {str(code): int(n) for code, n in rows}


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def run(args: argparse.Namespace) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="hashwatch-load-") as tmp,
        scratch_database(args.database_url, Path(tmp), name=SCRATCH_DATABASE) as url,
    ):
        workdir = Path(tmp)
        settings = Settings(data_dir=workdir / "data", database_url=url, smtp_host=None)
        db = Database(url)
        db.migrate()
        rng = random.Random(args.seed)
        registry = generate_registry(rng, args.reporters)
        csv_path = workdir / "registry.csv"
        write_registry_csv(csv_path, [f.registry_row() for f in registry.facilities])
        import_registry(db, csv_path, actor=ACTOR)
        ref = demo_notice().ref
        create_notice(db, demo_notice(), actor=ACTOR)
        add_recipients(db, ref, actor=ACTOR, settings=settings, all_facilities=True)
        issued = issue_notice(db, ref, actor=ACTOR, settings=settings)
        tokens = tokens_from_messages(issued.delivery.outbox_files)
        facilities = sorted(registry.facilities, key=lambda f: f.code)
        batch = mixed_reports(rng, facilities, args.reporters)
        jobs = [(code, tokens[code], report) for code, report, _received in batch]

        env = {
            **os.environ,
            "HASHWATCH_DATA_DIR": str(settings.data_dir),
            "HASHWATCH_DATABASE_URL": url,
            "HASHWATCH_ENVIRONMENT": "development",
        }
        server_cpus = _cpus(args.server_cpus)
        if args.client_cpus:
            os.sched_setaffinity(0, _cpus(args.client_cpus) or set())
        log = workdir / "server.log"
        with server(env, free_port(), log, args.workers, server_cpus) as (base, pid):
            if args.warmup:
                asyncio.run(warm_up(base, ref, jobs, args.warmup))
            cpu_before_s = tree_cpu_s(pid)
            tally, seconds = asyncio.run(
                load(
                    base,
                    ref,
                    jobs,
                    retries=args.retries,
                    cut_share=args.cut_share,
                    cut_after_ms=args.cut_after_ms,
                    seed=args.seed,
                    rate_per_s=args.rate,
                )
            )
            server_cpu_s = tree_cpu_s(pid) - cpu_before_s
        versions = stored_versions(db, ref)
        db.dispose()
    stored = sum(versions.values())
    lost = sum(1 for n in versions.values() if n == 0)
    duplicated = sum(n - 1 for n in versions.values() if n > 1)
    answered = tally.statuses["201"] + tally.statuses["200"]
    return {
        "backend": make_url(url).get_backend_name(),
        "reporters": len(jobs),
        "arrivals": f"Poisson, {args.rate}/s" if args.rate else "burst (all at once)",
        "warmup_checks": args.warmup,
        "server_workers": args.workers,
        "server_cpus": args.server_cpus or "any",
        "client_cpus": args.client_cpus or "any",
        "seconds": round(seconds, 2),
        "throughput_reports_per_s": round(len(jobs) / seconds, 1),
        "latency_ms": {
            "p50": round(quantile(tally.latencies_s, 0.50) * 1000, 1),
            "p99": round(quantile(tally.latencies_s, 0.99) * 1000, 1),
            "max": round(max(tally.latencies_s, default=float("nan")) * 1000, 1),
        },
        "server_cpu_ms_per_report": round(server_cpu_s * 1000 / len(jobs), 2),
        "slowest": [
            {"sent_at_s": round(at, 3), "latency_ms": round(took * 1000, 1)}
            for at, took in sorted(tally.timeline, key=lambda pair: -pair[1])[:8]
        ],
        "answers": dict(sorted(tally.statuses.items())),
        "retries": tally.retries,
        "cut_first_attempts": tally.cut,
        "reporters_answered_201_or_200": answered,
        "stored_versions": stored,
        "lost": lost,
        "duplicated": duplicated,
        "failed": tally.failed[:10],
        "machine": machine(),
        "command": " ".join(["python", "benchmarks/web_load.py", *sys.argv[1:]]),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reporters", type=int, default=500, help="concurrent reporters")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server URL")
    parser.add_argument("--retries", type=int, default=8, help="retries per reporter")
    parser.add_argument(
        "--cut-share", type=float, default=0.1, help="share of first attempts cut short"
    )
    parser.add_argument(
        "--cut-after-ms", type=float, default=50.0, help="client timeout of a cut attempt [ms]"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="arrivals per second (Poisson, open loop); default: every reporter at once",
    )
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument(
        "--warmup", type=int, default=0, help="uncounted /check requests before the filing"
    )
    parser.add_argument("--server-cpus", default=None, help="pin the server, e.g. 0 or 0,1")
    parser.add_argument("--client-cpus", default=None, help="pin the load generator, e.g. 1")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    result = run(args)
    text_out = json.dumps(result, indent=2, ensure_ascii=False)
    if args.json:
        args.json.write_text(text_out + "\n", encoding="utf-8")
    print(text_out)
    if result["lost"] or result["duplicated"] or result["failed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
