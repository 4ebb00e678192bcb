"""The assessment report of a notice: one content model, rendered to HTML, PDF and XLSX.

Input is :meth:`hashwatch.services.assessment.Assessment.as_dict` (public or internal) with the
notice's deadline and the facility names; nothing is recomputed here. :func:`report_content`
turns it into headline figures, tables (raw values plus units) and charts in the reader's
language; :func:`report_html` lays them out (``templates/assessment_report.html``, printable
with CSS paged media), :func:`report_pdf` prints that HTML with the charts as vector SVG and
:func:`report_xlsx` writes one sheet per table with units in the headers.
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import jinja2

from hashwatch.charts import assessment as charts
from hashwatch.charts.notice import DistrictChartLabels, district_mining_chart, energy_unit
from hashwatch.documents.render import chart_svg, html_pdf, require_cjk_font
from hashwatch.documents.report_tables import LABELS, TABLES, Column
from hashwatch.i18n import Formatter, load_translations
from hashwatch.io.tables import xlsx_bytes

TEMPLATES: Final = Path(__file__).parent / "templates"
Translate = Callable[[str], str]


@dataclass(frozen=True)
class ReportInput:
    """What the report is made of: the assessment's JSON form and a few facts beside it."""

    data: Mapping[str, Any]
    lang: str
    generated_at: dt.datetime
    deadline: dt.datetime | None = None
    timezone: str = "Asia/Shanghai"
    facility_names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[Column, ...]
    headers: tuple[str, ...]
    rows: tuple[Mapping[str, Any], ...]
    cells: tuple[tuple[str, ...], ...]
    suppressed: tuple[bool, ...]


@dataclass(frozen=True)
class Headline:
    label: str
    value: str
    detail: str = ""


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class ReportContent:
    lang: str
    public: bool
    title: str
    notice: Mapping[str, Any]
    generated: str
    deadline: str
    headlines: tuple[Headline, ...]
    charts: tuple[Chart, ...]
    tables: tuple[Table, ...]
    notes: tuple[str, ...]
    assumptions: tuple[Mapping[str, Any], ...]
    min_facilities: int


_TRANSLATIONS: dict[str, gettext.GNUTranslations] = {}


def translations(lang: str) -> gettext.GNUTranslations:
    """The compiled catalog of ``lang`` (loaded once)."""
    if not _TRANSLATIONS:
        _TRANSLATIONS.update(load_translations())
    return _TRANSLATIONS[lang]


def _label(value: Any, _: Translate) -> str:
    """An enumerated value or a place name in the reader's language (as is if unknown)."""
    return _(LABELS.get(str(value), str(value)))


def _cell(value: Any, column: Column, fmt: Formatter, _: Translate) -> str:
    if value is None or value == "":
        return "—"
    if column.kind == "count":
        return fmt.number(value, 0)
    if column.kind == "kwh":
        return fmt.number(value, 0)
    if column.kind == "pct":
        return fmt.number(value, 2)
    if column.kind == "number" or isinstance(value, float):
        return fmt.number(value, 3)
    if column.kind == "label":
        return _label(value, _)
    return str(value)


def _hidden(row: Mapping[str, Any], column: Column) -> bool:
    """A figure withheld by small-cell suppression (public reports leave it out)."""
    return bool(row.get("suppressed")) and column.kind in ("kwh", "pct", "number", "count")


def _table(name: str, rows: Sequence[Mapping[str, Any]], fmt: Formatter, _: Translate) -> Table:
    title, columns = TABLES[name]
    headers = tuple(f"{_(c.header)} [{c.unit}]" if c.unit else _(c.header) for c in columns)
    hidden = _("suppressed")
    cells = []
    for row in rows:
        cells.append(
            tuple(
                hidden
                if _hidden(row, c) and row.get(c.key) is None
                else _cell(row.get(c.key), c, fmt, _)
                for c in columns
            )
        )
    return Table(
        name,
        _(title),
        columns,
        headers,
        tuple(rows),
        tuple(cells),
        tuple(bool(r.get("suppressed")) for r in rows),
    )


def _energy(value_kwh: float | None, fmt: Formatter) -> str:
    """``24.92 GWh (24,922,061 kWh)``: the readable size and the exact kWh of the JSON."""
    if value_kwh is None:
        return "—"
    unit, size = energy_unit(value_kwh)
    exact = fmt.quantity(round(value_kwh), "kWh", 0)
    if unit == "kWh":
        return exact
    return f"{fmt.quantity(value_kwh / size, unit, 2)} ({exact})"


def headline_figures(data: Mapping[str, Any], lang: str) -> list[Headline]:
    """The report's headline figures in ``lang`` (the dashboard shows the same)."""
    return _headlines(data, Formatter(lang), translations(lang).gettext)


