"""The JSON API under ``/api/v1`` (and ``/healthz``).

Who may call what: regulator admins (a user session) every route; regulator analysts every
route but the registry import and creating, adding recipients to, issuing and closing a
notice and resending a token (:data:`hashwatch.web.deps.AdminDep`); reporting entities (a
recipient's access token or session, an organization's API token or session) ``/me`` and the
report routes of their own facilities; anyone ``/healthz``, ``/api/v1/schema/report`` and
signing in.
"""

from __future__ import annotations

from fastapi import APIRouter

from hashwatch.web.api import (
    assessment,
    audit,
    health,
    notices,
    registry,
    reports,
    review,
    schema,
    session,
)

router = APIRouter()
for module in (health, session, registry, notices, assessment, reports, review, audit, schema):
    router.include_router(module.router)
