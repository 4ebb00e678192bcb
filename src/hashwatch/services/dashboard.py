"""Read-side views for the regulator's pages: a notice's dashboard, facility search, audit.

Everything here reads; the actions (issue, remind, review, import) stay in their own
services. Figures come from :func:`~hashwatch.services.status.notice_status`, so the
dashboard, the CLI's ``notice status`` and the exports always agree.

Reporting rates follow the DHIS2 terms: *expected reports* (recipients), *actual reports*
(recipients with at least one version), *on time* (first version before the deadline).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true

from hashwatch.errors import FileFormatError, InputError, NotFoundError
from hashwatch.reporting.districts import BEIJING_DISTRICTS, District, resolve_district
from hashwatch.reporting.models import (
    AuditEntry,
    Facility,
    Organization,
    OrganizationKind,
    Recipient,
    RecipientState,
    ReviewState,
)
from hashwatch.services.audit_log import audit_row
from hashwatch.services.detection_scores import detection_fields, latest_facility_scores
from hashwatch.services.lookup import get_notice
from hashwatch.services.notices import NOT_SUBMITTED
from hashwatch.services.status import notice_status
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow

T = TypeVar("T")
STATUSES = ("not_opened", "opened", "draft", "overdue", "submitted", "returned", "accepted")
MAX_PER_PAGE = 500
#: the facility list's orders: by code, or by detection score (highest first, unscored last)
FACILITY_SORTS = ("code", "score")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list; ``page`` counts from 1."""

    rows: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _page_bounds(page: int, per_page: int) -> tuple[int, int]:
    if page < 1:
        raise InputError("page counts from 1", field="page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InputError(f"per_page must be 1 to {MAX_PER_PAGE}", field="per_page")
    return (page - 1) * per_page, per_page


def _paged(db: Database, stmt: Select[Any], page: int, per_page: int) -> tuple[list[Any], int]:
    offset, limit = _page_bounds(page, per_page)
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = list(session.execute(stmt.offset(offset).limit(limit)))
    return rows, int(total)


@dataclass(frozen=True)
class DistrictFigures:
    """A district's part of a notice: recipients, reports and mining electricity.

    Returned reports are left out of the electricity figures and of ``involved``, as in the
    notice's summary. ``mining_share_pct`` is of the district's reported facility
    electricity; ``share_of_mining_pct`` of the notice's reported mining electricity.
    """

    district_code: str
    name_zh: str | None
    name_pinyin: str | None
    recipients: int = 0
    reporting: int = 0
    involved: int = 0
    facility_electricity_kwh: float = 0.0
    mining_electricity_kwh: float = 0.0
    share_of_mining_pct: float | None = None

    @property
    def mining_share_pct(self) -> float | None:
        if not self.facility_electricity_kwh:
            return None
        return 100.0 * self.mining_electricity_kwh / self.facility_electricity_kwh

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for charts and JSON), the derived share included."""
        return {
            "district_code": self.district_code,
            "name_zh": self.name_zh,
            "name_pinyin": self.name_pinyin,
            "recipients": self.recipients,
            "reporting": self.reporting,
            "involved": self.involved,
            "facility_electricity_kwh": self.facility_electricity_kwh,
            "mining_electricity_kwh": self.mining_electricity_kwh,
            "mining_share_pct": self.mining_share_pct,
            "share_of_mining_pct": self.share_of_mining_pct,
        }


def district_figures(
    rows: Sequence[Mapping[str, Any]], districts: Sequence[District] = BEIJING_DISTRICTS
) -> list[DistrictFigures]:
    """Group :func:`notice_status` rows by district, in the order of ``districts``.

    Districts without recipients are left out; a code not in ``districts`` comes last.
    """
    known = {d.code: d for d in districts}
    order = {d.code: i for i, d in enumerate(districts)}
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(str(row["district_code"]), []).append(row)
    mining_total = sum(r["mining_electricity_kwh"] or 0.0 for r in rows if _usable(r))
    figures = []
    for code, members in grouped.items():
        usable = [r for r in members if _usable(r)]
        mining = sum(r["mining_electricity_kwh"] or 0.0 for r in usable)
        district = known.get(code)
        figures.append(
            DistrictFigures(
                district_code=code,
                name_zh=district.name_zh if district else None,
                name_pinyin=district.name_pinyin if district else None,
                recipients=len(members),
                reporting=sum(1 for r in members if r["version"] is not None),
                involved=sum(1 for r in usable if r["involved_in_mining"]),
                facility_electricity_kwh=sum(r["facility_electricity_kwh"] or 0.0 for r in usable),
                mining_electricity_kwh=mining,
                share_of_mining_pct=100.0 * mining / mining_total if mining_total else None,
            )
        )
    return sorted(figures, key=lambda f: (order.get(f.district_code, len(order)), f.district_code))


def _usable(row: Mapping[str, Any]) -> bool:
    """A report that counts in the figures: one exists and it was not returned."""
    return row["version"] is not None and row["review_state"] != ReviewState.RETURNED.value


@dataclass(frozen=True)
class NoticeDashboard:
    """What the notice dashboard shows; ``summary`` and ``rows`` are ``notice_status``'s."""

    notice: dict[str, Any]
    summary: dict[str, Any]
    counts: list[tuple[str, int]]
    overdue: list[dict[str, Any]]
    districts: list[DistrictFigures]
    rows: list[dict[str, Any]] = field(repr=False)


