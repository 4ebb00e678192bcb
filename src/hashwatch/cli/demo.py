"""``hashwatch demo``: build the synthetic demo city, then serve it with a regulator login."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Annotated, Final

import typer
from rich.markup import escape
from rich.table import Table

from hashwatch.accounts.models import Role
from hashwatch.cli.common import console, open_database, settings
from hashwatch.cli.meters import demo_meters
from hashwatch.demo.city import DemoSummary, build_demo_city, reset_demo_data, tokens_from_messages
from hashwatch.demo.facilities import DEFAULT_FACILITIES, MIN_FACILITIES
from hashwatch.errors import ConfigurationError
from hashwatch.services.accounts import add_user
from hashwatch.services.status import notice_status
from hashwatch.settings import Settings
from hashwatch.store.engine import Database

DEMO_HOST: Final = "127.0.0.1"
DEMO_ADMIN: Final = "demo-admin"
#: One reporter link for each of these statuses, when the city has one.
LINK_STATUSES: Final = ("overdue", "returned", "submitted", "accepted")
_PASSWORD_ALPHABET: Final = string.ascii_letters + string.digits
_PASSWORD_CHARS: Final = 16


def demo(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option(help="Seed of the city: one seed, one city.")] = 2021,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="--no-serve: build and print only.")
    ] = True,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Delete the embedded SQLite database, the outbox, the reports left to file "
            "and the meter data (the readings store) first.",
        ),
    ] = False,
    facilities: Annotated[
        int, typer.Option(min=MIN_FACILITIES, max=60_000, hidden=True, help="Number of facilities.")
    ] = DEFAULT_FACILITIES,
    meter_data: Annotated[
        bool,
        typer.Option(
            "--meter-data/--no-meter-data",
            help="--no-meter-data: no meter data (load curves of every registered meter, "
            "four months hourly, scored against the April notice).",
        ),
    ] = True,
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="TCP port to serve on (on 127.0.0.1).")
    ] = 8000,
) -> None:
    """Build a synthetic Beijing: ~300 data centers, the April 2021 notice and its reports.

    Before April, a closed March 2021 notice with its reports, so that the April
    assessment shows a trend. Every registered meter gets hourly load data for January to
    April 2021 from the labelled generator, consistent with the reports but for a few
    facilities that mine without declaring it; it is ingested and scored against the April
    notice (a stored detection run).

    Runs the real import, notice, submission and review services on the configured
    database (by default SQLite in HASHWATCH_DATA_DIR), which must be empty, and adds a
    regulator admin with a random password, printed once. Then serves the web app on
    127.0.0.1 until Ctrl-C, printing the URL, the login and a few reporter links
    (--no-serve: build and print only). Refused when HASHWATCH_ENVIRONMENT=production.

    Example: HASHWATCH_DATA_DIR=./demo-city hashwatch demo --seed 7 --no-serve
    """
    if ctx.invoked_subcommand is not None:
        return
    cfg = demo_settings(settings(), port)
    if reset:
        for path in reset_demo_data(cfg):
            console.print(f"deleted {escape(str(path))}")
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(migrate=True)
    try:
        summary = build_demo_city(
            db,
            cfg,
            seed=seed,
            facilities=facilities,
            meters=meter_data,
            progress=lambda message: console.print(f"[dim]{escape(message)}[/]"),
        )
        login = create_demo_admin(db)
        links = reporter_links(db, summary, cfg.public_url)
    finally:
        db.dispose()
    print_summary(summary)
    print_access(cfg.public_url, login, links, serving=serve, port=port)
    if serve:
        serve_demo(cfg, port)


def demo_settings(cfg: Settings, port: int) -> Settings:
    """The demo's settings: refused in production; notice links point at the served port.

    An explicit HASHWATCH_PUBLIC_URL is kept (a proxy in front, say).
    """
    if cfg.environment == "production":
        raise ConfigurationError(
            "hashwatch demo creates synthetic data and a regulator login with a printed "
            "password: it is refused with HASHWATCH_ENVIRONMENT=production"
        )
    if "public_url" in cfg.model_fields_set:
        return cfg
    return cfg.model_copy(update={"public_url": f"http://{DEMO_HOST}:{port}"})


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str


@dataclass(frozen=True)
class ReporterLink:
    facility_code: str
    status: str
    url: str


def create_demo_admin(db: Database) -> DemoLogin:
    """A regulator admin with a fresh random password (the caller prints it, once)."""
    password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(_PASSWORD_CHARS))
    add_user(
        db,
        DEMO_ADMIN,
        password,
        role=Role.ADMIN,
        actor="demo",
        display_name="Demo administrator",
    )
    return DemoLogin(DEMO_ADMIN, password)


def reporter_links(db: Database, summary: DemoSummary, public_url: str) -> list[ReporterLink]:
    """A notice link (``{public_url}/r/{token}``) for one recipient of each of LINK_STATUSES."""
    tokens = tokens_from_messages((summary.outbox_dir / summary.notice_ref).glob("*/*.eml"))
    rows = notice_status(db, summary.notice_ref).rows
    links = []
    for status in LINK_STATUSES:
        row = next((r for r in rows if r["status"] == status), None)
        if row is not None and row["facility_code"] in tokens:
            code = str(row["facility_code"])
            url = f"{public_url.rstrip('/')}/r/{tokens[code]}"
            links.append(ReporterLink(code, status, url))
    return links


def print_access(
    public_url: str, login: DemoLogin, links: list[ReporterLink], *, serving: bool, port: int
) -> None:
    """Where to go and who to be: the URL, the regulator login, reporter links."""
    base = public_url.rstrip("/") + "/"
    console.print("[bold]the web app[/]")
    console.print(f"  URL               {escape(base)}")
    console.print(
        f"  regulator login   user [bold]{login.username}[/], "
        f"password [bold]{escape(login.password)}[/] (shown only now; change it with "
        f"`hashwatch user passwd {login.username}`)"
    )
    for link in links:
        console.print(f"  reporter ({link.status}) {link.facility_code}: {escape(link.url)}")
    if serving:
        console.print(f"serving on http://{DEMO_HOST}:{port}/ (Ctrl-C to stop)")
    else:
        console.print(f"  serve it later with: hashwatch serve --port {port}")


def serve_demo(cfg: Settings, port: int) -> None:
    """The web app over the demo database on 127.0.0.1 until Ctrl-C."""
    import uvicorn

    from hashwatch.web.app import create_app
    from hashwatch.web.security import install_token_log_filter

    install_token_log_filter()
    db = open_database()
    try:
        uvicorn.run(create_app(cfg, db), host=DEMO_HOST, port=port, log_level="info")
    finally:
        db.dispose()


def _kinds(summary: DemoSummary) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in summary.organizations_by_kind.items())


def print_summary(summary: DemoSummary) -> None:
    """The demo city in a few tables, then the commands to continue with."""
    table = Table(title=f"demo city, seed {summary.seed}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("facilities", f"{summary.facilities} in {summary.districts} districts")
    table.add_row("organizations", f"{summary.organizations} ({_kinds(summary)})")
    table.add_row("notice", f"{summary.notice_ref} to {summary.recipients} recipients")
    table.add_row(
        "earlier notice",
        f"{summary.earlier_notice_ref} (March 2021): {summary.earlier_reports} reports, all "
        "accepted; closed (the trend in the assessment of the April notice)",
    )
    statuses = ", ".join(f"{status} {n}" for status, n in summary.status_counts.items())
    table.add_row("recipients by status", statuses)
    versions = ", ".join(f"v{v}: {n}" for v, n in summary.submissions_by_version.items())
    table.add_row(
        "submissions",
        f"{summary.submissions} ({versions}); {summary.late_reports} late; "
        f"{summary.rejected_attempts} first attempts refused by validation, then corrected",
    )
    mining_kwh = summary.reported_mining_electricity_kwh
    total_kwh = summary.reported_facility_electricity_kwh
    share = summary.reported_mining_share_pct
    table.add_row(
        "mining electricity",
        f"{mining_kwh:,.0f} kWh ({mining_kwh / 1e6:,.2f} GWh) at "
        f"{summary.facilities_involved_in_mining} facilities = "
        f"{'n/a' if share is None else f'{share:.2f} %'} of the {total_kwh:,.0f} kWh "
        f"({total_kwh / 1e6:,.1f} GWh) reported for April 2021",
    )
    if summary.meters is not None:
        m = summary.meters
        table.add_row(
            "meter data",
            f"{m.meters} meters, {m.readings:,} hourly readings (January–April 2021), "
            f"{m.mining_meters} with mining, at {len(m.undeclared_facilities)} facilities "
            f"undeclared; labels and series in {escape(str(m.folder))}",
        )
        table.add_row(
            "detection",
            f"run {m.run_id}: {m.candidates} candidate meters; mining-like load undeclared at "
            f"{len(m.flagged_undeclared)} facilities ({', '.join(m.flagged_undeclared) or '-'}), "
            f"metered above declared at {m.metered_above_declared}",
        )
    chain = "verified" if summary.audit_chain_ok else "BROKEN"
    table.add_row("audit trail", f"{summary.audit_rows} rows, hash chain {chain}")
    table.add_row("data directory", escape(str(summary.data_dir)))
    table.add_row("outbox", escape(str(summary.outbox_dir)))
    table.add_row("built in", f"{summary.seconds:.1f} s")
    console.print(table)
    console.print("[bold]continue with[/]")
    console.print("  . .venv/bin/activate   # if hashwatch is not on your PATH")
    console.print(f"  export HASHWATCH_DATA_DIR={escape(str(summary.data_dir))}")
    console.print(f"  hashwatch notice status {summary.notice_ref}")
    console.print(f"  hashwatch export {summary.notice_ref} --format xlsx -o reports.xlsx")
    console.print(f"  hashwatch assess {summary.notice_ref}")
    console.print(f"  hashwatch report {summary.notice_ref} -o {summary.notice_ref}.pdf --lang en")
    console.print("  hashwatch audit verify")
    if summary.meters is not None:
        console.print("  hashwatch detect runs list")
    for pending in summary.pending_reports:
        console.print(f"  # {pending.facility_code} is {pending.status}: file its report")
        console.print(
            f"  hashwatch submit {summary.notice_ref} --token {pending.token} "
            f"--file {escape(str(pending.report_path))}",
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    """Add ``hashwatch demo`` (builds the city) with its subcommand ``demo meters``."""
    group = typer.Typer(pretty_exceptions_enable=False)
    group.callback(invoke_without_command=True)(demo)
    group.command("meters")(demo_meters)
    app.add_typer(group, name="demo")