def _headlines(data: Mapping[str, Any], fmt: Formatter, _: Translate) -> list[Headline]:
    totals, coverage = data["totals"], data["coverage"]
    imputation, jurisdiction = data["imputation"], data["jurisdiction"]
    dve, emissions = data["declared_vs_estimated"], data["emissions"]
    share = totals["mining_share_pct"]
    city = jurisdiction.get("share_pct")
    lines = [
        Headline(
            _("Declared mining electricity"),
            _energy(totals["mining_electricity_kwh"], fmt),
            _("%(share)s of the reporting facilities' electricity (%(total)s)")
            % {
                "share": fmt.percent(share, 2) if share is not None else "—",
                "total": _energy(totals["facility_electricity_kwh"], fmt),
            },
        ),
        Headline(
            _("Share of %(jurisdiction)s's electricity")
            % {"jurisdiction": _label(jurisdiction["jurisdiction"], _)},
            fmt.percent(city, 3) if city is not None else _("not available"),
            _("total electricity %(total)s")
            % {"total": _energy(jurisdiction.get("electricity_kwh"), fmt)},
        ),
        Headline(
            _("Facilities involved in mining"),
            fmt.number(totals["involved"], 0),
            _("of %(counted)s counted reports, %(recipients)s recipients")
            % {
                "counted": fmt.number(totals["counted"], 0),
                "recipients": fmt.number(totals["recipients"], 0),
            },
        ),
        Headline(
            _("Coverage"),
            fmt.percent(coverage["facility_coverage_pct"], 1),
            _("of facilities; %(capacity)s of registered capacity")
            % {"capacity": fmt.percent(coverage["capacity_coverage_pct"], 1)},
        ),
        Headline(
            _("Unknown facilities (imputed, not declared)"),
            fmt.number(imputation["unknown"], 0),
            _("imputed range %(lower)s – %(upper)s")
            % {
                "lower": _energy(imputation["lower_kwh"], fmt),
                "upper": _energy(imputation["upper_kwh"], fmt),
            },
        ),
    ]
    if emissions["rows"]:
        first = emissions["rows"][0]
        lines.append(
            Headline(
                _("CO2 from mining electricity"),
                fmt.quantity(first["gross_t"], "t", 0) if first["gross_t"] is not None else "—",
                _("at %(factor)s kg CO2/kWh (%(level)s, %(year)s); net of renewables %(net)s")
                % {
                    "factor": fmt.number(first["kg_co2_per_kwh"], 4),
                    "level": _label(first["region"], _),
                    "year": first["vintage_year"],
                    "net": fmt.quantity(first["net_t"], "t", 0)
                    if first["net_t"] is not None
                    else "—",
                },
            )
        )
    lines.append(
        Headline(
            _("Energy model estimate of the declared machines"),
            _energy(dve.get("best_kwh"), fmt),
            (
                _("bounds %(lower)s – %(upper)s; %(n)s facilities outside their bounds")
                if "outside" in dve
                else _("bounds %(lower)s – %(upper)s")
            )
            % {
                "lower": _energy(dve.get("lower_kwh"), fmt),
                "upper": _energy(dve.get("upper_kwh"), fmt),
                "n": fmt.number(len(dve.get("outside", ())), 0),
            },
        )
    )
    return lines


def district_chart_labels(_: Translate) -> DistrictChartLabels:
    """The district chart's words in the reader's language (dashboard and report)."""
    return DistrictChartLabels(
        title=_("Reported mining electricity by district"),
        district=_("District"),
        mining_electricity=_("Mining electricity"),
        share=_("Share of the district's reported electricity"),
        reporting=_("Reporting facilities"),
        involved=_("Facilities involved in mining"),
    )


def chart_specs(data: Mapping[str, Any], _: Translate) -> dict[str, dict[str, Any]]:
    """The report's charts by name (districts, coins, coverage, estimates, trend), as Vega-Lite
    specs with translated words; the dashboard embeds the same specs. Estimates need the
    internal data (per facility) and trend more than one notice: they may be absent."""
    districts = [
        {
            "district": row["label"],
            "mining_electricity_kwh": row["mining_electricity_kwh"],
            "mining_share_pct": row["mining_share_pct"],
            "reporting": row["counted"],
            "involved": row["involved"],
        }
        for row in data["by_district"]
        if row["mining_electricity_kwh"] is not None and row["involved"]
    ]
    totals = data["totals"]
    standings = [
        ("accepted", _("Accepted"), totals["accepted"]),
        ("awaiting_review", _("Awaiting review"), totals["awaiting_review"]),
        ("returned", _("Returned"), totals["returned"]),
        ("no_report", _("No report"), totals["no_report"]),
    ]
    specs = {
        "districts": district_mining_chart(districts, district_chart_labels(_)),
        "coins": charts.coin_chart(
            [{**c, "key": _label(c["key"], _)} for c in data["by_coin"]],
            charts.CoinChartLabels(
                title=_("Mining electricity by coin"),
                coin=_("Coin"),
                mining_electricity=_("Mining electricity"),
                share=_("Share of all mining electricity"),
                facilities=_("Facilities"),
            ),
        ),
        "coverage": charts.coverage_chart(
            standings,
            charts.CoverageChartLabels(
                title=_("Who has reported"), standing=_("Standing"), facilities=_("Facilities")
            ),
        ),
    }
    facilities = data["declared_vs_estimated"].get("facilities")
    if facilities:
        specs["estimates"] = charts.declared_vs_estimated_chart(
            facilities,
            charts.EstimateChartLabels(
                title=_("Declared mining electricity against the energy model's bounds"),
                facility=_("Facility"),
                electricity=_("Electricity"),
                declared=_("Declared"),
                bounds=_("Energy model, lower–upper"),
                status=_("Declared vs bounds"),
                inside=_("inside"),
                below=_("below"),
                above=_("above"),
            ),
        )
    if len(data["trend"]) > 1:
        specs["trend"] = charts.trend_chart(
            data["trend"],
            charts.TrendChartLabels(
                title=_("Mining electricity per day, notice by notice"),
                period=_("Period end"),
                per_day=_("Mining electricity per day"),
                facilities=_("Facilities involved in mining"),
            ),
        )
    return specs


