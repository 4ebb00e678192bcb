"""The exceptions hashwatch raises for expected failures.

Every expected failure is a :class:`HashwatchError`; the CLI prints its message on one
line and exits non-zero, the web layer maps it to a 4xx response. Anything else is a bug.

    HashwatchError
    ├── InputError            bad input: names the field, row or value at fault
    │   └── FileFormatError   a file that cannot be read (names the row or byte offset)
    ├── NotFoundError         an unknown notice reference, facility, organization, ...
    ├── ConflictError         the action clashes with the current state (double issue, ...)
    ├── PermissionDeniedError wrong or expired token, closed notice, another entity's data
    ├── ConfigurationError    deployment settings that cannot work (placeholder secret, ...)
    └── AuditChainError       the audit trail's hash chain is broken
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class HashwatchError(Exception):
    """Base class of every expected failure."""

    exit_code: int = 1

    def __init__(self, message: str, *, field: str | None = None, row: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.row = row

    def __str__(self) -> str:
        return self.message


class InputError(HashwatchError):
    """Bad input; ``field`` and ``row`` say where, ``problems`` lists every problem found."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        row: int | None = None,
        problems: Sequence[dict[str, Any]] = (),
    ):
        super().__init__(message, field=field, row=row)
        self.problems = list(problems)


class FileFormatError(InputError):
    """A file that cannot be read as the format it claims to be."""


class NotFoundError(HashwatchError):
    """The object named does not exist."""

    exit_code = 3


class ConflictError(HashwatchError):
    """The action is not allowed in the object's current state."""

    exit_code = 4


class PermissionDeniedError(HashwatchError):
    """The caller may not do this: bad token, closed notice, someone else's data."""

    exit_code = 5


class ConfigurationError(HashwatchError):
    """The deployment settings cannot work."""

    exit_code = 6


class AuditChainError(HashwatchError):
    """The audit trail was edited, cut or reordered; the message names the first bad row."""

    exit_code = 7
