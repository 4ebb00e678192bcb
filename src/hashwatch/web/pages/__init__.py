"""Server-rendered pages for regulator staff and reporting entities."""

from __future__ import annotations

from fastapi import APIRouter

from hashwatch.web.pages import frame, regulator, reporter, reporter_bulk

router = APIRouter(include_in_schema=False)
router.include_router(frame.router)
router.include_router(reporter.router)
router.include_router(reporter_bulk.router)
router.include_router(regulator.router)
