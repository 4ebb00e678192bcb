"""Server-rendered pages for regulator staff and reporting entities."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
