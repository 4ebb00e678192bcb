"""Charts to SVG and HTML to PDF, offline, with Chinese text that survives the round trip."""

from __future__ import annotations

import io
import os

import pytest
from pypdf import PdfReader

from hashwatch.documents.render import chart_svg, cjk_font_families, html_pdf

BARS = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
    "data": {"values": [{"d": "朝阳区", "kwh": 1234567.0}, {"d": "海淀区", "kwh": 89.5}]},
    "mark": "bar",
    "encoding": {
        "y": {"field": "d", "type": "nominal", "title": "区"},
        "x": {"field": "kwh", "type": "quantitative", "title": "挖矿用电 [kWh]"},
    },
}


def test_a_chart_renders_to_svg_with_its_text_as_text() -> None:
    svg = chart_svg(BARS, lang="zh")
    assert svg.startswith("<svg")
    for label in ("朝阳区", "海淀区", "挖矿用电 [kWh]"):
        assert label in svg
    assert "<text" in svg
    assert "<path" in svg


def test_a_chart_never_fetches_data_from_a_url() -> None:
    spec = {**BARS, "data": {"url": "https://example.org/data.json"}}
    with pytest.raises(ValueError, match=r"(?i)url|access|allowed"):
        chart_svg(spec)


def test_the_pdf_keeps_chinese_text_and_vector_charts() -> None:
    if not cjk_font_families():
        missing = "no Chinese font installed (scripts/system-packages.sh pdf)"
        if os.environ.get("HASHWATCH_REQUIRE_PDF"):
            pytest.fail(missing)
        pytest.skip(missing)
    svg = chart_svg(BARS, lang="zh")
    html = (
        "<html lang='zh'><head><style>body{font-family:'Noto Sans CJK SC',sans-serif}</style>"
        f"</head><body><h1>北京市数据中心挖矿用电评估</h1>{svg}</body></html>"
    )
    pdf = html_pdf(html)
    reader = PdfReader(io.BytesIO(pdf))
    text = reader.pages[0].extract_text()
    assert "北京市数据中心挖矿用电评估" in text
    assert "朝阳区" in text  # the chart's labels are text in the PDF, not pixels
    page = reader.pages[0]
    assert "/Image" not in str(page.get("/Resources", {}))  # drawn as paths, not a bitmap
