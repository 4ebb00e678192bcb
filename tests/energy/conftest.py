"""Fixtures of the energy tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.energy.shared_data import require_shared_energy


@pytest.fixture
def shared_energy() -> Path:
    """The shared energy data folder; skips the test when it is absent."""
    return require_shared_energy()
