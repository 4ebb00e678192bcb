"""The browser reaches the app, and the vendored libraries run under the app's CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import LiveApp

pytestmark = pytest.mark.xdist_group("e2e")

BAR_CHART = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
    "data": {
        "values": [
            {"district": "朝阳区", "mining_kwh": 120},
            {"district": "海淀区", "mining_kwh": 80},
        ]
    },
    "mark": "bar",
    "encoding": {
        "x": {"field": "district", "type": "nominal"},
        "y": {"field": "mining_kwh", "type": "quantitative"},
    },
}


def test_health_page_answers(page: Page, live_app: LiveApp) -> None:
    response = page.goto("/healthz")
    assert response is not None
    assert response.status == 200
    assert response.json()["status"] == "ok"
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_vendored_libraries_draw_a_chart_without_eval(page: Page, live_app: LiveApp) -> None:
    """Under ``script-src 'self'; style-src 'self'`` (no eval, no inline styles) htmx needs
    ``includeIndicatorStyles: false`` and vega-embed ``ast: true, defaultStyle: false``.

    The page is a plain-text file of the app's (Chromium's JSON viewer adds inline styles).
    """
    page.goto("/static/vendor/licenses/vega.txt")
    page.evaluate(
        """() => {
            const meta = document.createElement('meta');
            meta.name = 'htmx-config';
            meta.content = '{"includeIndicatorStyles": false}';
            document.head.append(meta);
        }"""
    )
    for name in ("htmx.min.js", "vega.min.js", "vega-lite.min.js", "vega-embed.min.js"):
        page.add_script_tag(url=f"/static/vendor/{name}")
    assert page.evaluate("typeof htmx.process") == "function"
    assert page.evaluate("vegaLite.version").startswith("6.")
    page.evaluate(
        """async (spec) => {
            const div = document.createElement('div');
            div.id = 'chart';
            document.body.append(div);
            await vegaEmbed(div, spec, {
                ast: true, defaultStyle: false, actions: false, renderer: 'svg'
            });
        }""",
        BAR_CHART,
    )
    bars = page.locator("#chart svg .mark-rect path")
    assert bars.count() == 2
