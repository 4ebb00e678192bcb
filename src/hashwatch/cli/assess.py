"""``hashwatch assess NOTICE_REF``: the notice's impact assessment as tables or JSON."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape

from hashwatch.assessment.data import Basis
from hashwatch.cli.common import (
    AcceptedOnlyOption,
    OutputFormat,
    PublicOption,
    console,
    emit_object,
    emit_rows,
    open_database,
    settings,
)
from hashwatch.services.assessment import assess as assess_notice

_GROUP_COLUMNS = (
    "key",
    "label",
    "recipients",
    "counted",
    "involved",
    "facility_electricity_kwh",
    "mining_electricity_kwh",
    "mining_share_pct",
    "share_of_mining_pct",
    "unknown",
    "imputed_upper_kwh",
    "suppressed",
)


class AssessFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def assess(
    notice_ref: Annotated[str, typer.Argument(help="The notice's reference number.")],
    fmt: Annotated[
        AssessFormat,
        typer.Option("--format", "-f", help="Output format.", case_sensitive=False),
    ] = AssessFormat.TABLE,
    public: PublicOption = False,
    accepted_only: AcceptedOnlyOption = False,
) -> None:
    """Mining electricity of a notice: totals, shares, breakdowns, coverage, emissions,
    declared vs estimated, trend (method: docs/assessment.md).

    Example: hashwatch assess BJ-2021-04 --format json --public
    """
    db = open_database()
    try:
        result = assess_notice(
            db,
            notice_ref,
            settings=settings(),
            basis=Basis.ACCEPTED if accepted_only else Basis.SUBMITTED,
            public=public,
        )
    finally:
        db.dispose()
    data = result.as_dict()
    if fmt is AssessFormat.JSON:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_tables(data)


def _print_tables(data: dict[str, Any]) -> None:
    table = OutputFormat.TABLE
    notice = data["notice"]
    console.print(
        f"[bold]{escape(notice['ref'])}[/] {notice['period_start']} – {notice['period_end']} "
        f"({data['classification']}; basis {data['basis']})"
    )
    headline = {
        **{f"totals.{k}": v for k, v in data["totals"].items()},
        "jurisdiction.electricity_kwh": data["jurisdiction"]["electricity_kwh"],
        "jurisdiction.share_pct": data["jurisdiction"]["share_pct"],
        **{f"coverage.{k}": v for k, v in data["coverage"].items()},
        **{f"imputed.{k}": v for k, v in data["imputation"].items() if k != "facilities"},
    }
    emit_object(headline, table)
    for name in ("by_district", "by_organization_kind", "by_organization"):
        if name in data:
            emit_rows(data[name], table, columns=_GROUP_COLUMNS, title=name)
    emit_rows(data["by_coin"], table, title="by_coin")
    emit_rows(data["emissions"]["rows"], table, title="emissions (t CO2)")
    dve = data["declared_vs_estimated"]
    emit_object({k: v for k, v in dve.items() if not isinstance(v, list)}, table)
    if dve.get("outside"):
        emit_rows(dve["outside"], table, title="outside the estimated bounds")
    if data["trend"]:
        emit_rows(data["trend"], table, title="trend")
    for note in data["notes"]:
        console.print(f"- {escape(note)}")


def register(app: typer.Typer) -> None:
    """Add this command to the top-level app."""
    app.command("assess")(assess)
