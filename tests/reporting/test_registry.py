from __future__ import annotations

from typing import Any

import pytest

from hashwatch.reporting.districts import BEIJING_DISTRICTS, District
from hashwatch.reporting.models import OrganizationKind
from hashwatch.reporting.registry import (
    COLUMN_HELP,
    COLUMNS,
    EXAMPLE_ROW,
    REQUIRED_COLUMNS,
    RowError,
    meter_conflicts,
    parse_registry_rows,
    parse_row,
    row_errors_problem,
    split_list,
)
from hashwatch.reporting.uscc import is_valid_uscc
from tests.registry_rows import make_rows, make_uscc


def _row(**changes: str | None) -> dict[str, str | None]:
    return {**EXAMPLE_ROW, **changes}


def _errors(**changes: str | None) -> list[RowError]:
    row, errors = parse_row(7, _row(**changes), BEIJING_DISTRICTS)
    assert (row is None) == bool(errors)
    return errors


def _one_error(**changes: str | None) -> RowError:
    errors = _errors(**changes)
    assert len(errors) == 1, errors
    return errors[0]


def test_every_column_is_documented_and_the_example_is_valid() -> None:
    assert set(COLUMN_HELP) == set(COLUMNS) == set(EXAMPLE_ROW)
    assert set(REQUIRED_COLUMNS) <= set(COLUMNS)
    assert is_valid_uscc(EXAMPLE_ROW["organization_uscc"])
    assert _errors() == []


def test_a_good_row_is_normalised() -> None:
    raw = _row(
        organization_uscc=" 91110105ma01h5k36t ",
        organization_kind="主机托管",
        district="Cháoyáng Qū",
        rated_it_capacity_kw="1,200.5",
        contracted_grid_capacity_kw="２０００",
        meter_ids="M-2 ；M-1; ",
        ip_ranges="2001:DB8:10:0::/48; 203.0.113.0/24",
        address="  ",
    )
    row, errors = parse_row(2, raw, BEIJING_DISTRICTS)
    assert errors == []
    assert row is not None
    assert row.organization_uscc == "91110105MA01H5K36T"
    assert row.organization_kind is OrganizationKind.COLOCATION
    assert row.district_code == "110105"
    assert row.rated_it_capacity_kw == 1200.5
    assert row.contracted_grid_capacity_kw == 2000.0
    assert row.meter_ids == ("M-1", "M-2")
    assert row.ip_ranges == ("2001:db8:10::/48", "203.0.113.0/24")
    assert row.address is None
    assert row.facility()["meter_ids"] == ["M-1", "M-2"]
    assert row.organization()["kind"] == "colocation"


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("telecom", "telecom"),
        ("Cloud", "cloud"),
        (" ENTERPRISE ", "enterprise"),
        ("电信运营商", "telecom"),
        ("云服务", "cloud"),
        ("企业", "enterprise"),
        ("其他", "other"),
    ],
)
def test_organization_kinds_in_english_and_chinese(label: str, kind: str) -> None:
    row, _ = parse_row(2, _row(organization_kind=label), BEIJING_DISTRICTS)
    assert row is not None
    assert row.organization_kind.value == kind


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"facility_code": None}, "facility_code", "is required"),
        ({"facility_code": "BJ 01"}, "facility_code", "may hold only ASCII letters"),
        ({"facility_code": "../x"}, "facility_code", "may hold only ASCII letters"),
        ({"facility_code": "x" * 65}, "facility_code", "longer than 64"),
        ({"facility_name": ""}, "facility_name", "is required"),
        ({"organization_uscc": "91110105MA01H5K36X"}, "organization_uscc", "should be 'T'"),
        ({"organization_uscc": "9.11101E+17"}, "organization_uscc", "spreadsheet rounded"),
        ({"organization_kind": "miner"}, "organization_kind", "电信运营商"),
        ({"organization_kind": None}, "organization_kind", "is required"),
        ({"contact_email": "zhangsan"}, "contact_email", "not an e-mail address"),
        ({"contact_phone": "call me"}, "contact_phone", "not a telephone number"),
        ({"district": "Pudong"}, "district", "unknown district 'Pudong'"),
        ({"district": None}, "district", "is required"),
        ({"latitude": "91"}, "latitude", "at most 90"),
        ({"longitude": "-180.5"}, "longitude", "at least -180"),
        ({"latitude": "north"}, "latitude", "is not a number"),
        ({"latitude": "nan"}, "latitude", "finite"),
        ({"longitude": None}, "longitude", "when the other coordinate is"),
        ({"rated_it_capacity_kw": "-1"}, "rated_it_capacity_kw", "at least 0"),
        ({"contracted_grid_capacity_kw": "1.2.3"}, "contracted_grid_capacity_kw", "not a number"),
        ({"meter_ids": "M-1;M-1"}, "meter_ids", "'M-1' is listed twice"),
        ({"meter_ids": "M 1"}, "meter_ids", "has spaces"),
        ({"ip_ranges": "10.0.0.1/24"}, "ip_ranges", "did you mean 10.0.0.0/24?"),
        ({"ip_ranges": "2001:db8::1/32"}, "ip_ranges", "did you mean 2001:db8::/32?"),
        ({"ip_ranges": "10.0.0.0/33"}, "ip_ranges", "not an IP network"),
        ({"ip_ranges": "10.0.0.0/24;10.0.0.0/24"}, "ip_ranges", "listed twice"),
        ({"address": "a\x00b"}, "address", "control character"),
    ],
)
def test_bad_cells(changes: dict[str, str | None], field: str, fragment: str) -> None:
    error = _one_error(**changes)
    assert (error.row, error.field) == (7, field)
    assert fragment in error.message
    assert error.value == (changes.get(field) or None)


