"""Languages of the pages and the printed report: gettext catalogs, the choice of locale, and
locale formatting (used by the web layer, the documents and the services alike).

Catalogs live as source in ``web/i18n/<locale>/LC_MESSAGES/messages.po`` and are compiled
in memory when the app starts (Babel's ``read_po`` + ``write_mo``): no compiled ``.mo``
files are committed. Simplified Chinese (``zh``) is the default; English (``en``) the other.

The locale of a request is, in order: the session's choice, the user's stored choice, the
browser's ``Accept-Language``, then ``zh``. Numbers, percentages, dates and times are
formatted for the locale with Babel; times in the notice's time zone.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "mark, don't translate")
    """Mark a string for extraction into the catalogs; it is translated where it is shown."""
    return message


LOCALES: Final = ("zh", "en")
DEFAULT_LOCALE: Final = "zh"
CATALOG_DIR: Final = Path(__file__).parent / "web" / "i18n"
DOMAIN: Final = "messages"
#: The Babel locale used to format numbers and dates for each page locale.
BABEL_LOCALES: Final[Mapping[str, str]] = {"zh": "zh_Hans_CN", "en": "en_GB"}
LANGUAGE_NAMES: Final[Mapping[str, str]] = {"zh": "中文", "en": "English"}


def catalog_path(locale: str, directory: Path = CATALOG_DIR) -> Path:
    return directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translations(directory: Path = CATALOG_DIR) -> dict[str, gettext.GNUTranslations]:
    """Every locale's catalog, compiled in memory."""
    found: dict[str, gettext.GNUTranslations] = {}
    for locale in LOCALES:
        with catalog_path(locale, directory).open("rb") as po:
            catalog = read_po(po, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        found[locale] = gettext.GNUTranslations(buffer)
    return found


def _accept_language(header: str | None) -> str | None:
    """The first supported language of an ``Accept-Language`` header, by quality."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().lower().split("-")[0]
        if language in LOCALES and quality > 0:
            ranked.append((-quality, index, language))
    return min(ranked)[2] if ranked else None


def choose_locale(
    session_locale: str | None, user_locale: str | None, accept_language: str | None
) -> str:
    """Session choice > user's stored choice > ``Accept-Language`` > ``zh``."""
    for candidate in (session_locale, user_locale):
        if candidate in LOCALES:
            assert candidate is not None
            return candidate
    return _accept_language(accept_language) or DEFAULT_LOCALE


class Formatter:
    """Numbers, shares, dates and times for one locale (Babel)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.babel_locale = Locale.parse(BABEL_LOCALES[locale])

    def number(self, value: float | int | None, digits: int = 3) -> str:
        if value is None:
            return "—"
        return str(format_decimal(value, format=f"#,##0.{'#' * digits}", locale=self.babel_locale))

    def quantity(self, value: float | int | None, unit: str, digits: int = 3) -> str:
        """A number with its unit (``1,200 kWh``; ``%`` follows the number directly)."""
        if value is None:
            return "—"
        return f"{self.number(value, digits)}{'' if unit == '%' else chr(0xA0)}{unit}"

    def percent(self, value_pct: float | None, digits: int = 1) -> str:
        """A share given in percent (0–100)."""
        if value_pct is None:
            return "—"
        pattern = f"#,##0.{'#' * digits}%"
        return str(format_percent(value_pct / 100, format=pattern, locale=self.babel_locale))

    def date(self, value: dt.date | None) -> str:
        if value is None:
            return "—"
        return str(format_date(value, format="long", locale=self.babel_locale))

    def datetime(self, value: dt.datetime | None, timezone: str = "Asia/Shanghai") -> str:
        """A moment in the given time zone, with the zone's name."""
        if value is None:
            return "—"
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        local = value.astimezone(ZoneInfo(timezone))
        text = format_datetime(local, format="medium", locale=self.babel_locale)
        return f"{text} ({timezone})"
