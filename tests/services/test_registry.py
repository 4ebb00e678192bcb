from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hashwatch.errors import ConflictError, FileFormatError, InputError, NotFoundError
from hashwatch.io.registry_files import load_districts, write_registry_csv
from hashwatch.reporting.audit import verify_chain
from hashwatch.reporting.models import (
    AuditEntry,
    Facility,
    FacilityIpRange,
    FacilityMeter,
    Organization,
)
from hashwatch.services import registry as registry_service
from hashwatch.services.registry import (
    ChangeCounts,
    check_registry,
    district_code_for,
    export_registry,
    get_facility,
    import_registry,
    list_facilities,
)
from hashwatch.settings import get_settings
from hashwatch.store.engine import Database
from tests.registry_rows import make_rows, make_uscc

DATA = Path(__file__).parents[1] / "data"


def _counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Organization, Facility, FacilityMeter, FacilityIpRange, AuditEntry)
        }


def _audit(db: Database) -> list[AuditEntry]:
    with db.read() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _write(tmp_path: Path, rows: list[dict[str, Any]], name: str = "registry.csv") -> Path:
    path = tmp_path / name
    write_registry_csv(path, rows)
    return path


def test_import_a_fixture(db: Database) -> None:
    result = import_registry(db, DATA / "registry_utf8_bom.csv", actor="analyst")
    assert result.rows == 3
    assert result.organizations == ChangeCounts(created=2)
    assert result.facilities == ChangeCounts(created=3)
    assert _counts(db) == {
        "organizations": 2,
        "facilities": 3,
        "facility_meters": 4,
        "facility_ip_ranges": 3,
        "audit_log": 5,
    }
    entries = _audit(db)
    assert [e.action for e in entries] == [
        "registry.organization.create",
        "registry.organization.create",
        "registry.facility.create",
        "registry.facility.create",
        "registry.facility.create",
    ]
    assert {e.actor for e in entries} == {"analyst"}
    assert entries[2].object_type == "facility"
    assert entries[2].object_id == "BJ-001"
    assert entries[2].before_json is None
    after = json.loads(entries[2].after_json or "")
    assert after["meter_ids"] == ["MA-001", "MA-002"]
    assert after["district_code"] == "110105"
    with db.read() as session:
        assert verify_chain(session).ok


def test_gb18030_and_xlsx_fixtures(db: Database) -> None:
    result = import_registry(db, DATA / "registry_gb18030_zh.csv", actor="analyst")
    assert result.notes == ("registry_gb18030_zh.csv is not UTF-8; it was read as GB18030",)
    result = import_registry(db, DATA / "registry_zh.xlsx", actor="analyst")
    assert result.facilities == ChangeCounts(created=1, unchanged=2)
    assert result.organizations == ChangeCounts(created=1, unchanged=1)


def test_one_bad_row_writes_nothing(db: Database) -> None:
    with pytest.raises(InputError) as caught:
        import_registry(db, DATA / "registry_one_bad_row.csv", actor="analyst")
    error = caught.value
    assert error.message.startswith("1 row has errors; nothing was imported. First: row 3")
    assert error.problems == [
        {
            "row": 3,
            "field": "ip_ranges",
            "message": "'10.0.0.1/24' has host bits set: did you mean 10.0.0.0/24? "
            "(give the network address)",
            "value": "10.0.0.1/24",
        }
    ]
    assert set(_counts(db).values()) == {0}


def test_every_row_error_is_reported(db: Database, tmp_path: Path) -> None:
    rows = make_rows(30)
    rows[4]["latitude"] = "95"
    rows[9]["district"] = "Pudong"
    rows[9]["rated_it_capacity_kw"] = "-3"
    rows[20]["facility_code"] = rows[0]["facility_code"]
    with pytest.raises(InputError) as caught:
        import_registry(db, _write(tmp_path, rows), actor="analyst")
    assert [(p["row"], p["field"]) for p in caught.value.problems] == [
        (6, "latitude"),
        (11, "district"),
        (11, "rated_it_capacity_kw"),
        (22, "facility_code"),
    ]
    assert caught.value.message.startswith("3 rows have errors")
    assert set(_counts(db).values()) == {0}


def test_reimport_is_idempotent(db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, make_rows(25))
    first = import_registry(db, path, actor="analyst")
    assert first.facilities == ChangeCounts(created=25)
    assert first.organizations == ChangeCounts(created=5)
    before = _counts(db)
    again = import_registry(db, path, actor="analyst")
    assert again.facilities == ChangeCounts(unchanged=25)
    assert again.organizations == ChangeCounts(unchanged=5)
    assert _counts(db) == before


