"""``hashwatch notice ...``: create, add recipients, issue, status, remind, close, list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from pydantic import ValidationError
from rich.markup import escape

from hashwatch.cli.common import (
    ActorOption,
    FormatOption,
    OutputFormat,
    console,
    emit_object,
    emit_rows,
    open_database,
    resolve_actor,
    settings,
)
from hashwatch.errors import InputError
from hashwatch.reporting.rules import RuleSettings
from hashwatch.services import notices as service
from hashwatch.services.delivery import DeliveryReport
from hashwatch.services.registry import district_code_for
from hashwatch.services.status import STATUS_COLUMNS, notice_status

app = typer.Typer(
    help="Notices: create, add recipients, issue, follow, remind, close.", no_args_is_help=True
)

RefArg = Annotated[str, typer.Argument(help="The notice's reference number.")]


def parse_deadline(value: str, timezone: str) -> dt.datetime:
    """An ISO 8601 time; without an offset it is read in the notice's time zone."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"deadline {value!r} is not an ISO 8601 time such as 2021-04-30T18:00",
            field="deadline",
        ) from None
    if parsed.tzinfo is None:
        try:
            parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(
                f"timezone {timezone!r} is not an IANA time zone", field="timezone"
            ) from None
    return parsed


def read_rule_settings(path: Path) -> RuleSettings:
    """Validation tolerances from a JSON object; errors name the setting."""
    try:
        return RuleSettings.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", field="rules") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "file"
        raise InputError(f"{path}: {where}: {first['msg']}", field="rules") from None


def _delivery_line(report: DeliveryReport) -> None:
    where = f" ({report.outbox_files[0].parent.parent})" if report.outbox_files else ""
    console.print(
        f"delivered: {report.sent_by_smtp} by SMTP, {report.written_to_outbox} to the outbox"
        + where
    )
    if report.missing_address:
        console.print(
            f"[yellow]no e-mail address for {len(report.missing_address)} facilities[/]: "
            "hand their outbox files over another way"
        )
    if report.smtp_failed:
        console.print(
            f"[yellow]SMTP did not take {len(report.smtp_failed)} messages[/] "
            f"({escape(report.smtp_error or 'address refused')}); they are in the outbox: "
            + escape(", ".join(report.smtp_failed[:10]))
            + (" ..." if len(report.smtp_failed) > 10 else "")
        )


@app.command()
def create(
    ref: Annotated[str, typer.Option(help="Reference number, e.g. 京经信发〔2021〕12号.")],
    title: Annotated[str, typer.Option(help="Title of the notice.")],
    legal_basis: Annotated[str, typer.Option(help="The law or order it rests on.")],
    issuer: Annotated[str, typer.Option(help="The issuing body.")],
    period_start: Annotated[
        dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="First day reported on.")
    ],
    period_end: Annotated[
        dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="Last day reported on.")
    ],
    deadline: Annotated[str, typer.Option(help="ISO time; local to --timezone if no offset.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone.")] = "Asia/Shanghai",
    urgent: Annotated[bool, typer.Option("--urgent", help="Mark as urgent.")] = False,
    rules: Annotated[
        Path | None,
        typer.Option(help="JSON file of validation tolerances (see docs/validation-rules.md)."),
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    actor: ActorOption = None,
) -> None:
    """Create a notice (a draft until issued).

    Example: hashwatch notice create --ref BJ-2021-04 --title "Mining electricity" \
--legal-basis "Energy Conservation Law" --issuer "Beijing MIIT" --period-start 2021-04-01 \
--period-end 2021-04-30 --deadline 2021-05-07T18:00 --urgent
    """
    draft = service.NoticeDraft(
        ref=ref,
        title=title,
        legal_basis=legal_basis,
        issuer=issuer,
        period_start=period_start.date(),
        period_end=period_end.date(),
        deadline=parse_deadline(deadline, timezone),
        timezone=timezone,
        urgent=urgent,
        rule_settings=read_rule_settings(rules) if rules else None,
    )
    emit_object(service.create_notice(open_database(), draft, actor=resolve_actor(actor)), fmt)


