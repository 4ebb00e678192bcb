"""The districts a facility can be in: Beijing's 16 by default, or a configured list.

A district is named by its GB/T 2260 administrative-division code, its Chinese name and its
Hanyu Pinyin. :func:`resolve_district` accepts any of them as people type them: ``110105``,
``朝阳区``, ``朝阳``, ``Cháoyáng Qū``, ``chaoyang``, ``CHAO YANG``.

Source of the default list: GB/T 2260 codes of Beijing's districts (市辖区) as of 2015, when
Miyun and Yanqing became districts (docs: regulatory-reporting reference §6.1).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hashwatch.errors import FileFormatError, InputError

DISTRICT_COLUMNS = ("code", "name_zh", "name_pinyin")
_CODE_PATTERN = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class District:
    """One district: GB/T 2260 code, Chinese name (with 区) and Pinyin (with tone marks)."""

    code: str
    name_zh: str
    name_pinyin: str

    def label(self) -> str:
        """``110105 朝阳区 (Cháoyáng Qū)``, for messages and lists."""
        return f"{self.code} {self.name_zh} ({self.name_pinyin})"


BEIJING_DISTRICTS: tuple[District, ...] = (
    District("110101", "东城区", "Dōngchéng Qū"),
    District("110102", "西城区", "Xīchéng Qū"),
    District("110105", "朝阳区", "Cháoyáng Qū"),
    District("110106", "丰台区", "Fēngtái Qū"),
    District("110107", "石景山区", "Shíjǐngshān Qū"),
    District("110108", "海淀区", "Hǎidiàn Qū"),
    District("110109", "门头沟区", "Méntóugōu Qū"),
    District("110111", "房山区", "Fángshān Qū"),
    District("110112", "通州区", "Tōngzhōu Qū"),
    District("110113", "顺义区", "Shùnyì Qū"),
    District("110114", "昌平区", "Chāngpíng Qū"),
    District("110115", "大兴区", "Dàxīng Qū"),
    District("110116", "怀柔区", "Huáiróu Qū"),
    District("110117", "平谷区", "Pínggǔ Qū"),
    District("110118", "密云区", "Mìyún Qū"),
    District("110119", "延庆区", "Yánqìng Qū"),
)


def _fold(value: str) -> str:
    """Lower case, NFKC, tone marks and white space, hyphens and apostrophes removed."""
    text = unicodedata.normalize("NFKC", value)
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s\-'’·]+", "", bare).casefold()


def _keys(district: District) -> set[str]:
    zh = _fold(district.name_zh)
    pinyin = _fold(district.name_pinyin)
    keys = {district.code, zh, pinyin}
    if zh.endswith("区") and len(zh) > 2:
        keys.add(zh[:-1])
    if pinyin.endswith("qu") and len(pinyin) > 4:
        keys.add(pinyin[:-2])
    return keys


@functools.lru_cache(maxsize=8)
def _index(districts: tuple[District, ...]) -> dict[str, list[District]]:
    index: dict[str, list[District]] = {}
    for district in districts:
        for key in _keys(district):
            index.setdefault(key, []).append(district)
    return index


def resolve_district(value: str, districts: Sequence[District] = BEIJING_DISTRICTS) -> District:
    """The district ``value`` names: its code, Chinese name (区 optional) or Pinyin.

    Pinyin may be typed with or without tone marks, spaces, capitals or the ``Qu`` suffix.
    Raises :class:`InputError` naming the value and listing the valid districts.
    """
    key = _fold(value)
    found = _index(tuple(districts)).get(key, [])
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        names = "; ".join(d.label() for d in found)
        raise InputError(
            f"district {value!r} matches several districts ({names}): use the code",
            field="district",
        )
    choices = ", ".join(f"{d.code} {d.name_zh}" for d in districts)
    raise InputError(f"unknown district {value!r}; valid districts: {choices}", field="district")


def parse_districts(
    rows: Iterable[Mapping[str, str | None]], *, source: str = "district list"
) -> tuple[District, ...]:
    """Districts from rows with ``code``, ``name_zh`` and ``name_pinyin``.

    ``rows`` are numbered from 2 (the header is row 1) in messages. Codes must be six digits
    and unique; names must not be empty.
    """
    districts: list[District] = []
    seen: dict[str, int] = {}
    for row_number, row in enumerate(rows, start=2):
        values = {c: (row.get(c) or "").strip() for c in DISTRICT_COLUMNS}
        for column, text in values.items():
            if not text:
                raise FileFormatError(
                    f"{source}, row {row_number}: {column} is empty", field=column, row=row_number
                )
        code = values["code"]
        if not _CODE_PATTERN.match(code):
            raise FileFormatError(
                f"{source}, row {row_number}: code {code!r} is not a 6-digit GB/T 2260 code",
                field="code",
                row=row_number,
            )
        if code in seen:
            raise FileFormatError(
                f"{source}, row {row_number}: code {code} is already on row {seen[code]}",
                field="code",
                row=row_number,
            )
        seen[code] = row_number
        districts.append(District(code, values["name_zh"], values["name_pinyin"]))
    if not districts:
        raise FileFormatError(f"{source} lists no districts")
    return tuple(districts)
