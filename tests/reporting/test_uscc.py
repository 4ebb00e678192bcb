from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hashwatch.errors import InputError
from hashwatch.reporting.uscc import (
    REGISTRATION_AUTHORITIES,
    USCC_CHARACTERS,
    USCC_WEIGHTS,
    is_valid_uscc,
    organization_code_check_character,
    parse_uscc,
    uscc_check_character,
    uscc_problems,
)

# Codes printed in public sources, each checked by computation when this test was written
# (the standard's widely reproduced example comes first). Codes quoted from memory that do
# not compute are in NOT_VALID below: memory is not a source.
PUBLISHED_CODES = [
    "91350100M000100Y43",
    "9135052155323005XL",
    "12440300MB2C92173E",
    "91110108551385082Q",
    "91110000802100433B",
    "91440300708461136T",
]
NOT_VALID = {
    "91110000100003018J": "check character should be '9', not 'J'",
    "911100001000077978": "check character should be '3', not '8'",
}


def test_weights_are_powers_of_three_mod_31() -> None:
    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize("code", PUBLISHED_CODES)
def test_published_codes_are_valid(code: str) -> None:
    assert parse_uscc(code).code == code
    assert uscc_check_character(code[:17]) == code[17]
    assert is_valid_uscc(code)


def test_parts_of_a_code() -> None:
    parts = parse_uscc("91350100M000100Y43")
    assert parts.registration_authority == "9"
    assert parts.registration_authority_name == "工商"
    assert parts.category == "1"
    assert parts.category_name == "企业"
    assert parts.division_code == "350100"
    assert parts.organization_code == "M000100Y4"
    assert parts.organization_code_display == "M000100Y-4"
    assert parts.check_character == "3"


def test_institution_code() -> None:
    parts = parse_uscc("12440300MB2C92173E")
    assert (parts.registration_authority_name, parts.category_name) == ("机构编制", "事业单位")


@pytest.mark.parametrize(("code", "problem"), NOT_VALID.items())
def test_codes_that_do_not_compute(code: str, problem: str) -> None:
    with pytest.raises(InputError, match=code) as caught:
        parse_uscc(code)
    assert problem in caught.value.message
    assert caught.value.field == "uscc"


@pytest.mark.parametrize(
    ("first8", "check"),
    [
        ("M000100Y", "4"),  # from 91350100M000100Y43
        ("55323005", "X"),  # 10 is written X (from 9135052155323005XL)
        ("00000000", "0"),  # 11 is written 0
        ("MB2C9217", "3"),
    ],
)
def test_organization_code_check_character(first8: str, check: str) -> None:
    assert organization_code_check_character(first8) == check


def test_lower_case_and_white_space_are_accepted() -> None:
    assert parse_uscc("  9135052155323005xl ").code == "9135052155323005XL"


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("9135052155323005X", "it has 17 characters, not 18"),
        ("9135052155323005XLL", "it has 19 characters, not 18"),
        ("91350100M000100IO3", "'I', 'O' not allowed"),
        ("9135010SM000100Y43", "'S' not allowed"),
        ("B1350100M000100Y43", "registration authority (position 1) 'B' is not one of"),
        ("94350100M000100Y43", "organization category (position 2) '4' is not one of 1, 2, 3"),
        ("Y2350100M000100Y43", "is not one of 1 for registration authority 'Y'"),
        ("913501A0M000100Y43", "administrative division (positions 3-8) '3501A0' is not 6 digits"),
        ("91350100M000100Y53", "organization code check character (position 17) should be '4'"),
        ("91350100M000100Y4X", "check character should be '3', not 'X'"),
    ],
)
def test_what_is_wrong_is_said(code: str, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_uscc(code)
    assert fragment in caught.value.message
    assert repr(code) in caught.value.message
    assert not is_valid_uscc(code)


def test_every_problem_is_listed() -> None:
    problems = uscc_problems("B4350100M000100Y5X")
    assert len(problems) == 3


def test_check_character_needs_17_valid_characters() -> None:
    with pytest.raises(InputError, match="17 characters"):
        uscc_check_character("9135010")
    with pytest.raises(InputError):
        uscc_check_character("91350100M000100YI")


@st.composite
def first17(draw: st.DrawFn) -> str:
    """17 characters that follow the structure: authority, category, division, org code."""
    authority = draw(st.sampled_from(sorted(REGISTRATION_AUTHORITIES)))
    category = draw(st.sampled_from(sorted(REGISTRATION_AUTHORITIES[authority][1])))
    division = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    body = draw(st.text(alphabet=USCC_CHARACTERS, min_size=8, max_size=8))
    return authority + category + division + body + organization_code_check_character(body)


@given(first17())
def test_computed_check_character_makes_a_valid_code(prefix: str) -> None:
    assert is_valid_uscc(prefix + uscc_check_character(prefix))


@given(first17(), st.integers(0, 17), st.integers(1, 30))
def test_any_single_character_change_is_caught(prefix: str, position: int, shift: int) -> None:
    code = prefix + uscc_check_character(prefix)
    changed = USCC_CHARACTERS[(USCC_CHARACTERS.index(code[position]) + shift) % 31]
    assert not is_valid_uscc(code[:position] + changed + code[position + 1 :])
