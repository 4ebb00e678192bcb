"""The regulator's pages, as one router.

================================================  =============================================
``GET|POST /login``                               sign in (``/logout`` is the frame's)
``GET /notices``, ``GET /notices/new``            notice list, creation form
``POST /notices``                                 create a notice
``GET /notices/{ref}``                            dashboard: rates, statuses, overdue, districts
``GET /notices/{ref}/charts/{districts|status}.json``  Vega-Lite specs of the dashboard
``POST /notices/{ref}/{recipients|issue|remind|close}``  actions on a notice
``POST /notices/{ref}/facilities/{code}/token``   resend a recipient's access token
``GET /notices/{ref}/assessment``                 assessment: figures, charts (inline), downloads
``GET /notices/{ref}/report.{html|pdf|xlsx}``     the assessment report (``?lang=&public=``)
``GET /notices/{ref}/facilities/{code}``          review: versions, findings, diff
``GET /notices/{ref}/facilities/{code}/diff``     the diff fragment (htmx)
``POST /notices/{ref}/facilities/{code}/review``  return with a comment, or accept
``GET /facilities``, ``GET /organizations``       registry lists (filters, search, pages)
``GET /registry``, ``POST /registry/check``,      registry import: upload and dry run, then
``POST /registry/import``                         confirm
``GET /audit``, ``POST /audit/verify``            audit log and chain verification
================================================  =============================================
"""

from __future__ import annotations

from fastapi import APIRouter

from hashwatch.web.pages import (
    regulator_assessment,
    regulator_audit,
    regulator_login,
    regulator_notices,
    regulator_registry,
    regulator_review,
)

router = APIRouter()
for module in (
    regulator_login,
    regulator_notices,
    regulator_assessment,
    regulator_review,
    regulator_registry,
    regulator_audit,
):
    router.include_router(module.router)
