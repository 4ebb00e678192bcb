"""The review page's diff table: a removed or added line is shown whole, with its label."""

from __future__ import annotations

import re

from hashwatch.services.views import diff_reports
from hashwatch.web.pages.common import templates

S19 = {"model": "Antminer S19 Pro", "count": 100, "rated_power_w": 3250.0, "catalogue_model": None}
M30S = {"model": "Whatsminer M30S", "count": 50, "rated_power_w": 3344.0, "catalogue_model": None}


def _rows(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr class=\"change-.*?</tr>", html, flags=re.S)
    ]


def test_a_removed_line_is_one_row_with_the_whole_line() -> None:
    changes = diff_reports({"equipment": [S19, M30S]}, {"equipment": [{**M30S, "count": 51}]})
    html = templates().render("en", "regulator/_diff.html", {"pair": (1, 2), "changes": changes})
    assert _rows(html) == [
        "equipment.0 Antminer S19 Pro Removed count 100 model Antminer S19 Pro "
        "rated_power_w 3250.0 —",
        "equipment.0.count Whatsminer M30S Changed 50 51",
    ]
    assert '<th scope="col">Line</th>' in html
    chinese = templates().render("zh", "regulator/_diff.html", {"pair": (1, 2), "changes": changes})
    assert "明细行" in chinese


def test_reordered_lines_render_as_the_same_figures() -> None:
    changes = diff_reports({"equipment": [S19, M30S]}, {"equipment": [M30S, S19]})
    html = templates().render("en", "regulator/_diff.html", {"pair": (1, 2), "changes": changes})
    assert "Versions 1 and 2 report the same figures." in html
