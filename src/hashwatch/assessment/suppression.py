"""Small-cell suppression of published tables: primary and complementary.

The EU data-centre scheme (Delegated Regulation (EU) 2024/1364, Art. 5(2) and Annex IV)
publishes aggregates only and suppresses a figure when fewer than 3 facilities report in
its cell (regulatory reporting reference §3). hashwatch does the same and adds
complementary suppression (the reference's [inferred] step):

* **primary** — a cell is unsafe when, for any of its measures, the set of facilities
  contributing to it has 1 to ``min_facilities − 1`` members (an empty set is safe: the
  figure is a structural zero). For the assessment's tables a cell's sets are its
  reporting facilities (facility electricity) and its facilities declaring mining
  electricity above 0 (mining electricity).
* **complementary** — every additive relation of a table (a row of cells and its total) is
  an :class:`Equation`. Within each one, repeatedly, until nothing changes:

  - if exactly one member of the equation (cells and total) is hidden, it equals the
    total minus the others: hide one more;
  - if the total is shown and the hidden cells, taken together, are unsafe (their union of
    facilities has 1 to ``min_facilities − 1`` members in some measure), their sum is
    recoverable and discloses fewer than ``min_facilities`` facilities (each of two
    facilities learns the other's figure from it): hide one more.

  The cell hidden next is the shown cell with contributors that has the smallest value
  (least information lost), then the fewest contributors, then the smallest key; when no
  cell is left, the total is hidden.

The rule protects each table on its own and each table against its own totals. Relations
*between* tables with different groupings (districts against organization kinds) are not
checked: a public release should take one grouping per measure, or be reviewed by hand.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

PRIMARY: Final = "primary"
COMPLEMENTARY: Final = "complementary"
TOTAL: Final = "*"


@dataclass(frozen=True)
class Cell:
    """A table cell: the facilities behind each of its measures, and its size for choosing."""

    contributors: tuple[frozenset[str], ...]
    value: float = 0.0

    @property
    def empty(self) -> bool:
        return not any(self.contributors)


@dataclass(frozen=True)
class Equation:
    """``total`` = Σ ``members`` (keys of cells)."""

    total: Hashable
    members: tuple[Hashable, ...]


def unsafe(contributors: Iterable[frozenset[str]], min_facilities: int) -> bool:
    """True when some measure rests on 1 to ``min_facilities − 1`` facilities."""
    return any(0 < len(s) < min_facilities for s in contributors)


def _union(cells: Iterable[Cell]) -> tuple[frozenset[str], ...]:
    members = list(cells)
    if not members:
        return ()
    width = max(len(c.contributors) for c in members)
    return tuple(
        frozenset().union(*(c.contributors[i] for c in members if i < len(c.contributors)))
        for i in range(width)
    )


def _needs_more(
    equation: Equation, cells: Mapping[Hashable, Cell], hidden: Mapping[Hashable, str], n: int
) -> bool:
    keys = (equation.total, *equation.members)
    count = sum(1 for k in keys if k in hidden)
    if count == 1:
        return True
    if count == 0 or equation.total in hidden:
        return False
    return unsafe(_union(cells[k] for k in equation.members if k in hidden), n)


def _next_cell(
    equation: Equation, cells: Mapping[Hashable, Cell], hidden: Mapping[Hashable, str]
) -> Hashable | None:
    candidates = [k for k in equation.members if k not in hidden and not cells[k].empty]
    if candidates:
        return min(
            candidates,
            key=lambda k: (cells[k].value, sum(len(s) for s in cells[k].contributors), str(k)),
        )
    return equation.total if equation.total not in hidden else None


def suppress(
    cells: Mapping[Hashable, Cell], equations: Sequence[Equation], min_facilities: int
) -> dict[Hashable, str]:
    """Key → ``primary`` or ``complementary`` for every cell to hide; shown cells are absent."""
    if min_facilities < 1:
        raise ValueError("min_facilities must be at least 1")
    hidden: dict[Hashable, str] = {
        k: PRIMARY for k, c in cells.items() if unsafe(c.contributors, min_facilities)
    }
    changed = True
    while changed:
        changed = False
        for equation in equations:
            while _needs_more(equation, cells, hidden, min_facilities):
                chosen = _next_cell(equation, cells, hidden)
                if chosen is None:
                    break
                hidden[chosen] = COMPLEMENTARY
                changed = True
    return hidden


def one_way(keys: Sequence[Hashable], total: Hashable = TOTAL) -> list[Equation]:
    """The relation of a one-way table: total = Σ cells."""
    return [Equation(total, tuple(keys))]


def two_way(rows: Sequence[Hashable], columns: Sequence[Hashable]) -> list[Equation]:
    """Relations of a two-way table keyed ``(row, column)``; margins use :data:`TOTAL`."""
    equations = [Equation((r, TOTAL), tuple((r, c) for c in columns)) for r in rows]
    equations += [Equation((TOTAL, c), tuple((r, c) for r in rows)) for c in columns]
    equations.append(Equation((TOTAL, TOTAL), tuple((r, TOTAL) for r in rows)))
    equations.append(Equation((TOTAL, TOTAL), tuple((TOTAL, c) for c in columns)))
    return equations


class Row(Protocol):
    """What a breakdown row offers to suppression."""

    @property
    def key(self) -> str: ...
    @property
    def mining_electricity_kwh(self) -> float: ...
    @property
    def reporting_codes(self) -> frozenset[str]: ...
    @property
    def mining_codes(self) -> frozenset[str]: ...


def suppress_rows(rows: Sequence[Row], min_facilities: int) -> dict[str, str]:
    """Suppression of a one-way breakdown and its total (key :data:`TOTAL`)."""
    cells: dict[Hashable, Cell] = {
        r.key: Cell((r.reporting_codes, r.mining_codes), r.mining_electricity_kwh) for r in rows
    }
    cells[TOTAL] = Cell(
        (
            frozenset().union(*(r.reporting_codes for r in rows)),
            frozenset().union(*(r.mining_codes for r in rows)),
        ),
        sum(r.mining_electricity_kwh for r in rows),
    )
    found = suppress(cells, one_way([r.key for r in rows]), min_facilities)
    return {str(k): v for k, v in found.items()}
