"""The assessment report as a reader gets it: PDF, HTML and XLSX of the fixture city.

The figures in the documents must be the JSON output's (``hashwatch assess --format json``):
the tests read the PDF's text and the workbook's cells and compare.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from hashwatch.cli import main
from hashwatch.documents.render import cjk_font_families
from hashwatch.i18n import Formatter
from hashwatch.services.assessment import assess
from hashwatch.services.impact_report import ReportFormat, impact_report
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from tests.assessment.city import REF, build_city


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, Settings]:
    path = tmp_path_factory.mktemp("report") / "data"
    cfg = Settings(data_dir=path, database_url=None)
    db = Database.from_settings(cfg)
    db.migrate()
    build_city(db, cfg)
    return db, cfg


def _need_cjk() -> None:
    if not cjk_font_families():
        missing = "no Chinese font installed (scripts/system-packages.sh pdf)"
        if os.environ.get("HASHWATCH_REQUIRE_PDF"):
            pytest.fail(missing)
        pytest.skip(missing)


def _pdf_text(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    """PDF text without line breaks and the no-break spaces of quantities."""
    return " ".join(text.replace("\xa0", " ").split())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pdf_carries_the_json_headline_figures(
    city: tuple[Database, Settings], lang: str
) -> None:
    _need_cjk()
    db, cfg = city
    data: dict[str, Any] = assess(db, REF, settings=cfg).as_dict()
    made = impact_report(db, REF, settings=cfg, fmt=ReportFormat.PDF, lang=lang)
    assert made.media_type == "application/pdf"
    reader, text = _pdf_text(made.content)
    flat = _flat(text)
    fmt = Formatter(lang)
    totals = data["totals"]
    # 520,000 kWh declared mining electricity (worked out in tests/assessment)
    assert f"{fmt.number(round(totals['mining_electricity_kwh']), 0)} kWh" in flat
    assert f"{fmt.number(round(totals['facility_electricity_kwh']), 0)} kWh" in flat
    assert fmt.percent(totals["mining_share_pct"], 2) in flat
    assert fmt.percent(data["coverage"]["facility_coverage_pct"], 1) in flat
    # the expected pages in order: cover with the headline figures, charts, tables, method
    pages = [_flat(page.extract_text()) for page in reader.pages]
    sections = (
        ("主要数字", "各区报告的挖矿用电量", "按区", "方法与数据质量")
        if lang == "zh"
        else (
            "Headline figures",
            "Reported mining electricity by district",
            "By district",
            "Method and data quality",
        )
    )
    first_page = [next(i for i, text in enumerate(pages) if s in text) for s in sections]
    assert first_page[0] == 0
    assert first_page == sorted(first_page)
    assert first_page[-1] == len(pages) - 1
    assert reader.pages[2].mediabox.width > reader.pages[0].mediabox.width  # landscape tables
    title = "虚拟货币挖矿用电" if lang == "zh" else "Crypto-mining electricity"
    assert title in flat
    if lang == "zh":
        assert "内部资料" in flat  # Chinese glyphs survive as text
        assert "各区报告的挖矿用电量" in flat  # a chart's title, as text in a vector chart
    else:
        assert "INTERNAL" in flat
        assert "Reported mining electricity by district" in flat
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        for name in xobjects:
            assert xobjects[name].get_object().get("/Subtype") != "/Image", "a chart as bitmap"


def test_the_public_pdf_names_no_facility_and_shows_suppressed_cells(
    city: tuple[Database, Settings],
) -> None:
    _need_cjk()
    db, cfg = city
    internal = _flat(
        _pdf_text(impact_report(db, REF, settings=cfg, fmt=ReportFormat.PDF, lang="en").content)[1]
    )
    public = _flat(
        _pdf_text(
            impact_report(
                db, REF, settings=cfg, fmt=ReportFormat.PDF, lang="en", public=True
            ).content
        )[1]
    )
    assert "C3" in internal  # the unknown facilities are listed internally
    assert "Alpha Data" in internal
    for name in ("Alpha Data", "Tele Beijing", "Cloud North"):
        assert name not in public
    assert "PUBLIC" in public
    assert "INTERNAL" not in public
    assert "suppressed" in public  # the fixture's small districts and coins


def test_the_workbook_has_one_sheet_per_table_with_units(city: tuple[Database, Settings]) -> None:
    db, cfg = city
    data = assess(db, REF, settings=cfg).as_dict()
    made = impact_report(db, REF, settings=cfg, fmt=ReportFormat.XLSX, lang="en")
    book = load_workbook(io.BytesIO(made.content), read_only=True)
    assert {"Summary", "By district", "By coin", "By organization", "Notes"} <= set(book.sheetnames)
    rows = list(book["By district"].iter_rows(values_only=True))
    header = rows[0]
    assert "Mining electricity [kWh]" in header
    column = header.index("Mining electricity [kWh]")
    total = sum(row[column] for row in rows[1:] if isinstance(row[column], int | float))
    assert total == pytest.approx(data["totals"]["mining_electricity_kwh"])


def test_the_public_workbook_leaves_out_the_organizations(city: tuple[Database, Settings]) -> None:
    db, cfg = city
    made = impact_report(db, REF, settings=cfg, fmt=ReportFormat.XLSX, lang="zh", public=True)
    book = load_workbook(io.BytesIO(made.content), read_only=True)
    assert "按单位" not in book.sheetnames
    cells = {str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row}
    assert "不公开" in cells
    assert not {"Alpha Data", "Tele Beijing", "Cloud North"} & cells


def test_the_html_is_one_self_contained_document(city: tuple[Database, Settings]) -> None:
    db, cfg = city
    made = impact_report(db, REF, settings=cfg, fmt=ReportFormat.HTML, lang="zh")
    html = made.content.decode("utf-8")
    assert html.count("<svg") >= 3
    # nothing to fetch: no external script, image, stylesheet or font
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//""", html)
    assert "主要数字" in html


def test_the_cli_writes_the_report(
    city: tuple[Database, Settings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, cfg = city
    monkeypatch.setenv("HASHWATCH_DATA_DIR", str(cfg.data_dir))
    monkeypatch.delenv("HASHWATCH_DATABASE_URL", raising=False)
    target = tmp_path / "out.xlsx"
    with pytest.raises(SystemExit) as exit_info:
        main(["report", REF, "-o", str(target), "--lang", "en"])
    assert exit_info.value.code == 0
    assert "internal (not for publication)" in capsys.readouterr().out
    assert load_workbook(target, read_only=True).sheetnames[0] == "Summary"
    with pytest.raises(SystemExit) as exit_info:
        main(["report", REF, "-o", str(tmp_path / "out.doc")])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["report", REF, "-o", str(target), "--lang", "fr"])
    assert exit_info.value.code == 2
    assert "lang" in capsys.readouterr().err
