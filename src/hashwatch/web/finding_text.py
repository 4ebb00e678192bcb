"""A validation finding as a sentence in the reader's language, for the pages.

:class:`FindingText` picks the finding's template (:mod:`hashwatch.web.finding_messages`),
translates it and fills it from the finding's ``field`` and ``data``, each value formatted
for the locale by what its key names:

* ``…_kwh``, ``…_kw``, ``…_w``: energy or power with its unit, by Babel (1,200 kWh;
  1,200千瓦时);
* ``hours``, ``ahead_s``: a duration (720 hrs; 720小时; minutes below 2 h);
* ``…_ths``, ``…_j_per_th``: a number with TH/s or J/TH;
* ``…_pct`` and ``…_pct_derived``: a percentage (9.5%); ``…_pct_points`` a number;
* ``…_date``, ``…_at``, ``period_start``, ``period_end``: a date, or a time in
  Asia/Shanghai with the zone's name;
* ``…_year``: a year, without grouping;
* ``input`` (the value given): a number for the locale, ``null``, or text in quotes;
* a key of ``VALUE_LABELS`` (``operation_mode``): its label, translated;
* any other number for the locale; any other text as it is.

A finding that cannot be filled (an unknown code, a key missing from ``data`` as in findings
stored before the key was added, a value that cannot be read) is shown with its English
``message``: never an error.
"""

from __future__ import annotations

import datetime as dt
import gettext
import re
from collections.abc import Mapping
from typing import Any, Final

from babel.units import format_unit

from hashwatch.i18n import Formatter
from hashwatch.reporting.findings import Severity
from hashwatch.reporting.rules import FINDING_CODES
from hashwatch.web.finding_messages import (
    BULK_MESSAGES,
    EXPLAIN_IN_COLUMN,
    FINDING_MESSAGE_VARIANTS,
    FINDING_MESSAGES,
    VALUE_LABELS,
    WHOLE_REPORT,
)

PLACEHOLDER: Final = re.compile(r"%\((\w+)\)s")
#: Key endings shown with a CLDR unit (translated by Babel), then with a plain symbol.
CLDR_UNITS: Final = (
    ("_kwh", "energy-kilowatt-hour"),
    ("_kw", "power-kilowatt"),
    ("_w", "power-watt"),
)
SYMBOL_UNITS: Final = (("_j_per_th", "J/TH"), ("_ths", "TH/s"))
MOMENT_KEYS: Final = frozenset({"period_start", "period_end"})
#: Codes whose findings are warnings (a bulk upload's problem only when unexplained).
WARNING_CODES: Final = frozenset(c for c, s in FINDING_CODES.items() if s is Severity.WARNING)
_NUMBER_FORMAT: Final = "#,##0.###"


class _UnfillableError(Exception):
    """The template needs a value the finding does not have, or cannot be shown."""


def _part(finding: Any, name: str) -> Any:
    """``finding[name]`` of a mapping (stored JSON), else the attribute (a dataclass)."""
    if isinstance(finding, Mapping):
        return finding.get(name)
    return getattr(finding, name, None)


def template_for(code: str, data: Mapping[str, Any]) -> str | None:
    """The untranslated template for a finding: its first matching variant, else its own."""
    for conditions, template in FINDING_MESSAGE_VARIANTS.get(code, ()):
        if all(_holds(condition, data) for condition in conditions):
            return template
    return FINDING_MESSAGES.get(code) or BULK_MESSAGES.get(code)


def _holds(condition: str, data: Mapping[str, Any]) -> bool:
    key, equals, expected = condition.partition("=")
    value = data.get(key)
    return str(value) == expected if equals else value is not None


class FindingText:
    """Findings as translated sentences for one locale."""

    def __init__(self, locale: str, translations: gettext.NullTranslations) -> None:
        self.fmt = Formatter(locale)
        self.translations = translations

    def _(self, message: str) -> str:
        return self.translations.gettext(message)

    def filled(self, finding: Any) -> str | None:
        """The translated message of ``finding``, or ``None`` if it cannot be filled."""
        data = _part(finding, "data")
        data = data if isinstance(data, Mapping) else {}
        template = template_for(str(_part(finding, "code")), data)
        if template is None:
            return None
        text = self._(template)
        field = _part(finding, "field")
        values: dict[str, str] = {}
        try:
            for name in set(PLACEHOLDER.findall(text)):
                if name == "field":
                    values[name] = str(field) if field else self._(WHOLE_REPORT)
                elif name in data and (data[name] is not None or name == "input"):
                    values[name] = self.value(name, data[name])
                else:
                    raise _UnfillableError(name)
            return text % values
        except (_UnfillableError, ValueError, TypeError, KeyError, OverflowError):
            return None

    def message(self, finding: Any) -> str:
        """The translated message, or the finding's English ``message`` if it cannot be filled."""
        filled = self.filled(finding)
        return filled if filled is not None else str(_part(finding, "message") or "")

    def row_problem_message(self, problem: Any) -> str:
        """A bulk upload's row problem: a finding translated, an unexplained warning with
        the hint to explain it in the upload; other problems (``bulk.…``) as they are."""
        filled = self.filled(problem)
        if filled is None:
            return str(_part(problem, "message") or "")
        code = str(_part(problem, "code"))
        if code not in WARNING_CODES:
            return filled
        return f"{filled} {self._(EXPLAIN_IN_COLUMN) % {'code': code}}"

    # --- values ---------------------------------------------------------------------------

    def value(self, name: str, value: Any) -> str:
        """One data value for the locale, by what its key names (see the module's table)."""
        if name in VALUE_LABELS and isinstance(value, str):
            label = VALUE_LABELS[name].get(value)
            return self._(label) if label is not None else value
        if name == "input":
            return self._input(value)
        if name.endswith(("_date", "_at")) or name in MOMENT_KEYS:
            return self._moment(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            if isinstance(value, str):
                return value
            raise _UnfillableError(name)
        return self._number(name, value)

    def _number(self, key: str, value: float) -> str:
        name = key.removesuffix("_derived")  # mining_share_pct_derived is a share too
        if name.endswith("_year"):
            return str(int(value))
        if name == "hours":
            return self._unit(value, "duration-hour")
        if name == "ahead_s":
            if abs(value) < 7200:
                return self._unit(value / 60.0, "duration-minute")
            return self._unit(value / 3600.0, "duration-hour")
        for ending, unit in CLDR_UNITS:
            if name.endswith(ending):
                return self._unit(value, unit)
        for ending, symbol in SYMBOL_UNITS:
            if name.endswith(ending):
                return self.fmt.quantity(value, symbol)
        if name.endswith("_pct"):
            return self.fmt.percent(value, digits=3)
        return self.fmt.number(value)

    def _unit(self, value: float, unit: str) -> str:
        text = format_unit(
            value, unit, length="short", format=_NUMBER_FORMAT, locale=self.fmt.babel_locale
        )
        return str(text)

    def _input(self, value: Any) -> str:
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return self.fmt.number(value)
        return f"“{value}”"

    def _moment(self, value: Any) -> str:
        if not isinstance(value, str):
            raise _UnfillableError(value)
        text = value.strip()
        if len(text) == 10:
            return self.fmt.date(dt.date.fromisoformat(text))
        return self.fmt.datetime(dt.datetime.fromisoformat(text))
