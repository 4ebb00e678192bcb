"""The unified social credit code (统一社会信用代码) of GB 32100-2015.

A code has 18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S, V)::

    position  1     registration authority (登记管理部门代码)       e.g. 9 = market regulation
    position  2     organization category (机构类别代码)            e.g. 1 = enterprise
    positions 3-8   administrative division of the registering office (GB/T 2260), 6 digits
    positions 9-17  organization code (组织机构代码, GB 11714), its 9th character a check
    position  18    check character (ISO 7064 MOD 31-3)

Notes
-----
Check character (position 18): with character values ``0-9 -> 0-9, A -> 10 ... Y -> 30`` in
the order of the character set and weights ``w_i = 3^i mod 31`` (1, 3, 9, 27, 19, 26, 16, 17,
20, 29, 25, 13, 8, 24, 10, 30, 28), ``C18 = 31 - (sum(c_i * w_i) mod 31)``, and 31 becomes 0.

Organization code check (position 17, GB 11714-1997): with values ``0-9 -> 0-9`` and
``A-Z -> 10-35`` and weights 3, 7, 9, 10, 5, 8, 4, 2 over positions 9-16,
``C9 = 11 - (sum mod 11)``; 10 is written ``X`` and 11 is written ``0``.

The registration authorities and categories are GB 32100-2015 Table 1 as amended (A for the
Central Military Commission's establishment office and N for agriculture were added later).

References: GB 32100-2015 《法人和其他组织统一社会信用代码编码规则》; GB 11714-1997
《全国组织机构代码编制规则》.
"""

from __future__ import annotations

from dataclasses import dataclass

from hashwatch.errors import InputError

USCC_LENGTH = 18
USCC_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {c: i for i, c in enumerate(USCC_CHARACTERS)}
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(USCC_LENGTH - 1))
ORGANIZATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORGANIZATION_CHARACTERS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")

REGISTRATION_AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": (
        "机构编制",
        {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},
    ),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {
            "1": "外国旅游部门常驻代表机构",
            "2": "港澳台地区旅游部门常驻内地（大陆）代表机构",
            "9": "其他",
        },
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    "Y": ("其他", {"1": "其他"}),
}


@dataclass(frozen=True)
class Uscc:
    """The parts of a valid unified social credit code."""

    code: str
    registration_authority: str
    registration_authority_name: str
    category: str
    category_name: str
    division_code: str
    organization_code: str
    check_character: str

    @property
    def organization_code_display(self) -> str:
        """The organization code as usually printed, ``XXXXXXXX-X``."""
        return f"{self.organization_code[:8]}-{self.organization_code[8]}"


def uscc_check_character(first17: str) -> str:
    """The check character (position 18) of a code whose first 17 characters are given.

    Raises :class:`InputError` if ``first17`` is not 17 characters of the code's set.
    """
    if len(first17) != USCC_LENGTH - 1 or any(c not in _VALUES for c in first17):
        raise InputError(
            f"{first17!r} is not 17 characters of {USCC_CHARACTERS!r}: "
            "no check character can be computed"
        )
    total = sum(_VALUES[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARACTERS[(31 - total % 31) % 31]


def _organization_value(char: str) -> int:
    return int(char) if char in "0123456789" else ord(char) - ord("A") + 10


def organization_code_check_character(first8: str) -> str:
    """The GB 11714 check character of an organization code's first 8 characters."""
    if len(first8) != 8 or any(c not in _ORGANIZATION_CHARACTERS for c in first8):
        raise InputError(f"{first8!r} is not 8 digits or capital letters")
    total = sum(
        _organization_value(c) * w for c, w in zip(first8, ORGANIZATION_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_problems(code: str) -> list[str]:
    """Everything wrong with ``code`` as a unified social credit code (empty if valid)."""
    if len(code) != USCC_LENGTH:
        return [f"it has {len(code)} characters, not {USCC_LENGTH}"]
    bad = sorted({c for c in code if c not in _VALUES})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return [f"{shown} not allowed: use only {USCC_CHARACTERS} (no I, O, Z, S, V)"]
    problems: list[str] = []
    authority = REGISTRATION_AUTHORITIES.get(code[0])
    if authority is None:
        valid = "".join(REGISTRATION_AUTHORITIES)
        problems.append(f"registration authority (position 1) {code[0]!r} is not one of {valid}")
    elif code[1] not in authority[1]:
        valid = ", ".join(authority[1])
        problems.append(
            f"organization category (position 2) {code[1]!r} is not one of {valid} "
            f"for registration authority {code[0]!r} ({authority[0]})"
        )
    if not code[2:8].isdigit():
        problems.append(f"administrative division (positions 3-8) {code[2:8]!r} is not 6 digits")
    org_check = organization_code_check_character(code[8:16])
    if code[16] != org_check:
        problems.append(
            f"organization code check character (position 17) should be {org_check!r}, "
            f"not {code[16]!r}"
        )
    check = uscc_check_character(code[:17])
    if code[17] != check:
        problems.append(f"check character should be {check!r}, not {code[17]!r}")
    return problems


def parse_uscc(value: str) -> Uscc:
    """Validate a unified social credit code and return its parts.

    Surrounding white space is ignored and lower-case letters are accepted (codes are
    printed in capitals). Raises :class:`InputError` naming the code and every problem.
    """
    code = value.strip().upper()
    problems = uscc_problems(code)
    if problems:
        raise InputError(
            f"unified social credit code {value.strip()!r} is not valid: " + "; ".join(problems),
            field="uscc",
        )
    authority_name, categories = REGISTRATION_AUTHORITIES[code[0]]
    return Uscc(
        code=code,
        registration_authority=code[0],
        registration_authority_name=authority_name,
        category=code[1],
        category_name=categories[code[1]],
        division_code=code[2:8],
        organization_code=code[8:17],
        check_character=code[17],
    )


def is_valid_uscc(value: str) -> bool:
    """Whether ``value`` is a valid unified social credit code."""
    return not uscc_problems(value.strip().upper())