def test_update_is_audited_with_before_and_after(db: Database, tmp_path: Path) -> None:
    rows = make_rows(10)
    import_registry(db, _write(tmp_path, rows), actor="analyst")
    rows[3]["rated_it_capacity_kw"] = "999.5"
    rows[3]["meter_ids"] = "M0000003A;NEW-METER"
    rows[3]["ip_ranges"] = "192.0.2.0/24"
    for row in rows[5:10]:  # one organization's five facilities
        row["contact_email"] = "new@example.com"
    result = import_registry(db, _write(tmp_path, rows), actor="reviewer")
    assert result.facilities == ChangeCounts(updated=1, unchanged=9)
    assert result.organizations == ChangeCounts(updated=1, unchanged=1)
    org_entry, facility_entry = _audit(db)[-2:]
    assert (org_entry.action, org_entry.object_id) == (
        "registry.organization.update",
        make_uscc(1),
    )
    assert json.loads(org_entry.before_json or "")["contact_email"] == "org1@example.com"
    assert json.loads(org_entry.after_json or "")["contact_email"] == "new@example.com"
    assert facility_entry.action == "registry.facility.update"
    assert facility_entry.actor == "reviewer"
    before = json.loads(facility_entry.before_json or "")
    after = json.loads(facility_entry.after_json or "")
    assert {k for k in after if after[k] != before[k]} == {
        "rated_it_capacity_kw",
        "meter_ids",
        "ip_ranges",
    }
    assert after["meter_ids"] == ["M0000003A", "NEW-METER"]
    facility = get_facility(db, "F-000003")
    assert facility["rated_it_capacity_kw"] == 999.5
    assert facility["meter_ids"] == ["M0000003A", "NEW-METER"]
    assert facility["ip_ranges"] == ["192.0.2.0/24"]
    with db.read() as session:
        assert verify_chain(session).ok


def test_dry_run_writes_nothing(db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, make_rows(10))
    result = import_registry(db, path, actor="analyst", dry_run=True)
    assert result.dry_run
    assert result.facilities == ChangeCounts(created=10)
    assert set(_counts(db).values()) == {0}
    import_registry(db, path, actor="analyst")
    before = _counts(db)
    rows = make_rows(11)
    rows[0]["facility_name"] = "renamed"
    result = import_registry(db, _write(tmp_path, rows), actor="analyst", dry_run=True)
    assert result.facilities == ChangeCounts(created=1, updated=1, unchanged=9)
    assert _counts(db) == before
    assert get_facility(db, "F-000000")["facility_name"] == "数据中心 0"


def test_dry_run_checks_against_the_database(db: Database, tmp_path: Path) -> None:
    import_registry(db, _write(tmp_path, make_rows(2)), actor="analyst")
    intruder = make_rows(3)[2] | {"meter_ids": "M0000000A"}
    path = _write(tmp_path, [intruder], "intruder.csv")
    with pytest.raises(InputError) as caught:
        import_registry(db, path, actor="analyst", dry_run=True)
    (problem,) = caught.value.problems
    assert problem["field"] == "meter_ids"
    assert "already belongs to facility F-000000" in problem["message"]
    checked = check_registry(db, path)
    assert [e.row for e in checked.errors] == [2]


def test_a_meter_can_move_between_facilities_of_one_file(db: Database, tmp_path: Path) -> None:
    rows = make_rows(2)
    import_registry(db, _write(tmp_path, rows), actor="analyst")
    rows[0]["meter_ids"] = "M0000000A"
    rows[1]["meter_ids"] = "M0000000B;M0000001A;M0000001B"
    result = import_registry(db, _write(tmp_path, rows), actor="analyst")
    assert result.facilities == ChangeCounts(updated=2)
    assert get_facility(db, "F-000001")["meter_ids"] == ["M0000000B", "M0000001A", "M0000001B"]


def test_missing_column_keeps_empty_cell_clears(db: Database, tmp_path: Path) -> None:
    rows = make_rows(3)
    import_registry(db, _write(tmp_path, rows), actor="analyst")
    path = tmp_path / "partial.csv"
    keep = ("facility_code", "facility_name", "organization_uscc", "organization_name")
    keep += ("organization_kind", "district", "meter_ids")
    lines = [",".join(keep)]
    for row in rows:
        lines.append(",".join("" if c == "meter_ids" else row[c] for c in keep))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_registry(db, path, actor="analyst")
    assert result.facilities == ChangeCounts(updated=3)
    assert result.organizations == ChangeCounts(unchanged=1)
    facility = get_facility(db, "F-000000")
    assert facility["meter_ids"] == []
    assert facility["contact_phone"] == rows[0]["contact_phone"]
    assert facility["latitude"] == float(rows[0]["latitude"])
    assert facility["ip_ranges"] == [rows[0]["ip_ranges"]]


