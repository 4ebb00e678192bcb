"""The demo city's registry: organizations and data centers, generated from a seed.

Pure generation: a :class:`random.Random` in, plain data out, no database and no files.
:func:`generate_registry` gives about a third of the sites to the three telecom operators
(the April 2021 notice named them among its recipients) and the rest to fictitious
colocation, cloud, enterprise and other operators. Every unified social credit code is
synthetic but valid: its organization-code check (position 17) and its GB 32100-2015 check
character (position 18) are computed by :mod:`hashwatch.reporting.uscc`; the codes are not
those of any real organization.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hashwatch.demo.geography import DEMO_DISTRICTS, ROADS_ZH, DemoDistrict, clamp_to_beijing
from hashwatch.reporting.models import OrganizationKind
from hashwatch.reporting.uscc import (
    USCC_CHARACTERS,
    organization_code_check_character,
    uscc_check_character,
)

DEFAULT_FACILITIES = 300
MIN_FACILITIES = 10
MIN_IT_CAPACITY_KW = 200.0
MAX_IT_CAPACITY_KW = 30_000.0
#: Median rated IT capacity by kind [kW], and the log-normal spread (σ of ln capacity).
MEDIAN_IT_CAPACITY_KW = {
    OrganizationKind.TELECOM: 3500.0,
    OrganizationKind.COLOCATION: 2500.0,
    OrganizationKind.CLOUD: 5000.0,
    OrganizationKind.ENTERPRISE: 700.0,
    OrganizationKind.OTHER: 500.0,
}
CAPACITY_SIGMA = 0.9
#: Telecom operators: Chinese name, short name, English name, e-mail domain.
TELECOMS = (
    ("中国电信股份有限公司北京分公司", "中国电信", "China Telecom Beijing", "ct-bj.example.com"),
    (
        "中国联合网络通信有限公司北京市分公司",
        "中国联通",
        "China Unicom Beijing",
        "cu-bj.example.com",
    ),
    ("中国移动通信集团北京有限公司", "中国移动", "China Mobile Beijing", "cm-bj.example.com"),
)
TELECOM_SITES_AT_300 = (25, 45)
#: Shares of the non-telecom sites by kind, and sites per organization (mean).
OTHER_KINDS = (
    (OrganizationKind.COLOCATION, 0.45, 9.0),
    (OrganizationKind.CLOUD, 0.22, 12.0),
    (OrganizationKind.ENTERPRISE, 0.28, 1.6),
    (OrganizationKind.OTHER, 0.05, 1.5),
)
_BRANDS = (
    ("京北", "Jingbei"), ("燕山", "Yanshan"), ("明德", "Mingde"), ("华北", "Huabei"),
    ("中关", "Zhongguan"), ("云岭", "Yunling"), ("数港", "Shugang"), ("星河", "Xinghe"),
    ("金桥", "Jinqiao"), ("天元", "Tianyuan"), ("博达", "Boda"), ("瀚海", "Hanhai"),
    ("联创", "Lianchuang"), ("鼎盛", "Dingsheng"), ("汇智", "Huizhi"), ("恒信", "Hengxin"),
    ("长风", "Changfeng"), ("万泉", "Wanquan"), ("嘉禾", "Jiahe"), ("云帆", "Yunfan"),
    ("思远", "Siyuan"), ("弘毅", "Hongyi"), ("磐石", "Panshi"), ("朗润", "Langrun"),
    ("飞天", "Feitian"), ("鸿鹄", "Honghu"), ("清源", "Qingyuan"), ("远望", "Yuanwang"),
    ("泓远", "Hongyuan"), ("晨曦", "Chenxi"), ("蓝海", "Lanhai"), ("九州", "Jiuzhou"),
)  # fmt: skip
_TRADES = {
    OrganizationKind.COLOCATION: (("数据科技有限公司", "Data Technology Co., Ltd."),),
    OrganizationKind.CLOUD: (("云计算有限公司", "Cloud Computing Co., Ltd."),),
    OrganizationKind.ENTERPRISE: (
        ("银行股份有限公司", "Bank Co., Ltd."),
        ("证券股份有限公司", "Securities Co., Ltd."),
        ("汽车制造有限公司", "Automobile Co., Ltd."),
        ("传媒集团有限公司", "Media Group Co., Ltd."),
        ("物流有限公司", "Logistics Co., Ltd."),
    ),
    OrganizationKind.OTHER: (("信息技术研究院", "Institute of Information Technology"),),
}
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红"


@dataclass(frozen=True)
class DemoOrganization:
    """An operator of data centers."""

    uscc: str
    name: str
    name_en: str
    short_zh: str
    kind: OrganizationKind
    contact_name: str
    contact_email: str
    contact_phone: str


@dataclass(frozen=True)
class DemoFacility:
    """One data center of the demo registry."""

    code: str
    name: str
    organization: DemoOrganization
    address: str
    district_code: str
    latitude: float
    longitude: float
    rated_it_capacity_kw: float
    contracted_grid_capacity_kw: float
    meter_ids: tuple[str, ...]
    ip_ranges: tuple[str, ...]

    def registry_row(self) -> dict[str, Any]:
        """The facility as a row of the registry file (columns of ``reporting.registry``)."""
        org = self.organization
        return {
            "facility_code": self.code,
            "facility_name": self.name,
            "organization_uscc": org.uscc,
            "organization_name": org.name,
            "organization_kind": org.kind.value,
            "contact_name": org.contact_name,
            "contact_email": org.contact_email,
            "contact_phone": org.contact_phone,
            "address": self.address,
            "district": self.district_code,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "rated_it_capacity_kw": self.rated_it_capacity_kw,
            "contracted_grid_capacity_kw": self.contracted_grid_capacity_kw,
            "meter_ids": list(self.meter_ids),
            "ip_ranges": list(self.ip_ranges),
        }


@dataclass(frozen=True)
class DemoRegistry:
    """The organizations and facilities of the demo city."""

    organizations: tuple[DemoOrganization, ...]
    facilities: tuple[DemoFacility, ...]


def synthetic_uscc(
    rng: random.Random, *, authority: str, category: str, division: str, taken: set[str]
) -> str:
    """A valid, synthetic unified social credit code not in ``taken`` (added to it).

    Positions 9-16 are ``MA0`` and five random characters, position 17 their GB 11714
    check and position 18 the GB 32100 check character.
    """
    while True:
        body = "MA0" + "".join(rng.choice(USCC_CHARACTERS) for _ in range(5))
        first17 = authority + category + division + body + organization_code_check_character(body)
        code = first17 + uscc_check_character(first17)
        if code not in taken:
            taken.add(code)
            return code


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.sample(_GIVEN, rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return f"+86 10 {rng.randint(5000, 8999)} {rng.randint(0, 9999):04d}"


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` positive, Zipf-like shares (largest first)."""
    parts = max(1, min(parts, total))
    weights = [1.0 / (k + 1) ** 0.8 * rng.uniform(0.7, 1.3) for k in range(parts)]
    scale = (total - parts) / sum(weights)
    counts = [1 + math.floor(w * scale) for w in weights]
    for k in range(total - sum(counts)):
        counts[k % parts] += 1
    return sorted(counts, reverse=True)