@app.command("add-recipients")
def add_recipients(
    ref: RefArg,
    facility: Annotated[list[str] | None, typer.Option(help="Facility code (repeatable).")] = None,
    organization: Annotated[str | None, typer.Option(help="All facilities of this USCC.")] = None,
    district: Annotated[str | None, typer.Option(help="All facilities in this district.")] = None,
    all_facilities: Annotated[bool, typer.Option("--all", help="Every facility.")] = False,
    actor: ActorOption = None,
) -> None:
    """Add recipients: facilities, an organization's, a district's, or all.

    Example: hashwatch notice add-recipients BJ-2021-04 --district 朝阳区
    """
    cfg = settings()
    result = service.add_recipients(
        open_database(),
        ref,
        actor=resolve_actor(actor),
        settings=cfg,
        facility_codes=facility or [],
        organization_uscc=organization,
        district_code=district_code_for(district, cfg) if district else None,
        all_facilities=all_facilities,
    )
    console.print(
        f"added {result['added']} recipients "
        f"({result['already_recipients']} were recipients already)"
    )
    if result["added"] == 0 and result["already_recipients"] == 0:
        console.print("[yellow]no facility matched: check the codes, organization or district[/]")
    if "delivery" in result:
        _delivery_line(result["delivery"])


@app.command()
def issue(ref: RefArg, actor: ActorOption = None) -> None:
    """Issue a notice: freeze the questionnaire and send each recipient its access token.

    Example: hashwatch notice issue BJ-2021-04
    """
    with console.status(f"issuing {ref}: one token and one message per recipient"):
        result = service.issue_notice(
            open_database(), ref, actor=resolve_actor(actor), settings=settings()
        )
    console.print(f"issued {result.notice_ref} to {result.recipients} recipients")
    _delivery_line(result.delivery)


@app.command()
def status(ref: RefArg, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Each recipient's status (not opened, draft, submitted, returned, accepted, overdue).

    Example: hashwatch notice status BJ-2021-04 --format csv
    """
    result = notice_status(open_database(), ref)
    if fmt is OutputFormat.TABLE:
        emit_rows(
            result.rows,
            fmt,
            columns=[
                "facility_code",
                "facility_name",
                "district_code",
                "status",
                "version",
                "received_at",
                "late",
                "mining_electricity_kwh",
                "mining_share_pct",
            ],
            title=f"{result.notice['ref']}: {result.notice['title']}",
        )
        console.print(", ".join(f"{k}: {v}" for k, v in sorted(result.counts.items())))
        emit_object(result.summary, fmt)
    else:
        emit_rows(result.rows, fmt, columns=STATUS_COLUMNS)


@app.command()
def remind(ref: RefArg, actor: ActorOption = None) -> None:
    """Remind the recipients that have not submitted.

    Example: hashwatch notice remind BJ-2021-04
    """
    _delivery_line(
        service.remind(open_database(), ref, actor=resolve_actor(actor), settings=settings())
    )


@app.command()
def resend(
    ref: RefArg,
    facility: Annotated[str, typer.Option(help="Facility code.")],
    actor: ActorOption = None,
) -> None:
    """Give one recipient a new access token (the old one stops working) and send it.

    Example: hashwatch notice resend BJ-2021-04 --facility BJ-DC-0001
    """
    _delivery_line(
        service.resend_token(
            open_database(), ref, facility, actor=resolve_actor(actor), settings=settings()
        )
    )


@app.command()
def close(ref: RefArg, actor: ActorOption = None) -> None:
    """Close a notice: it takes no more reports.

    Example: hashwatch notice close BJ-2021-04
    """
    service.close_notice(open_database(), ref, actor=resolve_actor(actor))
    console.print(f"closed {ref}")


@app.command("list")
def list_(fmt: FormatOption = OutputFormat.TABLE) -> None:
    """List notices.

    Example: hashwatch notice list --format json
    """
    emit_rows(
        service.list_notices(open_database()),
        fmt,
        columns=[
            "ref",
            "title",
            "state",
            "period_start",
            "period_end",
            "deadline",
            "recipients",
        ],
    )
