"""The registry of organizations and facilities: import, export, list, look up.

:func:`import_registry` is all-or-nothing. The file is read and every row checked (on its own,
against the other rows, and against the database) before anything is written; if any row is
bad nothing is written and an :class:`~hashwatch.errors.InputError` lists every row error.
Otherwise organizations are upserted by USCC and facilities by code in one transaction, and
every created or changed one is audited with its before and after state
(``registry.organization.create|update``, ``registry.facility.create|update``).

A column the file does not have leaves that field as it is; an empty cell clears it.
Existing rows are loaded in bulk (a few queries per thousand rows), never one row at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hashwatch.errors import NotFoundError
from hashwatch.io.registry_files import (
    read_registry_file,
    write_registry_file,
    write_registry_template,
)
from hashwatch.reporting import audit
from hashwatch.reporting.districts import (
    BEIJING_DISTRICTS,
    District,
    configured_districts,
    resolve_district,
)
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
    RegistryRow,
    RowError,
    meter_conflicts,
    parse_registry_rows,
    row_errors_problem,
)
from hashwatch.settings import Settings
from hashwatch.store.engine import Database

Progress = Callable[[int, int], None]
_CHUNK_ROWS = 500
_PROGRESS_EVERY_ROWS = 200
T = TypeVar("T")


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


def organization_snapshot(org: Organization) -> dict[str, Any]:
    """An organization as plain data (the audit trail's before/after form)."""
    return {
        "uscc": org.uscc,
        "name": org.name,
        "kind": OrganizationKind(org.kind).value,
        "contact_name": org.contact_name,
        "contact_email": org.contact_email,
        "contact_phone": org.contact_phone,
    }


def facility_snapshot(facility: Facility) -> dict[str, Any]:
    """A facility as plain data (the audit trail's before/after form)."""
    return {
        "code": facility.code,
        "name": facility.name,
        "organization_uscc": facility.organization.uscc,
        "address": facility.address,
        "district_code": facility.district_code,
        "latitude": facility.latitude,
        "longitude": facility.longitude,
        "rated_it_capacity_kw": facility.rated_it_capacity_kw,
        "contracted_grid_capacity_kw": facility.contracted_grid_capacity_kw,
        "meter_ids": sorted(m.meter_id for m in facility.meters),
        "ip_ranges": sorted(r.cidr for r in facility.ip_ranges),
    }


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), _CHUNK_ROWS):
        yield values[start : start + _CHUNK_ROWS]


@dataclass
class _Existing:
    organizations: dict[str, Organization] = field(default_factory=dict)
    facilities: dict[str, Facility] = field(default_factory=dict)
    meter_owners: dict[str, str] = field(default_factory=dict)


def _load_existing(session: Session, batch: RegistryBatch) -> _Existing:
    existing = _Existing()
    usccs = sorted(batch.organizations)
    codes = sorted(batch.facility_rows())
    meters = sorted({m for _, row in batch.rows for m in row.meter_ids})
    for chunk in _chunks(usccs):
        orgs = session.scalars(select(Organization).where(Organization.uscc.in_(chunk)))
        existing.organizations.update((o.uscc, o) for o in orgs)
    loads = (
        selectinload(Facility.organization),
        selectinload(Facility.meters),
        selectinload(Facility.ip_ranges),
    )
    for chunk in _chunks(codes):
        found = session.scalars(select(Facility).options(*loads).where(Facility.code.in_(chunk)))
        existing.facilities.update((f.code, f) for f in found)
    for chunk in _chunks(meters):
        pairs = session.execute(
            select(FacilityMeter.meter_id, Facility.code)
            .join(Facility, FacilityMeter.facility_id == Facility.id)
            .where(FacilityMeter.meter_id.in_(chunk))
        )
        existing.meter_owners.update((m, c) for m, c in pairs)
    return existing


def _changes(before: dict[str, Any], after: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: after[k] for k in keys if before[k] != after[k]}


@dataclass
class _Plan:
    """The changes an import makes: new and changed objects with their after-state."""

    rows: int
    new_organizations: list[dict[str, Any]] = field(default_factory=list)
    changed_organizations: list[tuple[Organization, dict[str, Any]]] = field(default_factory=list)
    unchanged_organizations: int = 0
    new_facilities: list[RegistryRow] = field(default_factory=list)
    changed_facilities: list[tuple[Facility, dict[str, Any]]] = field(default_factory=list)
    unchanged_facilities: int = 0


