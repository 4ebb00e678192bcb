"""Write the registry fixtures of tests/data (run from the repository root).

    .venv/bin/python tests/data/make_registry_fixtures.py

The organizations are invented; their USCCs are computed to be valid (see
``tests/registry_rows.py``). The files are committed, so tests read real bytes: a UTF-8 CSV
with BOM, a GB18030 CSV with Chinese headers, a CSV with one bad row among good ones, an
XLSX workbook whose registry sheet is not the first, and a district list for another city.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.registry_rows import make_uscc

DATA = Path(__file__).parent
HEADER = [
    "facility_code",
    "facility_name",
    "organization_uscc",
    "organization_name",
    "organization_kind",
    "contact_name",
    "contact_email",
    "contact_phone",
    "address",
    "district",
    "latitude",
    "longitude",
    "rated_it_capacity_kw",
    "contracted_grid_capacity_kw",
    "meter_ids",
    "ip_ranges",
]
HEADER_ZH = [
    "数据中心编码",
    "数据中心名称",
    "统一社会信用代码",
    "机构名称",
    "机构类型",
    "联系人",
    "联系邮箱",
    "联系电话",
    "地址",
    "所在区",
    "纬度",
    "经度",
    "IT额定容量(kW)",
    "合同用电容量(kW)",
    "电表编号",
    "IP地址段",
]
ORG_A = [make_uscc(1), "北京甲数据服务有限公司", "colocation", "王五", "ops@jia.example.com"]
ORG_B = [make_uscc(2, "110108"), "北京乙云计算有限公司", "云服务", "赵六", "noc@yi.example.com"]
ROWS = [
    ["BJ-001", "甲数据中心一号", *ORG_A, "010-5555 0101", "北京市朝阳区甲路1号", "朝阳区",
     "39.95", "116.48", "1200", "2000", "MA-001;MA-002", "198.51.100.0/25"],
    ["BJ-002", "甲数据中心二号", *ORG_A, "010-5555 0101", "北京市通州区甲路2号", "Tongzhou",
     "39.90", "116.66", "800", "1500", "MA-003", ""],
    ["BJ-003", "乙云数据中心", *ORG_B, "+86 10 5555 0202", "北京市海淀区乙路3号", "110108",
     "39.98", "116.30", "5000", "8000", "MB-001", "2001:db8:b::/48;192.0.2.0/24"],
]  # fmt: skip


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def main() -> None:
    """Write every fixture."""
    (DATA / "registry_utf8_bom.csv").write_bytes(_csv_text(HEADER, ROWS).encode("utf-8-sig"))
    (DATA / "registry_gb18030_zh.csv").write_bytes(_csv_text(HEADER_ZH, ROWS[:2]).encode("gb18030"))
    bad = [list(r) for r in ROWS]
    bad[1][HEADER.index("ip_ranges")] = "10.0.0.1/24"  # host bits set: row 3 is bad
    (DATA / "registry_one_bad_row.csv").write_bytes(_csv_text(HEADER, bad).encode("utf-8"))
    workbook = openpyxl.Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "说明"
    notes.append(["本表为测试用登记表，数据为虚构。"])
    sheet = workbook.create_sheet("Facilities")
    sheet.append(HEADER_ZH)
    for row in ROWS:
        cells: list[object] = list(row)
        for column in ("纬度", "经度", "IT额定容量(kW)", "合同用电容量(kW)"):
            cells[HEADER_ZH.index(column)] = float(row[HEADER_ZH.index(column)])
        sheet.append(cells)
    workbook.properties.creator = "hashwatch tests"
    workbook.save(DATA / "registry_zh.xlsx")
    (DATA / "districts_tianjin.csv").write_text(
        "code,name_zh,name_pinyin\n"
        "120101,和平区,Hépíng Qū\n"
        "120102,河东区,Hédōng Qū\n"
        "120103,河西区,Héxī Qū\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