def test_facility_can_change_organization(db: Database, tmp_path: Path) -> None:
    rows = make_rows(6)
    import_registry(db, _write(tmp_path, rows), actor="analyst")
    moved = {**rows[5]}
    for column in ("organization_uscc", "organization_name", "organization_kind"):
        moved[column] = rows[0][column]
    for column in ("contact_name", "contact_email", "contact_phone"):
        moved[column] = ""
    result = import_registry(db, _write(tmp_path, [moved], "moved.csv"), actor="analyst")
    assert result.facilities == ChangeCounts(updated=1)
    assert result.organizations == ChangeCounts(updated=1)  # its contacts were blanked
    assert get_facility(db, "F-000005")["organization_uscc"] == make_uscc(0)


def test_more_rows_than_one_batch(db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, make_rows(1100, facilities_per_organization=2))
    calls: list[tuple[int, int]] = []
    result = import_registry(
        db, path, actor="analyst", progress=lambda done, total: calls.append((done, total))
    )
    assert result.facilities == ChangeCounts(created=1100)
    assert result.organizations == ChangeCounts(created=550)
    assert calls[-1] == (3, 3)
    assert _counts(db)["audit_log"] == 1650
    again = import_registry(db, path, actor="analyst", dry_run=True)
    assert again.facilities == ChangeCounts(unchanged=1100)
    with db.read() as session:
        report = verify_chain(session)
    assert report.ok
    assert report.rows_checked == 1650


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_round_trip(db: Database, tmp_path: Path, suffix: str) -> None:
    import_registry(db, DATA / "registry_utf8_bom.csv", actor="analyst")
    import_registry(db, _write(tmp_path, make_rows(20)), actor="analyst")
    path = tmp_path / f"export{suffix}"
    assert export_registry(db, path) == 23
    result = import_registry(db, path, actor="analyst")
    assert result.facilities == ChangeCounts(unchanged=23)
    assert result.organizations == ChangeCounts(unchanged=5)  # make_uscc(1) is in both files


def test_list_and_get(db: Database) -> None:
    import_registry(db, DATA / "registry_utf8_bom.csv", actor="analyst")
    everything = list_facilities(db)
    assert [f["facility_code"] for f in everything] == ["BJ-001", "BJ-002", "BJ-003"]
    first = everything[0]
    assert first["district_code"] == "110105"
    assert first["district_name"] == "朝阳区"
    assert first["organization_kind"] == "colocation"
    assert first["rated_it_capacity_kw"] == 1200.0
    assert first == get_facility(db, " BJ-001 ")
    for district in ("Chaoyang", "朝阳", "110105", "Cháoyáng Qū"):
        assert [f["facility_code"] for f in list_facilities(db, district=district)] == ["BJ-001"]
    by_org = list_facilities(db, organization_uscc=make_uscc(1).lower())
    assert [f["facility_code"] for f in by_org] == ["BJ-001", "BJ-002"]
    assert list_facilities(db, district="Haidian", organization_uscc=make_uscc(1)) == []
    with pytest.raises(InputError, match="unknown district"):
        list_facilities(db, district="Pudong")
    with pytest.raises(NotFoundError, match="'BJ-404'"):
        get_facility(db, "BJ-404")


def test_unreadable_file(db: Database, tmp_path: Path) -> None:
    with pytest.raises(FileFormatError):
        import_registry(db, tmp_path / "missing.csv", actor="analyst")


def test_configured_districts(db: Database, tmp_path: Path) -> None:
    tianjin = load_districts(DATA / "districts_tianjin.csv")
    rows = make_rows(2)
    rows[0]["district"] = "和平"
    rows[1]["district"] = "Hedong"
    result = import_registry(db, _write(tmp_path, rows), actor="analyst", districts=tianjin)
    assert result.facilities == ChangeCounts(created=2)
    listed = list_facilities(db, district="河东区", districts=tianjin)
    assert [(f["facility_code"], f["district_name"]) for f in listed] == [("F-000001", "河东区")]
    settings = get_settings(district_file=DATA / "districts_tianjin.csv")
    assert district_code_for("Hexi", settings) == "120103"
    assert district_code_for("Haidian", get_settings()) == "110108"


def test_a_concurrent_change_is_a_conflict_and_writes_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_registry(db, DATA / "registry_utf8_bom.csv", actor="analyst")
    before = _counts(db)
    # As if another import had added these rows after this one looked at the database:
    monkeypatch.setattr(registry_service, "_load_existing", lambda *_: registry_service._Existing())
    with pytest.raises(ConflictError, match="run the import again"):
        import_registry(db, DATA / "registry_utf8_bom.csv", actor="analyst")
    assert _counts(db) == before
