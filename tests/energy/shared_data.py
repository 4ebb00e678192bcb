"""Where the shared data folder is: ``../shared/data`` beside the repository by default.

``HASHWATCH_SHARED_DATA`` overrides it. Its files are licensed for validation only and are
never copied into the repository; tests that need them skip when the folder is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "../shared/data"


def shared_energy_dir() -> Path:
    """``<shared data>/energy`` (it may not exist)."""
    return Path(os.environ.get("HASHWATCH_SHARED_DATA", DEFAULT_SHARED)).resolve() / "energy"


def require_shared_energy() -> Path:
    """``<shared data>/energy``; skips the calling test when it is absent."""
    folder = shared_energy_dir()
    if not folder.is_dir():
        pytest.skip(f"shared data not found at {folder} (set HASHWATCH_SHARED_DATA)")
    return folder
