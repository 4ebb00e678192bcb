"""Small builders for test data, written straight to the tables (no registry import)."""

from __future__ import annotations

import datetime as dt
import email
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from hashwatch.reporting.models import Facility, Organization, OrganizationKind
from hashwatch.services.notices import NoticeDraft
from hashwatch.settings import Settings
from hashwatch.store.engine import Database

SHANGHAI = ZoneInfo("Asia/Shanghai")
ORG_USCC = ("91110000MA01TEST0X", "91110000MA01TEST1X")


def add_facilities(db: Database, n: int = 3, *, district_code: str = "110105") -> list[str]:
    """Two organizations and ``n`` facilities alternating between them; returns the codes."""
    with db.transaction() as session:
        orgs = [
            Organization(
                uscc=uscc,
                name=f"Org {i}",
                kind=OrganizationKind.COLOCATION,
                contact_email=f"ops{i}@example.cn" if i == 0 else None,
            )
            for i, uscc in enumerate(ORG_USCC)
        ]
        session.add_all(orgs)
        codes = []
        for i in range(n):
            code = f"DC-{i:03d}"
            session.add(
                Facility(
                    code=code,
                    name=f"Data center {i}",
                    organization=orgs[i % 2],
                    district_code=district_code if i % 3 else "110108",
                    rated_it_capacity_kw=8000.0,
                    contracted_grid_capacity_kw=10000.0,
                )
            )
            codes.append(code)
        return codes


def draft(ref: str = "BJ-2021-04", **changes: object) -> NoticeDraft:
    values: dict[str, object] = {
        "ref": ref,
        "title": "关于数据中心涉及虚拟货币挖矿的紧急通知",
        "legal_basis": "Energy Conservation Law, art. 52",
        "issuer": "Beijing Municipal Bureau of Economy and Information Technology",
        "period_start": dt.date(2021, 4, 1),
        "period_end": dt.date(2021, 4, 30),
        "deadline": dt.datetime(2021, 5, 7, 18, 0, tzinfo=SHANGHAI),
        "timezone": "Asia/Shanghai",
        "urgent": True,
    }
    values.update(changes)
    return NoticeDraft(**values)  # type: ignore[arg-type]


def settings_for(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def tokens_from_outbox(settings: Settings, ref: str) -> dict[str, str]:
    """Facility code → the newest token found in its outbox messages."""
    found: dict[str, str] = {}
    for path in sorted((settings.outbox_dir).rglob("*-notice.eml")):
        message = email.message_from_bytes(path.read_bytes())
        if message["X-Hashwatch-Notice"] != ref:
            continue
        payload = message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        match = re.search(r"Access token: (\S+)", payload.decode("utf-8"))
        assert match is not None
        found[message["X-Hashwatch-Facility"]] = match.group(1)
    return found
