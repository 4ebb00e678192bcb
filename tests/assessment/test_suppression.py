from __future__ import annotations

from collections.abc import Hashable

import pytest

from hashwatch.assessment.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    TOTAL,
    Cell,
    one_way,
    suppress,
    two_way,
    unsafe,
)


def facilities(prefix: str, n: int) -> frozenset[str]:
    return frozenset(f"{prefix}{i}" for i in range(n))


def one_way_cells(sizes: dict[str, tuple[int, float]]) -> dict[Hashable, Cell]:
    """Cells with ``n`` facilities of their own and a value; the total is their union."""
    cells: dict[Hashable, Cell] = {
        key: Cell((facilities(key, n),), value) for key, (n, value) in sizes.items()
    }
    cells[TOTAL] = Cell(
        (frozenset().union(*(c.contributors[0] for c in cells.values())),),
        sum(v for _, v in sizes.values()),
    )
    return cells


def run(sizes: dict[str, tuple[int, float]], n: int = 3) -> dict[Hashable, str]:
    cells = one_way_cells(sizes)
    return suppress(cells, one_way([k for k in cells if k != TOTAL]), n)


def test_unsafe_counts_facilities_not_zero() -> None:
    assert unsafe([facilities("a", 2)], 3)
    assert not unsafe([facilities("a", 3)], 3)
    assert not unsafe([frozenset()], 3)  # a structural zero is not a disclosure
    assert unsafe([facilities("a", 5), facilities("m", 1)], 3)  # any measure


def test_cells_of_three_or_more_are_shown() -> None:
    assert run({"a": (3, 100), "b": (4, 50), "c": (10, 5)}) == {}


def test_a_cell_of_two_is_hidden_with_the_smallest_other_cell() -> None:
    # b (2 facilities) is primary; alone it would be total − a − c − d, so the smallest
    # other cell (c, 50) is hidden too, not a (100) or d (500)
    found = run({"a": (3, 100), "b": (2, 10), "c": (3, 50), "d": (4, 500)})
    assert found == {"b": PRIMARY, "c": COMPLEMENTARY}


def test_the_threshold_is_a_setting() -> None:
    assert run({"a": (3, 100), "b": (2, 10), "c": (3, 50)}, n=2) == {}
    with pytest.raises(ValueError, match="at least 1"):
        run({"a": (3, 100)}, n=0)


def test_two_hidden_cells_with_too_few_facilities_together_take_a_third() -> None:
    # x and y (1 facility each) are both primary, but their sum (total − z − w) rests on
    # 2 facilities, each of which could subtract itself: w (the smaller) is hidden too
    found = run({"x": (1, 5), "y": (1, 7), "z": (5, 900), "w": (4, 30)})
    assert found == {"x": PRIMARY, "y": PRIMARY, "w": COMPLEMENTARY}


def test_two_hidden_cells_with_enough_facilities_together_are_enough() -> None:
    found = run({"x": (1, 5), "y": (2, 7), "z": (5, 900)})
    assert found == {"x": PRIMARY, "y": PRIMARY}


def test_the_same_facility_in_two_cells_counts_once() -> None:
    # one facility mining two coins: together the two cells still rest on 1 facility
    shared = frozenset({"f1"})
    cells: dict[Hashable, Cell] = {
        "BTC": Cell((shared,), 10),
        "LTC": Cell((shared,), 20),
        "ETH": Cell((facilities("e", 4),), 300),
        TOTAL: Cell((shared | facilities("e", 4),), 330),
    }
    found = suppress(cells, one_way(["BTC", "LTC", "ETH"]), 3)
    assert found == {"BTC": PRIMARY, "LTC": PRIMARY, "ETH": COMPLEMENTARY}


def test_an_empty_cell_is_never_the_complement() -> None:
    # e holds no facility: hiding it protects nothing (it is known to be 0)
    found = run({"a": (1, 5), "e": (0, 0), "b": (6, 1000)})
    assert found == {"a": PRIMARY, "b": COMPLEMENTARY}


def test_a_small_total_is_hidden_with_its_only_cell() -> None:
    assert run({"a": (2, 5), "e": (0, 0)}) == {"a": PRIMARY, TOTAL: PRIMARY}


def test_two_way_table_protects_rows_and_columns() -> None:
    rows, cols = ["r1", "r2"], ["c1", "c2", "c3"]
    values = {("r1", "c2"): 10, ("r1", "c3"): 50, ("r2", "c1"): 20, ("r2", "c2"): 5}
    values[("r2", "c3")] = 40
    cells: dict[Hashable, Cell] = {("r1", "c1"): Cell((frozenset({"lone"}),), 1)}
    for key, value in values.items():
        cells[key] = Cell((facilities("-".join(key), 3),), value)

    def union(keys: list[Hashable]) -> Cell:
        found = [cells[k] for k in keys]
        return Cell((frozenset().union(*(c.contributors[0] for c in found)),), 0)

    for r in rows:
        cells[(r, TOTAL)] = union([(r, c) for c in cols])
    for c in cols:
        cells[(TOTAL, c)] = union([(r, c) for r in rows])
    cells[(TOTAL, TOTAL)] = union([(r, c) for r in rows for c in cols])
    found = suppress(cells, two_way(rows, cols), 3)
    # row r1 takes (r1, c2) (10 < 50); column c1 takes (r2, c1); column c2 then has one
    # hidden cell and takes (r2, c2); row r2 has two hidden cells of 3 facilities each
    assert found == {
        ("r1", "c1"): PRIMARY,
        ("r1", "c2"): COMPLEMENTARY,
        ("r2", "c1"): COMPLEMENTARY,
        ("r2", "c2"): COMPLEMENTARY,
    }
    # every row and column equation has 0 or at least 2 hidden members
    for equation in two_way(rows, cols):
        hidden = [k for k in (equation.total, *equation.members) if k in found]
        assert len(hidden) != 1