def _plan(batch: RegistryBatch, existing: _Existing) -> _Plan:
    plan = _Plan(rows=len(batch.rows))
    org_keys = {"uscc"} | {v for k, v in ORGANIZATION_KEYS.items() if k in batch.columns}
    for uscc, wanted in batch.organizations.items():
        org = existing.organizations.get(uscc)
        if org is None:
            plan.new_organizations.append(wanted)
        elif changes := _changes(organization_snapshot(org), wanted, org_keys):
            plan.changed_organizations.append((org, changes))
        else:
            plan.unchanged_organizations += 1
    facility_keys = {"code"} | {v for k, v in FACILITY_KEYS.items() if k in batch.columns}
    for _, row in batch.rows:
        facility = existing.facilities.get(row.facility_code)
        if facility is None:
            plan.new_facilities.append(row)
        elif changes := _changes(facility_snapshot(facility), row.facility(), facility_keys):
            plan.changed_facilities.append((facility, changes))
        else:
            plan.unchanged_facilities += 1
    return plan


def _write_organizations(
    session: Session, plan: _Plan, existing: _Existing, actor: str
) -> dict[str, Organization]:
    orgs = dict(existing.organizations)
    for wanted in plan.new_organizations:
        org = Organization(**{**wanted, "kind": OrganizationKind(wanted["kind"])})
        session.add(org)
        orgs[org.uscc] = org
    audits: list[tuple[str, Organization, dict[str, Any] | None]] = [
        ("create", orgs[wanted["uscc"]], None) for wanted in plan.new_organizations
    ]
    for org, changes in plan.changed_organizations:
        audits.append(("update", org, organization_snapshot(org)))
        for key, value in changes.items():
            setattr(org, key, OrganizationKind(value) if key == "kind" else value)
    session.flush()
    for verb, org, before in audits:
        audit.record(
            session,
            actor=actor,
            action=f"registry.organization.{verb}",
            object_type="organization",
            object_id=org.uscc,
            before=before,
            after=organization_snapshot(org),
        )
    return orgs


def _new_facility(row: RegistryRow, org: Organization) -> Facility:
    return Facility(
        code=row.facility_code,
        organization=org,
        name=row.facility_name,
        address=row.address,
        district_code=row.district_code,
        latitude=row.latitude,
        longitude=row.longitude,
        rated_it_capacity_kw=row.rated_it_capacity_kw,
        contracted_grid_capacity_kw=row.contracted_grid_capacity_kw,
        meters=[FacilityMeter(meter_id=m) for m in row.meter_ids],
        ip_ranges=[FacilityIpRange(cidr=c) for c in row.ip_ranges],
    )


def _apply_facility_changes(
    session: Session, plan: _Plan, orgs: dict[str, Organization]
) -> list[dict[str, Any]]:
    """Change facilities in two steps: meters and ranges leave first, so they can move."""
    befores = [facility_snapshot(f) for f, _ in plan.changed_facilities]
    for facility, changes in plan.changed_facilities:
        for key, value in changes.items():
            if key == "meter_ids":
                for meter in [m for m in facility.meters if m.meter_id not in value]:
                    facility.meters.remove(meter)
            elif key == "ip_ranges":
                for cidr in [r for r in facility.ip_ranges if r.cidr not in value]:
                    facility.ip_ranges.remove(cidr)
            elif key == "organization_uscc":
                facility.organization = orgs[value]
            else:
                setattr(facility, key, value)
    session.flush()
    for facility, changes in plan.changed_facilities:
        have = {m.meter_id for m in facility.meters}
        facility.meters.extend(
            FacilityMeter(meter_id=m) for m in changes.get("meter_ids", ()) if m not in have
        )
        cidrs = {r.cidr for r in facility.ip_ranges}
        facility.ip_ranges.extend(
            FacilityIpRange(cidr=c) for c in changes.get("ip_ranges", ()) if c not in cidrs
        )
    return befores


