"""Assess a notice: declared totals and shares, breakdowns, coverage, imputed range of the
unknown facilities, emissions, declared vs estimated, trend, and small-cell suppression.

:func:`assess` reads everything in one read transaction and computes with the pure
functions of :mod:`hashwatch.assessment`; :meth:`Assessment.as_dict` is the JSON form the
CLI (and later the report and dashboard) serialise. With ``public`` the JSON form hides
the suppressed cells' figures and leaves out every facility- and organization-level list.
The method is in docs/assessment.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hashwatch.assessment import aggregates as agg
from hashwatch.assessment.data import Basis, load_notice, load_series
from hashwatch.assessment.declared_vs_estimated import DeclaredVsEstimated, declared_vs_estimated
from hashwatch.assessment.emissions import Emissions, mining_emissions
from hashwatch.assessment.factors import PeriodElectricity, choose_factors, period_electricity_kwh
from hashwatch.assessment.suppression import TOTAL, suppress_rows, unsafe
from hashwatch.assessment.trend import TrendPoint, trend
from hashwatch.energy.catalogue import Machine
from hashwatch.i18n import N_
from hashwatch.io.assessment_files import emission_factor_table, jurisdiction_electricity_table
from hashwatch.io.registry_files import configured_districts
from hashwatch.services.lookup import get_notice
from hashwatch.services.submissions import hardware_catalogue
from hashwatch.settings import Settings
from hashwatch.store.engine import Database

#: Tables suppressed for publication; ``by_organization`` is never published.
PUBLISHED_TABLES = ("by_district", "by_organization_kind", "by_coin")
_MINING_FIGURES = ("mining_electricity_kwh", "mining_share_pct", "share_of_mining_pct")
_HIDDEN_IN_CELL = (
    *_MINING_FIGURES,
    "facility_electricity_kwh",
    "imputed_upper_kwh",
    "hashrate_ths",
)


@dataclass(frozen=True)
class JurisdictionShare:
    """Declared mining electricity as a share of the jurisdiction's electricity in the period."""

    electricity: PeriodElectricity
    share_pct: float | None


