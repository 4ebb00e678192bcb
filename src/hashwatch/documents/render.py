"""Offline rendering: Vega-Lite specifications to SVG (or PNG), HTML to PDF.

The charts are the Vega-Lite specifications the web dashboard embeds (:mod:`hashwatch.charts`);
here they are rendered without a browser by vl-convert (the Vega and Vega-Lite JavaScript
libraries in an embedded Deno runtime) at the same Vega-Lite minor version as the npm lock
file, so a chart looks the same on the page and in the PDF. The SVG keeps its text as text, so
a PDF made from it has vector graphics and extractable labels.

PDF pages are laid out by WeasyPrint from HTML and CSS. Chinese text needs a CJK font known
to fontconfig (Debian: ``fonts-noto-cjk``, installed by the project's set-up);
:func:`require_cjk_font` refuses to make a Chinese PDF without one rather than print empty
boxes.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any, Final, Literal

from hashwatch.errors import ConfigurationError

#: the Vega-Lite minor version of package.json (vega-lite 6.4.x), which vl-convert bundles.
VEGA_LITE_VERSION: Final = "6.4"
D3Locale = Literal["zh-CN", "en-US"]
#: d3-format / d3-time-format locales by hashwatch language.
_D3_LOCALES: Final[dict[str, D3Locale]] = {"zh": "zh-CN", "en": "en-US"}


def chart_svg(spec: Mapping[str, Any], *, lang: str = "en") -> str:
    """The SVG of a Vega-Lite ``spec`` (data inline), numbers and dates in ``lang``'s format.

    No external data is fetched: specs carry their rows in ``data.values`` and any URL is
    refused.
    """
    import vl_convert  # a large native module, loaded only when a chart is drawn

    return str(vl_convert.vegalite_to_svg(dict(spec), **_vl_options(lang)))


def chart_png(spec: Mapping[str, Any], *, lang: str = "en", scale: float = 2.0) -> bytes:
    """The PNG of a Vega-Lite ``spec`` as :func:`chart_svg` draws it, ``scale`` pixels per
    CSS pixel (2: sharp on high-density screens and in slides)."""
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(dict(spec), scale=scale, **_vl_options(lang)))


def _vl_options(lang: str) -> dict[str, Any]:
    """vl-convert's options for every chart: the pinned Vega-Lite, no URLs, ``lang``'s
    number and date formats."""
    locale: D3Locale = _D3_LOCALES.get(lang, "en-US")
    return {
        "vl_version": VEGA_LITE_VERSION,
        "allowed_base_urls": [],
        "format_locale": locale,
        "time_format_locale": locale,
    }


@functools.cache
def cjk_font_families() -> tuple[str, ...]:
    """Font families fontconfig knows for Simplified Chinese (empty when it knows none)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ()
    listed = subprocess.run(  # noqa: S603 - fixed arguments, the binary found on PATH
        [fc_list, ":lang=zh-cn", "family"], capture_output=True, text=True, check=False
    )
    families = {part.strip() for line in listed.stdout.splitlines() for part in line.split(",")}
    return tuple(sorted(f for f in families if f))


def require_cjk_font() -> None:
    """:class:`ConfigurationError` unless a Chinese font is installed for the PDF."""
    if not cjk_font_families():
        raise ConfigurationError(
            "no Chinese font is installed for the PDF report: install one known to fontconfig "
            "(Debian/Ubuntu: apt-get install fonts-noto-cjk; `make install` does it when it can)"
        )


def html_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of an HTML document (CSS paged media: ``@page`` size, margins, counters)."""
    import weasyprint  # pulls in pango through cffi; loaded only when a PDF is made

    pdf = weasyprint.HTML(string=html, base_url=base_url).write_pdf()
    assert pdf is not None  # write_pdf without a target returns the bytes
    return bytes(pdf)
