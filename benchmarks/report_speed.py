"""Report speed: the assessment report of a 1,000-facility city in PDF, XLSX and HTML.

The demo city's generator builds ``--facilities`` data centers with the April 2021 notice and
its reports (SQLite, in a scratch directory); then each format is made ``--repeat`` times
through :func:`hashwatch.services.impact_report.impact_report`, the same call as
``hashwatch report``, and the best and median seconds are printed with the PDF's pages.

Usage::

    python benchmarks/report_speed.py --facilities 1000
    python benchmarks/report_speed.py --facilities 1000 --json report.json

Goal (issue 5): the full report for a 1,000-facility city in under 10 s.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from reporting_throughput import machine

from hashwatch.demo.city import NOTICE_REF, build_demo_city
from hashwatch.services.impact_report import ReportFormat, impact_report
from hashwatch.settings import Settings
from hashwatch.store.engine import Database


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hashwatch-report-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", database_url=None, smtp_host=None)
        db = Database.from_settings(settings)
        db.migrate()
        started = time.perf_counter()
        build_demo_city(db, settings, seed=args.seed, facilities=args.facilities, meters=False)
        built_s = time.perf_counter() - started
        figures: dict[str, Any] = {}
        for fmt in (ReportFormat.PDF, ReportFormat.XLSX, ReportFormat.HTML):
            for lang in args.lang:
                seconds, size, pages = [], 0, None
                for _ in range(args.repeat):
                    began = time.perf_counter()
                    made = impact_report(db, NOTICE_REF, settings=settings, fmt=fmt, lang=lang)
                    seconds.append(time.perf_counter() - began)
                    size = len(made.content)
                    if fmt is ReportFormat.PDF:
                        pages = len(PdfReader(io.BytesIO(made.content)).pages)
                figures[f"{fmt.value}-{lang}"] = {
                    "best_s": round(min(seconds), 2),
                    "median_s": round(statistics.median(seconds), 2),
                    "bytes": size,
                    **({"pages": pages} if pages else {}),
                }
        db.dispose()
    return {
        "facilities": args.facilities,
        "city_built_s": round(built_s, 1),
        "reports": figures,
        "machine": machine(),
        "command": " ".join(["python", "benchmarks/report_speed.py", *sys.argv[1:]]),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facilities", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lang", nargs="+", default=["zh", "en"], choices=["zh", "en"])
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    result = run(args)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