@dataclass(frozen=True)
class Assessment:
    """Everything the assessment of one notice computes (internal: nothing is hidden)."""

    notice: dict[str, Any]
    basis: Basis
    public: bool
    min_facilities: int
    totals: agg.Totals
    coverage: agg.Coverage
    imputation: agg.Imputation
    jurisdiction: JurisdictionShare
    by_district: list[agg.GroupRow]
    by_organization: list[agg.GroupRow]
    by_organization_kind: list[agg.GroupRow]
    by_coin: list[agg.CoinRow]
    suppression: dict[str, dict[str, str]]
    emissions: Emissions
    declared_vs_estimated: DeclaredVsEstimated
    trend: list[TrendPoint]
    notes: list[Note]

    @property
    def total_hidden(self) -> bool:
        """The notice totals are suppressed in some published table."""
        return any(TOTAL in self.suppression.get(t, {}) for t in PUBLISHED_TABLES)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data; with ``public`` suppressed figures are ``None`` (see module doc)."""
        return _serialise(self)


def assess(
    db: Database,
    notice_ref: str,
    *,
    settings: Settings,
    basis: Basis = Basis.SUBMITTED,
    public: bool = False,
    catalogue: Sequence[Machine] | None = None,
) -> Assessment:
    """Assess a notice from its newest reports (see :mod:`hashwatch.assessment.data`)."""
    electricity_table = jurisdiction_electricity_table(settings.jurisdiction_electricity_file)
    factor_table = emission_factor_table(settings.emission_factor_file)
    districts = configured_districts(settings.district_file)
    with db.read() as session:
        notice = get_notice(session, notice_ref)
        data = load_notice(session, notice, basis)
        series = load_series(session, data.period_end, basis)
    records = data.facilities
    n = settings.assessment_min_facilities
    totals = agg.declared_totals(records)
    imputation = agg.impute_unknown(records, data.hours)
    period = period_electricity_kwh(
        electricity_table, settings.jurisdiction_name, data.period_start, data.period_end
    )
    district_labels = {d.code: f"{d.name_zh} ({d.name_pinyin})" for d in districts}
    org_labels = {r.organization_uscc: r.organization_name for r in records}
    by_district = agg.breakdown(records, lambda r: r.district_code, district_labels, imputation)
    by_org = agg.breakdown(records, lambda r: r.organization_uscc, org_labels, imputation)
    by_kind = agg.breakdown(records, lambda r: r.organization_kind, None, imputation)
    by_coin = agg.coin_breakdown(records)
    factors = choose_factors(factor_table, data.period_start.year)
    result = Assessment(
        notice={
            "ref": data.ref,
            "title": data.title,
            "period_start": data.period_start,
            "period_end": data.period_end,
            "hours": data.hours,
        },
        basis=basis,
        public=public,
        min_facilities=n,
        totals=totals,
        coverage=agg.coverage(records),
        imputation=imputation,
        jurisdiction=JurisdictionShare(
            period, agg.share_pct(totals.mining_electricity_kwh, period.electricity_kwh)
        ),
        by_district=by_district,
        by_organization=by_org,
        by_organization_kind=by_kind,
        by_coin=by_coin,
        suppression={
            "by_district": suppress_rows(by_district, n),
            "by_organization": suppress_rows(by_org, n),
            "by_organization_kind": suppress_rows(by_kind, n),
            "by_coin": suppress_rows(by_coin, n),
        },
        emissions=mining_emissions(records, factors, imputation.upper_kwh),
        declared_vs_estimated=declared_vs_estimated(
            records,
            data.period_start,
            data.period_end,
            hardware_catalogue() if catalogue is None else catalogue,
        ),
        trend=trend(series, data.ref),
        notes=[],
    )
    return dataclasses.replace(result, notes=_notes(result))


SELF_GENERATED_NOTE = N_(
    "Self-generated electricity of unknown fuel is left out of the net CO2: %(kwh)s kWh of mining."
)


@dataclass(frozen=True)
class Note:
    """A method or data-quality note: an English template (translated by the report) and
    the values of its ``%(name)s`` placeholders."""

    template: str
    values: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.template % self.values


def _notes(result: Assessment) -> list[Note]:
    """Method and data-quality notes a reader needs beside the figures."""
    t = result.totals
    notes = [
        Note(
            N_(
                "Declared figures sum %(counted)s of %(recipients)s recipients' newest reports "
                "(basis: %(basis)s); imputed figures are shown apart and never added."
            ),
            {"counted": t.counted, "recipients": t.recipients, "basis": result.basis.value},
        )
    ]
    if t.awaiting_review and result.basis is Basis.SUBMITTED:
        notes.append(
            Note(N_("%(n)s counted report(s) are awaiting review."), {"n": t.awaiting_review})
        )
    if t.awaiting_review and result.basis is Basis.ACCEPTED:
        notes.append(
            Note(N_("%(n)s report(s) awaiting review are not counted."), {"n": t.awaiting_review})
        )
    if t.returned:
        notes.append(
            Note(N_("%(n)s report(s) returned for correction are not counted."), {"n": t.returned})
        )
    if t.no_report:
        notes.append(Note(N_("%(n)s recipient(s) have not reported."), {"n": t.no_report}))
    if result.imputation.without_capacity:
        notes.append(
            Note(
                N_(
                    "%(n)s unknown facilities have no registered capacity: their imputed range "
                    "is unbounded and left out of the imputed totals."
                ),
                {"n": result.imputation.without_capacity},
            )
        )
    electricity = result.jurisdiction.electricity
    if electricity.electricity_kwh is None:
        notes.append(
            Note(
                N_(
                    "No total electricity of %(jurisdiction)s for %(years)s in the table: the "
                    "share of the jurisdiction's electricity is not computed (add the year's "
                    "figure with its source: HASHWATCH_JURISDICTION_ELECTRICITY_FILE)."
                ),
                {
                    "jurisdiction": electricity.jurisdiction,
                    "years": ", ".join(str(y) for y in electricity.years),
                },
            )
        )
    unverified = [
        f"{r.level} {r.region} {r.vintage_year}" for r in result.emissions.rows if not r.verified
    ]
    if unverified:
        notes.append(
            Note(
                N_(
                    "Emission factors not yet verified against their official publication: "
                    "%(factors)s."
                ),
                {"factors": "; ".join(unverified)},
            )
        )
    off = [
        f"{r.level} {r.region} {r.vintage_year} ({r.vintage_gap_years:+d})"
        for r in result.emissions.rows
        if r.vintage_gap_years
    ]
    if off:
        notes.append(
            Note(
                N_("Emission factors of another year than the period (years apart): %(factors)s."),
                {"factors": "; ".join(off)},
            )
        )
    if result.emissions.self_generated_mining_kwh:
        notes.append(
            Note(SELF_GENERATED_NOTE, {"kwh": round(result.emissions.self_generated_mining_kwh)})
        )
    if result.declared_vs_estimated.outside:
        notes.append(
            Note(
                N_(
                    "%(n)s facilities declare mining electricity outside the bounds of their "
                    "declared machines."
                ),
                {"n": len(result.declared_vs_estimated.outside)},
            )
        )
    return notes


#: the facility sets behind a figure: used for suppression, never published
_CONTRIBUTOR_FIELDS = frozenset(
    {"reporting_codes", "mining_codes", "self_generation_codes", "renewable_codes"}
)


def _plain(value: Any) -> Any:
    """Dataclasses as dicts without the facility sets; dates in ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in _CONTRIBUTOR_FIELDS
        }
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _table(rows: Sequence[Any], hidden: dict[str, str], public: bool) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        item = _plain(row)
        item["suppressed"] = hidden.get(row.key)
        if public and item["suppressed"]:
            item.update({k: None for k in _HIDDEN_IN_CELL if k in item})
        if public and "imputed_upper_kwh" in item:
            # one row's imputed bound can rest on a single facility's registered capacity;
            # only the notice's total imputed range is published
            item["imputed_upper_kwh"] = None
        out.append(item)
    return out