def notice_dashboard(
    db: Database,
    ref: str,
    *,
    districts: Sequence[District] = BEIJING_DISTRICTS,
    now: dt.datetime | None = None,
) -> NoticeDashboard:
    """Rates, counts by status (every status, zeros included), overdue list, districts."""
    status = notice_status(db, ref, now=now)
    extra = sorted(set(status.counts) - set(STATUSES))
    return NoticeDashboard(
        notice=status.notice,
        summary=status.summary,
        counts=[(s, status.counts.get(s, 0)) for s in (*STATUSES, *extra)],
        overdue=[r for r in status.rows if r["status"] == "overdue"],
        districts=district_figures(status.rows, districts),
        rows=status.rows,
    )


@dataclass(frozen=True)
class FacilityFilter:
    """The facility list's filters; each one is optional. ``status`` needs ``notice_ref``."""

    district: str | None = None
    organization_uscc: str | None = None
    kind: str | None = None
    notice_ref: str | None = None
    status: str | None = None
    search: str | None = None
    candidates_only: bool = False
    sort: str = "code"
    page: int = 1
    per_page: int = 50


def _status_condition(status: str, past_deadline: bool) -> ColumnElement[bool]:
    """Recipients whose shown status (see ``recipient_status``) is ``status``."""
    if status not in STATUSES:
        raise InputError(f"status must be one of {', '.join(STATUSES)}", field="status")
    if status == "overdue":
        return Recipient.state.in_(NOT_SUBMITTED) if past_deadline else false()
    state = RecipientState(status)
    if state in NOT_SUBMITTED and past_deadline:
        return false()
    return Recipient.state == state


def search_facilities(
    db: Database,
    query: FacilityFilter,
    *,
    districts: Sequence[District] = BEIJING_DISTRICTS,
    now: dt.datetime | None = None,
) -> Page[dict[str, Any]]:
    """Facilities by code matching the filters; ``search`` is part of a code or name.

    With ``notice_ref`` every row carries its ``status`` in that notice (``None`` for a
    facility that is not a recipient). Every row carries its latest stored detection result
    (:mod:`~hashwatch.services.detection_scores`); ``candidates_only`` keeps the facilities
    whose result is a candidate, ``sort="score"`` puts the highest scores first.
    """
    if query.sort not in FACILITY_SORTS:
        raise InputError(f"sort must be one of {', '.join(FACILITY_SORTS)}", field="sort")
    names = {d.code: d for d in districts}
    conditions: list[ColumnElement[bool]] = [true()]
    if query.district:
        conditions.append(
            Facility.district_code == resolve_district(query.district, districts).code
        )
    if query.organization_uscc:
        conditions.append(Organization.uscc == query.organization_uscc.strip().upper())
    if query.kind:
        try:
            conditions.append(Organization.kind == OrganizationKind(query.kind))
        except ValueError:
            kinds = ", ".join(k.value for k in OrganizationKind)
            raise InputError(f"kind must be one of {kinds}", field="kind") from None
    if query.search and query.search.strip():
        text = query.search.strip()
        conditions.append(
            or_(
                Facility.code.icontains(text, autoescape=True),
                Facility.name.icontains(text, autoescape=True),
            )
        )
    scores = latest_facility_scores()
    if query.candidates_only:
        conditions.append(scores.c.candidate == 1)
    stmt: Select[Any] = (
        select(
            Facility.code,
            Facility.name,
            Facility.district_code,
            Facility.rated_it_capacity_kw,
            Organization.uscc,
            Organization.name,
            Organization.kind,
            scores.c.run_id,
            scores.c.score,
            scores.c.candidate,
        )
        .join(Organization, Facility.organization_id == Organization.id)
        .outerjoin(scores, scores.c.facility_id == Facility.id)
    )
    notice = None
    if query.notice_ref:
        with db.read() as session:
            notice = get_notice(session, query.notice_ref)
        stmt = stmt.add_columns(Recipient.state).outerjoin(
            Recipient, and_(Recipient.facility_id == Facility.id, Recipient.notice_id == notice.id)
        )
        if query.status:
            past = (now or utcnow()) > notice.deadline
            conditions.append(_status_condition(query.status, past))
    elif query.status:
        raise InputError("choose a notice to filter by status", field="notice_ref")
    order = [scores.c.score.desc().nulls_last()] if query.sort == "score" else []
    stmt = stmt.where(and_(*conditions)).order_by(*order, Facility.code)
    found, total = _paged(db, stmt, query.page, query.per_page)
    rows = []
    for row in found:
        district = names.get(row[2])
        item = {
            "facility_code": row[0],
            "facility_name": row[1],
            "district_code": row[2],
            "district_name_zh": district.name_zh if district else None,
            "district_name_pinyin": district.name_pinyin if district else None,
            "rated_it_capacity_kw": row[3],
            "organization_uscc": row[4],
            "organization_name": row[5],
            "organization_kind": OrganizationKind(row[6]).value,
            **detection_fields(row[7], row[8], row[9]),
        }
        if notice is not None:
            item["status"] = _shown_status(row[10], notice.deadline, now or utcnow())
        rows.append(item)
    return Page(rows, total, query.page, query.per_page)


