"""Fixtures of the API tests: the world (see :mod:`tests.web.api.world`) and a client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hashwatch.store.engine import Database
from tests.web.api.world import TestClient, World, build_world, client_for, settings_for


@pytest.fixture
def world(db: Database, tmp_path: Path) -> World:
    return build_world(db, settings_for(tmp_path))


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    yield from client_for(world)
