"""Where the demo city's data centers are: Beijing's districts, their weights and places.

Centroids are approximate WGS 84 coordinates of each district's built-up core (not of its
whole area, which for the mountain districts lies far from where data centers are built);
Daxing has two clusters, Huangcun and the Yizhuang economic-technological development area.
``weight`` is the relative number of data centers placed in the district: denser in
Chaoyang, Haidian, Daxing/Yizhuang, Shunyi, Fangshan and Huairou, as the brief for the
demo asks. Everything here is synthetic scenery, not a survey of real sites.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: Beijing's bounding box [°]: (south, west, north, east).
BEIJING_BBOX: Final = (39.44, 115.42, 41.06, 117.51)


@dataclass(frozen=True)
class Place:
    """A neighbourhood where data centers stand, in Chinese and Pinyin."""

    zh: str
    pinyin: str


@dataclass(frozen=True)
class Cluster:
    """A centre around which facilities are scattered: latitude, longitude and spread [°]."""

    latitude: float
    longitude: float
    spread_deg: float
    places: tuple[Place, ...]


@dataclass(frozen=True)
class DemoDistrict:
    """A district of the demo city: GB/T 2260 code, names, short code, weight, clusters."""

    code: str
    name_zh: str
    short: str
    weight: float
    clusters: tuple[Cluster, ...]


def _places(*pairs: str) -> tuple[Place, ...]:
    return tuple(Place(*pair.split("|")) for pair in pairs)


DEMO_DISTRICTS: Final[tuple[DemoDistrict, ...]] = (
    DemoDistrict(
        "110101",
        "东城区",
        "DC",
        2,
        (Cluster(39.928, 116.416, 0.015, _places("东直门|Dongzhimen")),),
    ),
    DemoDistrict(
        "110102",
        "西城区",
        "XC",
        2,
        (Cluster(39.912, 116.366, 0.015, _places("金融街|Jinrongjie")),),
    ),
    DemoDistrict(
        "110105",
        "朝阳区",
        "CY",
        15,
        (
            Cluster(
                39.960,
                116.490,
                0.040,
                _places("酒仙桥|Jiuxianqiao", "望京|Wangjing", "东坝|Dongba", "电子城|Dianzicheng"),
            ),
            Cluster(39.865, 116.500, 0.030, _places("十八里店|Shibalidian", "王四营|Wangsiying")),
        ),
    ),
    DemoDistrict(
        "110106",
        "丰台区",
        "FT",
        5,
        (Cluster(39.840, 116.280, 0.030, _places("科技园|Kejiyuan", "丽泽|Lize")),),
    ),
    DemoDistrict(
        "110107",
        "石景山区",
        "SJS",
        3,
        (Cluster(39.910, 116.200, 0.015, _places("鲁谷|Lugu", "古城|Gucheng")),),
    ),
    DemoDistrict(
        "110108",
        "海淀区",
        "HD",
        13,
        (
            Cluster(39.985, 116.310, 0.025, _places("中关村|Zhongguancun", "学院路|Xueyuanlu")),
            Cluster(
                40.060, 116.210, 0.035, _places("上地|Shangdi", "永丰|Yongfeng", "西北旺|Xibeiwang")
            ),
        ),
    ),
    DemoDistrict(
        "110109",
        "门头沟区",
        "MTG",
        2,
        (Cluster(39.935, 116.105, 0.020, _places("永定|Yongding", "石龙|Shilong")),),
    ),
    DemoDistrict(
        "110111",
        "房山区",
        "FS",
        8,
        (
            Cluster(
                39.730, 116.140, 0.040, _places("良乡|Liangxiang", "窦店|Doudian", "阎村|Yancun")
            ),
        ),
    ),
    DemoDistrict(
        "110112",
        "通州区",
        "TZ",
        6,
        (
            Cluster(
                39.900, 116.660, 0.035, _places("台湖|Taihu", "马驹桥|Majuqiao", "宋庄|Songzhuang")
            ),
        ),
    ),
    DemoDistrict(
        "110113",
        "顺义区",
        "SY",
        10,
        (
            Cluster(
                40.110,
                116.600,
                0.045,
                _places("空港|Konggang", "天竺|Tianzhu", "后沙峪|Houshayu", "仁和|Renhe"),
            ),
        ),
    ),
    DemoDistrict(
        "110114",
        "昌平区",
        "CP",
        6,
        (Cluster(40.150, 116.270, 0.045, _places("回龙观|Huilongguan", "科技园|Kejiyuan")),),
    ),
    DemoDistrict(
        "110115",
        "大兴区",
        "DX",
        15,
        (
            Cluster(39.727, 116.340, 0.040, _places("黄村|Huangcun", "西红门|Xihongmen")),
            Cluster(
                39.795,
                116.510,
                0.030,
                _places("亦庄|Yizhuang", "经海路|Jinghailu", "瀛海|Yinghai"),
            ),
        ),
    ),
    DemoDistrict(
        "110116",
        "怀柔区",
        "HR",
        7,
        (
            Cluster(
                40.320, 116.630, 0.040, _places("雁栖|Yanqi", "杨宋|Yangsong", "庙城|Miaocheng")
            ),
        ),
    ),
    DemoDistrict(
        "110117",
        "平谷区",
        "PG",
        2,
        (Cluster(40.140, 117.120, 0.030, _places("马坊|Mafang", "兴谷|Xinggu")),),
    ),
    DemoDistrict(
        "110118",
        "密云区",
        "MY",
        3,
        (Cluster(40.376, 116.843, 0.030, _places("经开区|Jingkaiqu", "西田各庄|Xitiangezhuang")),),
    ),
    DemoDistrict(
        "110119",
        "延庆区",
        "YQ",
        2,
        (Cluster(40.456, 115.975, 0.030, _places("八达岭|Badaling", "康庄|Kangzhuang")),),
    ),
)

ROADS_ZH: Final = (
    "科创街",
    "创新路",
    "园区路",
    "兴业街",
    "信息路",
    "发展大道",
    "云谷路",
    "智慧路",
    "数据港路",
    "环岛路",
)


def clamp_to_beijing(latitude: float, longitude: float) -> tuple[float, float]:
    """The point moved inside :data:`BEIJING_BBOX` if it fell outside."""
    south, west, north, east = BEIJING_BBOX
    return min(max(latitude, south), north), min(max(longitude, west), east)
