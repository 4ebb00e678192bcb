"""``/healthz``: the app answers and its database is reachable and migrated."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from hashwatch.web.deps import DbDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness and database check")
def healthz(db: DbDep) -> JSONResponse:
    current, head = db.current_revision(), db.head_revision()
    ok = current == head
    return JSONResponse(
        {"status": "ok" if ok else "database schema outdated", "schema": current},
        status_code=200 if ok else 503,
    )
