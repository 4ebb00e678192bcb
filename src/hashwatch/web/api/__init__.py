"""The JSON API under ``/api/v1`` (and ``/healthz``).

Who may call what: regulator staff (a user session) every route; reporting entities (a
recipient's access token or session, an organization's API token or session) ``/me`` and the
report routes of their own facilities; anyone ``/healthz``, ``/api/v1/schema/report`` and
signing in.
"""

from __future__ import annotations

from fastapi import APIRouter

from hashwatch.web.api import audit, health, notices, registry, reports, review, schema, session

router = APIRouter()
for module in (health, session, registry, notices, reports, review, audit, schema):
    router.include_router(module.router)