def _serialise(a: Assessment) -> dict[str, Any]:
    public = a.public
    hide_total = public and a.total_hidden
    totals = _plain(a.totals)
    if hide_total:
        totals.update(
            dict.fromkeys(
                ("facility_electricity_kwh", "mining_electricity_kwh", "mining_share_pct")
            )
        )
    imputation = _plain(a.imputation)
    coverage = _plain(a.coverage)
    if public:
        del imputation["facilities"]
        if hide_total:
            # reporters' kWh per kW × their capacity would give the hidden total back
            imputation.update({"ratio_kwh": None, "ratio_kwh_per_kw": None})
        if unsafe([frozenset(f.facility_code for f in a.imputation.facilities)], a.min_facilities):
            imputation.update({"ratio_kwh": None, "upper_kwh": None, "ratio_kwh_per_kw": None})
            # registered minus counted capacity would give the few unknowns' capacity back
            coverage.update(
                dict.fromkeys(
                    ("counted_capacity_kw", "registered_capacity_kw", "capacity_coverage_pct")
                )
            )
    jurisdiction = {**_plain(a.jurisdiction.electricity), "share_pct": a.jurisdiction.share_pct}
    emissions = _plain(a.emissions)
    dve = _plain(a.declared_vs_estimated)
    dve["outside"] = [_plain(f) for f in a.declared_vs_estimated.outside]
    if public:
        for key in ("facilities", "not_estimated", "outside"):
            del dve[key]
        estimated = frozenset(f.facility_code for f in a.declared_vs_estimated.facilities)
        # the total minus the estimated facilities' declared mining would give the others' back
        not_estimated = frozenset(a.declared_vs_estimated.not_estimated)
        if unsafe([estimated, not_estimated], a.min_facilities) or hide_total:
            dve.update(dict.fromkeys(("declared_kwh", "lower_kwh", "best_kwh", "upper_kwh")))
    if hide_total:
        jurisdiction["share_pct"] = None
        for row in emissions["rows"]:
            row.update({"gross_t": None, "net_t": None})
        emissions.update(
            dict.fromkeys(
                (
                    "mining_electricity_kwh",
                    "grid_emitting_mining_kwh",
                    "self_generated_mining_kwh",
                    "renewable_mining_kwh",
                )
            )
        )
    if public and unsafe(
        [a.emissions.self_generation_codes, a.emissions.renewable_codes], a.min_facilities
    ):
        # a split resting on one or two facilities: neither it nor what it changes is published
        emissions.update(
            dict.fromkeys(
                ("grid_emitting_mining_kwh", "self_generated_mining_kwh", "renewable_mining_kwh")
            )
        )
        for row in emissions["rows"]:
            row["net_t"] = None
    if public and imputation["upper_kwh"] is None:
        for row in emissions["rows"]:
            row["imputed_upper_t"] = None
    notes = [
        n
        for n in a.notes
        if not (
            public
            and n.template == SELF_GENERATED_NOTE
            and emissions["self_generated_mining_kwh"] is None
        )
    ]
    result: dict[str, Any] = {
        "notice": _plain(a.notice),
        "basis": a.basis.value,
        "public": public,
        "classification": "public: small cells suppressed" if public else "internal",
        "min_facilities": a.min_facilities,
        "totals": totals,
        "coverage": coverage,
        "imputation": imputation,
        "jurisdiction": jurisdiction,
        "by_district": _table(a.by_district, a.suppression["by_district"], public),
        "by_organization_kind": _table(
            a.by_organization_kind, a.suppression["by_organization_kind"], public
        ),
        "by_coin": _table(a.by_coin, a.suppression["by_coin"], public),
        "emissions": emissions,
        "declared_vs_estimated": dve,
        "trend": _trend(a.trend, a.min_facilities, public),
        "notes": [note.text for note in notes],
        "note_templates": [{"template": n.template, "values": n.values} for n in notes],
    }
    if not public:
        result["by_organization"] = _table(
            a.by_organization, a.suppression["by_organization"], public
        )
        result["suppression"] = {k: dict(v) for k, v in a.suppression.items()}
    return result


def _trend(points: Sequence[TrendPoint], n: int, public: bool) -> list[dict[str, Any]]:
    """Trend points; public ones hide a point's mining figures when fewer than ``n``
    facilities mine (or report) in it, and the next point's change (it would reveal them)."""
    out: list[dict[str, Any]] = []
    hidden_before = False
    for point in points:
        item: dict[str, Any] = _plain(point)
        hidden = 0 < point.involved < n or 0 < point.counted < n
        if public and (hidden or hidden_before):
            item["change_pct"] = None
        if public and hidden:
            item.update(
                dict.fromkeys(
                    ("mining_electricity_kwh", "mining_electricity_kwh_per_day", "mining_share_pct")
                )
            )
            if 0 < point.counted < n:
                item["facility_electricity_kwh"] = None
        hidden_before = hidden
        out.append(item)
    return out