def _telecoms(
    rng: random.Random, total_sites: int, taken: set[str]
) -> list[tuple[DemoOrganization, int]]:
    low, high = TELECOM_SITES_AT_300
    result = []
    for name, short, name_en, domain in TELECOMS:
        sites = max(1, round(rng.randint(low, high) * total_sites / DEFAULT_FACILITIES))
        org = DemoOrganization(
            uscc=synthetic_uscc(rng, authority="9", category="1", division="110000", taken=taken),
            name=name,
            name_en=name_en,
            short_zh=short,
            kind=OrganizationKind.TELECOM,
            contact_name=_person(rng),
            contact_email=f"idc-report@{domain}",
            contact_phone=_phone(rng),
        )
        result.append((org, sites))
    return result


def _brand(rng: random.Random, trade_zh: str, used: set[str]) -> tuple[str, str]:
    """A brand not yet used with this trade: one name, then two, then numbered."""
    for _ in range(20):
        zh, pinyin = rng.choice(_BRANDS)
        if zh + trade_zh not in used:
            used.add(zh + trade_zh)
            return zh, pinyin
    for attempt in range(10_000):
        (zh1, py1), (zh2, py2) = rng.sample(_BRANDS, 2)
        zh, pinyin = zh1 + zh2, py1 + py2.lower()
        if attempt >= 100:
            zh, pinyin = f"{zh}{attempt}", f"{pinyin}{attempt}"
        if zh + trade_zh not in used:
            used.add(zh + trade_zh)
            return zh, pinyin
    raise RuntimeError("ran out of organization names")  # pragma: no cover