def test_every_error_of_a_row_is_reported() -> None:
    errors = _errors(latitude="99", rated_it_capacity_kw="-5", district="nowhere")
    assert {e.field for e in errors} == {"latitude", "rated_it_capacity_kw", "district"}


def test_custom_districts_come_from_the_caller() -> None:
    tianjin = (District("120101", "和平区", "Hépíng Qū"),)
    row, errors = parse_row(2, _row(district="Heping"), tianjin)
    assert errors == []
    assert row is not None
    assert row.district_code == "120101"


def _numbered(rows: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    return list(enumerate(rows, start=2))


def test_a_file_of_good_rows() -> None:
    batch = parse_registry_rows(_numbered(make_rows(12, facilities_per_organization=4)))
    assert batch.errors == []
    assert len(batch.rows) == 12
    assert len(batch.organizations) == 3
    assert batch.facility_rows()["F-000011"] == 13


def test_duplicate_facility_code_names_the_first_row() -> None:
    rows = make_rows(3)
    rows[2]["facility_code"] = rows[0]["facility_code"]
    batch = parse_registry_rows(_numbered(rows))
    assert [str(e) for e in batch.errors] == ["row 4, facility_code: is already on row 2"]


def test_meter_in_two_rows() -> None:
    rows = make_rows(3)
    rows[1]["meter_ids"] = "M0000000A"
    (error,) = parse_registry_rows(_numbered(rows)).errors
    assert (error.row, error.field) == (3, "meter_ids")
    assert "already listed for facility F-000000 on row 2" in error.message


def test_organization_columns_must_agree() -> None:
    rows = make_rows(3)
    rows[2]["organization_name"] = "另一个名字"
    rows[1]["contact_phone"] = ""  # blank: takes the value of the other rows
    batch = parse_registry_rows(_numbered(rows))
    assert [(e.row, e.field) for e in batch.errors] == [(4, "organization_name")]
    assert "differs from row 2" in batch.errors[0].message
    assert batch.errors[0].value == "另一个名字"


def test_blank_contact_is_filled_from_another_row() -> None:
    rows = make_rows(2)
    rows[0]["contact_email"] = ""
    batch = parse_registry_rows(_numbered(rows))
    assert batch.errors == []
    (org,) = batch.organizations.values()
    assert org["contact_email"] == rows[1]["contact_email"]


def test_errors_are_sorted_by_row() -> None:
    rows = make_rows(4)
    rows[3]["latitude"] = "100"
    rows[1]["facility_code"] = rows[0]["facility_code"]
    rows[2]["organization_kind"] = "nothing"
    batch = parse_registry_rows(_numbered(rows))
    assert [e.row for e in batch.errors] == [3, 4, 5]


def test_meters_owned_in_the_database() -> None:
    rows = make_rows(2)
    batch = parse_registry_rows(_numbered(rows))
    owners = {"M0000000A": "ELSEWHERE", "M0000001A": "F-000000", "M0000000B": "F-000000"}
    (error,) = meter_conflicts(batch, owners)
    assert (error.row, error.field, error.value) == (2, "meter_ids", "M0000000A")
    assert "already belongs to facility ELSEWHERE" in error.message


def test_problem_summary() -> None:
    errors = [
        RowError(3, "latitude", "must be at most 90", "91"),
        RowError(3, "district", "unknown district 'x'", "x"),
        RowError(9, None, "bad", None),
    ]
    problem = row_errors_problem(errors)
    assert problem.message.startswith("2 rows have errors; nothing was imported.")
    assert "First: row 3, latitude: must be at most 90" in problem.message
    assert problem.problems[0] == {
        "row": 3,
        "field": "latitude",
        "message": "must be at most 90",
        "value": "91",
    }
    assert len(problem.problems) == 3
    assert row_errors_problem(errors[2:]).message.startswith("1 row has errors")


def test_split_list() -> None:
    assert split_list(" a; b ；;c ") == ["a", "b", "c"]
    assert split_list(None) == []


def test_synthetic_uscc_is_valid() -> None:
    assert is_valid_uscc(make_uscc(123, "110108"))
