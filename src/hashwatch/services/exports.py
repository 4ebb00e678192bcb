"""Exporting a notice's reports: CSV (one row per recipient), XLSX (one sheet per table), JSON."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from hashwatch.io.tables import write_csv, write_json, write_xlsx
from hashwatch.reporting.models import Recipient
from hashwatch.services.lookup import get_notice
from hashwatch.services.status import STATUS_COLUMNS, status_in_session
from hashwatch.store.engine import Database

COIN_COLUMNS = ("facility_code", "version", "coin", "algorithm", "hashrate_ths", "electricity_kwh")
EQUIPMENT_COLUMNS = (
    "facility_code",
    "version",
    "model",
    "catalogue_model",
    "count",
    "rated_power_w",
)
FINDING_COLUMNS = ("facility_code", "version", "code", "severity", "field", "message")


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"


def _latest_reports(session: Session, ref: str) -> dict[str, dict[str, Any]]:
    """Facility code → the newest version's normalised report and findings."""
    notice = get_notice(session, ref)
    recipients = session.execute(
        select(Recipient)
        .where(Recipient.notice_id == notice.id)
        .options(joinedload(Recipient.facility), selectinload(Recipient.submissions))
    ).scalars()
    out = {}
    for recipient in recipients:
        if recipient.submissions:
            latest = recipient.submissions[-1]
            out[recipient.facility.code] = {
                "version": latest.version,
                "record_sha256": latest.record_sha256,
                "report": json.loads(latest.report_json),
                "findings": json.loads(latest.findings_json),
            }
    return out


def _lines(reports: dict[str, dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """One row per coin line, equipment line or finding, tagged with facility and version."""
    rows: list[dict[str, Any]] = []
    for code, entry in sorted(reports.items()):
        source = entry["findings"] if key == "findings" else entry["report"].get(key) or []
        rows.extend({"facility_code": code, "version": entry["version"], **line} for line in source)
    return rows


def export_notice(db: Database, ref: str, fmt: ExportFormat, path: Path) -> dict[str, Any]:
    """Write the notice's reports to ``path``; returns what was written."""
    with db.read() as session:  # one snapshot for the status and the reports
        status = status_in_session(session, ref)
        reports = _latest_reports(session, ref)
    if fmt is ExportFormat.CSV:
        write_csv(path, STATUS_COLUMNS, status.rows)
        return {"path": str(path), "rows": len(status.rows)}
    if fmt is ExportFormat.JSON:
        write_json(
            path,
            {
                "notice": status.notice,
                "summary": status.summary,
                "counts": status.counts,
                "recipients": [
                    {**row, **reports.get(row["facility_code"], {})} for row in status.rows
                ],
            },
        )
        return {"path": str(path), "rows": len(status.rows)}
    sheets = {
        "recipients": (STATUS_COLUMNS, status.rows),
        "coins": (COIN_COLUMNS, _lines(reports, "coins")),
        "equipment": (EQUIPMENT_COLUMNS, _lines(reports, "equipment")),
        "findings": (FINDING_COLUMNS, _lines(reports, "findings")),
        "summary": (
            ("measure", "value"),
            [{"measure": k, "value": v} for k, v in status.summary.items()],
        ),
    }
    write_xlsx(path, sheets)
    return {"path": str(path), "rows": len(status.rows), "sheets": list(sheets)}