def _write_facilities(
    session: Session,
    plan: _Plan,
    orgs: dict[str, Organization],
    actor: str,
    progress: Progress | None,
) -> None:
    befores = _apply_facility_changes(session, plan, orgs)
    created = [_new_facility(row, orgs[row.organization_uscc]) for row in plan.new_facilities]
    session.add_all(created)
    session.flush()
    audits: list[tuple[str, Facility, dict[str, Any] | None]]
    audits = [("create", f, None) for f in created]
    audits += [("update", f, b) for (f, _), b in zip(plan.changed_facilities, befores, strict=True)]
    for done, (verb, facility, before) in enumerate(audits, start=1):
        audit.record(
            session,
            actor=actor,
            action=f"registry.facility.{verb}",
            object_type="facility",
            object_id=facility.code,
            before=before,
            after=facility_snapshot(facility),
        )
        if progress and done % _PROGRESS_EVERY_ROWS == 0:
            progress(done, len(audits))


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
        path=str(path),
        rows=plan.rows,
        organizations=ChangeCounts(
            len(plan.new_organizations),
            len(plan.changed_organizations),
            plan.unchanged_organizations,
        ),
        facilities=ChangeCounts(
            len(plan.new_facilities), len(plan.changed_facilities), plan.unchanged_facilities
        ),
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
    called with (audited rows, rows to audit) while writing.
    """
    sessions = db.read if dry_run else db.transaction
    with sessions() as session:
        batch, existing, notes = _check(session, path, districts)
        if batch.errors:
            raise row_errors_problem(batch.errors)
        plan = _plan(batch, existing)
        if not dry_run:
            orgs = _write_organizations(session, plan, existing, actor)
            _write_facilities(session, plan, orgs, actor, progress)
    if progress:
        progress(plan.rows, plan.rows)
    return _result(path, plan, notes, dry_run=dry_run)


def _facility_row(facility: Facility) -> dict[str, Any]:
    org = facility.organization
    return {
        "facility_code": facility.code,
        "facility_name": facility.name,
        "organization_uscc": org.uscc,
        "organization_name": org.name,
        "organization_kind": OrganizationKind(org.kind).value,
        "contact_name": org.contact_name,
        "contact_email": org.contact_email,
        "contact_phone": org.contact_phone,
        "address": facility.address,
        "district": facility.district_code,
        "latitude": facility.latitude,
        "longitude": facility.longitude,
        "rated_it_capacity_kw": facility.rated_it_capacity_kw,
        "contracted_grid_capacity_kw": facility.contracted_grid_capacity_kw,
        "meter_ids": sorted(m.meter_id for m in facility.meters),
        "ip_ranges": sorted(r.cidr for r in facility.ip_ranges),
    }


def _facilities(
    session: Session, *, district_code: str | None = None, organization_uscc: str | None = None
) -> list[Facility]:
    stmt = (
        select(Facility)
        .join(Organization, Facility.organization_id == Organization.id)
        .options(
            selectinload(Facility.organization),
            selectinload(Facility.meters),
            selectinload(Facility.ip_ranges),
        )
    )
    if district_code is not None:
        stmt = stmt.where(Facility.district_code == district_code)
    if organization_uscc is not None:
        stmt = stmt.where(Organization.uscc == organization_uscc.strip().upper())
    facilities = list(session.scalars(stmt))
    return sorted(facilities, key=lambda f: f.code)


def export_registry(db: Database, path: Path) -> int:
    """Write the whole registry to a CSV or XLSX file that :func:`import_registry` reads.

    Returns the number of facilities written.
    """
    with db.read() as session:
        rows = [_facility_row(f) for f in _facilities(session)]
    return write_registry_file(path, rows)


def _with_district_name(row: dict[str, Any], districts: Sequence[District]) -> dict[str, Any]:
    names = {d.code: d.name_zh for d in districts}
    listed: dict[str, Any] = {}
    for key, value in row.items():
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
    code = resolve_district(district, districts).code if district else None
    with db.read() as session:
        found = _facilities(session, district_code=code, organization_uscc=organization_uscc)
        return [_with_district_name(_facility_row(f), districts) for f in found]


def get_facility(
    db: Database, code: str, *, districts: Sequence[District] = BEIJING_DISTRICTS
) -> dict[str, Any]:
    """One facility as a plain dict; :class:`NotFoundError` if there is none with ``code``."""
    with db.read() as session:
        facility = session.scalars(
            select(Facility)
            .options(selectinload(Facility.meters), selectinload(Facility.ip_ranges))
            .where(Facility.code == code.strip())
        ).one_or_none()
        if facility is None:
            raise NotFoundError(f"no facility with code {code.strip()!r} in the registry")
        return _with_district_name(_facility_row(facility), districts)


def registry_template(path: Path, *, districts: Sequence[District] = BEIJING_DISTRICTS) -> None:
    """Write the fill-in template (XLSX with ``districts`` and ``help`` sheets, or CSV)."""
    write_registry_template(path, districts)


def district_code_for(value: str, settings: Settings) -> str:
    """The code of the district ``value`` names, among the deployment's districts."""
    return resolve_district(value, configured_districts(settings.district_file)).code
