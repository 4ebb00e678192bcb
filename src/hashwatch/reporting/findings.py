"""Validation findings: structured data, never free text alone.

A finding has a dotted ``code`` (``submission.mining_exceeds_total``), a ``severity``
(``error`` blocks the submission; ``warning`` needs the submitter's explanation), a
human ``message``, the ``field`` it concerns (a dotted path into the report, e.g.
``equipment.2.count``) and a ``data`` mapping with the numbers behind it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclasses.dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    field: str | None = None
    data: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The finding as plain JSON-ready data."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "field": self.field,
            "data": dict(self.data),
        }