def _charts(data: Mapping[str, Any], lang: str, _: Translate) -> list[Chart]:
    return [
        Chart(str(spec["title"]), chart_svg(spec, lang=lang), spec)
        for spec in chart_specs(data, _).values()
    ]


def translated_notes(data: Mapping[str, Any], lang: str) -> list[str]:
    """The assessment's method and data-quality notes in ``lang``."""
    fmt, _ = Formatter(lang), translations(lang).gettext
    return [_note(n, fmt, _) for n in data.get("note_templates", ())]


def _note(item: Mapping[str, Any], fmt: Formatter, _: Translate) -> str:
    values = {
        k: fmt.number(v, 0) if isinstance(v, int | float) and not isinstance(v, bool) else v
        for k, v in item["values"].items()
    }
    return _(str(item["template"])) % values


def report_content(source: ReportInput) -> ReportContent:
    """Everything the report shows, in ``source.lang``."""
    data, lang = source.data, source.lang
    fmt = Formatter(lang)
    _ = translations(lang).gettext
    unknown = [
        {**row, "facility_name": source.facility_names.get(row["facility_code"], "")}
        for row in data["imputation"].get("facilities", ())
    ]
    table_rows: list[tuple[str, Sequence[Mapping[str, Any]]]] = [
        ("by_district", data["by_district"]),
        ("by_organization_kind", data["by_organization_kind"]),
        ("by_organization", data.get("by_organization", ())),
        ("by_coin", data["by_coin"]),
        ("emissions", data["emissions"]["rows"]),
        ("declared_vs_estimated", data["declared_vs_estimated"].get("outside", ())),
        ("unknown", unknown),
        ("trend", data["trend"]),
    ]
    notice = data["notice"]
    return ReportContent(
        lang=lang,
        public=bool(data["public"]),
        title=_("Crypto-mining electricity: assessment of notice %(ref)s") % {"ref": notice["ref"]},
        notice=notice,
        generated=fmt.datetime(source.generated_at, source.timezone),
        deadline=fmt.datetime(source.deadline, source.timezone) if source.deadline else "—",
        headlines=tuple(_headlines(data, fmt, _)),
        charts=tuple(_charts(data, lang, _)),
        tables=tuple(
            _table(name, rows, fmt, _)
            for name, rows in table_rows
            if rows or name in ("by_district", "by_coin")
        ),
        notes=tuple(_note(n, fmt, _) for n in data.get("note_templates", ())),
        assumptions=tuple(data["declared_vs_estimated"].get("assumptions", ())),
        min_facilities=int(data["min_facilities"]),
    )


def _environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def report_html(source: ReportInput) -> str:
    """The report as one self-contained HTML document (charts inline as SVG)."""
    content = report_content(source)
    template = _environment(source.lang).get_template("assessment_report.html")
    return template.render(report=content, date=Formatter(source.lang).date)


def report_pdf(source: ReportInput) -> bytes:
    """The report as PDF (A4, charts as vector graphics); Chinese needs a CJK font."""
    if source.lang == "zh":
        require_cjk_font()
    return html_pdf(report_html(source))


def report_xlsx(source: ReportInput) -> bytes:
    """One sheet per table, raw numbers, units in the headers; a summary and notes sheet."""
    content = report_content(source)
    _ = translations(source.lang).gettext
    label, value, detail = _("Figure"), _("Value"), _("Detail")
    classification = _("public") if content.public else _("internal")
    sheets: dict[str, tuple[Sequence[str], list[dict[str, Any]]]] = {
        _("Summary"): (
            (label, value, detail),
            [
                {label: _("Classification"), value: classification},
                {label: _("Notice"), value: content.notice["ref"], detail: content.notice["title"]},
                {label: _("Generated"), value: content.generated},
                *({label: h.label, value: h.value, detail: h.detail} for h in content.headlines),
            ],
        )
    }
    for table in content.tables:
        rows = [
            {
                header: _("suppressed")
                if _hidden(row, c) and row.get(c.key) is None
                else row.get(c.key)
                for header, c in zip(table.headers, table.columns, strict=True)
            }
            for row in table.rows
        ]
        sheets[table.title[:31]] = (table.headers, rows)
    notes = _("Notes")
    sheets[notes] = ((notes,), [{notes: n} for n in content.notes])
    return xlsx_bytes(sheets)
