"""The shipped hardware catalogue, its lookup and merging."""

from __future__ import annotations

import pytest
from numpy.testing import assert_allclose

from hashwatch.energy.catalogue import Machine, lookup, merge, model_key
from hashwatch.errors import NotFoundError
from hashwatch.io.catalogue_files import builtin_catalogue, parse_catalogue

#: every model of the energy-model reference, §9 (one name per variant).
REFERENCE_MODELS = (
    """
Antminer S3|Antminer S5|Antminer S7|Antminer S9|Antminer S9i|Antminer S9j|Antminer S9 Hydro
Antminer S9 SE|Antminer T9+|Antminer S11|Antminer S15|Antminer T15|Antminer S17
Antminer S17 Pro|Antminer S17e|Antminer T17e|Antminer S17+|Antminer T17+|Antminer S19
Antminer S19 Pro|Antminer S19j Pro|Antminer S19a|Antminer S19a Pro|Antminer S19 XP
Antminer S19k Pro|Antminer S19j Pro+|Antminer S19 Pro Hyd|Antminer S21|Antminer S21+
Antminer S21 Pro|Whatsminer M20S|Whatsminer M21S|Whatsminer M30S|Whatsminer M31S
Whatsminer M31S+|Whatsminer M30S+|Whatsminer M30S++|Whatsminer M50|Whatsminer M50S++
Whatsminer M56S++|Whatsminer M60|Whatsminer M66|Avalon 741|Avalon 821|Avalon 841|Avalon 921
Avalon 1047|Avalon 1066|Avalon 1146|Avalon 1166|Avalon 1146 Pro|Avalon 1166 Pro|Avalon 1246
Ebang E12|Ebang E12+|Innosilicon T3+ 67T|Bitfury Tardis|Antminer L3+|Antminer L7
Innosilicon A10|Innosilicon A10 Pro|GPU|Worst CPU|Best CPU|Worst GPU|Best GPU|FPGA|Early ASICs
""".replace("\n", "|")
    .strip("|")
    .split("|")
)


@pytest.fixture(scope="module")
def machines() -> list[Machine]:
    return builtin_catalogue()


@pytest.mark.parametrize("name", REFERENCE_MODELS)
def test_every_reference_model_is_in_the_catalogue(machines: list[Machine], name: str) -> None:
    assert lookup(machines, name)


@pytest.mark.parametrize(
    "spelling", ["Antminer S19 Pro", "S19Pro", "s19 pro", "蚂蚁矿机S19 Pro", "Bitmain S19-Pro"]
)
def test_lookup_tolerates_spellings(machines: list[Machine], spelling: str) -> None:
    machine = lookup(machines, spelling)
    assert machine.model == "Antminer S19 Pro"
    assert_allclose(machine.efficiency_j_per_th, 29.5)


def test_lookup_keeps_plus_and_suffixes_apart(machines: list[Machine]) -> None:
    assert lookup(machines, "S17+").model == "Antminer S17+"
    assert lookup(machines, "S17").model == "Antminer S17"
    assert lookup(machines, "神马 M30S").model == "Whatsminer M30S"


def test_unknown_model_names_the_closest(machines: list[Machine]) -> None:
    with pytest.raises(NotFoundError, match="did you mean Antminer S19j Pro"):
        lookup(machines, "S19j")
    assert model_key("Antminer  S19") == "s19"


def test_unknown_model_is_not_found(machines: list[Machine]) -> None:
    with pytest.raises(NotFoundError):
        lookup(machines, "Antminer Z99")


def test_published_efficiencies(machines: list[Machine]) -> None:
    # reference §9: S19 34.2 J/TH, S9 (F2Pool) 100 J/TH, M30S 38 J/TH, L7 0.36 J/MH
    assert_allclose(lookup(machines, "Antminer S19").efficiency_j_per_th, 34.2)
    assert_allclose(lookup(machines, "Antminer S9").efficiency_j_per_th, 100.0)
    assert_allclose(lookup(machines, "Whatsminer M30S").efficiency_j_per_th, 38.0)
    assert_allclose(lookup(machines, "Antminer L7").efficiency, 0.36)
    assert lookup(machines, "Antminer L7").efficiency_unit == "J/MH"


def test_efficiency_agrees_with_power_over_hashrate(machines: list[Machine]) -> None:
    both = [m for m in machines if m.power_w is not None and m.hashrate is not None]
    assert len(both) > 50
    for m in both:
        assert m.hashrate is not None
        assert m.power_w is not None
        assert_allclose(m.power_w / m.hashrate, m.efficiency, rtol=0.02, err_msg=m.model)


def test_every_row_has_source_and_confidence(machines: list[Machine]) -> None:
    for m in machines:
        assert m.source, m.model
        assert m.confidence in {"high", "medium", "low"}, m.model


def test_user_catalogue_merges_over_the_shipped_one(machines: list[Machine]) -> None:
    user = parse_catalogue(
        "model,hashrate,power_w,release_date\n"
        "antminer s19 pro,100,3300,2020-05\n"
        "Custom X1,10,200,2024\n"
    )
    merged = merge(machines, user)
    assert len(merged) == len(machines) + 1
    assert_allclose(lookup(merged, "S19 Pro").efficiency_j_per_th, 33.0)
    assert_allclose(lookup(merged, "custom x1").efficiency_j_per_th, 20.0)
