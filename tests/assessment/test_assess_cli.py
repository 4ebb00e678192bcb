"""``hashwatch assess`` through the real entry point, on the fixture city (SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hashwatch.cli import main
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from tests.assessment.city import REF, build_city


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory holding the fixture city, used by the CLI."""
    path = tmp_path / "data"
    monkeypatch.setenv("HASHWATCH_DATA_DIR", str(path))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("HASHWATCH_DATABASE_URL", raising=False)
    cfg = Settings(data_dir=path)
    db = Database.from_settings(cfg)
    db.migrate()
    build_city(db, cfg)
    db.dispose()
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_internal_and_public(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "assess", REF, "--format", "json")
    assert code == 0
    internal = json.loads(out)
    assert internal["totals"]["mining_electricity_kwh"] == 550_000
    assert internal["classification"] == "internal"
    assert {r["key"]: r["suppressed"] for r in internal["by_coin"]}["BTC"] == "complementary"
    code, out, _ = run(capsys, "assess", REF, "--format", "json", "--public")
    public = json.loads(out)
    assert "by_organization" not in public
    assert {r["key"]: r["mining_electricity_kwh"] for r in public["by_district"]} == {
        "110108": 450_000,
        "110105": None,
        "110106": None,
        "110112": 0.0,
    }


def test_accepted_only(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "assess", REF, "-f", "json", "--accepted-only")
    assert code == 0
    assert json.loads(out)["totals"]["mining_electricity_kwh"] == 350_000  # A1 + T2


def test_tables_and_threshold_setting(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, "assess", REF)
    assert code == 0
    assert "by_district" in out
    assert "outside the estimated bounds" in out
    assert "primary" in out
    monkeypatch.setenv("HASHWATCH_ASSESSMENT_MIN_FACILITIES", "1")
    code, out, _ = run(capsys, "assess", REF, "-f", "json", "--public")
    assert all(r["suppressed"] is None for r in json.loads(out)["by_district"])


def test_errors_name_the_problem(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "assess", "NOPE")
    assert code != 0
    assert "no notice with reference 'NOPE'" in err
    bad = data_dir / "factors.csv"
    bad.write_text("level,region\nnational,China\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HASHWATCH_EMISSION_FACTOR_FILE", str(bad))
        code, _, err = run(capsys, "assess", REF)
    assert code != 0
    assert "missing column(s) vintage_year" in err
