"""Seeded synthetic registry rows for the registry tests and the import benchmark."""

from __future__ import annotations

import random

from hashwatch.reporting.districts import BEIJING_DISTRICTS
from hashwatch.reporting.registry import COLUMNS
from hashwatch.reporting.uscc import organization_code_check_character, uscc_check_character

KINDS = ("telecom", "colocation", "cloud", "enterprise", "other")


def make_uscc(number: int, division_code: str = "110105") -> str:
    """A valid enterprise USCC (91...) whose organization code encodes ``number``."""
    body = f"MA{number:06d}"
    first17 = f"91{division_code}{body}{organization_code_check_character(body)}"
    return first17 + uscc_check_character(first17)


def make_rows(
    facilities: int, *, facilities_per_organization: int = 5, seed: int = 2021
) -> list[dict[str, str]]:
    """``facilities`` valid rows as file cells, all columns filled."""
    rng = random.Random(seed)
    rows = []
    for index in range(facilities):
        org = index // facilities_per_organization
        district = BEIJING_DISTRICTS[index % len(BEIJING_DISTRICTS)]
        row = {
            "facility_code": f"F-{index:06d}",
            "facility_name": f"数据中心 {index}",
            "organization_uscc": make_uscc(org),
            "organization_name": f"机构 {org} 有限公司",
            "organization_kind": KINDS[org % len(KINDS)],
            "contact_name": f"联系人 {org}",
            "contact_email": f"org{org}@example.com",
            "contact_phone": f"+86 10 {6000_0000 + org}",
            "address": f"北京市{district.name_zh}示例路{index}号",
            "district": district.name_zh,
            "latitude": f"{rng.uniform(39.5, 40.9):.6f}",
            "longitude": f"{rng.uniform(115.5, 117.4):.6f}",
            "rated_it_capacity_kw": f"{rng.randint(100, 20000)}",
            "contracted_grid_capacity_kw": f"{rng.randint(200, 40000)}",
            "meter_ids": f"M{index:07d}A;M{index:07d}B",
            "ip_ranges": f"10.{index // 256 % 256}.{index % 256}.0/24",
        }
        assert tuple(row) == COLUMNS
        rows.append(row)
    return rows
