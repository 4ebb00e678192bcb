"""The published schema of a report (no sign-in needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from hashwatch.reporting.report import report_json_schema
from hashwatch.web.api.routing import ApiRoute

router = APIRouter(prefix="/api/v1/schema", tags=["schema"], route_class=ApiRoute)


@router.get("/report", summary="JSON Schema of a report")
def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every report is checked against."""
    return report_json_schema()