def _others(
    rng: random.Random, total_sites: int, taken: set[str]
) -> list[tuple[DemoOrganization, int]]:
    result: list[tuple[DemoOrganization, int]] = []
    used: set[str] = set()
    remaining = total_sites
    for index, (kind, share, per_org) in enumerate(OTHER_KINDS):
        sites = remaining if index == len(OTHER_KINDS) - 1 else round(total_sites * share)
        sites = min(sites, remaining)
        remaining -= sites
        if sites <= 0:
            continue
        for count in _split(rng, sites, max(1, round(sites / per_org))):
            trade_zh, trade_en = rng.choice(_TRADES[kind])
            brand_zh, brand_py = _brand(rng, trade_zh, used)
            other = kind is OrganizationKind.OTHER
            division = rng.choice(DEMO_DISTRICTS[:6]).code
            org = DemoOrganization(
                uscc=synthetic_uscc(
                    rng,
                    authority="1" if other else "9",
                    category="2" if other else "1",
                    division=division,
                    taken=taken,
                ),
                name=f"北京{brand_zh}{trade_zh}",
                name_en=f"Beijing {brand_py} {trade_en}",
                short_zh=brand_zh,
                kind=kind,
                contact_name=_person(rng),
                contact_email=f"dc-ops@{brand_py.lower()}-{len(result)}.example.com",
                contact_phone=_phone(rng),
            )
            result.append((org, count))
    return result


def district_counts(total: int, districts: Sequence[DemoDistrict] = DEMO_DISTRICTS) -> list[int]:
    """Facilities per district by weight (largest remainder), at least one each if possible."""
    floor_one = total >= len(districts)
    base = 1 if floor_one else 0
    spare = total - base * len(districts)
    weight_sum = sum(d.weight for d in districts)
    quotas = [spare * d.weight / weight_sum for d in districts]
    counts = [base + math.floor(q) for q in quotas]
    order = sorted(range(len(districts)), key=lambda i: quotas[i] - math.floor(quotas[i]))
    for i in reversed(order[len(order) - (total - sum(counts)) :]):
        counts[i] += 1
    return counts


def _capacity_kw(rng: random.Random, kind: OrganizationKind) -> float:
    value = math.exp(math.log(MEDIAN_IT_CAPACITY_KW[kind]) + rng.gauss(0.0, CAPACITY_SIGMA))
    return float(round(min(max(value, MIN_IT_CAPACITY_KW), MAX_IT_CAPACITY_KW), -1))


def generate_registry(rng: random.Random, facilities: int = DEFAULT_FACILITIES) -> DemoRegistry:
    """About ``facilities`` data centers over Beijing's districts and their operators."""
    if facilities < MIN_FACILITIES:
        raise ValueError(f"the demo city needs at least {MIN_FACILITIES} facilities")
    taken: set[str] = set()
    telecoms = _telecoms(rng, facilities, taken)
    wanted = sum(n for _, n in telecoms)
    cap = max(1, facilities * 2 // 5)
    if wanted > cap:
        telecoms = [(org, max(1, n * cap // wanted)) for org, n in telecoms]
    telecom_sites = sum(n for _, n in telecoms)
    owners = [*telecoms, *_others(rng, facilities - telecom_sites, taken)]
    slots = [org for org, n in owners for _ in range(n)]
    districts = [
        d
        for d, n in zip(DEMO_DISTRICTS, district_counts(len(slots)), strict=True)
        for _ in range(n)
    ]
    rng.shuffle(districts)
    built: list[DemoFacility] = []
    names: dict[str, int] = {}
    meter_serial = 0
    for index, (org, district) in enumerate(zip(slots, districts, strict=True)):
        cluster = rng.choice(district.clusters)
        place = rng.choice(cluster.places)
        base = f"{org.short_zh}{place.zh}数据中心"
        names[base] = names.get(base, 0) + 1
        suffix = "" if names[base] == 1 else f"{names[base]}号楼"
        latitude, longitude = clamp_to_beijing(
            cluster.latitude + rng.uniform(-1, 1) * cluster.spread_deg,
            cluster.longitude + rng.uniform(-1, 1) * cluster.spread_deg * 1.3,
        )
        it_kw = _capacity_kw(rng, org.kind)
        meters = 1 + (it_kw > 5000) + (it_kw > 15000)
        ranges = [f"10.{index // 256 % 256}.{index % 256}.0/24"]
        if rng.random() < 0.4 and index < 65536:
            ranges.append(f"2001:db8:{index:x}::/48")
        built.append(
            DemoFacility(
                code=f"BJ-{district.short}-{index + 1:05d}",
                name=f"{base}{suffix} ({org.name_en.split(' Co.')[0]}, {place.pinyin})",
                organization=org,
                address=f"北京市{district.name_zh}{place.zh}{rng.choice(ROADS_ZH)}"
                f"{rng.randint(1, 199)}号",
                district_code=district.code,
                latitude=round(latitude, 5),
                longitude=round(longitude, 5),
                rated_it_capacity_kw=it_kw,
                contracted_grid_capacity_kw=float(round(it_kw * rng.uniform(1.3, 2.0), -1)),
                meter_ids=tuple(
                    f"M-{district.code}-{meter_serial + k:06d}" for k in range(1, meters + 1)
                ),
                ip_ranges=tuple(ranges),
            )
        )
        meter_serial += meters
    return DemoRegistry(tuple(org for org, _ in owners), tuple(built))
