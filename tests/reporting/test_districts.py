from __future__ import annotations

from pathlib import Path

import pytest

from hashwatch.errors import FileFormatError, InputError
from hashwatch.io.registry_files import configured_districts, load_districts
from hashwatch.reporting.districts import (
    BEIJING_DISTRICTS,
    District,
    parse_districts,
    resolve_district,
)

DATA = Path(__file__).parents[1] / "data"


def test_beijing_has_sixteen_districts_with_gb2260_codes() -> None:
    codes = [d.code for d in BEIJING_DISTRICTS]
    assert len(set(codes)) == 16
    assert all(c.startswith("1101") and len(c) == 6 for c in codes)
    assert all(
        d.name_zh.endswith("区") and d.name_pinyin.endswith(" Qū") for d in BEIJING_DISTRICTS
    )
    assert {"110118", "110119"} <= set(codes)  # Miyun and Yanqing, districts since 2015


@pytest.mark.parametrize(
    "value",
    [
        "110105",
        "朝阳区",
        "朝阳",
        " 朝阳区 ",
        "Chaoyang",
        "chaoyang",
        "CHAO YANG",
        "Cháoyáng Qū",
        "Chaoyang Qu",
        "chaoyangqu",
        "Chao-yang",
        "１１０１０５",  # full-width digits
    ],
)
def test_ways_of_naming_chaoyang(value: str) -> None:
    assert resolve_district(value).code == "110105"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Shijingshan", "110107"),
        ("Shíjǐngshān Qū", "110107"),
        ("石景山", "110107"),
        ("Mentougou", "110109"),
        ("Lüeshan", None),
        ("Yanqing", "110119"),
        ("密云区", "110118"),
        ("dongcheng", "110101"),
    ],
)
def test_other_districts(value: str, code: str | None) -> None:
    if code is None:
        with pytest.raises(InputError):
            resolve_district(value)
    else:
        assert resolve_district(value).code == code


def test_unknown_district_names_value_and_lists_choices() -> None:
    with pytest.raises(InputError) as caught:
        resolve_district("Pudong")
    message = caught.value.message
    assert "'Pudong'" in message
    assert "110105 朝阳区" in message
    assert "110119 延庆区" in message
    assert caught.value.field == "district"


def test_a_suffix_alone_is_not_a_district() -> None:
    with pytest.raises(InputError):
        resolve_district("区")
    with pytest.raises(InputError):
        resolve_district("Qu")


def test_configured_district_file() -> None:
    tianjin = load_districts(DATA / "districts_tianjin.csv")
    assert [d.code for d in tianjin] == ["120101", "120102", "120103"]
    assert resolve_district("Hexi", tianjin) == District("120103", "河西区", "Héxī Qū")
    with pytest.raises(InputError, match="120101 和平区"):
        resolve_district("Chaoyang", tianjin)
    assert configured_districts(DATA / "districts_tianjin.csv") == tianjin
    assert configured_districts(None) == BEIJING_DISTRICTS


def test_ambiguous_name_asks_for_the_code() -> None:
    twins = (District("000001", "新区", "Xīn Qū"), District("000002", "新区", "Xin Qu"))
    with pytest.raises(InputError, match="matches several districts"):
        resolve_district("Xin", twins)
    assert resolve_district("000002", twins).code == "000002"


@pytest.mark.parametrize(
    ("rows", "fragment", "row"),
    [
        ([{"code": "1101", "name_zh": "甲区", "name_pinyin": "Jia Qu"}], "not a 6-digit", 2),
        ([{"code": "110101", "name_zh": "", "name_pinyin": "Jia Qu"}], "name_zh is empty", 2),
        (
            [
                {"code": "110101", "name_zh": "甲区", "name_pinyin": "Jia Qu"},
                {"code": "110101", "name_zh": "乙区", "name_pinyin": "Yi Qu"},
            ],
            "already on row 2",
            3,
        ),
        ([], "lists no districts", None),
    ],
)
def test_bad_district_lists(rows: list[dict[str, str]], fragment: str, row: int | None) -> None:
    with pytest.raises(FileFormatError, match=fragment) as caught:
        parse_districts(rows, source="d.csv")
    assert caught.value.row == row


def test_district_file_without_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("code,name\n110101,东城区\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="missing: name_zh, name_pinyin"):
        load_districts(path)
