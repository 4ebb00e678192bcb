"""The walk a new user takes through the command line, end to end, on the embedded default.

template → import a registry → create, fill and issue a notice → submit a valid report, one
with a warning and its explanation, one with a blocking error (rejected), a nil return →
return one for correction → resubmit → accept → status and export → audit verify passes;
an audit row changed directly in the database makes it fail, naming the row.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from hashwatch.reporting.uscc import uscc_check_character
from hashwatch.settings import Settings
from tests.cli.conftest import CliRun
from tests.factories import tokens_from_outbox

EXAMPLES = Path(__file__).parent.parent.parent / "docs" / "examples"
REF = "BJ-2021-04"
HEADER = (
    "facility_code,facility_name,organization_uscc,organization_name,organization_kind,"
    "contact_name,contact_email,contact_phone,address,district,latitude,longitude,"
    "rated_it_capacity_kw,contracted_grid_capacity_kw,meter_ids,ip_ranges"
)


def _uscc(body: str) -> str:
    return body + uscc_check_character(body)


def _registry(path: Path) -> None:
    org_a, org_b = _uscc("91110105MA01AAAA5"), _uscc("91110108MA01BBBB8")
    rows = [
        f"DC-A,Alpha One,{org_a},Alpha Data,colocation,Wang,ops@alpha.example.cn,,"
        "Chaoyang Rd 1,朝阳区,39.95,116.48,8000,10000,M-A1;M-A2,198.51.100.0/25",
        f"DC-B,Alpha Two,{org_a},Alpha Data,colocation,Wang,ops@alpha.example.cn,,"
        "Tongzhou Rd 2,Tongzhou,39.90,116.66,8000,10000,M-B1,",
        f"DC-C,Beta Cloud,{org_b},Beta Cloud,cloud,Zhao,noc@beta.example.cn,,"
        "Haidian Rd 3,110108,39.98,116.30,8000,10000,M-C1,",
        f"DC-D,Beta Edge,{org_b},Beta Cloud,cloud,Zhao,noc@beta.example.cn,,"
        "Haidian Rd 4,海淀,39.99,116.31,8000,10000,M-D1,",
    ]
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")


def _write(path: Path, value: dict[str, Any]) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def _example(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return value


def test_a_new_users_walk(cli: CliRun, tmp_path: Path) -> None:
    assert cli("init").code == 0

    # registry
    assert cli("registry", "template", "-o", str(tmp_path / "template.xlsx")).code == 0
    assert load_workbook(tmp_path / "template.xlsx").sheetnames[0] == "facilities"
    _registry(tmp_path / "registry.csv")
    dry = cli("registry", "import", str(tmp_path / "registry.csv"), "--dry-run")
    assert dry.code == 0, dry.err
    assert json.loads(cli("registry", "list", "--format", "json").out) == []
    assert cli("registry", "import", str(tmp_path / "registry.csv")).code == 0
    listed = json.loads(cli("registry", "list", "--format", "json").out)
    assert [f["facility_code"] for f in listed] == ["DC-A", "DC-B", "DC-C", "DC-D"]

    # notice
    created = cli(
        "notice",
        "create",
        "--ref",
        REF,
        "--title",
        "关于数据中心涉及虚拟货币挖矿的紧急通知",
        "--legal-basis",
        "Energy Conservation Law",
        "--issuer",
        "Beijing MIIT",
        "--period-start",
        "2021-04-01",
        "--period-end",
        "2021-04-30",
        "--deadline",
        "2030-05-07T18:00",
        "--urgent",
    )
    assert created.code == 0, created.err
    assert cli("notice", "add-recipients", REF, "--district", "Haidian").code == 0
    assert cli("notice", "add-recipients", REF, "--all").code == 0
    issued = cli("notice", "issue", REF)
    assert issued.code == 0, issued.err
    assert "issued BJ-2021-04 to 4 recipients" in issued.out
    again = cli("notice", "issue", REF)
    assert again.code == 4
    assert "can be issued once" in again.err
    tokens = tokens_from_outbox(Settings(data_dir=tmp_path / "data"), REF)
    assert sorted(tokens) == ["DC-A", "DC-B", "DC-C", "DC-D"]

    # reports
    valid = _write(tmp_path / "a.json", _example("report.json"))
    first = cli(
        "submit",
        REF,
        "--token",
        tokens["DC-A"],
        "--file",
        str(valid),
        "--format",
        "json",
        "--idempotency-key",
        "a-1",
    )
    assert first.code == 0, first.err
    receipt = json.loads(first.out)
    assert receipt["version"] == 1
    retry = cli(
        "submit",
        REF,
        "--token",
        tokens["DC-A"],
        "--file",
        str(valid),
        "--format",
        "json",
        "--idempotency-key",
        "a-1",
    )
    assert json.loads(retry.out)["record_sha256"] == receipt["record_sha256"]

    warned = _example("report.json")
    warned["equipment"][0]["count"] = 300
    rejected = cli(
        "submit", REF, "--token", tokens["DC-B"], "--file", str(_write(tmp_path / "b.json", warned))
    )
    assert rejected.code == 2
    assert "submission.equipment_energy_mismatch" in rejected.err
    assert "needs an explanation" in rejected.err
    warned["explanations"] = {"submission.equipment_energy_mismatch": "200 units arrived 28 April"}
    assert (
        cli(
            "submit",
            REF,
            "--token",
            tokens["DC-B"],
            "--file",
            str(_write(tmp_path / "b.json", warned)),
        ).code
        == 0
    )

    broken = _example("report.json")
    broken["mining_electricity_kwh"] = 9_000_000
    blocked = cli(
        "submit", REF, "--token", tokens["DC-C"], "--file", str(_write(tmp_path / "c.json", broken))
    )
    assert blocked.code == 2
    assert "submission.mining_exceeds_total" in blocked.err
    assert "Traceback" not in blocked.err

    nil = cli("submit", REF, "--token", tokens["DC-D"], "--file", str(EXAMPLES / "nil-return.json"))
    assert nil.code == 0, nil.err

    # review
    assert cli("review", "return", REF, "DC-A", "--comment", "Give the hosted clients").code == 0
    amended = _example("report.json")
    amended["peak_demand_kw"] = 6_900
    second = cli(
        "submit",
        REF,
        "--token",
        tokens["DC-A"],
        "--file",
        str(_write(tmp_path / "a2.json", amended)),
        "--format",
        "json",
    )
    assert json.loads(second.out)["version"] == 2
    assert cli("review", "accept", REF, "DC-A").code == 0

    # status and export
    status = {
        r["facility_code"]: r
        for r in json.loads(cli("notice", "status", REF, "--format", "json").out)
    }
    assert {k: v["status"] for k, v in status.items()} == {
        "DC-A": "accepted",
        "DC-B": "submitted",
        "DC-C": "not_opened",
        "DC-D": "submitted",
    }
    assert status["DC-A"]["version"] == 2
    for fmt in ("csv", "xlsx", "json"):
        out = tmp_path / f"export.{fmt}"
        assert cli("export", REF, "--format", fmt, "-o", str(out)).code == 0
        assert out.stat().st_size > 0
    with (tmp_path / "export.csv").open(encoding="utf-8-sig") as stream:
        assert len(list(csv.DictReader(stream))) == 4
    assert load_workbook(tmp_path / "export.xlsx").sheetnames == [
        "recipients",
        "coins",
        "equipment",
        "findings",
        "summary",
    ]

    # audit
    verified = cli("audit", "verify")
    assert verified.code == 0
    assert "audit chain intact" in verified.out
    with sqlite3.connect(tmp_path / "data" / "hashwatch.sqlite3") as conn:
        conn.execute("UPDATE audit_log SET actor = 'someone else' WHERE id = 5")
    tampered = cli("audit", "verify")
    assert tampered.code == 7
    assert "row 5" in tampered.err


def test_expected_errors_are_one_line_without_traceback(cli: CliRun, tmp_path: Path) -> None:
    assert cli("notice", "list").code == 6  # not initialised yet
    assert cli("init").code == 0
    unknown = cli("notice", "status", "NOPE")
    assert unknown.code == 3
    assert unknown.err.strip() == "error: no notice with reference 'NOPE'"
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"involved_in_mining": tru', encoding="utf-8")
    malformed = cli("submit", REF, "--token", "x", "--file", str(bad_json))
    assert malformed.code == 2
    assert "invalid JSON at line 1, column" in malformed.err
    wrong = cli("submit", REF, "--token", "x", "--file", str(EXAMPLES / "nil-return.json"))
    assert wrong.code == 5
    assert "access token is not valid" in wrong.err
    bad_deadline = cli(
        "notice",
        "create",
        "--ref",
        "X",
        "--title",
        "t",
        "--legal-basis",
        "l",
        "--issuer",
        "i",
        "--period-start",
        "2021-04-01",
        "--period-end",
        "2021-04-30",
        "--deadline",
        "soon",
    )
    assert bad_deadline.code == 2
    assert "deadline 'soon'" in bad_deadline.err
    for run in (unknown, malformed, wrong, bad_deadline):
        assert "Traceback" not in run.err
