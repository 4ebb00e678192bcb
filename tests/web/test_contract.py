"""Contract tests: schemathesis drives every operation of ``/openapi.json`` through the app.

Two callers: a regulator with a session cookie and CSRF header, and an entity with its
organization's API token. Each operation gets a few derandomized examples; no answer may be
a server error, and every answer must conform to the schema (status code, content type,
body).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hashwatch.services import accounts
from hashwatch.store.engine import Database
from hashwatch.web.app import create_app
from hashwatch.web.cookies import SESSION_COOKIE
from tests.web.api.world import ADMIN, PASSWORD, REF, World, build_world, settings_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 4
Headers = Callable[[str, str], dict[str, str]]


def regulator_headers(world: World) -> Headers:
    """The regulator's cookie and CSRF header; a new session after each sign-out."""
    current = {"info": accounts.login(world.db, ADMIN, PASSWORD)}

    def headers(method: str, path: str) -> dict[str, str]:
        if (method, path) == ("DELETE", "/api/v1/session"):
            current["info"] = accounts.login(world.db, ADMIN, PASSWORD)
        info = current["info"]
        return {
            "Cookie": f"{SESSION_COOKIE}={info.session_id}",
            "X-CSRF-Token": info.csrf_token,
        }

    return headers


def entity_headers(world: World) -> Headers:
    return lambda method, path: {"Authorization": f"Bearer {world.api_token_b}"}


def check_operation(
    operation: schemathesis.APIOperation, headers: Headers, known: dict[str, Any]
) -> None:
    """A few examples of one operation, each checked; raises on the first failure.

    ``known`` fixes path parameters (to reach real objects) where the path has them.
    """
    method, path = operation.method.upper(), operation.path
    fixed = {k: v for k, v in known.items() if f"{{{k}}}" in path}

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(path_parameters=fixed or None))
    def check(case: schemathesis.Case) -> None:
        response = case.call(headers=headers(method, path))
        case.validate_response(response, checks=CHECKS)

    check()


def run_schema(world: World, headers: Headers, code: str) -> list[str]:
    """Every operation, a few examples each with random and with real path parameters."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(world.settings, world.db))
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for known in ({}, {"ref": REF, "code": code, "version": 1}):
            try:
                check_operation(operation, headers, known)
            except Exception as exc:  # collect every operation's failure, not only the first
                failures.append(f"{operation.method.upper()} {operation.path} {known}: {exc}")
    return failures


@pytest.mark.parametrize("caller", ["regulator", "entity"])
def test_no_server_errors_and_conformant_answers(db: Database, tmp_path: Path, caller: str) -> None:
    world = build_world(db, settings_for(tmp_path))
    if caller == "regulator":
        failures = run_schema(world, regulator_headers(world), "A-DC-1")
    else:
        failures = run_schema(world, entity_headers(world), "B-DC-1")
    assert not failures, "\n\n".join(failures)