def _shown_status(
    state: RecipientState | str | None, deadline: dt.datetime, now: dt.datetime
) -> str | None:
    if state is None:
        return None
    state = RecipientState(state)
    return "overdue" if state in NOT_SUBMITTED and now > deadline else state.value


def organizations(db: Database) -> list[dict[str, Any]]:
    """Every organization with its number of facilities, by name."""
    with db.read() as session:
        grouped = select(Facility.organization_id, func.count()).group_by(Facility.organization_id)
        counts = dict(list(session.execute(grouped).tuples()))
        found = session.execute(select(Organization).order_by(Organization.name)).scalars()
        return [
            {
                "uscc": o.uscc,
                "name": o.name,
                "kind": o.kind.value,
                "contact_name": o.contact_name,
                "contact_email": o.contact_email,
                "contact_phone": o.contact_phone,
                "facilities": counts.get(o.id, 0),
            }
            for o in found
        ]


@dataclass(frozen=True)
class AuditFilter:
    """Audit log filters: ``action`` matches a prefix (``review.``), ``actor`` any part."""

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    page: int = 1
    per_page: int = 50


def audit_page(db: Database, query: AuditFilter) -> Page[dict[str, Any]]:
    """The audit trail, newest first, filtered and paginated."""
    conditions: list[ColumnElement[bool]] = [true()]
    if query.actor and query.actor.strip():
        conditions.append(AuditEntry.actor.icontains(query.actor.strip(), autoescape=True))
    if query.action and query.action.strip():
        conditions.append(AuditEntry.action.startswith(query.action.strip(), autoescape=True))
    if query.object_type and query.object_type.strip():
        conditions.append(AuditEntry.object_type == query.object_type.strip())
    if query.object_id and query.object_id.strip():
        conditions.append(AuditEntry.object_id == query.object_id.strip())
    stmt: Select[Any] = select(AuditEntry).where(and_(*conditions)).order_by(AuditEntry.id.desc())
    found, total = _paged(db, stmt, query.page, query.per_page)
    rows = [audit_row(e) for (e,) in found]
    return Page(rows, total, query.page, query.per_page)


def audit_object_types(db: Database) -> list[str]:
    """The object types present in the audit trail (for a filter's choices)."""
    with db.read() as session:
        return sorted(session.execute(select(AuditEntry.object_type).distinct()).scalars())


REGISTRY_SUFFIXES = (".csv", ".xlsx")
STAGED_MAX_AGE_S = 24 * 3600
_STAGED_NAME = re.compile(r"^[A-Za-z0-9_-]{43}\.(csv|xlsx)$")


def _staging_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads" / "registry"


def stage_registry_file(settings: Settings, filename: str, content: bytes) -> str:
    """Keep an uploaded registry file between its dry run and the confirmed import.

    Returns the upload's id (a random name; the file's own name is never used as a path).
    """
    suffix = Path(filename or "").suffix.lower()
    if suffix not in REGISTRY_SUFFIXES:
        raise FileFormatError(
            f"{filename or 'the file'}: unknown file type {suffix!r}; use .csv or .xlsx",
            field="file",
        )
    if not content:
        raise FileFormatError(f"{filename}: the file is empty", field="file")
    directory = _staging_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    _forget_old_uploads(directory)
    upload_id = secrets.token_urlsafe(32) + suffix
    (directory / upload_id).write_bytes(content)
    return upload_id


def _forget_old_uploads(directory: Path) -> None:
    """Remove uploads checked but never imported, a day after their upload."""
    oldest = time.time() - STAGED_MAX_AGE_S
    for path in directory.iterdir():
        if _STAGED_NAME.match(path.name) and path.stat().st_mtime < oldest:
            path.unlink(missing_ok=True)


def staged_registry_file(settings: Settings, upload_id: str) -> Path:
    """The staged file of an upload id; :class:`NotFoundError` if it is unknown or gone."""
    path = _staging_dir(settings) / upload_id
    if not _STAGED_NAME.match(upload_id) or not path.is_file():
        raise NotFoundError("the uploaded file is gone: upload it again", field="upload")
    return path


def discard_staged_file(settings: Settings, upload_id: str) -> None:
    """Forget a staged upload (after its import)."""
    if _STAGED_NAME.match(upload_id):
        (_staging_dir(settings) / upload_id).unlink(missing_ok=True)
