"""The registry of organizations and facilities: import, export, list, look up.

:func:`import_registry` is all-or-nothing. The file is read and every row checked (on its own,
against the other rows, and against the database) before anything is written; if any row is
bad nothing is written and an :class:`~hashwatch.errors.InputError` lists every row error.
Otherwise organizations are upserted by USCC and facilities by code in one transaction, and
every created or changed one is audited with its before and after state
(``registry.organization.create|update``, ``registry.facility.create|update``).

A column the file does not have leaves that field as it is; an empty cell clears it.
Reads and writes are in bulk (a few statements per 500 rows), never one row at a time: the
benchmark imports 10,000 facilities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, delete, insert, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hashwatch.errors import ConflictError, NotFoundError
from hashwatch.io.registry_files import (
    configured_districts,
    read_registry_file,
    write_registry_file,
    write_registry_template,
)
from hashwatch.reporting import audit
from hashwatch.reporting.districts import BEIJING_DISTRICTS, District, resolve_district
from hashwatch.reporting.models import (
    Facility,
    FacilityIpRange,
    FacilityMeter,
    Organization,
    OrganizationKind,
)
from hashwatch.reporting.registry import (
    FACILITY_KEYS,
    ORGANIZATION_KEYS,
    RegistryBatch,
    RowError,
    meter_conflicts,
    parse_registry_rows,
    row_errors_problem,
)
from hashwatch.settings import Settings
from hashwatch.store.engine import Database

Progress = Callable[[int, int], None]
T = TypeVar("T")
_CHUNK_ROWS = 500
_ORGANIZATION_FIELDS = ("name", "kind", "contact_name", "contact_email", "contact_phone")
_FACILITY_FIELDS = (
    "name",
    "address",
    "district_code",
    "latitude",
    "longitude",
    "rated_it_capacity_kw",
    "contracted_grid_capacity_kw",
)


@dataclass(frozen=True)
class ChangeCounts:
    """How many objects an import created, changed and left as they were."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, for a dry run or a check, would do)."""

    path: str
    rows: int
    organizations: ChangeCounts
    facilities: ChangeCounts
    errors: tuple[RowError, ...] = ()
    notes: tuple[str, ...] = ()
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready data."""
        data = asdict(self)
        data["errors"] = [e.as_dict() for e in self.errors]
        data["notes"] = list(self.notes)
        return data


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), _CHUNK_ROWS):
        yield values[start : start + _CHUNK_ROWS]


def _load_organizations(session: Session, usccs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """USCC -> the organization as plain data (the audit form), plus its ``id``."""
    found: dict[str, dict[str, Any]] = {}
    columns = [getattr(Organization, c) for c in ("id", "uscc", *_ORGANIZATION_FIELDS)]
    for chunk in _chunks(usccs):
        for row in session.execute(select(*columns).where(Organization.uscc.in_(chunk))):
            data = row._asdict()
            data["kind"] = OrganizationKind(data["kind"]).value
            found[data["uscc"]] = data
    return found


def _facility_records(
    session: Session, conditions: Sequence[ColumnElement[bool]]
) -> list[dict[str, Any]]:
    """Facilities with their organization's columns, meters and IP ranges, by code.

    Each condition selects one batch (a chunk of codes, or a filter); the keys are those of
    the registry file plus ``id`` and ``district_code``.
    """
    columns = [
        Facility.id,
        Facility.code,
        *(getattr(Facility, c) for c in _FACILITY_FIELDS),
        Organization.uscc.label("organization_uscc"),
        Organization.name.label("organization_name"),
        Organization.kind.label("organization_kind"),
        Organization.contact_name,
        Organization.contact_email,
        Organization.contact_phone,
    ]
    base = select(*columns).join(Organization, Facility.organization_id == Organization.id)
    records: dict[int, dict[str, Any]] = {}
    for condition in conditions:
        for row in session.execute(base.where(condition)):
            data = row._asdict() | {"meter_ids": [], "ip_ranges": []}
            data["organization_kind"] = OrganizationKind(data["organization_kind"]).value
            records[data["id"]] = data
    ids = sorted(records)
    for chunk in _chunks(ids):
        meters = select(FacilityMeter.facility_id, FacilityMeter.meter_id)
        for facility_id, meter_id in session.execute(
            meters.where(FacilityMeter.facility_id.in_(chunk))
        ):
            records[facility_id]["meter_ids"].append(meter_id)
        ranges = select(FacilityIpRange.facility_id, FacilityIpRange.cidr)
        for facility_id, cidr in session.execute(
            ranges.where(FacilityIpRange.facility_id.in_(chunk))
        ):
            records[facility_id]["ip_ranges"].append(cidr)
    for data in records.values():
        data["meter_ids"].sort()
        data["ip_ranges"].sort()
    return sorted(records.values(), key=lambda r: r["code"])


@dataclass
class _Existing:
    organizations: dict[str, dict[str, Any]] = field(default_factory=dict)
    facilities: dict[str, dict[str, Any]] = field(default_factory=dict)
    meter_owners: dict[str, str] = field(default_factory=dict)


def _load_existing(session: Session, batch: RegistryBatch) -> _Existing:
    codes = sorted(batch.facility_rows())
    meters = sorted({m for _, row in batch.rows for m in row.meter_ids})
    existing = _Existing(organizations=_load_organizations(session, sorted(batch.organizations)))
    conditions = [Facility.code.in_(chunk) for chunk in _chunks(codes)]
    existing.facilities = {r["code"]: r for r in _facility_records(session, conditions)}
    owners = select(FacilityMeter.meter_id, Facility.code).join(
        Facility, FacilityMeter.facility_id == Facility.id
    )
    for chunk in _chunks(meters):
        rows = session.execute(owners.where(FacilityMeter.meter_id.in_(chunk)))
        existing.meter_owners.update((m, c) for m, c in rows)
    return existing


Change = tuple[dict[str, Any] | None, dict[str, Any]]


@dataclass(frozen=True)
class _Plan:
    """What an import changes: (before or None, after) pairs in the audit form, and counts."""

    rows: int
    organizations: list[Change]
    organization_counts: ChangeCounts
    facilities: list[Change]
    facility_counts: ChangeCounts


def _diff(
    pairs: Iterable[tuple[dict[str, Any] | None, dict[str, Any]]], keys: set[str]
) -> tuple[list[Change], ChangeCounts]:
    """(stored, wanted) pairs -> the changes; only ``keys`` (the file's columns) may change."""
    changes: list[Change] = []
    unchanged = 0
    for stored, wanted in pairs:
        if stored is None:
            changes.append((None, wanted))
            continue
        before = {k: stored[k] for k in wanted}
        after = {k: (wanted[k] if k in keys else v) for k, v in before.items()}
        if after == before:
            unchanged += 1
        else:
            changes.append((before, after))
    created = sum(1 for before, _ in changes if before is None)
    return changes, ChangeCounts(created, len(changes) - created, unchanged)


def _plan(batch: RegistryBatch, existing: _Existing) -> _Plan:
    orgs, org_counts = _diff(
        (
            (existing.organizations.get(uscc), wanted)
            for uscc, wanted in batch.organizations.items()
        ),
        {v for k, v in ORGANIZATION_KEYS.items() if k in batch.columns},
    )
    facilities, facility_counts = _diff(
        ((existing.facilities.get(row.facility_code), row.facility()) for _, row in batch.rows),
        {v for k, v in FACILITY_KEYS.items() if k in batch.columns},
    )
    return _Plan(len(batch.rows), orgs, org_counts, facilities, facility_counts)


def _org_values(data: dict[str, Any]) -> dict[str, Any]:
    return data | {"kind": OrganizationKind(data["kind"])} if "kind" in data else data


def _write_organizations(session: Session, plan: _Plan, existing: _Existing) -> dict[str, int]:
    """Insert and update organizations; return USCC -> id for every one of the file."""
    ids = {uscc: data["id"] for uscc, data in existing.organizations.items()}
    new = [_org_values(after) for before, after in plan.organizations if before is None]
    for chunk in _chunks(new):
        stmt = insert(Organization).returning(Organization.id, Organization.uscc)
        ids.update((u, i) for i, u in session.execute(stmt, list(chunk)))
    changed = [
        _org_values({"id": ids[after["uscc"]], **after})
        for before, after in plan.organizations
        if before is not None
    ]
    for chunk in _chunks(changed):
        session.execute(update(Organization), list(chunk))
    return ids


def _facility_values(data: dict[str, Any], org_ids: dict[str, int]) -> dict[str, Any]:
    values = {k: data[k] for k in ("code", *_FACILITY_FIELDS)}
    return values | {"organization_id": org_ids[data["organization_uscc"]]}


def _write_facilities(
    session: Session, plan: _Plan, existing: _Existing, org_ids: dict[str, int]
) -> None:
    """Update, then insert facilities; meters and ranges leave before others arrive."""
    ids = {code: data["id"] for code, data in existing.facilities.items()}
    changed = [(b, a) for b, a in plan.facilities if b is not None]
    gone = [m for b, a in changed for m in b["meter_ids"] if m not in a["meter_ids"]]
    for chunk in _chunks(gone):
        session.execute(delete(FacilityMeter).where(FacilityMeter.meter_id.in_(chunk)))
    for before, after in changed:
        cidrs = [c for c in before["ip_ranges"] if c not in after["ip_ranges"]]
        if cidrs:
            session.execute(
                delete(FacilityIpRange).where(
                    FacilityIpRange.facility_id == ids[after["code"]],
                    FacilityIpRange.cidr.in_(cidrs),
                )
            )
    updates = [{"id": ids[a["code"]], **_facility_values(a, org_ids)} for _, a in changed]
    for chunk in _chunks(updates):
        session.execute(update(Facility), list(chunk))
    new = [_facility_values(a, org_ids) for b, a in plan.facilities if b is None]
    for chunk in _chunks(new):
        stmt = insert(Facility).returning(Facility.id, Facility.code)
        ids.update((c, i) for i, c in session.execute(stmt, list(chunk)))
    meters, ranges = [], []
    for old, wanted in plan.facilities:
        facility_id = ids[wanted["code"]]
        had_meters = set(old["meter_ids"]) if old else set()
        had_ranges = set(old["ip_ranges"]) if old else set()
        meters += [
            {"meter_id": m, "facility_id": facility_id}
            for m in wanted["meter_ids"]
            if m not in had_meters
        ]
        ranges += [
            {"cidr": c, "facility_id": facility_id}
            for c in wanted["ip_ranges"]
            if c not in had_ranges
        ]
    for chunk in _chunks(meters):
        session.execute(insert(FacilityMeter), list(chunk))
    for chunk in _chunks(ranges):
        session.execute(insert(FacilityIpRange), list(chunk))


def _audit_events(plan: _Plan) -> list[audit.AuditEvent]:
    events = []
    for kind, changes, key in (
        ("organization", plan.organizations, "uscc"),
        ("facility", plan.facilities, "code"),
    ):
        for before, after in changes:
            verb = "create" if before is None else "update"
            events.append(
                audit.AuditEvent(f"registry.{kind}.{verb}", kind, after[key], before, after)
            )
    return events


def _check(
    session: Session, path: Path, districts: Sequence[District]
) -> tuple[RegistryBatch, _Existing, list[str]]:
    table = read_registry_file(path)
    batch = parse_registry_rows(table.rows, columns=table.columns, districts=districts)
    existing = _load_existing(session, batch)
    batch.errors.extend(meter_conflicts(batch, existing.meter_owners))
    batch.errors.sort(key=lambda e: e.row)
    return batch, existing, table.notes


def _result(path: Path, plan: _Plan, notes: Sequence[str], *, dry_run: bool) -> ImportResult:
    return ImportResult(
        str(path),
        plan.rows,
        plan.organization_counts,
        plan.facility_counts,
        notes=tuple(notes),
        dry_run=dry_run,
    )


def check_registry(
    db: Database, path: Path, *, districts: Sequence[District] = BEIJING_DISTRICTS
) -> ImportResult:
    """Check a registry file against the database and say what an import would do.

    Unlike :func:`import_registry` this returns the row errors instead of raising them
    (for a page that shows them). Nothing is written.
    """
    with db.read() as session:
        batch, existing, notes = _check(session, path, districts)
        result = _result(path, _plan(batch, existing), notes, dry_run=True)
    return replace(result, errors=tuple(batch.errors))


def import_registry(
    db: Database,
    path: Path,
    *,
    actor: str,
    dry_run: bool = False,
    districts: Sequence[District] = BEIJING_DISTRICTS,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a registry file (CSV or XLSX): all rows, or none.

    Raises :class:`~hashwatch.errors.InputError` whose ``problems`` are every row error (as
    :meth:`RowError.as_dict`) if any row is bad, and
    :class:`~hashwatch.errors.FileFormatError` if the file cannot be read. With ``dry_run``
    everything is checked, the database included, and nothing is written. ``progress`` is
    called with (steps done, steps) as the import goes: read and checked, written, audited.
    :class:`~hashwatch.errors.ConflictError` if another writer changed the registry
    meanwhile (PostgreSQL; SQLite transactions here are serial).
    """
    steps = 3
    sessions = db.read if dry_run else db.transaction
    try:
        with sessions() as session:
            batch, existing, notes = _check(session, path, districts)
            if batch.errors:
                raise row_errors_problem(batch.errors)
            plan = _plan(batch, existing)
            if progress:
                progress(1, steps)
            if not dry_run:
                org_ids = _write_organizations(session, plan, existing)
                _write_facilities(session, plan, existing, org_ids)
                if progress:
                    progress(2, steps)
                audit.record_many(session, actor=actor, events=_audit_events(plan))
    except IntegrityError:
        raise ConflictError(
            "the registry changed while this file was being imported (another import?); "
            "nothing was imported: run the import again"
        ) from None
    if progress:
        progress(steps, steps)
    return _result(path, plan, notes, dry_run=dry_run)


def _file_row(record: dict[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in record.items() if k not in {"id", "code", "name", "district_code"}}
    return {
        "facility_code": record["code"],
        "facility_name": record["name"],
        "district": record["district_code"],
        **row,
    }


def export_registry(db: Database, path: Path) -> int:
    """Write the whole registry to a CSV or XLSX file that :func:`import_registry` reads.

    Returns the number of facilities written.
    """
    with db.read() as session:
        records = _facility_records(session, [true()])
    return write_registry_file(path, [_file_row(r) for r in records])


def _listed(record: dict[str, Any], districts: Sequence[District]) -> dict[str, Any]:
    names = {d.code: d.name_zh for d in districts}
    listed: dict[str, Any] = {}
    for key, value in _file_row(record).items():
        if key == "district":
            listed |= {"district_code": value, "district_name": names.get(value)}
        else:
            listed[key] = value
    return listed


def list_facilities(
    db: Database,
    *,
    district: str | None = None,
    organization_uscc: str | None = None,
    districts: Sequence[District] = BEIJING_DISTRICTS,
) -> list[dict[str, Any]]:
    """Facilities as plain dicts, by code, optionally of one district or one organization.

    ``district`` may be a code, a Chinese name or Pinyin (see
    :func:`~hashwatch.reporting.districts.resolve_district`).
    """
    condition: ColumnElement[bool] = true()
    if district:
        condition = condition & (
            Facility.district_code == resolve_district(district, districts).code
        )
    if organization_uscc:
        condition = condition & (Organization.uscc == organization_uscc.strip().upper())
    with db.read() as session:
        records = _facility_records(session, [condition])
    return [_listed(r, districts) for r in records]


def get_facility(
    db: Database, code: str, *, districts: Sequence[District] = BEIJING_DISTRICTS
) -> dict[str, Any]:
    """One facility as a plain dict; :class:`NotFoundError` if there is none with ``code``."""
    with db.read() as session:
        records = _facility_records(session, [Facility.code == code.strip()])
    if not records:
        raise NotFoundError(f"no facility with code {code.strip()!r} in the registry")
    return _listed(records[0], districts)


def registry_template(path: Path, *, districts: Sequence[District] = BEIJING_DISTRICTS) -> None:
    """Write the fill-in template (XLSX with ``districts`` and ``help`` sheets, or CSV)."""
    write_registry_template(path, districts)


def district_code_for(value: str, settings: Settings) -> str:
    """The code of the district ``value`` names, among the deployment's districts."""
    return resolve_district(value, configured_districts(settings.district_file)).code
